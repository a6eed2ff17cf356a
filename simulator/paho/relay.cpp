#include "paho/relay.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>

#include "paho/waker.hpp"

namespace nt35e::paho::detail {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

/// Paho's socket keeps Nagle on (so does mosquitto by default), and both often write
/// two small packets back to back (PUBACK then PUBREL, PUBLISH then PUBREL...): the
/// second waits for our ACK, which Linux delays by up to 40 ms. Acknowledging at once
/// removes that stall (measured: qos 2 round trip 44 ms -> under 1 ms). TCP_QUICKACK
/// is not sticky, so it is renewed before every read.
void quick_ack(tcp::socket& s) {
  if (!s.is_open()) return;
  int one = 1;
  (void)::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/// Paho's end of the relay's connection lives in this process, but Paho offers no socket
/// options: find it (the socket whose own and peer addresses are `down`'s, swapped) and
/// cap its receive buffer, which would else grow to megabytes and let Paho post that many
/// messages past the throttle (see backlog.hpp).
void cap_paho_receive_buffer(tcp::socket& down) {
  error_code ec;
  const auto mine = down.local_endpoint(ec);
  const auto theirs = down.remote_endpoint(ec);
  if (ec) return;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(e.path().filename().string());
    } catch (...) {
      continue;
    }
    sockaddr_in a{}, b{};
    socklen_t la = sizeof a, lb = sizeof b;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &la) != 0 || a.sin_family != AF_INET) continue;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&b), &lb) != 0) continue;
    if (ntohs(a.sin_port) != theirs.port() || ntohs(b.sin_port) != mine.port()) continue;
    if (ntohl(a.sin_addr.s_addr) != theirs.address().to_v4().to_uint()) continue;
    const int size = 64 * 1024;
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    return;
  }
}

}  // namespace

relay::relay(asio::any_io_executor ex, std::unique_ptr<upstream> up)
    : acceptor_(ex), down_(ex), nudge_timer_(ex), up_(std::move(up)) {}

std::uint16_t relay::listen(error_code& ec) {
  const tcp::endpoint ep(asio::ip::address_v4::loopback(), 0);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(1, ec);
  if (ec) return 0;
  return acceptor_.local_endpoint(ec).port();
}

void relay::throttle_by(std::shared_ptr<backlog> b) {
  backlog_ = std::move(b);
  backlog_->on_low = [w = weak_from_this()] {
    if (auto self = w.lock()) self->resume_up();
  };
}

void relay::start() {
  auto self = shared_from_this();
  acceptor_.async_accept(down_, [self](const error_code& ec) {
    error_code ignore;
    self->acceptor_.close(ignore);
    if (self->closed_) return;
    if (ec) return self->close();
    self->down_.set_option(tcp::no_delay(true), ignore);
    // Paho reads all it is given: the bytes between us and Paho are part of the backlog
    // the throttle bounds (see backlog.hpp), so keep this socket's buffer small.
    self->down_.set_option(asio::socket_base::send_buffer_size(64 * 1024), ignore);
    cap_paho_receive_buffer(self->down_);
    self->nudge_paho();
    self->pump_up();
    self->pump_down();
  });
}

void relay::close() {
  if (closed_) return;
  closed_ = true;
  if (skipped_ > 1 && note_)
    note_(std::to_string(skipped_) + " oversize packets from the broker were dropped on this link in all");
  error_code ignore;
  acceptor_.close(ignore);
  down_.close(ignore);
  nudge_timer_.cancel();
  up_->close();
}

// broker -> Paho
void relay::pump_up() {
  // The modem is behind: leave the broker's bytes in the kernel; its window closes and
  // the broker waits, as with the module, which reads no faster than it processes.
  if (backlog_ && backlog_->full()) {
    up_paused_ = true;
    return;
  }
  quick_ack(up_->socket());
  auto self = shared_from_this();
  up_->read_some(asio::buffer(up_buf_), [self](const error_code& ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) return self->upstream_ended(ec);
    self->up_pass_.clear();
    auto v = self->guard_.feed(std::string_view(self->up_buf_.data(), n), self->up_pass_);
    if (v.skipped > 0 && self->skipped_ == 0 && self->note_)
      self->note_("dropped a packet of " + std::to_string(v.skipped_size) + " bytes from the broker (more than " +
                  std::to_string(packet_guard::default_max_packet) + ", the receive limit); further ones are counted");
    self->skipped_ += v.skipped;
    if (v.broken) {
      self->bad_connack_ = v.bad_connack;
      // What came before the bad packet still reaches Paho, then the end of stream.
      self->upstream_refused(v.why);
    }
    if (self->up_pass_.empty()) {
      if (!v.broken) self->pump_up();
      return;
    }
    asio::async_write(self->down_, asio::buffer(self->up_pass_),
                      [self, broken = v.broken](const error_code& wec, std::size_t) {
                        if (self->closed_) return;
                        if (wec) return self->close();  // Paho's socket is gone
                        if (broken) {
                          error_code ignore;
                          self->down_.shutdown(tcp::socket::shutdown_send, ignore);
                          return;
                        }
                        self->pump_up();
                      });
  });
}

void relay::resume_up() {
  if (!up_paused_ || closed_) return;
  up_paused_ = false;
  pump_up();
}

// Paho -> broker
void relay::pump_down() {
  quick_ack(down_);
  auto self = shared_from_this();
  down_.async_read_some(asio::buffer(down_buf_), [self](const error_code& ec, std::size_t n) {
    if (self->closed_) return;
    // Paho closed its socket (after DISCONNECT, a refusal, or its own keepalive
    // timeout): everything it wrote has been forwarded; close the broker side.
    if (ec) return self->close();
    self->paho_spoke_ = true;
    if (self->up_ended_) return self->pump_down();  // broker side gone: drain and drop
    self->up_->write_all(asio::buffer(self->down_buf_.data(), n), [self](const error_code& wec, std::size_t) {
      if (self->closed_) return;
      if (wec) self->upstream_ended(wec);
      self->pump_down();
    });
  });
}

/// Paho's receive thread notices a new socket's finished TCP connect only in a poll
/// round that started after the connect and that ends (up to 1 s). Until Paho's first
/// bytes (the CONNECT) arrive, wake it every few ms so that such a round ends at once.
void relay::nudge_paho() {
  if (paho_spoke_ || closed_ || nudges_ >= 400) return;
  ++nudges_;
  waker::instance().poke();
  nudge_timer_.expires_after(std::chrono::milliseconds(5));
  nudge_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->nudge_paho();
  });
}

/// The guard refused the broker's stream: the link ends as if the broker had closed it
/// (the module sees a link loss, or a failed CONNECT); the bytes before the bad packet
/// are still forwarded, then the end of stream (pump_up's write does the shutdown).
void relay::upstream_refused(const std::string& why) {
  if (up_ended_) return;
  up_ended_ = true;
  up_detail_ = why;
  up_->close();
  if (up_pass_.empty()) {
    error_code ignore;
    down_.shutdown(tcp::socket::shutdown_send, ignore);
  }
}

void relay::upstream_ended(const error_code& ec) {
  if (up_ended_) return;
  up_ended_ = true;
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
    up_detail_ = "connection closed by the broker";
  else
    up_detail_ = ec.message();
  up_->close();
  // FIN towards Paho after the bytes already forwarded: Paho reads them, then sees the
  // end of stream and reports the loss (or the failed CONNECT) itself, in order.
  error_code ignore;
  down_.shutdown(tcp::socket::shutdown_send, ignore);
}

}  // namespace nt35e::paho::detail
