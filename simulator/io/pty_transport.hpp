#pragma once
// The module as a serial port: a pseudo-terminal whose slave side a DTE opens
// (picocom, tio, a test), reached through a stable symlink such as /tmp/nt35e0.
//
// The DTE may close and reopen the slave any number of times; the modem keeps
// running in between and its output is dropped, like a UART with nothing attached.
//
// Thread safety: none; everything runs on the executor given to the constructor.

#include <array>
#include <chrono>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "io/logger.hpp"
#include "io/transport.hpp"

namespace nt35e::io {

class pty_transport final : public transport, private dte_stream {
 public:
  /// How often to look for a DTE while none has the slave open.
  static constexpr std::chrono::milliseconds poll_interval{50};

  /// `link_path` becomes a symlink to the slave (an existing symlink there is replaced).
  pty_transport(boost::asio::any_io_executor ex, std::string link_path, logger& log);
  ~pty_transport() override;

  /// Creates the PTY (raw, 115200 baud) and the link; throws startup_error.
  void start(dte_port& port) override;
  /// "pty /dev/pts/N link /tmp/nt35e0"
  std::string ready_text() const override;
  /// Closes the master and removes the link if it still points at our slave.
  void stop() override;

  const std::string& slave_path() const { return slave_path_; }
  const std::string& link_path() const { return link_path_; }

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
  void make_link();
  void remove_link();

  boost::asio::posix::stream_descriptor master_;
  boost::asio::steady_timer poll_timer_;
  std::string link_path_;
  std::string slave_path_;
  logger& log_;
  dte_port* port_ = nullptr;
  bool attached_ = false;
  bool link_made_ = false;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point raw_checked_{};  ///< last keep_raw() look at the line
  std::array<char, 4096> buffer_{};
};

}  // namespace nt35e::io
