#pragma once
// The seam between the line to the DTE (PTY, TCP, stdio) and the session that
// owns the modem. A transport finds out when a DTE comes and goes and reads its
// bytes; the session is the only one that writes to it.

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

namespace nt35e::io {

/// Thrown by transport::start with one sentence meant for a person
/// ("--pty /tmp/x: that path exists and is not a symbolic link ...").
struct startup_error : std::runtime_error {
  explicit startup_error(const std::string& sentence, int status = 1)
      : std::runtime_error(sentence), exit_status(status) {}
  /// The process's exit status: 2 when the command line asks for something that cannot
  /// be had (a --pty link another simulator holds), as for a bad option; else 1.
  int exit_status;
};

/// The DTE's end of the line, as the session writes to it.
class dte_stream {
 public:
  using write_handler = std::function<void(const boost::system::error_code&)>;
  virtual ~dte_stream() = default;
  /// Writes all of `bytes` (kept alive by the caller until `done` runs). At most one
  /// write is outstanding; `done` runs on the session's executor, also after the
  /// stream was closed (with an error then).
  virtual void async_write(boost::asio::const_buffer bytes, write_handler done) = 0;
};

/// What a transport reports to: the session's side of the seam.
class dte_port {
 public:
  virtual ~dte_port() = default;
  /// A DTE is on the line; `stream` stays valid until detach().
  virtual void attach(dte_stream& stream) = 0;
  /// The DTE went away; output is dropped until the next attach.
  virtual void detach() = 0;
  /// Bytes the DTE sent.
  virtual void receive(std::string_view bytes) = 0;
};

/// A way for a DTE to reach the module. Runs on the session's executor.
class transport {
 public:
  virtual ~transport() = default;
  /// Opens the line and starts serving `port`; throws startup_error.
  virtual void start(dte_port& port) = 0;
  /// What the ready line says after "ready: " ("tcp 127.0.0.1:5000").
  virtual std::string ready_text() const = 0;
  /// Closes the line (removes links, restores the terminal); safe to call twice.
  virtual void stop() = 0;
};

}  // namespace nt35e::io
