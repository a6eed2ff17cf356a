#pragma once
// The module as a serial port: a pseudo-terminal whose slave side a DTE opens
// (picocom, tio, a test), reached through a stable symlink such as /tmp/nt35e0.
//
// The DTE may close and reopen the slave any number of times; the modem keeps
// running in between and its output is dropped, like a UART with nothing attached.
//
// One link, one simulator: the link is claimed through a lock file beside it
// (PATH.lock, flock), so a second simulator given the same path refuses to start
// instead of taking the link over (see claim_link in the .cpp).
//
// Thread safety: none; everything runs on the executor given to the constructor.

#include <array>
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "io/logger.hpp"
#include "io/transport.hpp"

namespace nt35e::io {

/// Who may open the slave (--pty-mode, --pty-group). Unset fields keep what the
/// system gives a new PTY (on Debian: the simulator's user, group tty, mode 0620),
/// which a driver running as another, normal user cannot open.
struct pty_access {
  std::optional<unsigned> mode;   ///< permission bits, 0 to 0777
  std::optional<unsigned> group;  ///< a group id
  std::string group_name;         ///< as given (a name or a number), for messages
};

class pty_transport final : public transport, private dte_stream {
 public:
  /// How often to look for a DTE while none has the slave open.
  static constexpr std::chrono::milliseconds poll_interval{50};

  /// `link_path` becomes a symlink to the slave (a stale symlink there, one whose
  /// simulator is gone, is replaced).
  pty_transport(boost::asio::any_io_executor ex, std::string link_path, logger& log, pty_access access = {});
  ~pty_transport() override;

  /// Claims the link, creates the PTY (raw, 115200 baud, `access` applied) and the
  /// link; throws startup_error (exit status 2 when another simulator holds the link).
  void start(dte_port& port) override;
  /// "pty /dev/pts/N link /tmp/nt35e0"
  std::string ready_text() const override;
  /// Closes the master, removes the link if it still points at our slave, and
  /// releases the claim (removing the lock file).
  void stop() override;

  const std::string& slave_path() const { return slave_path_; }
  const std::string& link_path() const { return link_path_; }
  /// The lock file that says the link is live: link_path() + ".lock".
  std::string lock_path() const { return link_path_ + ".lock"; }

 private:
  void async_write(boost::asio::const_buffer bytes, write_handler done) override;

  void wait_for_dte();
  void on_poll(const boost::system::error_code& ec);
  void attach_dte();
  /// Makes the line raw again if a DTE left it cooked; `always` also when it was
  /// checked moments ago.
  void keep_raw(bool always = true);
  void discard_stale_output();
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void dte_gone(const std::string& why);
  void make_raw(int fd);
  void claim_link();
  void release_link();
  void apply_access(const char* slave);
  void make_link();
  void remove_link();

  boost::asio::posix::stream_descriptor master_;
  boost::asio::steady_timer poll_timer_;
  boost::asio::any_io_executor line_ex_;  ///< the line's executor, its handlers queued as DTE work
  std::string link_path_;
  std::string slave_path_;
  logger& log_;
  pty_access access_;
  int lock_fd_ = -1;  ///< the flock'ed lock file while the link is ours
  dte_port* port_ = nullptr;
  bool attached_ = false;
  bool link_made_ = false;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point raw_checked_{};  ///< last keep_raw() look at the line
  std::array<char, 4096> buffer_{};
};

}  // namespace nt35e::io
