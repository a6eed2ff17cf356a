#pragma once
// The module's UART as a TCP socket: one DTE at a time. A second client is told
// "nt35e-sim: busy, another DTE is connected" and closed; when the DTE leaves, the
// next one may connect and finds the modem as it was left. A fleet short of open files
// closes the port while its DTE is connected instead (listen_while_connected(false)).
//
// Thread safety: none; everything runs on the executor given to the constructor.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "io/listener.hpp"
#include "io/logger.hpp"
#include "io/transport.hpp"

namespace nt35e::io {

/// "PORT" (on 127.0.0.1), "ADDR:PORT", "[IPv6]:PORT" or "localhost:PORT"; port 0 = any free port.
/// On failure returns nothing and sets `error` to a sentence about `spec`.
std::optional<boost::asio::ip::tcp::endpoint> parse_tcp_endpoint(std::string_view spec, std::string& error);

/// "127.0.0.1:5000" or "[::1]:5000".
std::string to_string(const boost::asio::ip::tcp::endpoint& ep);

class tcp_transport final : public transport {
 public:
  /// The line sent to a client that finds the line taken.
  static constexpr std::string_view busy_line = "nt35e-sim: busy, another DTE is connected\r\n";

  tcp_transport(boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint where, logger& log);
  ~tcp_transport() override;

  /// Binds and listens; throws startup_error (e.g. the port is taken).
  void start(dte_port& port) override;
  /// "tcp 127.0.0.1:PORT" with the real port, also when 0 was asked for.
  std::string ready_text() const override;
  void stop() override;

  /// The endpoint actually listened on.
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return bound_; }

  /// On (the default), the port listens all the time and a second client gets busy_line.
  /// Off, the port stops listening once a DTE is connected and listens again when it
  /// leaves: one open file per line instead of two, which lets a fleet run twice as many
  /// lines under the same open-file limit; a second client is then refused by the kernel
  /// (ECONNREFUSED). Call before start().
  void listen_while_connected(bool on) { listen_while_connected_ = on; }

 private:
  class connection;

  void do_accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  void refuse(boost::asio::ip::tcp::socket socket);
  void on_connection_closed(connection& c, const std::string& why);
  /// Listens on the bound port again after the DTE left (listen_while_connected off);
  /// retried every second while the port is taken.
  void listen_again();

  boost::asio::any_io_executor ex_;
  boost::asio::ip::tcp::endpoint wanted_;
  boost::asio::ip::tcp::endpoint bound_;
  boost::asio::ip::tcp::acceptor acceptor_;
  logger& log_;
  dte_port* port_ = nullptr;
  std::shared_ptr<connection> current_;
  boost::asio::steady_timer retry_;  ///< the next accept after a failed one, or the next listen_again()
  refusal_episode accept_failures_;
  bool listen_while_connected_ = true;
  bool retrying_ = false;  ///< listen_again() failed; said once until it works
  bool stopped_ = false;
};

}  // namespace nt35e::io
