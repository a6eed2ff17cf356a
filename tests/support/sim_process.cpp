#include "support/sim_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <utility>

#ifndef NT35E_SIM_BINARY
#error "define NT35E_SIM_BINARY as the path of the nt35e-sim binary"
#endif

extern char** environ;

namespace nt35e::test {

namespace {

using clock = std::chrono::steady_clock;

// A test that writes to a simulator which already exited must fail its assertion,
// not die of SIGPIPE.
[[maybe_unused]] const bool sigpipe_ignored = (std::signal(SIGPIPE, SIG_IGN), true);

int remaining_ms(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

/// The bounded pause between two looks at something we cannot poll() (stderr file, child exit).
void poll_pause() { ::poll(nullptr, 0, 10); }

std::runtime_error system_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

/// Finds a complete line starting with "ready:" in `text`; sets `line` without its end.
bool find_ready_line(const std::string& text, std::string& line) {
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) return false;
    std::string candidate = text.substr(at, end - at);
    if (!candidate.empty() && candidate.back() == '\r') candidate.pop_back();
    if (candidate.rfind("ready:", 0) == 0) {
      line = candidate;
      return true;
    }
    at = end + 1;
  }
  return false;
}

}  // namespace

std::string printable(std::string_view bytes) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\\')
      out += "\\\\";
    else if (c >= 0x20 && c < 0x7F)
      out += ch;
    else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------
// sim_process

sim_process::sim_process(std::vector<std::string> args, launch_options how) : ready_on_stderr_(how.ready_on_stderr) {
  int out_pipe[2] = {-1, -1};
  int in_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw system_error("pipe");
  if (how.pipe_stdin && ::pipe2(in_pipe, O_CLOEXEC) != 0) throw system_error("pipe");
  // stderr goes to an in-memory file: it never fills up and blocks the simulator,
  // and can be read at any time for a failure message.
  stderr_fd_ = ::memfd_create("nt35e-sim-stderr", MFD_CLOEXEC);
  if (stderr_fd_ < 0) throw system_error("memfd_create");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (how.pipe_stdin)
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  else
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd_, STDERR_FILENO);

  // Default signal handling in the child, whatever the test runner set up for itself.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) sigaddset(&defaults, s);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::string binary = NT35E_SIM_BINARY;
  std::vector<char*> argv;
  std::string prlimit = "/usr/bin/prlimit",
              limit = "--nofile=" + std::to_string(how.open_files) + ":" + std::to_string(how.open_files),
              end_of_options = "--";
  if (how.open_files > 0) {
    argv.push_back(prlimit.data());
    argv.push_back(limit.data());
    argv.push_back(end_of_options.data());
  }
  argv.push_back(binary.data());
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int rc = ::posix_spawn(&pid_, argv.front(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out_pipe[1]);
  if (how.pipe_stdin) ::close(in_pipe[0]);
  stdout_fd_ = out_pipe[0];
  stdin_fd_ = how.pipe_stdin ? in_pipe[1] : -1;
  if (rc != 0) {
    pid_ = -1;
    errno = rc;
    throw system_error("cannot start " + binary);
  }
}

sim_process::~sim_process() {
  if (pid_ > 0) stop();
  for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_})
    if (fd >= 0) ::close(fd);
}

bool sim_process::wait_ready(milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  for (;;) {
    if (ready_on_stderr_) {
      if (find_ready_line(stderr_text(), ready_line_)) return true;
      if (wait_exit(0ms)) return false;
      if (clock::now() >= deadline) return false;
      poll_pause();
      continue;
    }
    if (find_ready_line(stdout_seen_, ready_line_)) return true;
    pollfd p{stdout_fd_, POLLIN, 0};
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    char buf[1024];
    ssize_t got = ::read(stdout_fd_, buf, sizeof buf);
    if (got <= 0) return false;  // stdout closed: the simulator is gone
    stdout_seen_.append(buf, static_cast<std::size_t>(got));
  }
}

std::string sim_process::pty_slave() const {
  // "ready: pty /dev/pts/N link PATH"
  const std::string head = "ready: pty ";
  if (ready_line_.rfind(head, 0) != 0) return {};
  auto end = ready_line_.find(' ', head.size());
  return ready_line_.substr(head.size(), end == std::string::npos ? std::string::npos : end - head.size());
}

std::string sim_process::pty_link() const {
  auto at = ready_line_.find(" link ");
  return at == std::string::npos ? std::string() : ready_line_.substr(at + 6);
}

int sim_process::tcp_port() const {
  if (ready_line_.rfind("ready: tcp ", 0) != 0) return 0;
  auto colon = ready_line_.rfind(':');
  return std::stoi(ready_line_.substr(colon + 1));
}

