#include "app/options.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <system_error>

#include <grp.h>

#include "app/cli.hpp"
#include "fleet/fleet.hpp"
#include "io/access_guard.hpp"
#include "io/tcp_transport.hpp"
#include "modem/fleet_identity.hpp"

#include "mqtt/host_map.hpp"
#include "scenario/apply.hpp"

namespace nt35e::app {

namespace {

constexpr const char* usage_text =
    "Usage: nt35e-sim [--pty PATH | --tcp [ADDR:]PORT | --stdio] [options]\n"
    "  or:  nt35e-sim import [--format FORMAT] [--to trace|scenario] [-o OUT] LOGFILE\n"
    "  or:  nt35e-sim report [-o OUT.html] TRACE.jsonl\n";

constexpr const char* description = "Simulates a Lierda NT35E cellular module that answers AT commands.";

constexpr const char* footer =
    "Where the profile comes from, later wins: the scenario's \"profile\" (or\n"
    "--profile), the scenario's \"settings\" and \"network\", --set and its shortcuts\n"
    "in the order given, --time-scale, then the \"settings\" of the scenario's\n"
    "\"modems\" override that selects the modem by its global index (--fleet-offset\n"
    "plus its number; 0 without --fleet).\n"
    "\n"
    "When the line is ready, one line starting with \"ready:\" is printed on stdout\n"
    "(on stderr with --stdio), e.g. \"ready: tcp 127.0.0.1:5000\", then how to\n"
    "connect and that the modem boots first: ECRDY after 1.5 s (input before it\n"
    "is ignored), registered 2 s later; --set timing.boot=0 --set\n"
    "timing.registration=0 skips that, --time-scale 0.05 shortens every delay.\n"
    "SIGINT and SIGTERM stop the simulator cleanly and print a summary of the\n"
    "counters and latencies on stderr (not with --log-level error). Bad options and\n"
    "scenario files that do not load exit with status 2.\n";

/// Help's column: where the descriptions start.
constexpr std::size_t help_column = 25;

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// A token file option (--control-token-file, --metrics-token-file, --web-watch-token-file):
/// read once, checked by io::read_token_file, kept in `token`; never shown.
void take_token(const std::string& option, const std::string& path, std::optional<std::string>& token) {
  if (token) throw usage_error(option + " is given twice");
  std::string why;
  auto read = io::read_token_file(path, why);
  if (!read) throw usage_error(option + ": " + why);
  token = std::move(*read);
}

/// An [ADDR:]PORT option's value into `where`, once.
void take_endpoint(const std::string& option, const std::string& v,
                   std::optional<boost::asio::ip::tcp::endpoint>& where) {
  if (where) throw usage_error(option + " is given twice");
  std::string why;
  auto ep = io::parse_tcp_endpoint(v, why);
  if (!ep) throw usage_error(option + " " + v + ": " + why);
  where = *ep;
}

/// Digits only (no sign, no spaces), as a number; nothing when not one or too large.
std::optional<std::uint64_t> whole_number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// Wraps a comma-separated list to the width of help's second column.
std::string wrap_list(const std::string& list, std::size_t width) {
  std::string out, line;
  std::size_t start = 0;
  while (start < list.size()) {
    auto end = list.find(", ", start);
    std::string item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? list.size() : end + 2;
    if (!line.empty() && line.size() + 2 + item.size() > width) {
      out += line + ",\n";
      line.clear();
    }
    line += (line.empty() ? "" : ", ") + item;
  }
  return out + line;
}

/// An option of nt35e-sim taking one value, in a help group. An empty value is a
/// mistake unless `empty_ok`.
CLI::Option* value(CLI::App& app, const std::string& group, const std::string& name, const std::string& text,
                   const std::string& needs, const std::string& help, std::function<void(const std::string&)> take,
                   bool empty_ok = false) {
  return add_value(app, name, text, needs, help,
                   [name, needs, empty_ok, take = std::move(take)](const std::string& v) {
                     if (v.empty() && !empty_ok) throw usage_error(name + " needs " + needs + ", not an empty value");
                     take(v);
                   })
      ->group(group);
}

/// The same check for --fleet, --fleet-offset and --threads: a whole number in range.
std::uint64_t number_in(const std::string& value, std::uint64_t low, std::uint64_t high, const std::string& what) {
  auto number = whole_number(value);
  if (!number || *number < low || *number > high) throw usage_error(what + ", not " + in_quotes(value));
  return *number;
}

}  // namespace

option_parser::option_parser(CLI::App& app) {
  configure(app, usage_text, description, help_column, "Other");
  app.footer(footer);
  add_transport_options(app);
  add_module_options(app);
  add_mqtt_and_trace_options(app);
  add_scenario_options(app);
  add_fleet_options(app);
  value(
      app, "Other", "--log-level", "LEVEL", "a level: error, warn, info, debug or trace",
      "error, warn, info, debug or trace; the transcript goes to\n"
      "stderr (default info; warn with --stdio)",
      [this](const std::string& v) {
        opts_.log_level = io::parse_log_level(v);
        if (!opts_.log_level)
          throw usage_error("--log-level: " + in_quotes(v) + " is not a level; use error, warn, info, debug or trace");
      });
  on_parsed(app, [this] { check_whole_line(); });
}

void option_parser::choose_transport(const std::string& name, transport_kind kind) {
  if (transport_option_)
    throw usage_error(*transport_option_ == name
                          ? name + " is given twice; give one transport"
                          : *transport_option_ + " and " + name + " are two transports; choose one");
  transport_option_ = name;
  opts_.transport = kind;
  opts_.transport_given = true;
}

void option_parser::add_transport_options(CLI::App& app) {
  const std::string group = "Where the DTE connects (one of them; default --pty /tmp/nt35e0)";
  value(app, group, "--pty", "PATH", "a path for the link, as in --pty /tmp/nt35e0",
        "a pseudo-terminal, reachable through the symlink PATH", [this](const std::string& v) {
          choose_transport("--pty", transport_kind::pty);
          opts_.pty_link = v;
        });
  value(app, group, "--tcp", "[ADDR:]PORT", "a port, as in --tcp 5000 or --tcp 127.0.0.1:5000",
        "TCP on 127.0.0.1:PORT, or ADDR:PORT ([::1]:PORT for IPv6);\n"
        "port 0 picks a free port; one DTE at a time",
        [this](const std::string& v) {
          choose_transport("--tcp", transport_kind::tcp);
          std::string why;
          auto ep = io::parse_tcp_endpoint(v, why);
          if (!ep) throw usage_error("--tcp " + v + ": " + why);
          opts_.tcp_endpoint = *ep;
        });
  add_flag(app, "--stdio", "this terminal (raw mode, Ctrl-] quits) or a pipe", [this] {
    choose_transport("--stdio", transport_kind::stdio);
  })->group(group);
  // A new PTY belongs to the simulator's user with mode 0620: a driver running as
  // another user could not open it, as it opens /dev/ttyUSB0 through the dialout group.
  value(app, group, "--pty-mode", "MODE", "octal permission bits, as in --pty-mode 0660",
        "permission bits of the pseudo-terminal, octal (e.g.\n"
        "0660 with --pty-group dialout: a driver running as a\n"
        "normal user in that group may open it)",
        [this](const std::string& v) {
          const bool octal = v.size() <= 4 && v.find_first_not_of("01234567") == std::string::npos;
          const unsigned mode = octal ? static_cast<unsigned>(std::stoul(v, nullptr, 8)) : 01000;
          if (mode > 0777)
            throw usage_error("--pty-mode takes octal permission bits from 0000 to 0777, as in --pty-mode 0660, not " +
                              in_quotes(v));
          opts_.pty_mode = mode;
        });
  value(app, group, "--pty-group", "GROUP", "a group name or number, as in --pty-group dialout",
        "the pseudo-terminal's group (a name or a number)", [this](const std::string& v) {
          if (auto gid = whole_number(v); gid && *gid <= 0xFFFFFFFEu) {
            opts_.pty_group = static_cast<unsigned>(*gid);
          } else {
            std::vector<char> buffer(16384);
            ::group g{};
            ::group* found = nullptr;
            if (::getgrnam_r(v.c_str(), &g, buffer.data(), buffer.size(), &found) != 0 || !found)
              throw usage_error("--pty-group: there is no group " + in_quotes(v) +
                                " on this machine; give a group name from /etc/group or a number");
            opts_.pty_group = static_cast<unsigned>(found->gr_gid);
          }
          opts_.pty_group_name = v;
        });
}

void option_parser::add_module_options(CLI::App& app) {
  const std::string group = "The module";
  value(app, group, "--profile", "NAME", "a profile name: nt35e or ec616s", "nt35e (default) or ec616s",
        [this](const std::string& v) {
          if (!modem::builtin_profile(v))
            throw usage_error("--profile: there is no built-in profile " + in_quotes(v) + "; use nt35e or ec616s");
          opts_.profile_name = v;
          opts_.profile_given = true;
        });
  value(app, group, "--set", "FIELD=VALUE", "FIELD=VALUE, as in --set echo=0",
        "change one profile field (repeatable, applied in order):\n" +
            wrap_list(modem::profile_field_names(), 79 - help_column),
        [this](const std::string& v) {
          auto eq = v.find('=');
          if (eq == std::string::npos || eq == 0)
            throw usage_error("--set needs FIELD=VALUE, as in --set echo=0, not " + in_quotes(v));
          opts_.settings.push_back({"--set " + v, v.substr(0, eq), v.substr(eq + 1)});
        });
  // Shortcuts for --set: each is a setting in command-line order, as written.
  auto shortcut = [this](std::string name, std::string field) {
    return [this, name = std::move(name), field = std::move(field)](const std::string& v) {
      opts_.settings.push_back({name + " " + v, field, v});
    };
  };
  value(app, group, "--style", "compact|spaced", "compact or spaced", "same as --set style=...",
        shortcut("--style", "style"));
  value(app, group, "--echo", "0|1", "0 or 1", "same as --set echo=...", shortcut("--echo", "echo"));
  value(app, group, "--imei", "N", "a 15-digit IMEI", "same as --set imei=... (15 digits with a valid check digit)",
        shortcut("--imei", "imei"));
  // The UART: checked here so a bad value is one sentence before anything starts.
  auto uart = [this](std::string name, std::string field) {
    return [this, name = std::move(name), field = std::move(field)](const std::string& v) {
      modem::profile scratch;
      if (auto why = modem::set_profile_field(scratch, field, v); !why.empty()) {
        if (why.rfind(field + " ", 0) == 0) why.erase(0, field.size() + 1);  // say it as the option, not the field
        throw usage_error(name + " " + why);
      }
      opts_.settings.push_back({name + " " + v, field, v});
    };
  };
  value(app, group, "--baud", "N", "a rate such as 9600 or 115200",
        "pace every byte the module sends at N baud, 10 bits a\n"
        "byte (a 1,000-byte answer takes 1.04 s at 9600);\n"
        "same as --set uart.baud=N",
        uart("--baud", "uart.baud"));
  value(app, group, "--fragment", "SEED", "a seed, a whole number such as 42",
        "cut the module's output into randomly sized writes (1\n"
        "byte to a whole line), the same cuts for the same SEED;\n"
        "same as --set uart.fragment=SEED",
        uart("--fragment", "uart.fragment"));
  value(app, group, "--cert-dir", "DIR", "a directory", "where AT+ECMTCFG=\"ssl\" certificate files are looked up",
        shortcut("--cert-dir", "cert_dir"), true);
}

void option_parser::add_mqtt_and_trace_options(CLI::App& app) {
  std::string group = "MQTT";
  add_flag(app, "--live",
           "connect to real brokers (default: the scenario's\nscripted broker, an in-process standard broker)",
           [this] { opts_.live = true; })
      ->group(group);
  value(app, group, "--map-host", "HOST[:PORT]=ADDR:PORT",
        "HOST[:PORT]=ADDR:PORT, as in --map-host broker.example.com=127.0.0.1:1883",
        "with --live (or a live scenario), send connections\n"
        "for HOST there instead (repeatable; wins over the\n"
        "scenario's map_host)",
        [this](const std::string& v) {
          std::string why;
          if (!mqtt::host_map::parse_entry(v, &why)) throw usage_error(why);  // names the option and the spec
          opts_.map_hosts.push_back(v);
        });
  add_flag(app, "--show-secrets", "log MQTT passwords unmasked", [this] {
    opts_.settings.push_back({"--show-secrets", "show_secrets", "1"});
  })->group(group);

  group = "Traces";
  value(app, group, "--record", "FILE", "a value",
        "write the session as JSON Lines: microsecond times, both\n"
        "directions, MQTT traffic, state changes (passwords masked)",
        [this](const std::string& v) { opts_.record_file = v; });
  value(app, group, "--pcap", "FILE", "a value",
        "write the session as pcapng for Wireshark: the AT lines\n"
        "(at dissector) and the MQTT packets on one timeline",
        [this](const std::string& v) { opts_.pcap_file = v; });
  value(
      app, group, "--redact", "LIST", "a value",
      "also mask payloads, credentials (user names, client ids)\n"
      "or all in the recording and the pcapng",
      [this](const std::string& v) {
        // A comma-separated list; passwords are always masked unless --show-secrets.
        std::string_view list = v;
        while (!list.empty()) {
          auto comma = list.find(',');
          auto item = list.substr(0, comma);
          if (item == "payloads")
            opts_.redact_payloads = true;
          else if (item == "credentials")
            opts_.redact_credentials = true;
          else if (item == "all")
            opts_.redact_payloads = opts_.redact_credentials = true;
          else
            throw usage_error("--redact takes payloads, credentials or all (comma-separated), not " + in_quotes(item));
          list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        }
      });
  add_verdict_options(app, opts_.verdict, "Verdict on the driver");
  value(app, group, "--replay", "FILE", "a value", "answer from a recorded trace (timing scaled by --time-scale)",
        [this](const std::string& v) { opts_.replay_file = v; });
  value(app, group, "--replay-match", "strict|lenient", "a value",
        "strict: exact bytes (placeholders {any} allowed);\n"
        "lenient: same command, other arguments allowed",
        [this](const std::string& v) {
          if (v != "strict" && v != "lenient")
            throw usage_error("--replay-match takes strict or lenient, not " + in_quotes(v));
          opts_.replay_lenient = v == "lenient";
        });
  value(app, group, "--off-script", "stop|error|handover", "a value",
        "when the host leaves the trace: stop answering, answer\n"
        "ERROR (default), or hand over to the simulated module",
        [this](const std::string& v) {
          if (v != "stop" && v != "error" && v != "handover")
            throw usage_error("--off-script takes stop, error or handover, not " + in_quotes(v));
          opts_.off_script = v;
        });

  // An optional value, only inline: "--explain" is English, "--explain=zh" Chinese.
  static const std::string explain_help =
      "one plain line per command and URC in the log saying\n"
      "what it means, with hints on common mistakes\n"
      "(English by default, zh for Chinese)";
  app.add_flag("--explain{en}", explain_help)
      ->option_text("[=en|zh]")
      ->group("Learning")
      ->trigger_on_parse()
      ->each([this, &app](const std::string& lang) {
        reject_unknown(app);
        if (lang != "en" && lang != "zh")
          throw usage_error("--explain takes en or zh (written --explain=zh), not " + in_quotes(lang));
        opts_.settings.push_back({"--explain", "explain", lang});
      });
}

void option_parser::add_scenario_options(CLI::App& app) {
  const std::string group = "Scenarios and control";
  const std::string file_needed = "a scenario file (JSON), as in --scenario scenarios/seed-happy-path.json";
  value(app, group, "--scenario", "FILE", file_needed,
        "play a scenario (see scenarios/README.md): its profile,\n"
        "network, broker and fault rules; without it, a default\n"
        "scenario with a standard offline broker and no rules",
        [this](const std::string& v) {
          if (opts_.scenario_file) throw usage_error("--scenario is given twice; give one scenario file");
          opts_.scenario_file = v;
        });
  value(app, group, "--check-scenario", "FILE", file_needed,
        "check FILE, print \"ok: FILE: NAME (N rules)\" or every\n"
        "error (status 2), and exit without starting a modem",
        [this](const std::string& v) {
          if (opts_.check_scenario_file) throw usage_error("--check-scenario is given twice; give one scenario file");
          opts_.check_scenario_file = v;
        });
  value(app, group, "--control", "[ADDR:]PORT",
        "a port, as in --control 7000 or --control 127.0.0.1:7000 (0 picks a free port)",
        "a control channel, JSON Lines over TCP, on\n"
        "127.0.0.1:PORT or ADDR:PORT (port 0: a free port;\n"
        "an ADDR other than loopback needs a token file);\n"
        "\"control: ADDR:PORT\" is printed before \"ready:\";\n"
        "tools/nt35e-ctl talks to it; {\"query\":\"help\"} lists\n"
        "the requests",
        [this](const std::string& v) { take_endpoint("--control", v, opts_.control_endpoint); });
  value(app, group, "--control-token-file", "FILE",
        "a file that holds the token, as in --control-token-file ~/.nt35e-token",
        "require every control client to send the token in\n"
        "FILE first ({\"auth\":\"TOKEN\"}; nt35e-ctl --token-file);\n"
        "needed when --control listens on an address other\n"
        "than loopback. FILE: one line of 16 to 1024\n"
        "printable characters, not readable by other users",
        [this](const std::string& v) {
          take_token("--control-token-file", v, opts_.control_token);
          opts_.control_token_file = v;
        });
  value(app, group, "--control-line-timeout", "SECONDS", "a number of seconds above 0, as in --control-line-timeout 30",
        "close a control client that leaves a request line\n"
        "unfinished, or does not send its token, for SECONDS\n"
        "(default 30; clients are capped at 32, so a silent\n"
        "half line must not hold a place forever)",
        [this](const std::string& v) {
          double seconds = 0;
          auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
          if (ec != std::errc{} || end != v.data() + v.size() || !std::isfinite(seconds) || !(seconds > 0) ||
              seconds > 86400)
            throw usage_error("--control-line-timeout: " + in_quotes(v) +
                              " is not a number of seconds from above 0 to 86400, as in --control-line-timeout 30");
          opts_.control_line_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000 + 0.5));
          if (opts_.control_line_timeout->count() == 0) opts_.control_line_timeout = std::chrono::milliseconds(1);
        });
  value(app, group, "--metrics", "[ADDR:]PORT",
        "a port, as in --metrics 9100 or --metrics 127.0.0.1:9100 (0 picks a free port)",
        "serve Prometheus metrics over HTTP on 127.0.0.1:PORT\n"
        "or ADDR:PORT: GET /metrics (text format 0.0.4, the\n"
        "totals of every modem) and GET /healthz (port 0: a free\n"
        "port; an ADDR other than loopback needs\n"
        "--metrics-token-file); \"metrics: ADDR:PORT\" is\n"
        "printed before \"ready:\"; docs/metrics.md",
        [this](const std::string& v) { take_endpoint("--metrics", v, opts_.metrics_endpoint); });
  value(app, group, "--metrics-token-file", "FILE",
        "a file that holds the token, as in --metrics-token-file ~/.nt35e-metrics-token",
        "require \"Authorization: Bearer TOKEN\" (the token in\n"
        "FILE) on GET /metrics; needed when --metrics listens\n"
        "on an address other than loopback. FILE: as for\n"
        "--control-token-file (it may be the same file)",
        [this](const std::string& v) { take_token("--metrics-token-file", v, opts_.metrics_token); });
  value(app, group, "--web", "[ADDR:]PORT", "a port, as in --web 8080 or --web 127.0.0.1:8080 (0 picks a free port)",
        "serve the live web view of the modem on\n"
        "127.0.0.1:PORT or ADDR:PORT: open http://ADDR:PORT/ in\n"
        "a browser (an ADDR other than loopback needs\n"
        "--control-token-file); \"web: ADDR:PORT\" is printed\n"
        "before \"ready:\"; docs/web.md",
        [this](const std::string& v) { take_endpoint("--web", v, opts_.web_endpoint); });
  value(app, group, "--web-watch-token-file", "FILE",
        "a file that holds the token, as in --web-watch-token-file ~/.nt35e-watch",
        "a second token that lets a page watch but not fire\n"
        "faults or type (the trainees' URL /watch?token=...);\n"
        "FILE: as for --control-token-file",
        [this](const std::string& v) { take_token("--web-watch-token-file", v, opts_.web_watch_token); });
  add_flag(app, "--web-console", "let the web page type AT commands as a second DTE\nwhile no driver holds the line",
           [this] { opts_.web_console = true; })
      ->group(group);
  value(app, group, "--web-root", "DIR", "a folder, as in --web-root /usr/share/nt35e-sim/webview",
        "where the page's files are (default: the installed\nones, else the source tree's webview/)",
        [this](const std::string& v) { opts_.web_root = v; });
  value(app, group, "--lesson", "NAME", "a lesson's name, as in --lesson first-contact",
        "start a guided lesson (lessons/NAME.json): its\n"
        "scenario plays and the web view shows its steps;\n"
        "implies --web 8035 unless --web is given",
        [this](const std::string& v) {
          if (opts_.lesson) throw usage_error("--lesson is given twice");
          opts_.lesson = v;
        });
  value(app, group, "--time-scale", "FACTOR", "a factor above 0, as in --time-scale 0.05 (twenty times faster)",
        "multiply every simulated delay and scenario time by\n"
        "FACTOR (> 0; 0.05 = twenty times faster); wins over\n"
        "the scenario's time_scale",
        [this](const std::string& v) {
          double factor = 0;
          auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), factor);
          if (ec != std::errc{} || end != v.data() + v.size() || !std::isfinite(factor))
            throw usage_error("--time-scale: " + in_quotes(v) +
                              " is not a number; give a factor above 0, as in --time-scale 0.05 (twenty times faster)");
          if (!(factor > 0))
            throw usage_error(
                "--time-scale: the factor must be above 0 (0.05 is twenty times faster, 2 twice slower), not " +
                in_quotes(v));
          opts_.time_scale = v;
        });
}

