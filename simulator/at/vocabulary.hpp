#pragma once
// The AT vocabulary as the module speaks it, for everything that reads AT traffic
// (interpreter, recorder, replayer, importer, report, metrics, explainer): which line is
// a final result, what a response or a command is called, how its fields split, and how
// the module's output stream cuts into lines. The URCs themselves are in urc_table.hpp.
// No I/O and no JSON: plain functions over text.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nt35e::at {

/// The final result codes of V.250 (§2.3, §2.4) plus the module's error results (§2.7).
enum class final_result {
  ok,            ///< OK (numeric 0)
  connect,       ///< CONNECT (1)
  ring,          ///< RING (2)
  no_carrier,    ///< NO CARRIER (3)
  error,         ///< ERROR (4)
  no_dialtone,   ///< NO DIALTONE (6)
  busy,          ///< BUSY (7)
  no_answer,     ///< NO ANSWER (8)
  cme_error,     ///< +CME ERROR: <n or text>
  cms_error,     ///< +CMS ERROR: <n or text>
  socket_error,  ///< +SOCKET ERROR: <text> (AT+ECPING, §4.3)
};

/// The verbose text of a result ("NO CARRIER"; "+CME ERROR" for the prefixed ones).
std::string_view to_string(final_result r);
/// The V.250 numeric code written under ATV0; -1 for the prefixed errors (they stay textual).
int numeric_code(final_result r);
/// Whether the command that got this result failed (everything but OK and CONNECT).
bool is_failure(final_result r);

/// Which final result a line of module output is (blanks, CR, LF around it ignored);
/// nullopt for any other line. With `numeric`, the ATV0 digits ("0", "4") count too.
std::optional<final_result> final_result_of(std::string_view line, bool numeric = false);
/// Whether the line is the data-mode prompt ("> ", §5.8.2).
bool is_prompt(std::string_view line);

/// The name of a response or URC line, upper case: "+ECMTCONN" of "+ecmtconn: 0,0,0",
/// "ECRDY" of the banner; empty when the line has no `+NAME` (or `*NAME`, `^NAME`) head.
std::string response_name(std::string_view line);
/// The fields of a "+NAME: a,b,c" line: what follows the first ':', split at every comma,
/// each trimmed; empty when there is no ':'.
std::vector<std::string> response_fields(std::string_view line);

/// Whether a host line is a command line ("AT…" in any case, or the A/ repeat).
bool is_command_line(std::string_view line);
/// The first command of an AT line without "AT", upper case, up to '=', '?' or ';'
/// ("at+ecmtconn=0" → "+ECMTCONN"); empty when the line does not start with AT.
std::string command_name(std::string_view line);
/// The parameters of a write command, split at commas outside quotes (quotes kept, trimmed).
std::vector<std::string> command_params(std::string_view line);

/// Cuts the module's output stream into lines, the way a DTE reads it: CR and LF end a
/// line, empty lines are skipped, and the data-mode prompt (which has no line end) is a
/// line of its own once a chunk ends with it. Lines longer than `max_line` keep their start.
class output_line_cutter {
 public:
  explicit output_line_cutter(std::size_t max_line = 64 * 1024) : max_line_(max_line) {}

  /// Feeds bytes; calls `on_line(std::string_view)` for every line they complete.
  template <class OnLine>
  void push(std::string_view bytes, OnLine&& on_line) {
    for (char c : bytes) {
      if (c == '\r' || c == '\n') {
        if (!line_.empty()) on_line(std::string_view(line_));
        line_.clear();
      } else if (line_.size() < max_line_) {
        line_.push_back(c);
      }
    }
    if (is_prompt(line_)) {
      on_line(std::string_view(line_));
      line_.clear();
    }
  }
  /// The unfinished line so far.
  std::string_view partial() const { return line_; }
  /// Forgets the unfinished line.
  void reset() { line_.clear(); }

 private:
  std::string line_;
  std::size_t max_line_;
};

}  // namespace nt35e::at
