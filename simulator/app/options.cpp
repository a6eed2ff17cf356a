#include "app/options.hpp"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <system_error>

#include "fleet/fleet.hpp"
#include "io/tcp_transport.hpp"
#include "modem/fleet_identity.hpp"

#include "mqtt/host_map.hpp"
#include "scenario/apply.hpp"

namespace nt35e::app {

namespace {

bool one_of(std::string_view s, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (s == n) return true;
  return false;
}

/// What each value-taking option expects, for "needs a value" messages.
std::string_view value_hint(std::string_view name) {
  if (name == "--pty") return "a path for the link, as in --pty /tmp/nt35e0";
  if (name == "--tcp") return "a port, as in --tcp 5000 or --tcp 127.0.0.1:5000";
  if (name == "--profile") return "a profile name: nt35e or ec616s";
  if (name == "--log-level") return "a level: error, warn, info, debug or trace";
  if (name == "--set") return "FIELD=VALUE, as in --set echo=0";
  if (name == "--style") return "compact or spaced";
  if (name == "--echo") return "0 or 1";
  if (name == "--imei") return "a 15-digit IMEI";
  if (name == "--map-host") return "HOST[:PORT]=ADDR:PORT, as in --map-host broker.example.com=127.0.0.1:1883";
  if (name == "--cert-dir") return "a directory";
  if (name == "--scenario" || name == "--check-scenario")
    return "a scenario file (JSON), as in --scenario scenarios/happy_path.json";
  if (name == "--control") return "a port, as in --control 7000 or --control 127.0.0.1:7000 (0 picks a free port)";
  if (name == "--time-scale") return "a factor above 0, as in --time-scale 0.05 (twenty times faster)";
  if (name == "--fleet") return "a number of modems from 1 to 10000, as in --fleet 100";
  if (name == "--fleet-offset") return "an index offset, as in --fleet-offset 1000";
  if (name == "--threads") return "a number of threads from 1 to 64, as in --threads 2";
  return "a value";
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// Digits only (no sign, no spaces), as a number; nothing when not one or too large.
std::optional<std::uint64_t> whole_number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

parse_result parse_options(const std::vector<std::string_view>& args) {
  parse_result r;
  options& o = r.opts;
  std::optional<std::string> transport_option;  // the first transport given, for the clash message
  bool fleet_offset_given = false;

  auto choose_transport = [&](std::string_view name, transport_kind kind) -> bool {
    if (transport_option) {
      r.error = *transport_option == name
                    ? std::string(name) + " is given twice; give one transport"
                    : *transport_option + " and " + std::string(name) + " are two transports; choose one";
      return false;
    }
    transport_option = std::string(name);
    o.transport = kind;
    o.transport_given = true;
    return true;
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (arg.starts_with("--")) {
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        name = arg.substr(0, eq);
        inline_value = arg.substr(eq + 1);
      }
    }
    if (name == "-h") name = "--help";
    if (name == "-V") name = "--version";

    if (name == "--explain") {
      // An optional value, only inline: "--explain" is English, "--explain=zh" Chinese.
      std::string lang = inline_value ? std::string(*inline_value) : "en";
      if (lang != "en" && lang != "zh") {
        r.error = "--explain takes en or zh (written --explain=zh), not " + quoted(lang);
        return r;
      }
      o.settings.push_back({"--explain", "explain", lang});
      continue;
    }
    const bool is_flag = one_of(name, {"--stdio", "--live", "--show-secrets", "--help", "--version"});
    const bool takes_value =
        one_of(name, {"--pty",     "--tcp",        "--profile",      "--log-level",    "--set",      "--style",
                      "--echo",    "--imei",       "--map-host",     "--cert-dir",     "--scenario", "--check-scenario",
                      "--control", "--time-scale", "--fleet",        "--fleet-offset", "--threads",  "--record",
                      "--redact",  "--replay",     "--replay-match", "--off-script"});
    if (!is_flag && !takes_value) {
      r.error = arg.starts_with("-") ? "unknown option " + quoted(name)
                                     : "unexpected argument " + quoted(arg) + " (options start with --)";
      return r;
    }
    if (is_flag && inline_value) {
      r.error = std::string(name) + " takes no value";
      return r;
    }

    std::string value;
    if (takes_value) {
      if (inline_value) {
        value = std::string(*inline_value);
      } else if (i + 1 < args.size() && !args[i + 1].starts_with("--")) {
        value = std::string(args[++i]);
      } else {
        r.error = std::string(name) + " needs " + std::string(value_hint(name));
        return r;
      }
      if (value.empty() && name != "--cert-dir") {
        r.error = std::string(name) + " needs " + std::string(value_hint(name)) + ", not an empty value";
        return r;
      }
    }
    const std::string written = std::string(name) + " " + value;

    if (name == "--help") {
      o.help = true;
    } else if (name == "--version") {
      o.version = true;
    } else if (name == "--stdio") {
      if (!choose_transport(name, transport_kind::stdio)) return r;
    } else if (name == "--pty") {
      if (!choose_transport(name, transport_kind::pty)) return r;
      o.pty_link = value;
    } else if (name == "--tcp") {
      if (!choose_transport(name, transport_kind::tcp)) return r;
      std::string why;
      auto ep = io::parse_tcp_endpoint(value, why);
      if (!ep) {
        r.error = "--tcp " + value + ": " + why;
        return r;
      }
      o.tcp_endpoint = *ep;
    } else if (name == "--profile") {
      if (!modem::builtin_profile(value)) {
        r.error = "--profile: there is no built-in profile " + quoted(value) + "; use nt35e or ec616s";
        return r;
      }
      o.profile_name = value;
      o.profile_given = true;
    } else if (name == "--log-level") {
      o.log_level = io::parse_log_level(value);
      if (!o.log_level) {
        r.error = "--log-level: " + quoted(value) + " is not a level; use error, warn, info, debug or trace";
        return r;
      }
    } else if (name == "--set") {
      auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0) {
        r.error = "--set needs FIELD=VALUE, as in --set echo=0, not " + quoted(value);
        return r;
      }
      o.settings.push_back({written, value.substr(0, eq), value.substr(eq + 1)});
    } else if (name == "--style" || name == "--echo" || name == "--imei") {
      o.settings.push_back({written, std::string(name.substr(2)), value});
    } else if (name == "--cert-dir") {
      o.settings.push_back({written, "cert_dir", value});
    } else if (name == "--show-secrets") {
      o.settings.push_back({"--show-secrets", "show_secrets", "1"});
    } else if (name == "--live") {
      o.live = true;
    } else if (name == "--map-host") {
      std::string why;
      if (!mqtt::host_map::parse_entry(value, &why)) {
        r.error = why;  // already names the option and the spec
        return r;
      }
      o.map_hosts.push_back(value);
    } else if (name == "--scenario" || name == "--check-scenario") {
      auto& slot = name == "--scenario" ? o.scenario_file : o.check_scenario_file;
      if (slot) {
        r.error = std::string(name) + " is given twice; give one scenario file";
        return r;
      }
      slot = value;
    } else if (name == "--control") {
      std::string why;
      auto ep = io::parse_tcp_endpoint(value, why);
      if (!ep) {
        r.error = "--control " + value + ": " + why;
        return r;
      }
      o.control_endpoint = *ep;
    } else if (name == "--record") {
      o.record_file = value;
    } else if (name == "--redact") {
      // A comma-separated list; passwords are always masked unless --show-secrets.
      std::string_view list = value;
      while (!list.empty()) {
        auto comma = list.find(',');
        auto item = list.substr(0, comma);
        if (item == "payloads")
          o.redact_payloads = true;
        else if (item == "credentials")
          o.redact_credentials = true;
        else if (item == "all")
          o.redact_payloads = o.redact_credentials = true;
        else {
          r.error = "--redact takes payloads, credentials or all (comma-separated), not " + quoted(item);
          return r;
        }
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    } else if (name == "--replay") {
      o.replay_file = value;
    } else if (name == "--replay-match") {
      if (value != "strict" && value != "lenient") {
        r.error = "--replay-match takes strict or lenient, not " + quoted(value);
        return r;
      }
      o.replay_lenient = value == "lenient";
    } else if (name == "--off-script") {
      if (value != "stop" && value != "error" && value != "handover") {
        r.error = "--off-script takes stop, error or handover, not " + quoted(value);
        return r;
      }
      o.off_script = value;
    } else if (name == "--time-scale") {
      double factor = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), factor);
      if (ec != std::errc{} || end != value.data() + value.size() || !std::isfinite(factor)) {
        r.error = "--time-scale: " + quoted(value) +
                  " is not a number; give a factor above 0, as in --time-scale 0.05 (twenty times faster)";
        return r;
      }
      if (!(factor > 0)) {
        r.error = "--time-scale: the factor must be above 0 (0.05 is twenty times faster, 2 twice slower), not " +
                  quoted(value);
        return r;
      }
      o.time_scale = value;
    } else if (name == "--fleet" || name == "--fleet-offset" || name == "--threads") {
      if ((name == "--fleet" && o.fleet) || (name == "--fleet-offset" && fleet_offset_given) ||
          (name == "--threads" && o.threads)) {
        r.error = std::string(name) + " is given twice";
        return r;
      }
      const std::uint64_t low = name == "--fleet-offset" ? 0 : 1;
      const std::uint64_t high = name == "--fleet"          ? fleet::max_fleet_size
                                 : name == "--fleet-offset" ? modem::max_fleet_index
                                                            : 64;
      auto number = whole_number(value);
      if (!number || *number < low || *number > high) {
        r.error = name == "--fleet"
                      ? "--fleet takes a number of modems from 1 to " + std::to_string(high) + ", not " + quoted(value)
                  : name == "--fleet-offset" ? "--fleet-offset takes an index offset from 0 to " +
                                                   std::to_string(high) + ", not " + quoted(value)
                                             : "--threads takes a number of threads from 1 to 64, not " + quoted(value);
        return r;
      }
      if (name == "--fleet")
        o.fleet = static_cast<std::size_t>(*number);
      else if (name == "--threads")
        o.threads = static_cast<unsigned>(*number);
      else {
        o.fleet_offset = *number;
        fleet_offset_given = true;
      }
    }
  }