void option_parser::add_fleet_options(CLI::App& app) {
  const std::string group = "Fleet (many modems in one process)";
  value(app, group, "--fleet", "N", "a number of modems from 1 to 10000, as in --fleet 100",
        "run N modems (1 to 10000), each a full module with its\n"
        "own line, identity, MQTT client and scenario state;\n"
        "with --pty PREFIX modem i is the link PREFIXi (default\n"
        "/tmp/nt35e-i), with --tcp [ADDR:]BASE port BASE+i\n"
        "(BASE not 0); not with --stdio. The ready line is\n"
        "\"ready: fleet N pty PREFIX0..PREFIX{N-1}\" or\n"
        "\"ready: fleet N tcp ADDR:BASE..BASE+N-1\"; then a line on\n"
        "stderr gives the start-up time and resident memory.\n"
        "Logs default to warn. The open-file limit is raised\n"
        "to the hard limit (a warning says when N needs more;\n"
        "short of files, a TCP port stops listening while its\n"
        "DTE is connected).\n"
        "One --control channel drives every modem\n"
        "({\"query\":\"help\"} lists the fleet requests)",
        [this](const std::string& v) {
          if (opts_.fleet) throw usage_error("--fleet is given twice");
          const auto high = fleet::max_fleet_size;
          opts_.fleet = static_cast<std::size_t>(
              number_in(v, 1, high, "--fleet takes a number of modems from 1 to " + std::to_string(high)));
        });
  value(app, group, "--fleet-offset", "K", "an index offset, as in --fleet-offset 1000",
        "modem i has the global index K+i (default 0), from which\n"
        "its IMEI (Luhn-valid; the profile's TAC kept), IMSI and\n"
        "ICCID derive, and which of the scenario's \"modems\"\n"
        "overrides it plays: give each process or machine its\n"
        "own range; K+N-1 at most 999999",
        [this](const std::string& v) {
          if (fleet_offset_given_) throw usage_error("--fleet-offset is given twice");
          const auto high = modem::max_fleet_index;
          opts_.fleet_offset =
              number_in(v, 0, high, "--fleet-offset takes an index offset from 0 to " + std::to_string(high));
          fleet_offset_given_ = true;
        });
  value(app, group, "--threads", "N", "a number of threads from 1 to 64, as in --threads 2",
        "threads the fleet runs on (default: the number of\n"
        "cores, at least 2)",
        [this](const std::string& v) {
          if (opts_.threads) throw usage_error("--threads is given twice");
          opts_.threads =
              static_cast<unsigned>(number_in(v, 1, 64, "--threads takes a number of threads from 1 to 64"));
        });
}

