#pragma once
// The transcript's way to stderr, which whoever reads stderr can never use to stop a modem.
//
// Why: the logger used to write(2) each modem call's lines on the modem's own thread.
// A reader that does not keep up (a harness that captures stderr and reads only stdout,
// `nt35e-sim 2>&1 | less` left on one page) filled the pipe's 64 KiB and then blocked
// that thread in write(2): the module stopped answering its DTE after a few dozen
// commands, every modem of a fleet with it, and SIGTERM could not end it.
//
// Now: while the descriptor takes the lines at once (poll says it can, and nothing is
// queued before them), append() writes them on the caller's thread as before, so a line is
// on stderr by the time the answer it logs reaches the DTE (test harnesses read the
// transcript right after an answer). When it cannot, the lines wait in a buffer that a
// thread of this writer empties with blocking writes; later lines queue behind them, in
// order. Past `max_buffered` bytes waiting, further lines are dropped and counted, and the
// writer says how many once the reader catches up, as the session does for a DTE that
// stops reading (its output queue).
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
  /// How long drain() and the destructor wait for a reader that does not read: then the
  /// caller goes on (and at exit the process ends without the unwritten lines).
  static constexpr std::chrono::seconds patience{1};

  /// The writer of file descriptor 2, started on first use and drained at exit.
  static log_writer& standard_error();

  explicit log_writer(int fd);
  ~log_writer();  ///< writes what is waiting (within `patience`), then stops the thread
  log_writer(const log_writer&) = delete;
  log_writer& operator=(const log_writer&) = delete;

  /// Writes whole lines now if the descriptor takes them without waiting, else queues
  /// them; never blocks on the reader. Over `max_buffered` waiting they are dropped.
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
    bool regular_file = false;  ///< a write never waits for a reader: no poll needed
    std::mutex mutex;
    std::condition_variable wake;     ///< lines arrived, a drain was asked, or stop
    std::condition_variable written;  ///< a batch left (or the thread ended)
    std::string waiting;
    std::uint64_t appended = 0;  ///< appends accepted so far (drain's target)
    std::uint64_t written_count = 0;
    std::uint64_t dropped_lines = 0;
    std::uint64_t unreported_lines = 0, unreported_bytes = 0;
    bool idle = false;     ///< the writer waits for lines (an append must wake it)
    bool writing = false;  ///< the writer is in write(2) with lines taken from `waiting`
    bool stop = false;
    bool ended = false;  ///< the thread returned
  };
  static void run(const std::shared_ptr<state>& s);
  /// Writes from `bytes` what the descriptor takes without waiting; how much that was
  /// (all of it also when the write fails: such lines are lost, as before, not retried).
  static std::size_t write_ready(const state& s, std::string_view bytes);

  std::shared_ptr<state> state_;
  std::thread thread_;
};

/// Writes all of `bytes` to `fd`, one write(2) when it takes them; a failed write ends it
/// quietly (a log that cannot be written is not worth failing the simulator for).
void write_all(int fd, std::string_view bytes);

}  // namespace nt35e::io