  // Checks that need the whole command line.
  if (!o.fleet) {
    if (fleet_offset_given) {
      r.error =
          "--fleet-offset goes only with --fleet N (it shifts the indices, and so the identities, of a fleet's modems)";
      return r;
    }
    if (o.threads) {
      r.error = "--threads goes only with --fleet N (a single modem runs on one thread)";
      return r;
    }
    return r;
  }
  const std::size_t n = *o.fleet;
  if (o.transport == transport_kind::stdio) {
    r.error = "--fleet needs --pty PREFIX or --tcp [ADDR:]BASEPORT; --stdio serves a single modem";
    return r;
  }
  if (!o.transport_given) o.pty_link = "/tmp/nt35e-";  // modem i: /tmp/nt35e-i
  if (o.transport == transport_kind::tcp) {
    const unsigned base = o.tcp_endpoint.port();
    if (base == 0) {
      r.error = "--fleet with --tcp needs a base port, not 0 (modem i listens on BASE+i), as in --tcp 5000";
      return r;
    }
    if (base + n - 1 > 65535) {
      r.error = "--fleet " + std::to_string(n) + " --tcp " + std::to_string(base) + ": modem " + std::to_string(n - 1) +
                " would need port " + std::to_string(base + n - 1) + ", above 65535; choose a base port up to " +
                std::to_string(65536 - n);
      return r;
    }
  }
  if (o.fleet_offset + n - 1 > modem::max_fleet_index) {
    r.error = "--fleet-offset " + std::to_string(o.fleet_offset) + " with --fleet " + std::to_string(n) +
              ": the last modem would have index " + std::to_string(o.fleet_offset + n - 1) + ", above " +
              std::to_string(modem::max_fleet_index) + ", the highest with an identity of its own";
    return r;
  }
  return r;
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

namespace {

/// Wraps a comma-separated list to the help text's second column.
std::string wrap_list(const std::string& list, std::size_t indent, std::size_t width) {
  std::string out, line;
  std::size_t start = 0;
  while (start < list.size()) {
    auto end = list.find(", ", start);
    std::string item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? list.size() : end + 2;
    if (!line.empty() && indent + line.size() + 2 + item.size() > width) {
      out += std::string(indent, ' ') + line + ",\n";
      line.clear();
    }
    line += (line.empty() ? "" : ", ") + item;
  }
  if (!line.empty()) out += std::string(indent, ' ') + line + "\n";
  return out;
}

}  // namespace

std::string usage() {
  std::string u =
      "Usage: nt35e-sim [--pty PATH | --tcp [ADDR:]PORT | --stdio] [options]\n"
      "\n"
      "Simulates a Lierda NT35E cellular module that answers AT commands.\n"
      "\n"
      "Where the DTE connects (one of them; default --pty /tmp/nt35e0):\n"
      "  --pty PATH             a pseudo-terminal, reachable through the symlink PATH\n"
      "  --tcp [ADDR:]PORT      TCP on 127.0.0.1:PORT, or ADDR:PORT ([::1]:PORT for IPv6);\n"
      "                         port 0 picks a free port; one DTE at a time\n"
      "  --stdio                this terminal (raw mode, Ctrl-] quits) or a pipe\n"
      "\n"
      "The module:\n"
      "  --profile NAME         nt35e (default) or ec616s\n"
      "  --set FIELD=VALUE      change one profile field (repeatable, applied in order):\n";
  u += wrap_list(modem::profile_field_names(), 25, 79);
  u += "  --style compact|spaced same as --set style=...\n"
       "  --echo 0|1             same as --set echo=...\n"
       "  --imei N               same as --set imei=... (15 digits with a valid check digit)\n"
       "  --cert-dir DIR         where AT+ECMTCFG=\"ssl\" certificate files are looked up\n"
       "\n"
       "MQTT:\n"
       "  --live                 connect to real brokers (default: the scenario's\n"
       "                         scripted broker, an in-process standard broker)\n"
       "  --map-host HOST[:PORT]=ADDR:PORT\n"
       "                         with --live (or a live scenario), send connections\n"
       "                         for HOST there instead (repeatable; wins over the\n"
       "                         scenario's map_host)\n"
       "  --show-secrets         log MQTT passwords unmasked\n"
       "\n"
       "Traces:\n"
       "  --record FILE          write the session as JSON Lines: microsecond times, both\n"
       "                         directions, MQTT traffic, state changes (passwords masked)\n"
       "  --redact LIST          also mask payloads, credentials (user names, client ids)\n"
       "                         or all in the recording\n"
       "  --replay FILE          answer from a recorded trace (timing scaled by --time-scale)\n"
       "  --replay-match strict|lenient\n"
       "                         strict: exact bytes (placeholders {any} allowed);\n"
       "                         lenient: same command, other arguments allowed\n"
       "  --off-script stop|error|handover\n"
       "                         when the host leaves the trace: stop answering, answer\n"
       "                         ERROR (default), or hand over to the simulated module\n"
       "  nt35e-sim import [--format F] [--to trace|scenario] [-o OUT] LOG\n"
       "                         turn a customer's serial log into a trace or a scenario\n"
       "  nt35e-sim report [-o OUT.html] TRACE\n"
       "                         one self-contained HTML page: sequence diagram, timeline\n"
       "\n"
       "Learning:\n"
       "  --explain[=en|zh]      one plain line per command and URC in the log saying\n"
       "                         what it means, with hints on common mistakes\n"
       "                         (English by default, zh for Chinese)\n"
       "\n"
       "Scenarios and control:\n"
       "  --scenario FILE        play a scenario (see scenarios/README.md): its profile,\n"
       "                         network, broker and fault rules; without it, a default\n"
       "                         scenario with a standard offline broker and no rules\n"
       "  --check-scenario FILE  check FILE, print \"ok: FILE: NAME (N rules)\" or every\n"
       "                         error (status 2), and exit without starting a modem\n"
       "  --control [ADDR:]PORT  a control channel, JSON Lines over TCP, on\n"
       "                         127.0.0.1:PORT or ADDR:PORT (port 0: a free port);\n"
       "                         \"control: ADDR:PORT\" is printed before \"ready:\";\n"
       "                         tools/nt35e-ctl talks to it; {\"query\":\"help\"} lists\n"
       "                         the requests\n"
       "  --time-scale FACTOR    multiply every simulated delay and scenario time by\n"
       "                         FACTOR (> 0; 0.05 = twenty times faster); wins over\n"
       "                         the scenario's time_scale\n"
       "\n"
       "Fleet (many modems in one process):\n"
       "  --fleet N              run N modems (1 to 10000), each a full module with its\n"
       "                         own line, identity, MQTT client and scenario state;\n"
       "                         with --pty PREFIX modem i is the link PREFIXi (default\n"
       "                         /tmp/nt35e-i), with --tcp [ADDR:]BASE port BASE+i\n"
       "                         (BASE not 0); not with --stdio. The ready line is\n"
       "                         \"ready: fleet N pty PREFIX0..PREFIX{N-1}\" or\n"
       "                         \"ready: fleet N tcp ADDR:BASE..BASE+N-1\"; then a line on\n"
       "                         stderr gives the start-up time and resident memory.\n"
       "                         Logs default to warn. The open-file limit is raised\n"
       "                         to the hard limit (a warning says when N needs more).\n"
       "                         One --control channel drives every modem\n"
       "                         ({\"query\":\"help\"} lists the fleet requests)\n"
       "  --fleet-offset K       modem i has the global index K+i (default 0), from which\n"
       "                         its IMEI (Luhn-valid; the profile's TAC kept), IMSI and\n"
       "                         ICCID derive, and which of the scenario's \"modems\"\n"
       "                         overrides it plays: give each process or machine its\n"
       "                         own range; K+N-1 at most 999999\n"
       "  --threads N            threads the fleet runs on (default: the number of\n"
       "                         cores, at least 2)\n"
       "\n"
       "Where the profile comes from, later wins: the scenario's \"profile\" (or\n"
       "--profile), the scenario's \"settings\" and \"network\", --set and its shortcuts\n"
       "in the order given, --time-scale, then the \"settings\" of the scenario's\n"
       "\"modems\" override that selects the modem by its global index (--fleet-offset\n"
       "plus its number; 0 without --fleet).\n"
       "\n"
       "Other:\n"
       "  --log-level LEVEL      error, warn, info, debug or trace; the transcript goes to\n"
       "                         stderr (default info; warn with --stdio)\n"
       "  --help                 print this text\n"
       "  --version              print the version\n"
       "\n"
       "When the line is ready, one line starting with \"ready:\" is printed on stdout\n"
       "(on stderr with --stdio), e.g. \"ready: tcp 127.0.0.1:5000\".\n"
       "SIGINT and SIGTERM stop the simulator cleanly and print a summary of the\n"
       "counters and latencies on stderr (not with --log-level error). Bad options and\n"
       "scenario files that do not load exit with status 2.\n";
  return u;
}

}  // namespace nt35e::app
