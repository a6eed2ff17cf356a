#include "io/log_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>

#include <unistd.h>

namespace nt35e::io {
namespace {

void write_all(int fd, std::string_view bytes) {
  // A short or failed write to stderr is not worth failing the simulator for.
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

/// "HH:MM:SS.mmm", as the logger stamps its lines.
std::string clock_text() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const auto t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[16];
  std::snprintf(text, sizeof text, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

}  // namespace

log_writer& log_writer::standard_error() {
  // A function-local static: made on first use, destroyed (drained) at exit after main's
  // objects, whose loggers may still log while they go.
  static log_writer writer(2);
  return writer;
}

log_writer::log_writer(int fd) : state_(std::make_shared<state>()) {
  state_->fd = fd;
  thread_ = std::thread([s = state_] { run(s); });
}

log_writer::~log_writer() {
  bool ended = false;
  {
    std::unique_lock lock(state_->mutex);
    state_->stop = true;
    state_->wake.notify_one();
    ended = state_->written.wait_for(lock, patience, [&] { return state_->ended; });
  }
  // A reader that never reads keeps the thread in write(2): leave it there (it owns its
  // state) rather than keep the process from ending.
  if (ended)
    thread_.join();
  else
    thread_.detach();
}

void log_writer::append(std::string_view lines) {
  if (lines.empty()) return;
  auto& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.waiting.size() + lines.size() > max_buffered) {
    const auto n = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n')));
    s.dropped_lines += n;
    s.unreported_lines += n;
    s.unreported_bytes += lines.size();
    return;
  }
  s.waiting.append(lines);
  ++s.appended;
  if (s.idle) {
    s.idle = false;
    s.wake.notify_one();
  }
}

void log_writer::drain() {
  if (std::this_thread::get_id() == thread_.get_id()) return;
  auto& s = *state_;
  std::unique_lock lock(s.mutex);
  const auto target = s.appended;
  if (s.written_count >= target) return;
  s.hurry = true;
  s.wake.notify_one();
  s.written.wait_for(lock, patience, [&] { return s.written_count >= target || s.ended; });
}

std::uint64_t log_writer::dropped_lines() const {
  std::lock_guard lock(state_->mutex);
  return state_->dropped_lines;
}

void log_writer::run(const std::shared_ptr<state>& sp) {
  auto& s = *sp;
  std::unique_lock lock(s.mutex);
  std::string out;
  for (;;) {
    s.idle = true;
    s.wake.wait(lock, [&] { return s.stop || s.hurry || !s.waiting.empty() || s.unreported_lines > 0; });
    s.idle = false;
    // Let the lines of the next millisecond join these (appends meanwhile do not wake us).
    if (!s.stop && !s.hurry) s.wake.wait_for(lock, gather, [&] { return s.stop || s.hurry; });
    s.hurry = false;
    out.clear();
    out.swap(s.waiting);
    const auto done = s.appended;
    if (s.unreported_lines > 0) {
      // Said after the lines that were waiting: the dropped ones came after those.
      out += clock_text() + " [warn] " + std::to_string(s.unreported_lines) + " transcript line(s) (" +
             std::to_string(s.unreported_bytes) + " bytes) were dropped: stderr was not being read\n";
      s.unreported_lines = s.unreported_bytes = 0;
    }
    if (!out.empty()) {
      lock.unlock();
      write_all(s.fd, out);
      lock.lock();
    }
    s.written_count = done;
    if (s.stop && s.waiting.empty() && s.unreported_lines == 0) {
      s.ended = true;
      s.written.notify_all();
      return;
    }
    s.written.notify_all();
  }
}

}  // namespace nt35e::io
