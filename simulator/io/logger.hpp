#pragma once
// The simulator's transcript on stderr: both directions of the AT line, the core's
// diagnostic records and the MQTT traffic, one timestamped line each.
//
//   10:55:01.123 [info] DTE -> "AT+CSQ\r"
//   10:55:01.128 [info] DTE <- "\r\n+CSQ:23,99\r\n\r\nOK\r\n"
//   10:55:02.004 [warn] syntax.typographic_quote: parameter 3 begins with ...
//
// On stderr (the default) the lines go through log_writer's thread, which never lets a
// reader that does not read stop the modem; any other descriptor is written at once.
//
// Thread safety: none needed; every caller runs on the modem's executor (the
// line is written with one write(2), so even a stray second thread cannot tear it).

#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "modem/action.hpp"

namespace nt35e::io {

using modem::log_level;

/// "error", "warn", "info", "debug" or "trace" to a level; nothing for anything else.
std::optional<log_level> parse_log_level(std::string_view name);

/// The lower-case name used in the transcript.
std::string_view level_name(log_level level);

/// Writes the text to a C stream and flushes it: a test, a script or a person waits for
/// these lines (the ready line, summaries, start-up warnings). stderr's text goes through
/// log_writer, after the transcript lines before it (waiting at most its `patience`).
void print_now(std::FILE* f, std::string_view text);

/// Bytes as a quoted C-like string: printable ASCII as is, \r \n \t \" \\, others \xNN.
std::string escape_bytes(std::string_view bytes);

class logger {
 public:
  /// Writes lines at or above `threshold` to file descriptor `fd` (stderr by default).
  explicit logger(log_level threshold = log_level::info, int fd = 2);

  void set_threshold(log_level threshold) { threshold_ = threshold; }
  log_level threshold() const { return threshold_; }
  bool enabled(log_level level) const { return level >= threshold_; }

  /// Log ECMTCONN passwords as typed instead of masked (--show-secrets).
  void set_show_secrets(bool show) { show_secrets_ = show; }

  /// "\r\n" while the terminal is in raw mode (no output processing turns \n into \r\n).
  void set_line_end(std::string line_end) { line_end_ = std::move(line_end); }

  /// Put before every line's text, after the level: "modem 7: " in fleet mode, where
  /// many modems share stderr.
  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }
  /// One line: timestamp, [level], prefix, text.
  void log(log_level level, std::string_view text);

  /// While a batch is open, lines are collected and written together when the
  /// outermost batch closes: one write(2) per modem call instead of one per line
  /// (the transcript is on the path of every answer). Lines stay whole and in order.
  class batch {
   public:
    explicit batch(logger& log) : log_(log) { ++log_.batch_depth_; }
    ~batch() {
      if (--log_.batch_depth_ == 0) log_.flush();
    }
    batch(const batch&) = delete;
    batch& operator=(const batch&) = delete;

   private:
    logger& log_;
  };

  /// Bytes the DTE sent to the module.
  void dte_in(std::string_view bytes);
  /// Bytes the module sent to the DTE; `dropped` (why they were lost, e.g. "no DTE
  /// attached") when they never reached it.
  void dte_out(std::string_view bytes, std::string_view dropped = {});

 private:
  /// The chunk with any password masked; `partial` is the text since the last line
  /// end in that direction, so a password split over chunks is still found.
  std::string masked(std::string& partial, std::string_view chunk) const;
  /// Writes the collected lines (with one write(2) where the fd takes them all).
  void flush();
  void write_out(std::string_view bytes) const;

  log_level threshold_;
  bool show_secrets_ = false;
  std::string partial_in_, partial_out_;
  int fd_;
  std::string line_end_ = "\n";
  std::time_t stamp_second_ = -1;  ///< the second stamp_hms_ was formatted for
  std::string stamp_hms_;          ///< "HH:MM:SS."
  std::string prefix_;
  int batch_depth_ = 0;
  std::string batched_;  ///< lines of the open batch
};

}  // namespace nt35e::io
