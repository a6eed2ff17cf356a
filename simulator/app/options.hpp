#pragma once
// The command line of nt35e-sim itself, declared on CLI11 (app/cli.hpp): every mistake
// becomes one sentence naming the option, printed with "try --help", status 2. The
// help text is built from the same declarations, and the man page from the help.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "app/verdict_output.hpp"
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
  std::optional<unsigned> pty_mode;   ///< --pty-mode: permission bits of the slave, 0 to 0777
  std::optional<unsigned> pty_group;  ///< --pty-group: the slave's group id
  std::string pty_group_name;         ///< --pty-group as given, for messages
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
  std::optional<std::string> control_token_file;                   ///< --control-token-file
  std::optional<std::chrono::milliseconds> control_line_timeout;   ///< --control-line-timeout
  std::optional<std::string> control_token;  ///< read from control_token_file; never logged or printed
  std::optional<boost::asio::ip::tcp::endpoint> metrics_endpoint;  ///< --metrics: the Prometheus endpoint
  std::optional<std::string> metrics_token;  ///< read from --metrics-token-file; never logged or printed
  std::optional<boost::asio::ip::tcp::endpoint> web_endpoint;  ///< --web: the live page (docs/web.md)
  std::optional<std::string> web_watch_token;  ///< read from --web-watch-token-file; never logged or printed
  bool web_console = false;                    ///< --web-console: the page may type as a second DTE
  std::optional<std::string> web_root;  ///< --web-root DIR: the page's files (default: installed, or the source tree)
  std::optional<std::string> lesson;    ///< --lesson NAME: start a lesson (docs/web.md)

  std::optional<std::string> time_scale;   ///< --time-scale, checked to be a number above 0
  bool transport_given = false;            ///< --pty, --tcp or --stdio was given
  std::optional<std::size_t> fleet;        ///< --fleet N (1..10000): N modems; pty_link is then the prefix
  std::uint64_t fleet_offset = 0;          ///< --fleet-offset K: modem i has global index K+i
  std::optional<unsigned> threads;         ///< --threads N (fleet mode)
  std::optional<std::string> record_file;  ///< --record FILE: JSON Lines trace of the session
  std::optional<std::string> pcap_file;    ///< --pcap FILE: the session as pcapng (UART and broker)
  bool redact_payloads = false;            ///< --redact payloads
  bool redact_credentials = false;         ///< --redact credentials
  std::optional<std::string> replay_file;  ///< --replay FILE: answer from a trace
  bool replay_lenient = false;             ///< --replay-match lenient
  std::string off_script = "error";        ///< --off-script stop|error|handover
  verdict_options verdict;                 ///< --verdict, --verdict-json, --oracle-… (the oracle)
};

/// nt35e-sim's own options on its CLI11 app. Each option's callback runs as soon as it
/// is parsed, so --set and its shortcuts keep their order and the first mistake is the
/// one reported; the checks that need the whole line (the fleet's) run after it.
class option_parser {
 public:
  /// Sets up `app` as nt35e-sim (usage, help layout) and declares every option on it.
  explicit option_parser(CLI::App& app);
  option_parser(const option_parser&) = delete;
  option_parser& operator=(const option_parser&) = delete;

  /// The options given; complete once the command line parsed without a mistake.
  const options& result() const { return opts_; }

 private:
  void add_transport_options(CLI::App& app);
  void add_module_options(CLI::App& app);
  void add_mqtt_and_trace_options(CLI::App& app);
  void add_scenario_options(CLI::App& app);
  void add_fleet_options(CLI::App& app);
  void choose_transport(const std::string& name, transport_kind kind);
  void check_whole_line();

  options opts_;
  std::optional<std::string> transport_option_;  ///< the first transport given, for the clash message
  bool fleet_offset_given_ = false;
};

/// The profile the modem runs with, lowest precedence first: the scenario's built-in
/// profile (or --profile's), the scenario's settings and network (scenario::apply),
/// --set and its shortcuts in command-line order, then --time-scale.
/// Returns an error sentence or "".
std::string build_profile(const options& opts, const scenario::scenario& world, modem::profile& out);
/// The profile of the modems a scenario override selects: build_profile on its world,
/// then the override's own settings once more, last (the most specific wins).
std::string build_profile(const options& opts, const scenario::modem_override& o, modem::profile& out);

}  // namespace nt35e::app
