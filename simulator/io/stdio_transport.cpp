#include "io/stdio_transport.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>

namespace nt35e::io {

namespace net = boost::asio;

namespace {

// The terminal settings to put back. Global because a fatal signal handler needs
// them, and there is only one stdin.
termios saved_termios{};
volatile std::sig_atomic_t terminal_is_raw = 0;

void restore_terminal() {
  if (terminal_is_raw) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    terminal_is_raw = 0;
  }
}

extern "C" void restore_terminal_and_reraise(int sig) {
  // tcsetattr and raise are async-signal-safe; SA_RESETHAND made the action default again.
  if (terminal_is_raw) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
  ::raise(sig);
}

void install_fatal_signal_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  std::atexit(restore_terminal);
  struct sigaction sa {};
  sa.sa_handler = restore_terminal_and_reraise;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT}) ::sigaction(sig, &sa, nullptr);
}

// A descriptor for the same file as `fd`, with its own open file description where
// possible. Asio makes descriptors non-blocking, and O_NONBLOCK lives in the shared
// description: on a terminal it would leak into our stderr and into the shell after
// we exit. Terminals are reopened by name and pipes through /proc; anything else
// (regular file, socket) is dup'ed and its flags are put back in stop().
int private_descriptor(int fd, int access, int& shared_flags) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -1;
  int reopened = -1;
  if (::isatty(fd)) {
    char name[PATH_MAX];
    if (::ttyname_r(fd, name, sizeof name) == 0) reopened = ::open(name, access | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
  } else if (S_ISFIFO(st.st_mode)) {
    // O_NONBLOCK: opening a FIFO must not wait for a peer that may have exited already.
    reopened = ::open(("/proc/self/fd/" + std::to_string(fd)).c_str(), access | O_CLOEXEC | O_NONBLOCK);
  }
  if (reopened >= 0) return reopened;
  shared_flags = ::fcntl(fd, F_GETFL);
  return ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

}  // namespace

stdio_transport::stdio_transport(net::any_io_executor ex, logger& log, end_handler on_end)
    : in_(ex), out_(ex), log_(log), on_end_(std::move(on_end)) {}

stdio_transport::~stdio_transport() {
  port_ = nullptr;  // the session may already be gone
  stop();
}

void stdio_transport::start(dte_port& port) {
  port_ = &port;

  int in = private_descriptor(STDIN_FILENO, O_RDONLY, in_shared_flags_);
  if (in < 0) throw startup_error("--stdio: cannot use stdin: " + std::string(std::strerror(errno)));
  int out = private_descriptor(STDOUT_FILENO, O_WRONLY, out_shared_flags_);
  if (out < 0) {
    int err = errno;
    ::close(in);
    throw startup_error("--stdio: cannot use stdout: " + std::string(std::strerror(err)));
  }
  in_.assign(in);
  out_.assign(out);

  interactive_ = ::isatty(STDIN_FILENO) != 0;
  if (interactive_ && ::tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
    install_fatal_signal_handlers();
    termios raw = saved_termios;
    ::cfmakeraw(&raw);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
      terminal_is_raw = 1;
      raw_ = true;
      // Raw mode switched off output processing: log lines must bring their own CR.
      if (::isatty(STDERR_FILENO)) log_.set_line_end("\r\n");
    }
  }

  attached_ = true;
  port_->attach(*this);
  do_read();
}

void stdio_transport::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (port_ && attached_) port_->detach();
  attached_ = false;
  boost::system::error_code ignored;
  in_.close(ignored);
  out_.close(ignored);
  if (in_shared_flags_ >= 0) ::fcntl(STDIN_FILENO, F_SETFL, in_shared_flags_);
  if (out_shared_flags_ >= 0) ::fcntl(STDOUT_FILENO, F_SETFL, out_shared_flags_);
  if (raw_) {
    restore_terminal();
    raw_ = false;
    log_.set_line_end("\n");
  }
}

void stdio_transport::async_write(net::const_buffer bytes, write_handler done) {
  net::async_write(out_, bytes, [this, done = std::move(done)](const boost::system::error_code& ec, std::size_t) {
    if (ec && ec != net::error::operation_aborted && !stopped_) {
      // EPIPE and friends: nobody reads our answers any more.
      log_.log(log_level::info, "stdout closed: " + ec.message());
      if (port_ && attached_) port_->detach();
      attached_ = false;
      end(end_reason::output_closed);
    }
    done(ec);
  });
}

void stdio_transport::do_read() {
  in_.async_read_some(net::buffer(buffer_), [this](const boost::system::error_code& ec, std::size_t n) {
    if (ec == net::error::operation_aborted) return;
    on_read(ec, n);
  });
}

void stdio_transport::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (stopped_ || ended_) return;
  if (ec) {
    if (ec != net::error::eof) log_.log(log_level::debug, "stdin: " + ec.message());
    end(end_reason::input_closed);
    return;
  }
  std::string_view bytes(buffer_.data(), n);
  if (interactive_) {
    if (auto quit = bytes.find(quit_byte); quit != std::string_view::npos) {
      port_->receive(bytes.substr(0, quit));
      end(end_reason::quit_key);
      return;
    }
  }
  port_->receive(bytes);
  do_read();
}

void stdio_transport::end(end_reason why) {
  if (ended_) return;
  ended_ = true;
  if (on_end_) on_end_(why);
}

}  // namespace nt35e::io
