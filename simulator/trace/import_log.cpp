// Log import: the formats' names, the steps of import_log in order (trace/import_detail.hpp
// names the file of each), and the imported log as a trace.

#include "trace/import_log.hpp"

#include <algorithm>
#include <iterator>

#include "at/text.hpp"
#include "at/vocabulary.hpp"
#include "trace/import_detail.hpp"
#include "trace/recorder.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {

// =================================================================================
// Names

const char* to_string(log_format f) {
  switch (f) {
    case log_format::automatic:
      return "auto";
    case log_format::plain:
      return "plain";
    case log_format::timestamped:
      return "timestamped";
    case log_format::sscom:
      return "sscom";
    case log_format::annotated:
      return "annotated";
    case log_format::hex:
      return "hex";
    case log_format::teraterm:
      return "teraterm";
    case log_format::putty:
      return "putty";
    case log_format::minicom:
      return "minicom";
    case log_format::qcom:
      return "qcom";
    case log_format::csv:
      return "csv";
  }
  return "?";
}

namespace {
constexpr log_format all_formats[] = {log_format::automatic, log_format::plain,     log_format::timestamped,
                                      log_format::sscom,     log_format::annotated, log_format::hex,
                                      log_format::teraterm,  log_format::putty,     log_format::minicom,
                                      log_format::qcom,      log_format::csv};
}  // namespace

std::string log_format_names() {
  std::string out;
  constexpr std::size_t n = std::size(all_formats);
  for (std::size_t i = 0; i < n; ++i)
    out += std::string(i == 0 ? "" : i + 1 == n ? " or " : ", ") + to_string(all_formats[i]);
  return out;
}

std::optional<log_format> log_format_from_string(std::string_view name) {
  for (auto f : all_formats)
    if (name == to_string(f)) return f;
  if (name == "picocom") return log_format::minicom;  // the same capture: what the module sent
  return std::nullopt;
}

std::string describe(log_format f, bool annotated) {
  std::string base;
  switch (f) {
    case log_format::automatic:
      base = "automatic";
      break;
    case log_format::plain:
      base = "plain transcript";
      break;
    case log_format::timestamped:
      base = "timestamped lines";
      break;
    case log_format::sscom:
      base = "SSCOM-style log with 发→◇/收←◆ markers";
      break;
    case log_format::annotated:
      base = "annotated log";
      break;
    case log_format::hex:
      base = "hex dump";
      break;
    case log_format::teraterm:
      base = "Tera Term log with timestamps";
      break;
    case log_format::putty:
      base = "PuTTY session log";
      break;
    case log_format::minicom:
      base = "minicom/picocom capture";
      break;
    case log_format::qcom:
      base = "QCOM-style log with a stamp per received chunk";
      break;
    case log_format::csv:
      base = "logic analyser UART export as CSV";
      break;
  }
  if (annotated && f != log_format::annotated) base += " with comments";
  return base;
}

const char* to_string(line_role r) {
  switch (r) {
    case line_role::command:
      return "command";
    case line_role::data:
      return "data";
    case line_role::echo:
      return "echo";
    case line_role::response:
      return "response";
    case line_role::urc:
      return "urc";
    case line_role::comment:
      return "comment";
  }
  return "?";
}

std::string format(const import_message& m, const std::string& file) {
  std::string out = file;
  if (m.line > 0) out += ":" + std::to_string(m.line);
  switch (m.level) {
    case message_level::note:
      out += ": note: ";
      break;
    case message_level::warning:
      out += ": warning: ";
      break;
    case message_level::error:
      out += ": error: ";
      break;
  }
  return out + m.text;
}

bool imported_log::ok() const {
  return std::any_of(lines.begin(), lines.end(), [](const log_line& l) { return l.role != line_role::comment; });
}

// =================================================================================
// import_log

