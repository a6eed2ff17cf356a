#pragma once
// Reaching the broker: DNS (system resolver, first IPv4 address preferred) + TCP + the TLS
// handshake when configured, all in Boost.Asio, within one time limit. Both AT+ECMTOPEN
// and AT+ECMTCONN dial through here, so they share the same code and error texts.
//
// Thread safety: none; create, start and cancel a dialer on its executor. The completion
// runs there too, at most once, and never inside start().

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mqtt/backend.hpp"
#include "mqtt/host_map.hpp"
#include "paho/upstream.hpp"

namespace nt35e::paho::detail {

/// `ep` as "a.b.c.d:port" or "[v6]:port", for logs and event details.
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& ep);

/// One attempt to open a link to the broker. Make it with std::make_shared (it keeps
/// itself alive while an operation is pending).
class dialer : public std::enable_shared_from_this<dialer> {
 public:
  /// What a dial ends with.
  struct result {
    std::unique_ptr<upstream> link;                          ///< null on failure
    std::string detail;                                      ///< failure reason, or the endpoint on success
    std::optional<boost::asio::ip::tcp::endpoint> endpoint;  ///< the address dialled, on success
  };
  /// Receives the result, on the executor.
  using done_fn = std::function<void(result)>;

  /// `target`: where to dial (already mapped). `sni`: the host name the module was given
  /// (sent as TLS SNI unless it is an IP literal). `tls`: mode and file names (resolved).
  /// `known`: an endpoint resolved earlier, which skips DNS. `limit`: for TCP connect +
  /// TLS handshake together.
  dialer(boost::asio::any_io_executor ex, nt35e::mqtt::host_port target, std::string sni, nt35e::mqtt::tls_options tls,
         std::optional<boost::asio::ip::tcp::endpoint> known, std::chrono::milliseconds limit);

  /// Starts the dial; `done` runs once, on the executor, unless cancel() comes first. A
  /// TLS configuration that cannot be loaded fails the dial with a readable sentence.
  void start(done_fn done);

  /// Stops the dial: `done` is dropped without being called, a half-made link is closed.
  void cancel();

 private:
  void on_resolved(const boost::system::error_code& ec, const boost::asio::ip::tcp::resolver::results_type& results);
  void connect(const boost::asio::ip::tcp::endpoint& ep);
  void on_connected(const boost::system::error_code& ec);
  void succeed();
  void fail(std::string why);

  boost::asio::any_io_executor ex_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;
  nt35e::mqtt::host_port target_;
  std::string sni_;
  nt35e::mqtt::tls_options tls_;
  std::optional<boost::asio::ip::tcp::endpoint> known_;
  std::chrono::milliseconds limit_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::unique_ptr<upstream> link_;
  std::optional<boost::asio::ip::tcp::endpoint> endpoint_;
  done_fn done_;
  bool finished_ = false;
  bool timed_out_ = false;
};

}  // namespace nt35e::paho::detail
