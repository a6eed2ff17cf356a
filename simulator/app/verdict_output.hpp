#pragma once
// The oracle's options and outputs, shared by nt35e-sim (live) and `nt35e-sim report
// --verdict` (a recorded trace), so both give the same verdict the same way:
//
//   --verdict FILE          JUnit XML (one test case per rule, per modem)
//   --verdict-json FILE     the same as JSON (what the pytest plugin reads)
//   --verdict-mode M        strict (default) or lenient (only what breaks the real module)
//   --verdict-fail-on L     error (default), warning or never: when the exit status is 3
//   --oracle-rule ID=off    switch a rule off (or on)
//   --oracle-set ID.k=V     change a rule's threshold
//
// The scenario's "oracle" key sets the same before the command line (which wins).

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "oracle/verdict.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::app {

/// The exit status of a run whose verdict failed (0 ok, 1 runtime error, 2 usage).
inline constexpr int verdict_failed_status = 3;

struct verdict_options {
  std::string junit;      ///< --verdict FILE
  std::string json;       ///< --verdict-json FILE
  oracle::config config;  ///< --verdict-mode, --oracle-rule, --oracle-set (in order)
  oracle::fail_on fail = oracle::fail_on::error;
  std::vector<std::string> rule_settings;       ///< --oracle-rule as given, applied after the scenario's
  std::vector<std::string> threshold_settings;  ///< --oracle-set as given
  bool mode_given = false;

  /// Whether the oracle runs at all (an output was asked for).
  bool wanted() const { return !junit.empty() || !json.empty(); }
};

/// Declares the options above on `app` in `group`.
void add_verdict_options(CLI::App& app, verdict_options& v, const std::string& group);

/// The oracle settings a scenario's "oracle" key gives (checked when it loaded; the
/// scenario file live, the trace's header after the fact).
oracle::config scenario_config(const scenario::scenario::oracle_script& o);

/// Applies the command line's --oracle-rule and --oracle-set on top of `base` (the
/// scenario's); returns an error sentence or "".
std::string command_line_config(const verdict_options& v, oracle::config& base);

/// Writes the verdict files; prints a one-line summary, every finding and every unmet
/// expectation on stderr. Returns 0, 1 when a file cannot be written, or verdict_failed_status.
int finish_verdict(const verdict_options& v, const oracle::verdict& verdict);

}  // namespace nt35e::app
