#include "paho/relay.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "mqtt/wire.hpp"
#include "paho/lane.hpp"
#include "paho/waker.hpp"

namespace nt35e::paho::detail {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
namespace wire = nt35e::mqtt::wire;

/// Bytes waiting for the broker past which Paho's are left in its socket (Paho writes
/// little now: CONNECT, PINGREQ, DISCONNECT; the lane's packets are bounded by the
/// backend's limit on unfinished publishes).
constexpr std::size_t max_waiting_for_broker = 256 * 1024;

/// Paho's socket keeps Nagle on (so does mosquitto by default), and both often write
/// two small packets back to back (PUBACK then PUBREL, PUBLISH then PUBREL...): the
/// second waits for our ACK, which Linux delays by up to 40 ms. Acknowledging at once
/// removes that stall (measured: qos 2 round trip 44 ms -> under 1 ms). TCP_QUICKACK
/// is not sticky, so it is renewed before every read: of the broker's bytes always, of
/// Paho's only when Nagle could not be turned off on Paho's socket (tune_paho_socket).
void quick_ack(tcp::socket& s) {
  if (!s.is_open()) return;
  int one = 1;
  (void)::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/// True when `fd` is Paho's end of `down`: its own address is down's peer and its peer
/// is down's own address.
bool is_peer_of(int fd, const tcp::endpoint& mine, const tcp::endpoint& theirs) {
  sockaddr_in a{}, b{};
  socklen_t la = sizeof a, lb = sizeof b;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &la) != 0 || a.sin_family != AF_INET) return false;
  if (ntohs(a.sin_port) != theirs.port() || ntohl(a.sin_addr.s_addr) != theirs.address().to_v4().to_uint())
    return false;
  return ::getpeername(fd, reinterpret_cast<sockaddr*>(&b), &lb) == 0 && ntohs(b.sin_port) == mine.port();
}

/// Descriptors of this process's loopback TCP sockets by their own port, from the last
/// scan of /proc/self/fd; the probe's fallback (see below). Entries may be stale: every
/// use checks the socket again with is_peer_of.
class loopback_index {
 public:
  /// Paho's end of a relay, or -1: from the index, rescanned if the last scan is older
  /// than a second (at most one scan a second for the whole process).
  int find(const tcp::endpoint& mine, const tcp::endpoint& theirs) {
    std::lock_guard lock(mutex_);
    if (auto it = by_port_.find(theirs.port()); it != by_port_.end() && is_peer_of(it->second, mine, theirs))
      return it->second;
    const auto now = std::chrono::steady_clock::now();
    if (scanned_ && now - *scanned_ < std::chrono::seconds(1)) return -1;
    scanned_ = now;
    by_port_.clear();
    error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
      const auto name = e.path().filename().string();
      int fd = -1;
      if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
      sockaddr_in a{};
      socklen_t la = sizeof a;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &la) == 0 && a.sin_family == AF_INET &&
          ntohl(a.sin_addr.s_addr) == INADDR_LOOPBACK)
        by_port_[ntohs(a.sin_port)] = fd;
    }
    auto it = by_port_.find(theirs.port());
    return it != by_port_.end() && is_peer_of(it->second, mine, theirs) ? it->second : -1;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::uint16_t, int> by_port_;
  std::optional<std::chrono::steady_clock::time_point> scanned_;
};

/// Paho's end of the relay's connection lives in this process, but Paho offers no socket
/// options: find it and turn Nagle off on it (see quick_ack: then our end need not renew
/// TCP_QUICKACK before each read of Paho's bytes). True when it was found.
///
/// Finding it: Linux hands out the lowest free descriptor, and Paho opened its socket
/// moments before we accepted ours, so its number is usually close to our accepted
/// socket's or to our listener's. Probing outwards from those two costs a few syscalls
/// whatever the number of open files; scanning /proc/self/fd on every connect cost two
/// syscalls per open file, which made connecting a fleet quadratic (bench/README.md,
/// "Connecting a fleet"). In a burst of thousands of connects at once the probe can miss
/// (measured: 2 % of a 1000-modem burst, 12 % of a 3000-modem one): those look in an
/// index of the process's loopback sockets, rebuilt at most once a second (left: none
/// of 1000, 4 % of 3000); a link still not found keeps Nagle on (our end then renews
/// TCP_QUICKACK before each read).
bool tune_paho_socket(tcp::socket& down, int listener_fd) {
  error_code ec;
  const auto mine = down.local_endpoint(ec);
  const auto theirs = down.remote_endpoint(ec);
  if (ec || !theirs.address().is_v4()) return false;
  auto tune = [](int fd) {
    const int one = 1;
    return ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
  };
  constexpr int max_distance = 256;
  const int own = down.native_handle();
  for (int d = 1; d <= max_distance; ++d) {
    for (const int fd : {listener_fd - d, listener_fd + d, own - d, own + d}) {
      if (fd < 0 || fd == own || !is_peer_of(fd, mine, theirs)) continue;
      return tune(fd);
    }
  }
  static loopback_index index;
  const int fd = index.find(mine, theirs);
  return fd >= 0 && tune(fd);
}

}  // namespace

