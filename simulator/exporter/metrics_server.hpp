#pragma once
// The Prometheus endpoint (--metrics [ADDR:]PORT): HTTP/1.1 on a TCP listener,
//
//   GET /metrics   the text exposition format (exporter/exposition) of every modem's
//                  totals, gathered as the control channel's {"query": "metrics"} is
//                  (control::gather_metrics: each modem read on its own executor);
//   GET /healthz   200 "ok" once every modem's executor has answered (503 if they do not
//                  within the request timeout);
//
// HEAD as GET without the body; another path is 404, another method 405.
//
// A client cannot hurt the modems: a request header is at most max_header_bytes and
// max_header_fields fields (431), a body is refused (413), anything that is not HTTP is
// 400 and closed, a client that does not send a whole request within the request timeout
// (10 s; also the keep-alive idle time) or does not read its answer is closed, and at
// most max_clients are served at once (503 to the others). Refusals that a flood could
// repeat are logged once per episode, the rest at debug.
//
// Access (io/access_guard): loopback only unless a token is required; with one, GET
// /metrics needs "Authorization: Bearer TOKEN" (compared in constant time; 401 and
// closed otherwise). /healthz needs none: it tells nothing, and a Kubernetes probe should
// not have to carry the secret.
//
// Thread safety: the server and its connections run on the executor given to the
// constructor (the modem's executor for a single modem, the fleet's strand in fleet
// mode); modems are reached only by posting to their own executors. No thread of its own.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "control/target.hpp"
#include "exporter/exposition.hpp"
#include "io/listener.hpp"
#include "io/logger.hpp"

namespace nt35e::exporter {

class metrics_server {
 public:
  /// Clients at once; one more gets 503 and is closed (logged once per episode).
  static constexpr std::size_t max_clients = 16;
  /// Longest request header (request line and fields) accepted.
  static constexpr std::size_t max_header_bytes = 8192;
  /// Most header fields accepted.
  static constexpr std::size_t max_header_fields = 64;
  /// How long a client may take to send a whole request (or stay idle between
  /// requests), or to read an answer, and how long the modems may take to answer.
  static constexpr std::chrono::milliseconds default_request_timeout{10'000};

  /// Serves the modems of `f` on `ex`.
  metrics_server(boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint where,
                 std::shared_ptr<const control::fleet_target> f, build_info info, io::logger& log);
  ~metrics_server();
  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;

  /// GET /metrics must carry "Authorization: Bearer <token>"; call before start().
  /// Without it, start() refuses an address other than loopback.
  void require_token(std::string token) { token_ = std::move(token); }
  /// The request timeout (see the top of this file); call before start().
  void set_request_timeout(std::chrono::milliseconds t) { timeout_ = t; }

  /// Binds and listens; throws io::startup_error (the port is taken, or the address is
  /// not loopback and no token is required: io::listener_refusal).
  void start();
  /// Closes the listener and every client; safe to call twice.
  void stop();

  /// The endpoint actually listened on (the real port when 0 was asked for).
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return bound_; }

 private:
  class connection;
  void do_accept();
  void forget(connection* c);
  void report_refused();
  void report_unauthorized();

  boost::asio::any_io_executor ex_;
  boost::asio::ip::tcp::endpoint wanted_, bound_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<const control::fleet_target> fleet_;
  build_info info_;
  io::logger& log_;
  std::chrono::steady_clock::time_point started_;
  std::optional<std::string> token_;  ///< required for /metrics when set; never logged
  std::chrono::milliseconds timeout_ = default_request_timeout;
  std::vector<std::shared_ptr<connection>> clients_;
  io::refusal_episode refused_;       ///< clients refused (too many)
  io::refusal_episode unauthorized_;  ///< requests refused (no or wrong token) until an authorized one
  bool stopped_ = false;
};

}  // namespace nt35e::exporter
