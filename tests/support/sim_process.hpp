#pragma once
// Runs the real nt35e-sim binary for end-to-end tests and talks to it as a DTE
// would: over its pseudo-terminal, a TCP socket or its stdin/stdout.
//
// Every wait is bounded by a poll() timeout; nothing sleeps on the hope that the
// simulator is done. Failures carry the simulator's stderr so a red test explains
// itself.
//
// Thread safety: none; one test thread uses each object.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nt35e::test {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// Bytes with \r, \n and non-printables escaped, for assertion messages.
std::string printable(std::string_view bytes);

/// How to start the simulator.
struct launch_options {
  /// Give the simulator a pipe as stdin (for --stdio) instead of /dev/null.
  bool pipe_stdin = false;
  /// The ready line is on stderr (--stdio) instead of stdout.
  bool ready_on_stderr = false;
  /// The open-file limit, soft and hard, set by running the binary under prlimit(1)
  /// (util-linux), which then becomes it (same pid); 0 keeps the test's own limit.
  unsigned open_files = 0;
};

/// One running simulator. The destructor stops it (SIGTERM, then SIGKILL).
class sim_process {
 public:
  /// Starts the binary with `args`; throws std::runtime_error if it cannot be spawned.
  explicit sim_process(std::vector<std::string> args, launch_options how = {});
  ~sim_process();
  sim_process(const sim_process&) = delete;
  sim_process& operator=(const sim_process&) = delete;

  /// Waits for the "ready:" line; false if it did not come in time or the process died.
  bool wait_ready(milliseconds timeout = 10s);
  /// The ready line without its line end ("ready: tcp 127.0.0.1:40123").
  const std::string& ready_line() const { return ready_line_; }
  /// What wait_ready() read of stdout: the ready line and the lines printed with it
  /// (how to connect, the boot note), which the simulator writes in one piece.
  const std::string& stdout_seen() const { return stdout_seen_; }
  /// From "ready: pty /dev/pts/N link PATH": the slave and the link.
  std::string pty_slave() const;
  std::string pty_link() const;
  /// From "ready: tcp ADDR:PORT": the port (0 if not a TCP ready line).
  int tcp_port() const;

  /// Waits until the simulator's stderr contains `text` (e.g. a log line) at least
  /// `times` times; false on timeout.
  bool wait_stderr(std::string_view text, milliseconds timeout = 5s, std::size_t times = 1) const;
  /// How often `text` occurs in stderr so far.
  std::size_t stderr_count(std::string_view text) const;
  /// Everything the simulator wrote to stderr so far.
  std::string stderr_text() const;
  /// "nt35e-sim stderr:\n..." for assertion messages.
  std::string diagnostics() const;

  /// Write end of the simulator's stdin (pipe_stdin), read end of its stdout; -1 if not ours.
  int stdin_fd() const { return stdin_fd_; }
  int stdout_fd() const { return stdout_fd_; }
  /// Hands the stdin/stdout pipes over (to a dte_client); they are then not closed here.
  void release_stdio() { stdin_fd_ = stdout_fd_ = -1; }

  /// Sends a signal.
  void signal(int signo) const;
  /// Waits for the process to exit on its own: its exit status, or 128+signal; nothing on timeout.
  std::optional<int> wait_exit(milliseconds timeout);
  /// SIGTERM, wait up to `bound`, then SIGKILL; returns the exit status as wait_exit.
  int stop(milliseconds bound = 5s);

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;  ///< a memfd the child appends to; read with pread
  bool ready_on_stderr_ = false;
  std::string stdout_seen_;
  std::string ready_line_;
};

/// What a short run printed (for --help, --version, bad options).
struct sim_run_result {
  int status = -1;  ///< exit status, 128+signal, or -1 on timeout (then killed)
  std::string out;
  std::string err;
};

/// Runs the binary to completion with stdin from /dev/null.
sim_run_result run_sim(std::vector<std::string> args, milliseconds timeout = 10s);

/// The DTE side of a line: a PTY slave, a TCP socket or a pair of pipes.
class dte_client {
 public:
  /// Opens a PTY slave (or the link to it) read/write, leaving its settings alone.
  static dte_client open_pty(const std::string& path);
  /// Connects to 127.0.0.1:port (or another numeric host).
  static dte_client connect_tcp(int port, const std::string& host = "127.0.0.1");

  /// Takes ownership of the descriptors (they may be the same one).
  dte_client(int read_fd, int write_fd);
  ~dte_client();
  dte_client(dte_client&& other) noexcept;
  dte_client& operator=(dte_client&& other) noexcept;
  dte_client(const dte_client&) = delete;
  dte_client& operator=(const dte_client&) = delete;

  /// Writes all bytes (bounded); false if the line is gone or it timed out.
  bool send(std::string_view bytes, milliseconds timeout = 2s);
  /// Reads until `needle` has arrived; returns everything up to and including it.
  /// On timeout or end of stream returns whatever arrived (without the needle).
  std::string read_until(std::string_view needle, milliseconds timeout = 3s);
  /// Reads for `d` and returns everything that arrived.
  std::string read_for(milliseconds d);
  /// True once the other end has closed (read gave 0 or EIO).
  bool at_eof() const { return eof_; }
  /// Closes the writing side only (pipes: the simulator sees end of input).
  void close_write();
  /// Closes everything.
  void close();
  int read_fd() const { return read_fd_; }

 private:
  /// Reads once, waiting at most `timeout`; false on timeout or end of stream.
  bool fill(milliseconds timeout);

  int read_fd_ = -1;
  int write_fd_ = -1;
  bool eof_ = false;
  std::string pending_;
};

}  // namespace nt35e::test
