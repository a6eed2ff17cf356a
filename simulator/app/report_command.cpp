#include "app/report_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <variant>

#include "app/cli.hpp"
#include "app/tool_io.hpp"
#include "oracle/oracle.hpp"
#include "trace/pcap_export.hpp"
#include "trace/report_html.hpp"
#include "trace/trace_diff.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::app {

namespace {

constexpr const char* usage =
    "Usage: nt35e-sim report [-o OUT.html] TRACE.jsonl\n"
    "       nt35e-sim report --verdict OUT.xml [--verdict-json OUT.json] TRACE.jsonl\n"
    "       nt35e-sim report --diff [-o OUT.html] A.jsonl B.jsonl\n"
    "       nt35e-sim report --pcap OUT.pcapng TRACE.jsonl\n";

constexpr const char* description =
    "Writes one self-contained HTML file (no external scripts, styles or fonts; it opens\n"
    "offline) from a trace: a sequence diagram Host <-> NT35E <-> Broker and a timeline that\n"
    "pairs each command with its result and the URCs that report on it, with the delays,\n"
    "errors and refusals highlighted. The oracle judges the driver in the trace: its findings\n"
    "are marked on the sequence diagram, and a verdict section lists them with the rule\n"
    "coverage (docs/oracle.md); --verdict and --verdict-json also write the verdict files.\n"
    "\n"
    "--diff compares two sessions on the protocol, not on time: each trace becomes its\n"
    "protocol steps (the lines the host sent and the module wrote; echo, timestamps, the MQTT\n"
    "side and message ids left out), the steps are aligned (Myers's diff), and the first\n"
    "divergence is printed with three steps of context (coloured on a terminal); -o also\n"
    "writes an HTML side by side. Exit status 0 same, 1 different, 2 error (docs/reproduce.md).\n"
    "\n"
    "--pcap writes the session as pcapng for Wireshark: the AT lines (its at dissector)\n"
    "and the MQTT packets as TCP on port 1883, on one timeline (as nt35e-sim --pcap does live).";

/// The default page: the trace's name with .html instead of .jsonl (stdout for stdin).
std::string default_output(const std::string& trace_path) {
  if (trace_path == "-") return "-";
  std::string out = trace_path;
  if (out.ends_with(".jsonl"))
    out.resize(out.size() - 6);
  else if (out.ends_with(".json"))
    out.resize(out.size() - 5);
  return out + ".html";
}

}  // namespace

CLI::App* add_report_command(CLI::App& root, report_request& request) {
  auto* cmd =
      add_command(root, "report", "one HTML page from a trace: sequence diagram, timeline", usage, description, 25);
  add_value(*cmd, "-o,--output", "OUT.html", "a file name",
            "where to write (default: TRACE with .html instead of .jsonl)",
            [&request](const std::string& value) { request.output = value; });
  add_flag(*cmd, "--diff", "compare two traces A and B on the protocol (exit status 0 same, 1 different)",
           [&request] { request.diff = true; });
  add_value(*cmd, "--pcap", "OUT.pcapng", "a file name",
            "also write the session as pcapng (AT lines and MQTT\n"
            "packets on one timeline, for Wireshark)",
            [&request](const std::string& value) { request.pcap = value; });
  add_verdict_options(*cmd, request.verdict, "Verdict on the driver");
  cmd->add_option("TRACE", request.traces, "the trace (JSON Lines; - reads stdin)")->group("Arguments");
  on_parsed(*cmd, [&request] {
    if (request.diff) {
      if (request.traces.size() != 2)
        throw usage_error("--diff compares two traces: give A and B, got " + std::to_string(request.traces.size()));
      if (request.verdict.wanted())
        throw usage_error("--diff writes no verdict: leave out --verdict and --verdict-json");
      if (!request.pcap.empty()) throw usage_error("--diff writes no capture: leave out --pcap");
      return;
    }
    if (request.traces.empty()) throw usage_error("give the trace file (JSON Lines) to report on");
    if (request.traces.size() > 1)
      throw usage_error("give one trace file, got \"" + request.traces[0] + "\" and \"" + request.traces[1] + "\"");
  });
  return cmd;
}

