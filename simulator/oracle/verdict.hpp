#pragma once
// The verdict of one or more sessions (issue 15, part 3): the oracle's findings and rule
// coverage per modem, written as JUnit XML (one test case per rule, which GitLab, Jenkins
// and GitHub reporters read) or as JSON (what the pytest plugin reads), and the exit
// status CI fails on. Pure text: the callers write the files.
//
// JUnit mapping: one <testsuite> per modem; one <testcase> per rule. A rule with findings
// at or above --verdict-fail-on fails (<failure type="error|warning">: time, lines,
// explanation in English and Chinese, spec section); findings below it are listed in
// <system-out> of a passing case; a rule the session never exercised, or one switched
// off, is <skipped> (rule coverage: a driver test that never met a broker loss has not
// shown that it recovers). Then one <testcase> per expectation of the scenario: a
// failure when unmet (the deadline and the lines), skipped when its occasion never came,
// passed (the proving lines in <system-out>) when met.

#include <string>
#include <string_view>
#include <vector>

#include "oracle/expectations.hpp"
#include "oracle/oracle.hpp"

namespace nt35e::oracle {

/// When the verdict fails: --verdict-fail-on error|warning|never.
enum class fail_on {
  error,
  warning,
  never
};
/// Parses "error", "warning", "never"; returns an error sentence or "".
std::string set_fail_on(fail_on& f, std::string_view text);

/// One modem's part of the verdict.
struct modem_verdict {
  std::string name;  ///< "nt35e" or "modem 3" (the JUnit suite)
  std::vector<finding> findings;
  std::vector<rule_use> coverage;
  std::vector<expectation_result> expectations;  ///< the scenario's "expect", in its order
};

/// The verdict of a session or a fleet.
struct verdict {
  bool lenient = false;
  fail_on threshold = fail_on::error;
  std::vector<modem_verdict> modems;

  /// Whether a finding at or above the threshold, or an unmet expectation, exists
  /// (never with fail_on::never).
  bool failed() const;
  /// How many expectations are unmet, over every modem.
  std::size_t unmet() const;
};

/// A modem's part, from its oracle.
modem_verdict collect(const oracle& o, std::string name);

/// The verdict as JUnit XML.
std::string to_junit(const verdict& v);
/// The verdict as JSON (one object; see docs/oracle.md).
std::string to_json(const verdict& v);
/// One finding for a person, one or more lines: "12.345 s error NT35E-…(§5.4): detail\n  > line".
std::string describe(const finding& f);
/// One expectation's result for a person: "expectation \"name\" unmet at 42.000 s: detail\n  > line".
std::string describe(const expectation_result& e);

}  // namespace nt35e::oracle
