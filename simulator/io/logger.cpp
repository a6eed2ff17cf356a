#include "io/logger.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "at/command_line.hpp"
#include "at/text.hpp"
#include "io/log_writer.hpp"

namespace nt35e::io {

std::optional<log_level> parse_log_level(std::string_view name) {
  if (name == "error") return log_level::error;
  if (name == "warn" || name == "warning") return log_level::warn;
  if (name == "info") return log_level::info;
  if (name == "debug") return log_level::debug;
  if (name == "trace") return log_level::trace;
  return std::nullopt;
}

std::string_view level_name(log_level level) { return modem::to_string(level); }

void print_now(std::FILE* f, std::string_view text) {
  if (f == stderr) {
    // Behind the transcript lines before it, and never stuck on a reader that does not read.
    auto& w = log_writer::standard_error();
    w.append(text);
    w.drain();
    return;
  }
  std::fwrite(text.data(), 1, text.size(), f);
  std::fflush(f);
}

std::string escape_bytes(std::string_view bytes) { return at::escape_bytes(bytes, {.quoted = true}); }

logger::logger(log_level threshold, int fd) : threshold_(threshold), fd_(fd) {}

void logger::log(log_level level, std::string_view text) {
  if (!enabled(level)) return;

  // Wall-clock time of day, so the transcript lines up with other tools' logs. The
  // hours:minutes:seconds part is formatted once per second: the transcript is on
  // the path of every AT answer.
  auto now = std::chrono::system_clock::now();
  auto since_epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t t = static_cast<std::time_t>(since_epoch_ms / 1000);
  if (t != stamp_second_) {
    std::tm tm{};
    localtime_r(&t, &tm);
    char hms[16];
    std::snprintf(hms, sizeof hms, "%02d:%02d:%02d.", tm.tm_hour, tm.tm_min, tm.tm_sec);
    stamp_hms_ = hms;
    stamp_second_ = t;
  }
  auto ms = static_cast<int>(since_epoch_ms % 1000);

  std::string line;
  line.reserve(text.size() + prefix_.size() + 32);
  line += stamp_hms_;
  line += static_cast<char>('0' + ms / 100);
  line += static_cast<char>('0' + ms / 10 % 10);
  line += static_cast<char>('0' + ms % 10);
  line += " [";
  line += level_name(level);
  line += "] ";
  line += prefix_;
  // A log line is one line of text: a control byte that came from outside (a NUL in a
  // host name, a CR in a topic) is shown escaped, never written raw (a terminal shows a
  // NUL as a space, a CR rewrites the line).
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7F; }))
    line += at::escape_bytes(text, {.high = at::escape_options::high_bytes::keep});
  else
    line += text;
  line += line_end_;

  if (batch_depth_ > 0) {
    batched_ += line;
    return;
  }
  write_out(line);
}

void logger::flush() {
  if (batched_.empty()) return;
  write_out(batched_);
  batched_.clear();
}

void logger::write_out(std::string_view bytes) const {
  // stderr goes through its writer thread: a reader that does not keep up must not stop
  // the modem (log_writer.hpp).
  if (fd_ == 2) return log_writer::standard_error().append(bytes);
  // One write per line (or batch) so lines never mix.
  write_all(fd_, bytes);
}

std::string logger::masked(std::string& partial, std::string_view chunk) const {
  // Masking keeps lengths, so the chunk is the tail of the masked line.
  partial.append(chunk);
  std::string out =
      show_secrets_ ? std::string(chunk) : at::mask_secrets(partial).substr(partial.size() - chunk.size());
  auto end = partial.find_last_of("\r\n");
  if (end != std::string::npos) partial.erase(0, end + 1);
  if (partial.size() > 4096) partial.erase(0, partial.size() - 4096);  // bounded, like the module's line
  return out;
}

// The transcript of the line is at info level; below that nothing needs masking.
void logger::dte_in(std::string_view bytes) {
  if (!enabled(log_level::info)) return;
  auto shown = masked(partial_in_, bytes);
  log(log_level::info, "DTE -> " + escape_bytes(shown));
}

void logger::dte_out(std::string_view bytes, std::string_view dropped) {
  if (!enabled(log_level::info)) return;
  auto shown = masked(partial_out_, bytes);
  std::string text = "DTE <- " + escape_bytes(shown);
  if (!dropped.empty()) {
    text += "  (";
    text += dropped;
    text += ": dropped)";
  }
  log(log_level::info, text);
}

}  // namespace nt35e::io