oracle::verdict trace_verdict(const trace::trace& t, const oracle::config& c, oracle::fail_on fail) {
  const modem::time_point origin{};
  oracle::oracle judge(c, origin, t.head.expect);
  std::int64_t last = 0;
  for (const auto& e : t.events) {
    auto at = origin + std::chrono::microseconds(e.t_us);
    last = e.t_us;
    if (e.dir == trace::direction::dte_to_module)
      judge.on_dte(e.data, at);
    else if (e.dir == trace::direction::module_to_dte)
      judge.on_module(e.data, at);
  }
  judge.advance(origin + std::chrono::microseconds(last));
  oracle::verdict v;
  v.lenient = c.lenient;
  v.threshold = fail;
  v.modems.push_back(oracle::collect(judge, t.head.profile));
  return v;
}

namespace {

/// Loads a trace file ("-": stdin); nothing, with the sentence on stderr, when it fails.
std::optional<trace::trace> load_trace(const std::string& path) {
  std::variant<trace::trace, trace::load_error> loaded;
  if (path == "-") {
    std::string error;
    auto text = read_input("-", error);
    if (!text) {
      std::cerr << "nt35e-sim report: " << error << "\n";
      return std::nullopt;
    }
    loaded = trace::parse(*text, "stdin");
  } else {
    loaded = trace::load(path);
  }
  if (auto* bad = std::get_if<trace::load_error>(&loaded)) {
    std::cerr << bad->message << "\n";
    return std::nullopt;
  }
  return std::get<trace::trace>(std::move(loaded));
}

/// --diff A B: 0 same, 1 different, 2 a trace that does not load or a page not written.
int run_diff(const report_request& request) {
  const auto a = load_trace(request.traces[0]);
  if (!a) return 2;
  const auto b = load_trace(request.traces[1]);
  if (!b) return 2;
  const auto steps_a = trace::steps_of(*a), steps_b = trace::steps_of(*b);
  const auto d = trace::diff_steps(steps_a, steps_b);
  const trace::diff_names names{base_name(request.traces[0]), base_name(request.traces[1])};
  // Colour only for a person at a terminal (and never when NO_COLOR is set, no-color.org).
  const char* no_color = std::getenv("NO_COLOR");
  const bool colour = ::isatty(STDOUT_FILENO) != 0 && (no_color == nullptr || *no_color == '\0');
  std::cout << trace::render_diff_text(names, steps_a, steps_b, d, colour) << std::flush;
  if (!request.output.empty() &&
      finish_output("nt35e-sim report", request.output, trace::render_diff_html(names, steps_a, steps_b, d)) != 0)
    return 2;
  return d.same() ? 0 : 1;
}

}  // namespace

int run_report(const report_request& request) {
  if (request.diff) return run_diff(request);
  const auto& trace_path = request.traces.front();
  const auto out_path = request.output.empty() ? default_output(trace_path) : request.output;
  const auto loaded = load_trace(trace_path);
  if (!loaded) return 1;
  const auto& loaded_trace = *loaded;
  // The oracle judges every trace: the page marks its findings; the files and the exit
  // status only when a verdict output was asked for. The scenario's settings as the
  // trace's header recorded them, then the command line's.
  auto c = scenario_config(loaded_trace.head.oracle);
  if (auto why = command_line_config(request.verdict, c); !why.empty()) {
    std::cerr << "nt35e-sim report: " << why << " (try --help)\n";
    return 2;
  }
  const auto verdict = trace_verdict(loaded_trace, c, request.verdict.fail);
  int verdict_status = 0;
  if (!request.pcap.empty()) {
    if (auto status = finish_output("nt35e-sim report", request.pcap, trace::to_pcapng(loaded_trace))) return status;
  }
  if (request.verdict.wanted()) verdict_status = finish_verdict(request.verdict, verdict);
  if ((request.verdict.wanted() || !request.pcap.empty()) && request.output.empty()) return verdict_status;
  trace::report_options ro;
  ro.title = base_name(trace_path);
  ro.verdict = &verdict;
  auto html = trace::render_report(loaded_trace, ro);
  auto status = finish_output("nt35e-sim report", out_path, html);
  return status != 0 ? status : verdict_status;
}

int report_main(int argc, char** argv) {
  CLI::App root("", "nt35e-sim");
  configure(root, "Usage: nt35e-sim report ...\n", "", 25, "Other");
  report_request request;
  add_report_command(root, request);
  if (auto status = parse_command_line(root, std::vector<std::string>(argv, argv + argc))) return *status;
  return run_report(request);
}

}  // namespace nt35e::app
