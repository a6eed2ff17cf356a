#pragma once
// `nt35e-sim report` (also tools/nt35e-report): one self-contained HTML page from a
// trace, a sequence diagram and a timeline with the delays and errors highlighted.
//
//   nt35e-sim report [-o OUT.html] TRACE.jsonl
//   nt35e-sim report --verdict OUT.xml [--verdict-json OUT.json] [-o OUT.html] TRACE.jsonl
//   nt35e-sim report --diff [-o OUT.html] A.jsonl B.jsonl
//   nt35e-sim report --pcap OUT.pcapng [-o OUT.html] TRACE.jsonl
//
// The oracle judges the driver in the trace after the fact, with the same verdict as live
// (app/verdict_output.hpp): the scenario's "oracle" settings and "expect" list come from
// the trace's header, the command line's options on top. The page marks its findings on
// the sequence diagram and lists them with the rule coverage. With --verdict or
// --verdict-json the verdict files are written too, and the page only when -o asks for it.
// --pcap writes the session as pcapng (trace/pcap_export.hpp), the same as `nt35e-sim
// --pcap` live; again the page only when -o asks for it.
//
// Exit status: 0 done, 1 a trace that does not load or a page that cannot be written,
// 2 a usage error (one sentence and "try --help"), 3 the verdict failed. With --diff
// (trace/trace_diff.hpp): 0 the sessions take the same protocol steps, 1 they differ,
// 2 an error (a usage error, a trace that does not load, a page that cannot be written).

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/verdict_output.hpp"
#include "oracle/verdict.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::app {

/// What `nt35e-sim report` was asked to do.
struct report_request {
  std::string output;               ///< -o OUT.html; empty: the trace's name with .html
  std::vector<std::string> traces;  ///< the TRACE; exactly one once parsed (two with --diff)
  std::string pcap;                 ///< --pcap OUT.pcapng; empty: none
  bool diff = false;                ///< --diff A B: compare two traces
  verdict_options verdict;          ///< --verdict, --verdict-json, --oracle-…
};

/// The oracle's verdict on the driver of a recorded trace (its DTE side, at its times).
oracle::verdict trace_verdict(const trace::trace& t, const oracle::config& c, oracle::fail_on fail);

/// Adds the report subcommand to nt35e-sim's command line; parsing fills `request`.
CLI::App* add_report_command(CLI::App& root, report_request& request);

/// Runs a parsed report: loads the trace, writes the page.
int run_report(const report_request& request);

/// `nt35e-sim report ...` on its own; argv[0] is "report".
int report_main(int argc, char** argv);

}  // namespace nt35e::app
