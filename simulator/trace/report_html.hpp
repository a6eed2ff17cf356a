#pragma once
// Session report (issue 5, item 5): one self-contained HTML file from a trace.
//
// * A sequence diagram (inline SVG) with three lifelines, Host <-> NT35E <-> Broker: one
//   arrow per host line, module line (echo dashed), MQTT request and event, notes on the
//   NT35E lifeline; times on the left, long pauses marked.
// * A timeline that pairs each command with its final result and the URCs that report on
//   it (AT+ECMTCONN=0 -> OK after 1 ms -> +ECMTCONN:0,0,5 after 312 ms), with the delays
//   from the command; errors and refusals highlighted (ERROR, +CME ERROR, result codes
//   other than 0, +ECMTSTAT, commands never answered), unsolicited URCs on rows of their own.
// * A summary with the first problems, each linked to its row.
// * With a verdict (the oracle's, docs/oracle.md): each finding marked on the sequence
//   diagram at its lines (a numbered badge on every proving line, and under the last one
//   a box with the rule id, severity, spec section, what happened and the explanation in
//   English and Chinese), and a verdict section: the findings and the rule coverage
//   (exercised, not exercised, off).
//
// No external scripts, styles, fonts or images: inline CSS, inline SVG (without an xmlns
// URL), a few lines of inline JavaScript (the "only problems" filter). Every text taken
// from the trace is escaped (& < > " ').

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oracle/verdict.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {

struct report_options {
  std::string title;  ///< shown in the heading (the trace's file name); may be empty
  /// The oracle's verdict on the trace's driver (app::trace_verdict), its times from the
  /// trace's t=0; null: no verdict section, no markers.
  const oracle::verdict* verdict = nullptr;
};

/// The whole HTML document.
std::string render_report(const trace& t, const report_options& options = {});

// ---- the parts, exposed for the unit tests

/// One arrow (or note) of the sequence diagram, assembled from the trace's byte chunks.
struct message {
  enum class kind {
    command,
    data,
    echo,
    module_line,
    request,
    event,
    note
  };
  enum class lane {
    host,
    module,
    broker
  };
  kind what = kind::note;
  lane from = lane::module, to = lane::module;
  std::int64_t t_us = 0;
  std::string label;  ///< UTF-8 text (bytes that are not UTF-8 shown as \xNN), no CR/LF
  bool problem = false;
};

/// The trace as diagram messages: host bytes cut into lines at CR (payloads in data mode at
/// ^Z / ESC), module bytes cut into lines with their echo recognised, MQTT and notes as they are.
std::vector<message> messages_of(const trace& t);

/// One row of the timeline: a command with its answer and the URCs that report on it, or
/// an unsolicited URC (command empty).
struct timeline_row {
  std::size_t message = 0;  ///< index of the command (or URC) in messages_of()
  std::int64_t t_us = 0;
  std::string command;            ///< empty for an unsolicited URC
  std::vector<std::string> info;  ///< information text before the final result
  std::string result;             ///< the final result (or "> " prompt); empty: never answered
  std::int64_t result_delay_us = -1;
  struct report {
    std::string text;
    std::int64_t delay_us = 0;  ///< from the command
    bool problem = false;
    std::size_t message = 0;
  };
  std::vector<report> reports;  ///< URCs that report on the command; for a URC row, the URC itself
  bool problem = false;         ///< something on this row went wrong
  std::string why;              ///< one phrase when problem: "ERROR", "+ECMTCONN:0,0,5: refused (5)"
};

std::vector<timeline_row> timeline_of(const std::vector<message>& messages);

/// The diagram message each proving line of `f` is drawn as (indices into `messages`,
/// in the order of f.lines; a line with no message of its own gets the nearest earlier
/// one of its direction), and last the anchor: the message under which the finding's box
/// is drawn (the last proving line at or before the finding's time).
std::vector<std::size_t> finding_messages(const oracle::finding& f, const std::vector<message>& messages);
/// The same for any proving lines and the time they are judged at (an expectation's too).
std::vector<std::size_t> proof_messages(const std::vector<oracle::line_ref>& lines, std::int64_t t_us,
                                        const std::vector<message>& messages);

/// The page's style sheet (the CSS inside <style>), for other pages that look the same
/// (the --diff side by side).
std::string_view report_style();

/// & < > " ' escaped for HTML text and attribute values.
std::string html_escape(std::string_view s);
/// "0.4 ms", "1 ms", "312 ms", "6.26 s", "2 min 5 s".
std::string format_delay(std::int64_t us);
/// Why a module line means trouble ("" when it does not): ERROR, +CME ERROR, +ECMTSTAT,
/// ECMT result codes other than 0.
std::string problem_of(std::string_view module_line);

}  // namespace nt35e::trace