relay::relay(asio::any_io_executor ex, std::unique_ptr<upstream> up)
    : acceptor_(ex), down_(ex), nudge_timer_(ex), up_(std::move(up)) {}

std::uint16_t relay::listen(listen_gate::slot turn, error_code& ec) {
  const tcp::endpoint ep(asio::ip::address_v4::loopback(), 0);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(1, ec);
  if (ec) {
    error_code ignore;
    acceptor_.close(ignore);
    return 0;
  }
  listening_ = std::move(turn);
  return acceptor_.local_endpoint(ec).port();
}

void relay::start() {
  auto self = shared_from_this();
  acceptor_.async_accept(down_, [self](const error_code& ec) {
    const int listener_fd = self->acceptor_.native_handle();
    error_code ignore;
    self->acceptor_.close(ignore);
    self->listening_.reset();
    if (self->closed_) return;
    if (ec) return self->close();
    self->down_.set_option(tcp::no_delay(true), ignore);
    self->paho_nodelay_ = tune_paho_socket(self->down_, listener_fd);
    self->nudge_paho();
    self->pump_up();
    self->pump_down();
  });
}

std::atomic<int>& relay::waiting_for_paho() {
  static std::atomic<int> n{0};
  return n;
}

void relay::stop_waiting() {
  if (!counted_waiting_) return;
  counted_waiting_ = false;
  waiting_for_paho().fetch_sub(1);
}

relay::~relay() { stop_waiting(); }

void relay::close() {
  stop_waiting();
  if (closed_) return;
  closed_ = true;
  if (skipped_ > 1 && note_)
    note_(std::to_string(skipped_) + " oversize packets from the broker were dropped on this link in all");
  error_code ignore;
  acceptor_.close(ignore);
  listening_.reset();
  down_.close(ignore);
  nudge_timer_.cancel();
  up_->close();
}

void relay::take_over(std::function<void(std::string_view)> sink) {
  lane_ = std::move(sink);
  if (paused_) return;
  holding_ = false;
  advance_up();
}

void relay::pause(bool paused) {
  paused_ = paused;
  if (paused || closed_) return;
  // Not from inside this call: the host asks from its own turn, and the packets waiting
  // would reach it re-entrantly.
  asio::post(down_.get_executor(), [self = shared_from_this()] {
    if (self->paused_ || self->closed_ || !self->lane_) return;
    self->holding_ = false;
    self->advance_up();
  });
}

// broker -> Paho, or the lane
void relay::pump_up() {
  quick_ack(up_->socket());
  up_reading_ = true;
  auto self = shared_from_this();
  up_->read_some(asio::buffer(up_buf_), [self](const error_code& ec, std::size_t n) {
    self->up_reading_ = false;
    if (self->closed_) return;
    if (ec) {
      self->upstream_ended(ec);
      return self->advance_up();
    }
    std::string pass;
    auto v = self->guard_.feed(std::string_view(self->up_buf_.data(), n), pass);
    if (v.skipped > 0 && self->skipped_ == 0 && self->note_)
      self->note_("dropped a packet of " + std::to_string(v.skipped_size) + " bytes from the broker (more than " +
                  std::to_string(packet_guard::default_max_packet) + ", the receive limit); further ones are counted");
    self->skipped_ += v.skipped;
    self->up_frames_ += pass;
    if (v.broken) {
      self->bad_connack_ = v.bad_connack;
      // What came before the bad packet still goes on, then the end of stream.
      self->upstream_refused(v.why);
    }
    self->advance_up();
  });
}

void relay::advance_up() {
  if (closed_ || paho_writing_) return;
  std::size_t used = 0;
  while (!holding_) {
    std::size_t n = 0;
    const std::string_view rest = std::string_view(up_frames_).substr(used);
    if (wire::frame(rest, n) != wire::frame_status::complete) break;  // the guard refuses malformed ones
    const std::string_view packet = rest.substr(0, n);
    if (!lane::carries(static_cast<unsigned char>(packet[0]))) {
      to_paho_.append(packet);
      used += n;
      continue;
    }
    if (!lane_ || paused_) {
      holding_ = true;
      break;
    }
    used += n;
    // The lane's packets are handled before Paho's that came after them are passed on:
    // Paho now only gets PINGRESP, whose order against them does not matter.
    auto self = shared_from_this();  // the sink may end the session that holds us
    lane_(packet);
    if (closed_) return;
  }
  up_frames_.erase(0, used);
  if (!to_paho_.empty()) {
    paho_writing_ = true;
    asio::async_write(down_, asio::buffer(to_paho_), [self = shared_from_this()](const error_code& wec, std::size_t) {
      self->paho_writing_ = false;
      self->to_paho_.clear();
      if (self->closed_) return;
      if (wec) return self->close();  // Paho's socket is gone
      self->advance_up();
    });
    return;
  }
  if (up_ended_) {
    // FIN towards Paho once every byte before the end was sorted and passed on: Paho
    // reads them, then sees the end of stream and reports the loss (or the failed CONNECT)
    // itself, after the lane's events. A packet held for take_over() keeps it waiting.
    if (!holding_ && !paho_told_end_) {
      paho_told_end_ = true;
      error_code ignore;
      down_.shutdown(tcp::socket::shutdown_send, ignore);
    }
    return;
  }
  if (!holding_ && !up_reading_) pump_up();
}

