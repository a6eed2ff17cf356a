#pragma once
// The runtime control channel's server: a TCP listener (loopback by default) speaking
// JSON Lines (control/protocol.hpp), so that a test in any language can fire fault
// actions, deliver messages, change the network and read the modem's state while a DTE
// is connected. The lines are answered by control/dispatch.
//
// Bad input never stops the simulator: a line that is not JSON, not an object, has an
// unknown key or a bad action gets {"ok":false,"error":...} and the connection stays
// usable; a line longer than max_line bytes gets its error answer and the connection is
// closed; a client leaving mid-line is forgotten (a line counts only once its "\n" has
// arrived); a client that does not read its answers is dropped once max_backlog bytes
// wait for it. Blank lines are ignored. A client that leaves a line unfinished for the
// line timeout (30 s unless set), or that must authenticate and has not within it, is
// told so and closed: clients are capped, and a silent half line would hold a place
// forever. A client idle between whole requests is left alone (test harnesses keep one
// connection for a whole run).
//
// Access (io/access_guard): loopback only unless a token is required; with one, each
// connection must authenticate with its first line, and is closed after a refusal.
//
// Thread safety: the server and its connections run on the executor given to the
// constructor. With a single `target`, that must be the modem's (the session's) executor.
// With a `fleet_target`, each modem is reached only through its own executor (a strand):
// requests are posted there and answers posted back, so modems may run on other threads.
// Requests on one connection are still answered one at a time, in order.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "control/protocol.hpp"
#include "control/target.hpp"
#include "io/listener.hpp"
#include "io/logger.hpp"

namespace nt35e::control {

/// The listener and its clients; the answers come from handle_request_async.
class control_server {
 public:
  /// Longest request line accepted, without its line end.
  static constexpr std::size_t max_line = control::max_line;
  /// Answers waiting for a client that does not read; past this it is disconnected.
  static constexpr std::size_t max_backlog = 1024 * 1024;
  /// Clients at once; one more is told so and closed. The first refusal of an episode
  /// is logged; the others are counted and summed up in one line once a client leaves
  /// (so 10,000 attempts are two log lines, not 10,000).
  static constexpr std::size_t max_clients = 32;

  /// `t` is called on `ex`, which must be the modem's executor.
  control_server(boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint where, target t, io::logger& log);
  /// Each modem of `f` is called on its own executor; the server runs on `ex` (its own strand).
  control_server(boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint where, fleet_target f,
                 io::logger& log);
  ~control_server();
  control_server(const control_server&) = delete;
  control_server& operator=(const control_server&) = delete;

  /// Every client must send {"auth": token} as its first line (protocol.hpp); call
  /// before start(). Without it, start() refuses an address other than loopback.
  void require_token(std::string token) { token_ = std::move(token); }

  /// How long a client may leave a request line unfinished (or, when a token is
  /// required, stay unauthenticated) before it is closed; call before start().
  void set_line_timeout(std::chrono::milliseconds t) { line_timeout_ = t; }
  static constexpr std::chrono::milliseconds default_line_timeout{30'000};

  /// Binds and listens; throws io::startup_error (e.g. the port is taken, or the address
  /// is not loopback and no token is required: io::listener_refusal).
  void start();
  /// Closes the listener and every client, and cancels fleet events still waiting for
  /// their stagger time; safe to call twice.
  void stop();

  /// The endpoint actually listened on (the real port when 0 was asked for).
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return bound_; }

 private:
  class connection;
  void do_accept();
  void forget(connection* c);

  boost::asio::any_io_executor ex_;
  boost::asio::ip::tcp::endpoint wanted_, bound_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<const fleet_target> fleet_;
  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
  io::logger& log_;
  std::optional<std::string> token_;  ///< required from every client when set; never logged
  std::chrono::milliseconds line_timeout_ = default_line_timeout;
  std::vector<std::shared_ptr<connection>> clients_;
  io::refusal_episode refused_;  ///< clients refused (too many)
  void report_refused();
  bool stopped_ = false;
};

}  // namespace nt35e::control
