#pragma once
// The module on the simulator's own stdin/stdout: type AT commands in the
// terminal, or pipe a script through it.
//
// On a terminal, stdin is put in raw mode (restored on exit, on SIGINT/SIGTERM via
// the caller's signal_set and on fatal signals) and nothing is translated: the
// modem does the echoing, Enter sends CR as the module wants, and Ctrl-C/Ctrl-Z
// reach the module as bytes (0x1A ends a data-mode publish). Ctrl-] (0x1D) quits.
// From a pipe or file every byte goes to the module, 0x1D included, and the end of
// input ends the session.
//
// Thread safety: none; everything runs on the executor given to the constructor.

#include <array>
#include <functional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "io/logger.hpp"
#include "io/transport.hpp"

namespace nt35e::io {

class stdio_transport final : public transport, private dte_stream {
 public:
  /// Why the line ended.
  enum class end_reason {
    quit_key,      ///< Ctrl-] on the terminal: leave now
    input_closed,  ///< stdin reached its end: leave once the answers are out
    output_closed  ///< nobody reads stdout any more: leave now
  };
  using end_handler = std::function<void(end_reason)>;

  /// The byte that quits when stdin is a terminal.
  static constexpr char quit_byte = 0x1D;

  /// `on_end` runs on the executor, at most once.
  stdio_transport(boost::asio::any_io_executor ex, logger& log, end_handler on_end);
  ~stdio_transport() override;

  /// Opens stdin/stdout, makes a terminal raw and attaches at once; throws startup_error.
  void start(dte_port& port) override;
  /// "stdio"
  std::string ready_text() const override { return "stdio"; }
  /// Restores the terminal and the descriptors' flags.
  void stop() override;

  /// True when stdin is a terminal (raw mode, Ctrl-] quits).
  bool interactive() const { return interactive_; }

 private:
  void async_write(boost::asio::const_buffer bytes, write_handler done) override;
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void end(end_reason why);

  boost::asio::posix::stream_descriptor in_;
  boost::asio::posix::stream_descriptor out_;
  logger& log_;
  end_handler on_end_;
  dte_port* port_ = nullptr;
  bool attached_ = false;
  bool interactive_ = false;
  bool raw_ = false;
  bool stopped_ = false;
  bool ended_ = false;
  int in_shared_flags_ = -1;   ///< original flags of fd 0 when we had to share its description
  int out_shared_flags_ = -1;  ///< same for fd 1
  std::array<char, 4096> buffer_{};
};

}  // namespace nt35e::io