void option_parser::check_whole_line() {
  auto& o = opts_;
  if ((o.pty_mode || o.pty_group) && o.transport != transport_kind::pty)
    throw usage_error(std::string(o.pty_mode ? "--pty-mode" : "--pty-group") +
                      " goes only with --pty (it says who may open the pseudo-terminal)");
  if (o.control_line_timeout && !o.control_endpoint)
    throw usage_error("--control-line-timeout goes only with --control [ADDR:]PORT (it times that channel's clients)");
  if (o.lesson && !o.web_endpoint)
    o.web_endpoint = boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 8035);
  if (o.control_token && !o.control_endpoint && !o.web_endpoint)
    throw usage_error(
        "--control-token-file goes only with --control [ADDR:]PORT or --web [ADDR:]PORT (it guards those)");
  if ((o.web_watch_token || o.web_console || o.web_root) && !o.web_endpoint)
    throw usage_error(std::string(o.web_watch_token ? "--web-watch-token-file"
                                  : o.web_console   ? "--web-console"
                                                    : "--web-root") +
                      " goes only with --web [ADDR:]PORT");
  if (o.web_endpoint) {
    auto refusal = io::listener_refusal("--web", *o.web_endpoint, o.control_token.has_value(), "--control-token-file");
    if (!refusal.empty()) throw usage_error(refusal);
    if (o.fleet && o.lesson) throw usage_error("--lesson plays one modem; it does not go with --fleet");
  }
  if (o.control_endpoint) {
    auto refusal =
        io::listener_refusal("--control", *o.control_endpoint, o.control_token.has_value(), "--control-token-file");
    if (!refusal.empty()) throw usage_error(refusal);
  }
  if (o.metrics_token && !o.metrics_endpoint)
    throw usage_error("--metrics-token-file goes only with --metrics [ADDR:]PORT (it guards the metrics endpoint)");
  if (o.metrics_endpoint) {
    auto refusal =
        io::listener_refusal("--metrics", *o.metrics_endpoint, o.metrics_token.has_value(), "--metrics-token-file");
    if (!refusal.empty()) throw usage_error(refusal);
  }
  if (!o.fleet) {
    if (fleet_offset_given_)
      throw usage_error(
          "--fleet-offset goes only with --fleet N (it shifts the indices, and so the identities, of a fleet's "
          "modems)");
    if (o.threads) throw usage_error("--threads goes only with --fleet N (a single modem runs on one thread)");
    return;
  }
  const std::size_t n = *o.fleet;
  // One file records one modem: a fleet would leave them unwritten, so say it instead.
  if (o.pcap_file) throw usage_error("--pcap records a single modem; it does not go with --fleet");
  if (o.record_file) throw usage_error("--record records a single modem; it does not go with --fleet");
  if (o.transport == transport_kind::stdio)
    throw usage_error("--fleet needs --pty PREFIX or --tcp [ADDR:]BASEPORT; --stdio serves a single modem");
  if (!o.transport_given) o.pty_link = "/tmp/nt35e-";  // modem i: /tmp/nt35e-i
  if (o.transport == transport_kind::tcp) {
    const unsigned base = o.tcp_endpoint.port();
    if (base == 0)
      throw usage_error("--fleet with --tcp needs a base port, not 0 (modem i listens on BASE+i), as in --tcp 5000");
    if (base + n - 1 > 65535)
      throw usage_error("--fleet " + std::to_string(n) + " --tcp " + std::to_string(base) + ": modem " +
                        std::to_string(n - 1) + " would need port " + std::to_string(base + n - 1) +
                        ", above 65535; choose a base port up to " + std::to_string(65536 - n));
  }
  if (o.fleet_offset + n - 1 > modem::max_fleet_index)
    throw usage_error("--fleet-offset " + std::to_string(o.fleet_offset) + " with --fleet " + std::to_string(n) +
                      ": the last modem would have index " + std::to_string(o.fleet_offset + n - 1) + ", above " +
                      std::to_string(modem::max_fleet_index) + ", the highest with an identity of its own");
}

