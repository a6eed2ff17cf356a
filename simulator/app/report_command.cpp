#include "app/report_command.hpp"

#include <chrono>
#include <iostream>
#include <variant>

#include "app/cli.hpp"
#include "app/tool_io.hpp"
#include "oracle/oracle.hpp"
#include "trace/report_html.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::app {

namespace {

constexpr const char* usage =
    "Usage: nt35e-sim report [-o OUT.html] TRACE.jsonl\n"
    "       nt35e-sim report --verdict OUT.xml [--verdict-json OUT.json] TRACE.jsonl\n";

constexpr const char* description =
    "Writes one self-contained HTML file (no external scripts, styles or fonts; it opens\n"
    "offline) from a trace: a sequence diagram Host <-> NT35E <-> Broker and a timeline that\n"
    "pairs each command with its result and the URCs that report on it, with the delays,\n"
    "errors and refusals highlighted. The oracle judges the driver in the trace: its findings\n"
    "are marked on the sequence diagram, and a verdict section lists them with the rule\n"
    "coverage (docs/oracle.md); --verdict and --verdict-json also write the verdict files.";

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
  add_verdict_options(*cmd, request.verdict, "Verdict on the driver");
  cmd->add_option("TRACE", request.traces, "the trace (JSON Lines; - reads stdin)")->group("Arguments");
  on_parsed(*cmd, [&request] {
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

int run_report(const report_request& request) {
  const auto& trace_path = request.traces.front();
  const auto out_path = request.output.empty() ? default_output(trace_path) : request.output;
  std::variant<trace::trace, trace::load_error> loaded;
  if (trace_path == "-") {
    std::string error;
    auto text = read_input("-", error);
    loaded = trace::parse(*text, "stdin");
  } else {
    loaded = trace::load(trace_path);
  }
  if (auto* bad = std::get_if<trace::load_error>(&loaded)) {
    std::cerr << bad->message << "\n";
    return 1;
  }
  const auto& loaded_trace = std::get<trace::trace>(loaded);
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
  if (request.verdict.wanted()) {
    verdict_status = finish_verdict(request.verdict, verdict);
    if (request.output.empty()) return verdict_status;
  }
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
