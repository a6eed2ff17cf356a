#include "io/listener.hpp"

#include <string>

#include "io/tcp_transport.hpp"
#include "io/transport.hpp"

namespace nt35e::io {

namespace net = boost::asio;
using net::ip::tcp;

tcp::endpoint open_listener(tcp::acceptor& acceptor, const tcp::endpoint& where, std::string_view what) {
  boost::system::error_code ec;
  acceptor.open(where.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(where, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw startup_error(std::string(what) + "cannot listen on " + to_string(where) + ": " + ec.message());
  auto bound = acceptor.local_endpoint(ec);
  if (ec) throw startup_error(std::string(what) + "cannot listen on " + to_string(where) + ": " + ec.message());
  return bound;
}

}  // namespace nt35e::io
