#pragma once
// The command line of nt35e-sim, parsed by hand: every mistake becomes one
// sentence naming the option (main adds "try --help" and exits with status 2).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "io/logger.hpp"
#include "modem/profile.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::app {

enum class transport_kind {
  pty,
  tcp,
  stdio
};

/// One profile change, in command-line order (--set and its shortcuts).
struct field_setting {
  std::string option;  ///< as the user wrote it, for messages ("--echo 2", "--set echo=2")
  std::string field;
  std::string value;
};

struct options {
  transport_kind transport = transport_kind::pty;
  std::string pty_link = "/tmp/nt35e0";
  boost::asio::ip::tcp::endpoint tcp_endpoint;
  std::string profile_name = "nt35e";
  bool profile_given = false;  ///< --profile was given (it then wins over the scenario's)
  std::vector<field_setting> settings;
  std::optional<io::log_level> log_level;  ///< empty: info, or warn with --stdio
  bool live = false;
  std::vector<std::string> map_hosts;                              ///< HOST[:PORT]=ADDR:PORT, already checked
  std::optional<std::string> scenario_file;                        ///< --scenario
  std::optional<std::string> check_scenario_file;                  ///< --check-scenario: validate and exit
  std::optional<boost::asio::ip::tcp::endpoint> control_endpoint;  ///< --control
  std::optional<std::string> time_scale;                           ///< --time-scale, checked to be a number above 0
  bool transport_given = false;                                    ///< --pty, --tcp or --stdio was given
  std::optional<std::size_t> fleet;        ///< --fleet N (1..10000): N modems; pty_link is then the prefix
  std::uint64_t fleet_offset = 0;          ///< --fleet-offset K: modem i has global index K+i
  std::optional<unsigned> threads;         ///< --threads N (fleet mode)
  std::optional<std::string> record_file;  ///< --record FILE: JSON Lines trace of the session
  bool redact_payloads = false;            ///< --redact payloads
  bool redact_credentials = false;         ///< --redact credentials
  std::optional<std::string> replay_file;  ///< --replay FILE: answer from a trace
  bool replay_lenient = false;             ///< --replay-match lenient
  std::string off_script = "error";        ///< --off-script stop|error|handover
  bool help = false;
  bool version = false;
};

/// Either options or the sentence saying what is wrong.
struct parse_result {
  options opts;
  std::string error;
};

/// Parses the arguments after the program name.
parse_result parse_options(const std::vector<std::string_view>& args);

/// The profile the modem runs with, lowest precedence first: the scenario's built-in
/// profile (or --profile's), the scenario's settings and network (scenario::apply),
/// --set and its shortcuts in command-line order, then --time-scale.
/// Returns an error sentence or "".
std::string build_profile(const options& opts, const scenario::scenario& world, modem::profile& out);
/// The profile of the modems a scenario override selects: build_profile on its world,
/// then the override's own settings once more, last (the most specific wins).
std::string build_profile(const options& opts, const scenario::modem_override& o, modem::profile& out);

/// The text --help prints.
std::string usage();

}  // namespace nt35e::app
