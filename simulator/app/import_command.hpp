#pragma once
// `nt35e-sim import` (also tools/nt35e-import): a customer's serial log becomes a trace
// (for --replay and report) or a scenario (for --scenario).
//
//   nt35e-sim import [--format auto|plain|timestamped|sscom|annotated|hex]
//                    [--to trace|scenario] [-o OUT] LOGFILE
//   nt35e-sim import --to scenario [-o OUT] [--capture BROKER.pcapng] [LOGFILE | BROKER.pcap]
//
// A broker-side capture (pcap or pcapng; given with --capture, or as the LOGFILE itself,
// told by its magic number) gives the scenario the broker's behaviour
// (trace/import_log.hpp, captured_broker).
//
// Exit status: 0 done, 1 a problem with the input (each message on stderr names the file
// and line), 2 a usage error (one sentence and "try --help").

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "trace/import_log.hpp"

namespace nt35e::app {

/// What `nt35e-sim import` was asked to do.
struct import_request {
  trace::import_options options;
  bool to_scenario = false;       ///< --to scenario (default: a trace)
  std::string output;             ///< -o OUT; empty or "-": stdout
  std::vector<std::string> logs;  ///< the LOGFILE; at most one once parsed (none with --capture)
  std::string capture;            ///< --capture FILE: the broker side
  bool all_messages = false;      ///< --all-messages: every message about a line, not the first 20 of a level
};

/// Adds the import subcommand to nt35e-sim's command line; parsing fills `request`.
CLI::App* add_import_command(CLI::App& root, import_request& request);

/// Runs a parsed import: reads the log, reports what it made of it, writes the result.
int run_import(const import_request& request);

/// `nt35e-sim import ...` on its own; argv[0] is "import".
int import_main(int argc, char** argv);

}  // namespace nt35e::app
