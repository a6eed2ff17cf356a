#pragma once
// `nt35e-sim report` (also tools/nt35e-report): one self-contained HTML page from a
// trace, a sequence diagram and a timeline with the delays and errors highlighted.
//
//   nt35e-sim report [-o OUT.html] TRACE.jsonl
//
// Exit status: 0 done, 1 a trace that does not load or a page that cannot be written,
// 2 a usage error (one sentence and "try --help").

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace nt35e::app {

/// What `nt35e-sim report` was asked to do.
struct report_request {
  std::string output;               ///< -o OUT.html; empty: the trace's name with .html
  std::vector<std::string> traces;  ///< the TRACE; exactly one once parsed
};

/// Adds the report subcommand to nt35e-sim's command line; parsing fills `request`.
CLI::App* add_report_command(CLI::App& root, report_request& request);

/// Runs a parsed report: loads the trace, writes the page.
int run_report(const report_request& request);

/// `nt35e-sim report ...` on its own; argv[0] is "report".
int report_main(int argc, char** argv);

}  // namespace nt35e::app
