#include "trace/tools_main.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "trace/import_log.hpp"
#include "trace/report_html.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {
namespace {

constexpr std::string_view import_help =
    R"(usage: nt35e-sim import [--format FORMAT] [--to trace|scenario] [-o OUT] LOGFILE

Turns a customer's serial log into a trace (JSON Lines, for --replay and report) or a
scenario (JSON, for --scenario) that makes the simulator answer as that module did.

  --format FORMAT  how to read the log (default auto: looked at and said on stderr):
                   plain        commands and answers one per line (lines starting with AT
                                are the host's; times are made up: commands 100 ms apart)
                   timestamped  [2024-05-01_10:15:02:123]AT+CSQ or [10:15:02.123] +CSQ: 23,99
                   sscom        [10:15:02.123]发→◇AT+CSQ□ / [10:15:02.456]收←◆+CSQ:23,99
                   annotated    any of these with comments: "OK   ← opened", "// ...", "# ..."
                   hex          41 54 0D 0A or 0000: 41 54 0D  AT. with > < / TX RX / 发 收
  --to trace       write a trace (the default)
  --to scenario    write a scenario: rules only where the module differed from the standard
                   module (replace_response, connfail_then_connack, refuse_connect,
                   tcp_open_failure, inject_urc)
  -o, --output OUT write to OUT instead of stdout
  -h, --help       this text

Lines may be UTF-8 or GBK (each line is read as UTF-8 if it is valid, else as GBK).
Every line that cannot be placed is reported with its line number; the import fails
(status 1) only when no line could be placed or the format cannot be told.

Example (the double-CONNACK trace, reproduced in one command):
  nt35e-sim import --to scenario -o dc.json customer.log && nt35e-sim --scenario dc.json
)";

constexpr std::string_view report_help = R"(usage: nt35e-sim report [-o OUT.html] TRACE.jsonl

Writes one self-contained HTML file (no external scripts, styles or fonts; it opens
offline) from a trace: a sequence diagram Host <-> NT35E <-> Broker and a timeline that
pairs each command with its result and the URCs that report on it, with the delays,
errors and refusals highlighted.

  -o, --output OUT.html  where to write (default: TRACE with .html instead of .jsonl)
  -h, --help             this text
)";

