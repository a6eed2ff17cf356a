#pragma once
// The command line of nt35e-sim, parsed by hand: every mistake becomes one
// sentence naming the option (main adds "try --help" and exits with status 2).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "io/logger.hpp"
#include "modem/profile.hpp"

namespace nt35e::app {

enum class transport_kind { pty, tcp, stdio };

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
  std::vector<field_setting> settings;
  std::optional<io::log_level> log_level;  ///< empty: info, or warn with --stdio
  bool live = false;
  std::vector<std::string> map_hosts;  ///< HOST[:PORT]=ADDR:PORT, already checked
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

/// The built-in profile with every setting applied in order; returns an error sentence or "".
std::string build_profile(const options& opts, modem::profile& out);

/// The text --help prints.
std::string usage();

}  // namespace nt35e::app