std::string build_profile(const options& opts, const scenario::scenario& world, modem::profile& out) {
  modem::profile p;
  if (opts.profile_given) {
    // --profile wins over the scenario's "profile"; the scenario's settings still apply on top.
    scenario::scenario base = world;
    base.profile = opts.profile_name;
    if (auto error = scenario::apply(base, p); !error.empty())
      return (world.file.empty() ? "--profile " + opts.profile_name : "scenario " + world.file) + ": " + error;
  } else if (auto error = scenario::apply(world, p); !error.empty()) {
    return (world.file.empty() ? std::string("the default scenario") : "scenario " + world.file) + ": " + error;
  }
  for (const auto& s : opts.settings) {
    auto error = modem::set_profile_field(p, s.field, s.value);
    if (!error.empty()) return s.option + ": " + error;
  }
  if (opts.time_scale) {
    auto error = modem::set_profile_field(p, "time_scale", *opts.time_scale);
    if (!error.empty()) return "--time-scale " + *opts.time_scale + ": " + error;
  }
  if (opts.live) p.live_broker = true;  // the module's own URC delays are added to a real broker's
  out = std::move(p);
  return {};
}

std::string build_profile(const options& opts, const scenario::modem_override& o, modem::profile& out) {
  if (!o.world) return "scenario override " + o.path + " has no world";
  modem::profile p;
  if (auto error = build_profile(opts, *o.world, p); !error.empty()) return error;
  for (const auto& [name, value] : o.settings) {
    if (auto error = modem::set_profile_field(p, name, value); !error.empty())
      return "scenario " + o.world->file + ": " + o.path + "/settings/" + name + ": " + error;
  }
  out = std::move(p);
  return {};
}

}  // namespace nt35e::app
