#pragma once
// The transcript's way to stderr: a thread of its own, so that whoever reads stderr can
// never stop a modem.
//
// Why: the logger used to write(2) each modem call's lines on the modem's own thread.
// A reader that does not keep up (a harness that captures stderr and reads only stdout,
// `nt35e-sim 2>&1 | less` left on one page) filled the pipe's 64 KiB and then blocked
// that thread in write(2): the module stopped answering its DTE after a few hundred
// commands (measured: 485 AT+CSQ), and in a fleet every modem stopped. Now a modem only
// appends to a buffer here; the writer thread writes it out. Past `max_buffered` bytes
// waiting, further lines are dropped and counted, and the writer says how many once the
// reader catches up, as the session does for a DTE that stops reading (its output queue).
//
// The writer also gathers what comes within `gather` of the first line into one write:
// a burst of incoming messages costs one write(2) a millisecond, not one per message.
//
// Thread safety: every member may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace nt35e::io {

class log_writer {
 public:
  /// Bytes waiting to be written past which new lines are dropped (counted, then said).
  static constexpr std::size_t max_buffered = 4 * 1024 * 1024;
  /// How long the writer waits after the first line for more to write with it.
  static constexpr std::chrono::microseconds gather{1000};
  /// How long drain() and the destructor wait for a reader that does not read: then the
  /// caller goes on (and at exit the process ends without the unwritten lines).
  static constexpr std::chrono::seconds patience{1};

  /// The writer of file descriptor 2, started on first use and drained at exit.
  static log_writer& standard_error();

  explicit log_writer(int fd);
  ~log_writer();  ///< writes what is waiting (within `patience`), then stops the thread
  log_writer(const log_writer&) = delete;
  log_writer& operator=(const log_writer&) = delete;

  /// Queues whole lines; never blocks on the reader. Over `max_buffered` they are dropped.
  void append(std::string_view lines);
  /// Returns once everything appended before the call is written (or dropped), or after
  /// `patience` if the reader does not read.
  void drain();

  /// Lines dropped since the start (also those already reported).
  [[nodiscard]] std::uint64_t dropped_lines() const;

 private:
  /// Shared with the thread, which keeps it alive if it has to be left blocked at exit.
  struct state {
    int fd;
    std::mutex mutex;
    std::condition_variable wake;     ///< lines arrived, a drain was asked, or stop
    std::condition_variable written;  ///< a batch left (or the thread ended)
    std::string waiting;
    std::uint64_t appended = 0;  ///< appends accepted so far (drain's target)
    std::uint64_t written_count = 0;
    std::uint64_t dropped_lines = 0;
    std::uint64_t unreported_lines = 0, unreported_bytes = 0;
    bool idle = false;   ///< the writer waits for lines (an append must wake it)
    bool hurry = false;  ///< a drain waits: no gathering
    bool stop = false;
    bool ended = false;  ///< the thread returned
  };
  static void run(const std::shared_ptr<state>& s);

  std::shared_ptr<state> state_;
  std::thread thread_;
};

}  // namespace nt35e::io