std::string sim_process::stderr_text() const {
  struct stat st {};
  if (stderr_fd_ < 0 || ::fstat(stderr_fd_, &st) != 0) return {};
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  ssize_t n = ::pread(stderr_fd_, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return text;
}

std::size_t sim_process::stderr_count(std::string_view text) const {
  auto all = stderr_text();
  std::size_t n = 0;
  for (auto at = all.find(text); at != std::string::npos; at = all.find(text, at + text.size())) ++n;
  return n;
}

bool sim_process::wait_stderr(std::string_view text, milliseconds timeout, std::size_t times) const {
  auto deadline = clock::now() + timeout;
  for (;;) {
    if (stderr_count(text) >= times) return true;
    if (clock::now() >= deadline) return false;
    poll_pause();
  }
}

std::string sim_process::diagnostics() const {
  std::string d = "nt35e-sim stderr:\n" + stderr_text();
  if (!stdout_seen_.empty()) d += "\nnt35e-sim stdout:\n" + stdout_seen_;
  return d;
}

void sim_process::signal(int signo) const {
  if (pid_ > 0 && !status_) ::kill(pid_, signo);
}

std::optional<int> sim_process::wait_exit(milliseconds timeout) {
  if (status_) return status_;
  if (pid_ <= 0) return std::nullopt;
  auto deadline = clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = decode_status(status);
      return status_;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (clock::now() >= deadline) return std::nullopt;
    poll_pause();
  }
}

int sim_process::stop(milliseconds bound) {
  if (pid_ <= 0) return -1;
  if (status_) return *status_;
  signal(SIGTERM);
  if (auto s = wait_exit(bound)) return *s;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
  status_ = decode_status(status);
  return *status_;
}

sim_run_result run_sim(std::vector<std::string> args, milliseconds timeout) {
  sim_process sim(std::move(args));
  sim_run_result r;
  auto deadline = clock::now() + timeout;
  // Read stdout to its end (so a long --help never blocks the child), then reap.
  for (;;) {
    pollfd p{sim.stdout_fd(), POLLIN, 0};
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    char buf[4096];
    ssize_t got = ::read(sim.stdout_fd(), buf, sizeof buf);
    if (got <= 0) break;
    r.out.append(buf, static_cast<std::size_t>(got));
  }
  auto status = sim.wait_exit(milliseconds(remaining_ms(deadline)));
  r.status = status ? *status : -1;
  if (!status) sim.stop(100ms);
  r.err = sim.stderr_text();
  return r;
}

// ---------------------------------------------------------------------------
// dte_client

dte_client dte_client::open_pty(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw system_error("cannot open " + path);
  return dte_client(fd, fd);
}

dte_client dte_client::connect_tcp(int port, const std::string& host) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
  } else {
    throw std::runtime_error("not a numeric address: " + host);
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw system_error("socket");
  // Loopback connects complete at once; a blocking connect is bounded in practice.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    auto e = system_error("cannot connect to " + host + ":" + std::to_string(port));
    ::close(fd);
    throw e;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return dte_client(fd, fd);
}

dte_client::dte_client(int read_fd, int write_fd) : read_fd_(read_fd), write_fd_(write_fd) {
  for (int fd : {read_fd_, write_fd_})
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

dte_client::~dte_client() { close(); }

dte_client::dte_client(dte_client&& other) noexcept
    : read_fd_(std::exchange(other.read_fd_, -1)),
      write_fd_(std::exchange(other.write_fd_, -1)),
      eof_(other.eof_),
      pending_(std::move(other.pending_)) {}

dte_client& dte_client::operator=(dte_client&& other) noexcept {
  if (this != &other) {
    close();
    read_fd_ = std::exchange(other.read_fd_, -1);
    write_fd_ = std::exchange(other.write_fd_, -1);
    eof_ = other.eof_;
    pending_ = std::move(other.pending_);
  }
  return *this;
}

bool dte_client::send(std::string_view bytes, milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  while (!bytes.empty()) {
    if (write_fd_ < 0) return false;
    ssize_t n = ::write(write_fd_, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{write_fd_, POLLOUT, 0};
      if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
      continue;
    }
    return false;  // EPIPE, ECONNRESET, EIO: the line is gone
  }
  return true;
}

bool dte_client::fill(milliseconds timeout) {
  if (read_fd_ < 0 || eof_) return false;
  pollfd p{read_fd_, POLLIN, 0};
  int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) return false;
  char buf[4096];
  ssize_t got = ::read(read_fd_, buf, sizeof buf);
  if (got > 0) {
    pending_.append(buf, static_cast<std::size_t>(got));
    return true;
  }
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
  eof_ = true;  // 0, EIO (PTY master gone), ECONNRESET
  return false;
}

std::string dte_client::read_until(std::string_view needle, milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  for (;;) {
    if (auto at = pending_.find(needle); at != std::string::npos) {
      std::string out = pending_.substr(0, at + needle.size());
      pending_.erase(0, at + needle.size());
      return out;
    }
    if (eof_ || clock::now() >= deadline) return std::exchange(pending_, {});
    fill(milliseconds(remaining_ms(deadline)));
  }
}

std::string dte_client::read_for(milliseconds d) {
  auto deadline = clock::now() + d;
  while (!eof_ && clock::now() < deadline) fill(milliseconds(remaining_ms(deadline)));
  return std::exchange(pending_, {});
}

void dte_client::close_write() {
  if (write_fd_ < 0) return;
  if (write_fd_ == read_fd_)
    ::shutdown(write_fd_, SHUT_WR);
  else
    ::close(write_fd_);
  write_fd_ = -1;
}

void dte_client::close() {
  if (read_fd_ >= 0) ::close(read_fd_);
  if (write_fd_ >= 0 && write_fd_ != read_fd_) ::close(write_fd_);
  read_fd_ = write_fd_ = -1;
}

}  // namespace nt35e::test