int usage(std::string_view prog, const std::string& sentence) {
  std::cerr << "nt35e-sim " << prog << ": " << sentence << "; try --help\n";
  return 2;
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  if (path == "-") {
    std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return s;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = std::string("cannot open the file: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) {
    error = "cannot read the file";
    return std::nullopt;
  }
  return ss.str();
}

bool write_out(const std::string& path, const std::string& text, std::string& error) {
  if (path.empty() || path == "-") {
    std::cout << text;
    std::cout.flush();
    if (!std::cout) {
      error = "cannot write to stdout";
      return false;
    }
    return true;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    error = "cannot create " + path + ": " + std::strerror(errno);
    return false;
  }
  f << text;
  f.close();
  if (!f) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

/// "1 host line", "2 host lines".
std::string count(int n, const std::string& one, const std::string& many = {}) {
  return std::to_string(n) + " " + (n == 1 ? one : many.empty() ? one + "s" : many);
}

std::string base_name(const std::string& path) {
  if (path == "-") return "stdin";
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// Takes the value of an option given as "--opt VALUE" or "--opt=VALUE".
bool take_value(std::vector<std::string_view>& args, std::size_t& i, std::string_view name, std::string& value,
                bool& missing) {
  auto a = args[i];
  if (a == name) {
    if (i + 1 >= args.size()) {
      missing = true;
      return true;
    }
    value = std::string(args[++i]);
    return true;
  }
  if (a.size() > name.size() && a.starts_with(name) && a[name.size()] == '=') {
    value = std::string(a.substr(name.size() + 1));
    return true;
  }
  return false;
}

}  // namespace

int import_main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  import_options opts;
  std::string to = "trace", out_path, log_path;
  bool have_log = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto a = args[i];
    std::string value;
    bool missing = false;
    if (a == "-h" || a == "--help") {
      std::cout << import_help;
      return 0;
    }
    if (take_value(args, i, "--format", value, missing)) {
      if (missing) return usage("import", "--format needs a value (auto, plain, timestamped, sscom, annotated or hex)");
      auto f = log_format_from_string(value);
      if (!f)
        return usage("import",
                     "--format expects auto, plain, timestamped, sscom, annotated or hex, got \"" + value + "\"");
      opts.format = *f;
    } else if (take_value(args, i, "--to", value, missing)) {
      if (missing) return usage("import", "--to needs a value (trace or scenario)");
      if (value != "trace" && value != "scenario")
        return usage("import", "--to expects trace or scenario, got \"" + value + "\"");
      to = value;
    } else if (take_value(args, i, "-o", value, missing) || take_value(args, i, "--output", value, missing)) {
      if (missing) return usage("import", std::string(a) + " needs a file name");
      out_path = value;
    } else if (a.size() > 1 && a.front() == '-') {
      return usage("import", "unknown option " + std::string(a));
    } else {
      if (have_log)
        return usage("import", "give one log file, got \"" + log_path + "\" and \"" + std::string(a) + "\"");
      log_path = std::string(a);
      have_log = true;
    }
  }
  if (!have_log) return usage("import", "give the log file to import");

  const auto name = base_name(log_path);
  std::string error;
  auto bytes = read_file(log_path, error);
  if (!bytes) {
    std::cerr << log_path << ": error: " << error << "\n";
    return 1;
  }
  auto log = import_log(*bytes, name, opts);
  for (const auto& m : log.messages) std::cerr << format(m, name) << "\n";
  if (!log.ok()) return 1;

  int commands = 0, module = 0, notes = 0, echoes = 0;
  for (const auto& l : log.lines) {
    if (l.role == line_role::command || l.role == line_role::data)
      ++commands;
    else if (l.role == line_role::comment)
      ++notes;
    else if (l.role == line_role::echo)
      ++echoes;
    else
      ++module;
  }
  std::cerr << name << ": read as " << describe(log.format, log.annotated)
            << (opts.format == log_format::automatic ? " (detected)" : "") << ": " << count(commands, "host line")
            << ", " << count(module, "module line") << (echoes ? ", " + count(echoes, "echo", "echoes") : "")
            << (notes ? ", " + count(notes, "comment") : "") << (log.timed ? "" : "; no times in the log, made up")
            << "\n";

  std::string text;
  if (to == "trace") {
    text = to_trace(log);
  } else {
    auto sc = to_scenario(log);
    for (const auto& m : sc.messages) std::cerr << format(m, name) << "\n";
    std::cerr << name << ": scenario with " << sc.rules << (sc.rules == 1 ? " rule" : " rules")
              << "; with it the simulator writes " << sc.reproduced << " of the log's " << sc.module_lines
              << " module lines\n";
    text = sc.json;
  }
  if (!write_out(out_path, text, error)) {
    std::cerr << "nt35e-sim import: error: " << error << "\n";
    return 1;
  }
  if (!out_path.empty() && out_path != "-") std::cerr << "wrote " << out_path << "\n";
  return 0;
}

int report_main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string out_path, trace_path;
  bool have_trace = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto a = args[i];
    std::string value;
    bool missing = false;
    if (a == "-h" || a == "--help") {
      std::cout << report_help;
      return 0;
    }
    if (take_value(args, i, "-o", value, missing) || take_value(args, i, "--output", value, missing)) {
      if (missing) return usage("report", std::string(a) + " needs a file name");
      out_path = value;
    } else if (a.size() > 1 && a.front() == '-') {
      return usage("report", "unknown option " + std::string(a));
    } else {
      if (have_trace)
        return usage("report", "give one trace file, got \"" + trace_path + "\" and \"" + std::string(a) + "\"");
      trace_path = std::string(a);
      have_trace = true;
    }
  }
  if (!have_trace) return usage("report", "give the trace file (JSON Lines) to report on");
  if (out_path.empty()) {
    out_path = trace_path;
    if (out_path.ends_with(".jsonl"))
      out_path.resize(out_path.size() - 6);
    else if (out_path.ends_with(".json"))
      out_path.resize(out_path.size() - 5);
    out_path += ".html";
    if (trace_path == "-") out_path = "-";
  }
  std::variant<trace, load_error> loaded;
  if (trace_path == "-") {
    std::string error;
    auto text = read_file("-", error);
    loaded = parse(*text, "stdin");
  } else {
    loaded = load(trace_path);
  }
  if (auto* bad = std::get_if<load_error>(&loaded)) {
    std::cerr << bad->message << "\n";
    return 1;
  }
  const auto& t = std::get<trace>(loaded);
  report_options ro;
  ro.title = base_name(trace_path);
  auto html = render_report(t, ro);
  std::string error;
  if (!write_out(out_path, html, error)) {
    std::cerr << "nt35e-sim report: error: " << error << "\n";
    return 1;
  }
  if (out_path != "-") std::cerr << "wrote " << out_path << "\n";
  return 0;
}

}  // namespace nt35e::trace