imported_log import_log(std::string_view bytes, const std::string& name, const import_options& options) {
  imported_log log;
  log.name = name;
  auto lines = detail::split_and_decode(bytes, log.messages, log.total_lines);
  bool any = std::any_of(lines.begin(), lines.end(),
                         [](const detail::physical_line& pl) { return !at::trim_line(pl.text).empty(); });
  if (!any) {
    log.messages.push_back({0, message_level::error, "the log is empty"});
    return log;
  }
  // A trace given to the importer: say what it is.
  for (const auto& pl : lines) {
    if (at::trim_line(pl.text).empty()) continue;
    if (pl.decoded && at::trim_line(pl.text).starts_with("{\"trace\":\"nt35e-sim\"")) {
      log.messages.push_back({pl.number, message_level::error,
                              "this is already an nt35e-sim trace; give it to --replay or to nt35e-sim report "
                              "as it is"});
      return log;
    }
    break;
  }
  auto detected = detail::detect(lines);
  log_format f = options.format;
  bool annotated = detected.annotated;
  if (f == log_format::automatic) {
    if (!detected.format) {
      log.messages.push_back(
          {0, message_level::error,
           "cannot tell the format of the log: " + detected.why_not + "; give --format to read it as one of them"});
      return log;
    }
    f = *detected.format;
  } else if (f == log_format::annotated) {
    annotated = true;
    f = detected.format && *detected.format != log_format::annotated ? *detected.format : log_format::plain;
  } else {
    // A forced base format keeps comments only when the log has them.
  }
  if (f == log_format::hex) annotated = true;   // a comment never parses as hex, so looking costs nothing
  if (f == log_format::csv) annotated = false;  // a row is bytes, never a comment
  log.format = f;

  auto entries = detail::lex(lines, f, annotated, log.messages);
  log.annotated =
      std::any_of(entries.begin(), entries.end(), [](const detail::entry& e) { return !e.comment.empty(); });
  log.timed = std::any_of(entries.begin(), entries.end(), [](const detail::entry& e) { return e.stamp.has_value(); });
  if ((f == log_format::timestamped || f == log_format::teraterm || f == log_format::qcom) && !log.timed)
    log.messages.push_back({0, message_level::warning, "no line has a [time] stamp; times are made up"});

  auto placement = detail::place_entries(entries, log.messages);
  detail::assign_times(placement, log.timed, log.messages, log.started);
  if (f == log_format::putty && log.started.empty()) {
    // PuTTY's lines carry no time, but its header says when the log began.
    for (const auto& pl : lines) {
      std::optional<std::int64_t> when;
      if (pl.decoded && detail::putty_header(pl.text, &when)) {
        if (when) log.started = detail::iso_text(*when);
        break;
      }
    }
  }
  log.lines = std::move(placement.lines);
  if (!log.ok())
    log.messages.push_back({0, message_level::error,
                            "no line of the log could be placed as a command or a module output (read as " +
                                describe(f, log.annotated) + ")"});
  std::stable_sort(log.messages.begin(), log.messages.end(), detail::by_line);
  return log;
}

// =================================================================================
// The trace

std::string to_trace(const imported_log& log) {
  header h;
  h.profile = "nt35e";
  h.started = log.started;
  redact_options redact;  // passwords, as recordings do
  h.redacted = redacted_names(redact);
  std::string out = to_jsonl(h);
  bool in_info = false;  // the line before was information text of the same answer
  for (const auto& l : log.lines) {
    event e;
    e.t_us = l.t_us;
    bool info = l.role == line_role::response && !at::final_result_of(l.text) && !at::is_prompt(l.text);
    bool info_continues = info && in_info;
    if (l.role != line_role::comment) in_info = info;
    switch (l.role) {
      case line_role::command:
        e.dir = direction::dte_to_module;
        e.data = l.bytes.empty() ? l.text + "\r" : l.bytes;
        break;
      case line_role::data:
        e.dir = direction::dte_to_module;
        e.data = l.bytes.empty() ? l.text + "\x1a" : l.bytes;
        break;
      case line_role::echo:
        e.dir = direction::module_to_dte;
        e.data = l.bytes.empty() ? l.text + "\r" : l.bytes;
        break;
      case line_role::response:
      case line_role::urc:
        e.dir = direction::module_to_dte;
        if (!l.bytes.empty())
          e.data = l.bytes;
        else if (at::is_prompt(l.text))
          e.data = "\r\n> ";
        else if (info_continues)
          e.data = l.text + "\r\n";  // the next line of one information text
        else
          e.data = "\r\n" + l.text + "\r\n";
        break;
      case line_role::comment:
        e.dir = direction::state;
        e.text = "log line " + std::to_string(l.line) + ": " + l.text;
        e.reason = "import.comment";
        break;
    }
    if (l.role == line_role::command || l.role == line_role::echo) e.data = redact_text(e.data, redact);
    out += to_jsonl(e);
  }
  return out;
}

}  // namespace nt35e::trace