void relay::send(std::string packets, std::function<void(bool)> written) {
  if (closed_) return;
  if (up_ended_) {
    if (written) written(false);
    return;
  }
  up_out_ += packets;
  if (written) out_done_.push_back(std::move(written));
  write_up();
}

void relay::write_up() {
  if (writing_up_ || up_out_.empty() || closed_) return;
  writing_up_ = true;
  up_writing_.swap(up_out_);
  up_out_.clear();
  writing_done_.swap(out_done_);
  out_done_.clear();
  auto self = shared_from_this();
  up_->write_all(asio::buffer(up_writing_), [self](const error_code& wec, std::size_t) {
    self->writing_up_ = false;
    if (self->closed_) return;
    auto done = std::move(self->writing_done_);
    self->writing_done_.clear();
    if (wec) {
      self->upstream_ended(wec);
      for (auto& d : self->out_done_) done.push_back(std::move(d));
      self->out_done_.clear();
      self->up_out_.clear();
    }
    for (auto& d : done) {
      d(!wec);
      if (self->closed_) return;
    }
    if (self->up_out_.empty()) {  // waits that came with no bytes (pump_down's close)
      auto more = std::move(self->out_done_);
      self->out_done_.clear();
      for (auto& d : more) {
        d(true);
        if (self->closed_) return;
      }
    }
    if (wec) return self->advance_up();
    self->write_up();
    if (self->down_paused_ && self->up_out_.size() < max_waiting_for_broker) {
      self->down_paused_ = false;
      self->pump_down();
    }
  });
}

// Paho -> broker, whole packets only, so that the lane's own packets (send()) go between them
void relay::pump_down() {
  if (!paho_nodelay_) quick_ack(down_);
  auto self = shared_from_this();
  down_.async_read_some(asio::buffer(down_buf_), [self](const error_code& ec, std::size_t n) {
    if (self->closed_) return;
    // Paho closed its socket (after DISCONNECT, a refusal, or its own keepalive
    // timeout): everything it wrote has been passed on; close the broker side behind it.
    if (ec) {
      if (!self->writing_up_ && self->up_out_.empty()) return self->close();
      self->out_done_.push_back([w = std::weak_ptr<relay>(self)](bool) {
        if (auto r = w.lock()) r->close();
      });
      return;
    }
    self->paho_spoke_ = true;
    self->stop_waiting();
    if (self->up_ended_) return self->pump_down();  // broker side gone: drain and drop
    self->down_frames_.append(self->down_buf_.data(), n);
    std::size_t whole = 0;
    for (std::size_t len = 0;
         wire::frame(std::string_view(self->down_frames_).substr(whole), len) == wire::frame_status::complete;)
      whole += len;
    if (whole > 0) {
      self->up_out_.append(self->down_frames_, 0, whole);
      self->down_frames_.erase(0, whole);
      self->write_up();
    }
    if (self->up_out_.size() >= max_waiting_for_broker) {
      self->down_paused_ = true;
      return;
    }
    self->pump_down();
  });
}

/// Paho's receive thread notices a new socket's finished TCP connect only in a poll
/// round that started after the connect and that ends (up to 1 s). Until Paho's first
/// bytes (the CONNECT) arrive, wake it every few ms so that such a round ends at once.
/// The first wake-up, at the accept, usually comes too early: on loopback the accept is
/// ready inside Paho's connect(), before Paho has the socket in its poll set. So when this
/// is the only relay waiting, the next one comes after 2 ms (the waker's own limit), then
/// every 5 ms (AT+ECMTCONN to +ECMTCONN was one 5 ms step plus 0.8 ms, 20 of 20 times;
/// now 2.7-3.4 ms). Many waiting at once (a fleet connecting) keep the 5 ms cadence they
/// had, which one poke serves for all of them.
void relay::nudge_paho() {
  if (paho_spoke_ || closed_ || nudges_ >= 400) return stop_waiting();
  if (nudges_++ == 0) {
    waiting_for_paho().fetch_add(1);
    counted_waiting_ = true;
  }
  waker::instance().poke();
  const bool alone = waiting_for_paho().load() == 1;
  nudge_timer_.expires_after(std::chrono::milliseconds(nudges_ == 1 && alone ? 2 : 5));
  nudge_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->nudge_paho();
  });
}

/// The guard refused the broker's stream: the link ends as if the broker had closed it
/// (the module sees a link loss, or a failed CONNECT); the bytes before the bad packet
/// are still passed on, then the end of stream (advance_up does the shutdown).
void relay::upstream_refused(const std::string& why) {
  if (up_ended_) return;
  up_ended_ = true;
  up_detail_ = why;
  up_->close();
}

void relay::upstream_ended(const error_code& ec) {
  if (up_ended_) return;
  up_ended_ = true;
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
    up_detail_ = "connection closed by the broker";
  else
    up_detail_ = ec.message();
  up_->close();
}

}  // namespace nt35e::paho::detail
