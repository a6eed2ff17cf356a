#pragma once
// What every TCP listener of the simulator does alike (the DTE's --tcp line, the control
// channel, the metrics endpoint): open its port, and log the refusals a flood could
// repeat once per episode rather than once per client.
//
// Thread safety: none; each belongs to one listener and runs on its executor.

#include <cstddef>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

namespace nt35e::io {

/// Opens, binds (reusing the address) and listens on `where`; returns the endpoint bound
/// (the real port when 0 was asked for). Throws startup_error "<what>cannot listen on
/// ADDR: why" (`what` as in "--control: ", or empty).
boost::asio::ip::tcp::endpoint open_listener(boost::asio::ip::tcp::acceptor& acceptor,
                                             const boost::asio::ip::tcp::endpoint& where, std::string_view what);

/// Refusals of one kind in a row (too many clients, a wrong token): the first is the one
/// to log with its reason, the others are counted and summed up in one line when the
/// episode ends (a client is served again, or the listener stops).
class refusal_episode {
 public:
  /// Counts one refusal; true for the first of its episode.
  bool count() { return refused_++ == 0; }
  /// Ends the episode; the number refused when a summary line is due (more than one), else 0.
  std::size_t end() {
    const auto n = refused_;
    refused_ = 0;
    return n > 1 ? n : 0;
  }

 private:
  std::size_t refused_ = 0;
};

}  // namespace nt35e::io
