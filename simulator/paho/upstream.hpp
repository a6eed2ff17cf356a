#pragma once
// The broker side of a link: plain TCP, or TLS over TCP, behind one small interface so the
// dialer, the relay and the backend handle both alike.
//
// Thread safety: none; an upstream lives on the executor it was made with, and every call
// and completion handler runs there.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>

namespace nt35e::paho::detail {

/// Completion of one read or write: the error and how many bytes moved.
using io_handler = std::function<void(const boost::system::error_code&, std::size_t)>;

/// A connected (or connecting) byte stream to the broker.
class upstream {
 public:
  virtual ~upstream() = default;
  /// The TCP socket underneath (for connect, options, peeking and closing).
  virtual boost::asio::ip::tcp::socket& socket() = 0;
  /// Reads what is there (at least one byte); `h` runs on the executor.
  virtual void read_some(boost::asio::mutable_buffer b, io_handler h) = 0;
  /// Writes all of `b`; `h` runs on the executor.
  virtual void write_all(boost::asio::const_buffer b, io_handler h) = 0;
  /// Abrupt close: no TLS close_notify, no MQTT DISCONNECT (so the broker publishes the will).
  void close() {
    boost::system::error_code ec;
    socket().close(ec);
  }
};

/// Plain TCP to the broker.
class plain_upstream final : public upstream {
 public:
  explicit plain_upstream(boost::asio::any_io_executor ex) : s_(std::move(ex)) {}
  boost::asio::ip::tcp::socket& socket() override { return s_; }
  void read_some(boost::asio::mutable_buffer b, io_handler h) override { s_.async_read_some(b, std::move(h)); }
  void write_all(boost::asio::const_buffer b, io_handler h) override { boost::asio::async_write(s_, b, std::move(h)); }

 private:
  boost::asio::ip::tcp::socket s_;
};

/// TLS over TCP to the broker; keeps its context alive as long as the stream.
class tls_upstream final : public upstream {
 public:
  tls_upstream(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> ctx)
      : ctx_(std::move(ctx)), s_(std::move(ex), *ctx_) {}
  boost::asio::ip::tcp::socket& socket() override { return s_.next_layer(); }
  /// The TLS stream, for the handshake.
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream() { return s_; }
  void read_some(boost::asio::mutable_buffer b, io_handler h) override { s_.async_read_some(b, std::move(h)); }
  void write_all(boost::asio::const_buffer b, io_handler h) override { boost::asio::async_write(s_, b, std::move(h)); }

 private:
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> s_;
};

}  // namespace nt35e::paho::detail
