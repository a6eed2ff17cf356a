#include "io/pty_transport.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>

#include "io/fair_scheduler.hpp"

// How a DTE's comings and goings are seen.
//
// The usual trick is to keep a slave fd open in the simulator so the master never
// reads EIO. We deliberately do not: with our own fd open the DTE's close is
// invisible, our output piles up in the slave's input queue and the next DTE reads
// it stale, and a DTE that resets the line to cooked mode would make the slave echo
// our own output back at us. Instead the master reads EIO exactly while no DTE has
// the slave open; then we poll (every poll_interval) until reading gives EAGAIN or
// data, which means a DTE is there again.
//
// Linux details this relies on (checked on 6.x):
//  * a slave that was never opened reads EAGAIN on the master, not EIO, so start()
//    opens and closes the slave once (it sets raw mode then anyway);
//  * bytes the DTE wrote just before closing are read before the EIO;
//  * termios set through the master applies to the slave and survives reopening;
//  * bytes written to the master while no slave is open wait in the slave's input
//    queue for the next DTE, so dte_gone() discards them through a short open of
//    the slave (a flush on the master only reaches bytes not yet in that queue).

// Who holds a link. A lock file beside it (PATH.lock) is flock()ed exclusively for as
// long as the simulator serves the link, and holds its pid as text for the message.
// The kernel drops a flock when its holder dies in any way (even SIGKILL), so "locked"
// means "a live process serves this link" without trusting a pid that may have been
// reused, and a link left by a crash (its lock free) is replaced as before. The lock
// file is removed on a clean stop while still locked; a starter that opened it just
// before then locks a file no longer in the directory, sees that (its inode is not the
// path's) and opens again. A link without a lock file (an older simulator) is stale.

namespace nt35e::io {

namespace net = boost::asio;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

/// True when the line would translate or echo bytes, i.e. a DTE left it cooked.
bool is_cooked(const termios& t) {
  return (t.c_lflag & (ICANON | ECHO | ECHONL | ISIG | IEXTEN)) != 0 ||
         (t.c_iflag & (ICRNL | INLCR | IGNCR | ISTRIP | IXON | BRKINT | PARMRK)) != 0 || (t.c_oflag & OPOST) != 0;
}

/// The pid a lock file names, or "" when it names none (yet).
std::string lock_owner(int fd) {
  char text[32] = {};
  ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string pid;
  for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; ++i) pid += text[i];
  return pid;
}

/// "0660"
std::string octal(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode);
  return text;
}

}  // namespace

pty_transport::pty_transport(net::any_io_executor ex, std::string link_path, logger& log, pty_access access)
    : master_(ex),
      poll_timer_(ex),
      line_ex_(dte_line(ex)),
      link_path_(std::move(link_path)),
      log_(log),
      access_(std::move(access)) {}

pty_transport::~pty_transport() {
  // Without an explicit stop() the session may already be gone: do not call it.
  port_ = nullptr;
  stop();
}

void pty_transport::start(dte_port& port) {
  port_ = &port;
  struct stat st {};
  if (::lstat(link_path_.c_str(), &st) == 0 && !S_ISLNK(st.st_mode))
    throw startup_error("--pty " + link_path_ +
                        ": that path exists and is not a symbolic link; remove it or choose another path");
  claim_link();

  int fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) throw startup_error("cannot create a pseudo-terminal: " + errno_text(errno));
  char name[PATH_MAX];
  if (::grantpt(fd) != 0 || ::unlockpt(fd) != 0 || ::ptsname_r(fd, name, sizeof name) != 0) {
    int err = errno;
    ::close(fd);
    throw startup_error("cannot set up the pseudo-terminal: " + errno_text(err));
  }
  slave_path_ = name;
  try {
    apply_access(name);
  } catch (...) {
    ::close(fd);
    throw;
  }

  // Open the slave once: sets the line raw before any DTE sees it, and afterwards the
  // master reads EIO until a DTE opens it (see the note at the top).
  int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    int err = errno;
    ::close(fd);
    throw startup_error("cannot open " + slave_path_ + ": " + errno_text(err));
  }
  make_raw(slave);
  ::close(slave);

  master_.assign(fd);
  master_.non_blocking(true);
  make_link();
  std::string access;
  if (access_.mode) access += ", mode " + octal(*access_.mode);
  if (access_.group) access += ", group " + access_.group_name;
  log_.log(log_level::info, "pty " + slave_path_ + " ready, link " + link_path_ + access);
  wait_for_dte();
}

