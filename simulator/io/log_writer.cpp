#include "io/log_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nt35e::io {
namespace {

/// A pipe takes a write of up to a page without waiting once poll says it is writable.
constexpr std::size_t ready_chunk = 4096;

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
  struct stat st {};
  state_->regular_file = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
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

std::size_t log_writer::write_ready(const state& s, std::string_view bytes) {
  if (s.regular_file) {
    write_all(s.fd, bytes);
    return bytes.size();
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    pollfd p{s.fd, POLLOUT, 0};
    const int r = ::poll(&p, 1, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (p.revents & (POLLERR | POLLNVAL))) return bytes.size();  // nobody to write to
    if (!(p.revents & POLLOUT)) break;                                     // full: the thread waits for it
    const auto piece = bytes.substr(done, ready_chunk);
    const ssize_t n = ::write(s.fd, piece.data(), piece.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return bytes.size();
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void log_writer::append(std::string_view lines) {
  if (lines.empty()) return;
  auto& s = *state_;
  std::lock_guard lock(s.mutex);
  if (!s.writing && s.waiting.empty() && s.unreported_lines == 0) {
    // Nothing before these: write them now, as far as the reader takes them.
    lines.remove_prefix(write_ready(s, lines));
    if (lines.empty()) return;
  }
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
    s.wake.wait(lock, [&] { return s.stop || !s.waiting.empty() || s.unreported_lines > 0; });
    s.idle = false;
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
      s.writing = true;
      lock.unlock();
      write_all(s.fd, out);
      lock.lock();
      s.writing = false;
    }
    s.written_count = done;
    s.written.notify_all();
    if (s.stop && s.waiting.empty() && s.unreported_lines == 0) {
      s.ended = true;
      s.written.notify_all();
      return;
    }
  }
}

void write_all(int fd, std::string_view bytes) {
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

}  // namespace nt35e::io