std::string pty_transport::ready_text() const { return "pty " + slave_path_ + " link " + link_path_; }

void pty_transport::stop() {
  if (stopped_) return;
  stopped_ = true;
  poll_timer_.cancel();
  if (attached_ && port_) port_->detach();
  attached_ = false;
  boost::system::error_code ignored;
  master_.close(ignored);
  remove_link();
  release_link();
}

void pty_transport::claim_link() {
  const std::string lock = lock_path();
  // A few tries: each retry means the previous holder removed the file meanwhile.
  for (int attempt = 0; attempt < 5; ++attempt) {
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    // Another user's lock file in a sticky /tmp: locking needs only reading it.
    if (fd < 0 && (errno == EACCES || errno == EPERM)) fd = ::open(lock.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      throw startup_error("--pty " + link_path_ + ": cannot open the lock file " + lock + ": " + errno_text(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string owner = lock_owner(fd);
      ::close(fd);
      if (err == EWOULDBLOCK)
        throw startup_error("--pty " + link_path_ + ": the link is live, owned by " +
                                (owner.empty() ? std::string("another running process") : "process " + owner) +
                                " (see " + lock + "); stop that simulator or choose another path",
                            2);
      throw startup_error("--pty " + link_path_ + ": cannot lock " + lock + ": " + errno_text(err));
    }
    struct stat held {
    }, named{};
    if (::fstat(fd, &held) == 0 && ::stat(lock.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      lock_fd_ = fd;
      const std::string pid = std::to_string(::getpid()) + "\n";
      // A read-only lock file (another user's) still locks; a second starter's message
      // then names no pid.
      [[maybe_unused]] const bool named =
          ::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size());
      return;
    }
    ::close(fd);
  }
  throw startup_error("--pty " + link_path_ + ": cannot lock " + lock + ": it keeps being replaced");
}

void pty_transport::release_link() {
  if (lock_fd_ < 0) return;
  // Removed while still locked, so nobody can lock this file and think it names the link.
  ::unlink(lock_path().c_str());
  ::close(lock_fd_);
  lock_fd_ = -1;
}

void pty_transport::apply_access(const char* slave) {
  if (access_.group && ::chown(slave, static_cast<uid_t>(-1), static_cast<gid_t>(*access_.group)) != 0)
    throw startup_error("--pty-group " + access_.group_name + ": cannot give " + slave + " to that group: " +
                        errno_text(errno) + " (a user who is not root may only choose a group of their own)");
  if (access_.mode && ::chmod(slave, static_cast<mode_t>(*access_.mode)) != 0)
    throw startup_error("--pty-mode " + octal(*access_.mode) + ": cannot change the mode of " + slave + ": " +
                        errno_text(errno));
}

void pty_transport::make_raw(int fd) {
  termios t{};
  if (::tcgetattr(fd, &t) != 0) return;
  // No translation, no echo, no signals: the module sees exactly the DTE's bytes.
  ::cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  // The baud rate means nothing on a PTY, but DTE programs read it; 115200 is the module's default.
  ::cfsetispeed(&t, B115200);
  ::cfsetospeed(&t, B115200);
  ::tcsetattr(fd, TCSANOW, &t);
}

void pty_transport::make_link() {
  // Create the link under a temporary name and rename it over the old one, so a
  // DTE never finds the path missing or half made.
  std::string tmp = link_path_ + ".tmp" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  if (::symlink(slave_path_.c_str(), tmp.c_str()) != 0)
    throw startup_error("--pty " + link_path_ + ": cannot create the link: " + errno_text(errno));
  if (::rename(tmp.c_str(), link_path_.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw startup_error("--pty " + link_path_ + ": cannot create the link: " + errno_text(err));
  }
  link_made_ = true;
}

void pty_transport::remove_link() {
  if (!link_made_) return;
  link_made_ = false;
  // Another simulator may have taken the path over since; leave its link alone.
  char target[PATH_MAX];
  ssize_t n = ::readlink(link_path_.c_str(), target, sizeof target - 1);
  if (n < 0) return;
  target[n] = '\0';
  if (slave_path_ == target) ::unlink(link_path_.c_str());
}

void pty_transport::async_write(net::const_buffer bytes, write_handler done) {
  keep_raw(false);
  net::async_write(master_, bytes,
                   net::bind_executor(line_ex_, [done = std::move(done)](const boost::system::error_code& ec,
                                                                         std::size_t) { done(ec); }));
}

void pty_transport::wait_for_dte() {
  if (stopped_) return;
  poll_timer_.expires_after(poll_interval);
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == net::error::operation_aborted) return;
    on_poll(ec);
  });
}

void pty_transport::on_poll(const boost::system::error_code& ec) {
  if (ec || stopped_) return;
  // A non-blocking read tells the two cases apart: EIO = still nobody, anything else = a DTE.
  ssize_t n = ::read(master_.native_handle(), buffer_.data(), buffer_.size());
  if (n > 0) {
    attach_dte();
    port_->receive(std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
    if (attached_) do_read();
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    attach_dte();
    do_read();
    return;
  }
  if (n < 0 && errno != EIO && errno != EINTR)
    log_.log(log_level::warn, "reading the pty master failed: " + errno_text(errno));
  wait_for_dte();
}

void pty_transport::keep_raw(bool always) {
  // An answer is usually written within microseconds of the read that checked the
  // line; a second look then costs a syscall on every round trip and finds nothing new.
  auto now = std::chrono::steady_clock::now();
  if (!always && now - raw_checked_ < std::chrono::milliseconds(1)) return;
  raw_checked_ = now;
  int fd = master_.native_handle();
  termios t{};
  if (::tcgetattr(fd, &t) != 0 || !is_cooked(t)) return;
  // A DTE left (or set) the line cooked: the slave would echo our output back to
  // us as input and turn CR into LF. Checked before every read is handled and every
  // write, since a DTE may close and reopen faster than we notice.
  log_.log(log_level::info, "the line " + slave_path_ + " was set to cooked mode; making it raw again");
  make_raw(fd);
}

void pty_transport::discard_stale_output() {
  // What we wrote just before the DTE left already sits in the slave's input queue,
  // out of reach of a flush on the master; a short open of the slave reaches it.
  // (The master reads EIO again once we close it.)
  int fd = ::open(slave_path_.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  ::tcflush(fd, TCIFLUSH);
  ::close(fd);
}

void pty_transport::attach_dte() {
  keep_raw();
  // Bytes still in flight toward the slave when the DTE came are stale too.
  ::tcflush(master_.native_handle(), TCOFLUSH);
  attached_ = true;
  log_.log(log_level::info, "DTE opened " + slave_path_);
  port_->attach(*this);
}

void pty_transport::do_read() {
  // The line goes ahead of other modems' MQTT work in a fleet (io/fair_scheduler.hpp).
  master_.async_read_some(net::buffer(buffer_),
                          net::bind_executor(line_ex_, [this](const boost::system::error_code& ec, std::size_t n) {
                            if (ec == net::error::operation_aborted) return;
                            on_read(ec, n);
                          }));
}

void pty_transport::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (stopped_) return;
  if (!ec) {
    keep_raw();
    count_dte_input(line_ex_, n);
    port_->receive(std::string_view(buffer_.data(), n));
    if (attached_) do_read();
    return;
  }
  // EIO (or EOF) is the normal sign that the last DTE closed the slave.
  if (ec == boost::system::errc::io_error || ec == net::error::eof)
    dte_gone("DTE closed " + slave_path_);
  else
    dte_gone("DTE lost on " + slave_path_ + ": " + ec.message());
}

void pty_transport::dte_gone(const std::string& why) {
  if (attached_) {
    attached_ = false;
    log_.log(log_level::info, why);
    port_->detach();
  }
  // A write stuck on a full slave queue would otherwise hand its stale bytes to the next DTE.
  boost::system::error_code ignored;
  master_.cancel(ignored);
  keep_raw();
  discard_stale_output();
  wait_for_dte();
}

}  // namespace nt35e::io
