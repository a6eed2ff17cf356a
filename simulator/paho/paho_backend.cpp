#include "paho/paho_backend.hpp"

#include <mqtt/async_client.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace nt35e::paho {
namespace detail {
int packet_id_of(const ::mqtt::message& m);  // paho_msgid.cpp
}

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
namespace req = nt35e::mqtt::request;
namespace ev = nt35e::mqtt::event;
using nt35e::mqtt::any_event;
using nt35e::mqtt::host_port;
using nt35e::mqtt::tls_options;

// -------------------------------------------------------------------------------------
// The process-wide Paho "waker".
//
// Paho C runs one receive thread for all clients, blocked in poll() over the sockets it
// knew when the poll started, for up to 1 s. A socket Paho opens meanwhile (every new
// CONNECT) is only looked at when that poll ends: measured 1.1-2.1 s per CONNECT on
// loopback. The waker is one Paho client, never destroyed, connected to a tiny in-process
// "broker" (a plain socket we hold). Writing a PINGRESP (D0 00) to it makes Paho's poll
// return at once; Paho takes an unsolicited PINGRESP as a no-op. The relay pokes it
// while it waits for a new client's CONNECT (relay::nudge_paho). Result: CONNECT to
// CONNACK in milliseconds instead of 1-2 s.
//
// Being never destroyed it also keeps Paho's client count above zero: Paho C stops its
// threads, sleeping 100 ms or more in the caller, whenever the last client is destroyed
// (MQTTAsync_destroy -> MQTTAsync_terminate; measured 100 ms).

class paho_waker {
 public:
  static paho_waker& instance() {
    static paho_waker* w = new paho_waker;  // intentionally never destroyed (see above)
    return *w;
  }

  /// Wakes Paho's receive thread. At most one poke per 2 ms for the whole process: one
  /// wake-up serves every client waiting at that moment (many modems connecting at once
  /// cost no more than one).
  void poke() {
    const int fd = fd_.load(std::memory_order_acquire);
    if (fd < 0) return;
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    auto last = last_poke_.load(std::memory_order_relaxed);
    const auto min_gap =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::milliseconds(2)).count();
    if (now - last < min_gap || !last_poke_.compare_exchange_strong(last, now)) return;
    static const unsigned char pingresp[2] = {0xD0, 0x00};
    (void)::send(fd, pingresp, sizeof pingresp, MSG_DONTWAIT | MSG_NOSIGNAL);
  }

 private:
  paho_waker() {
    const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0) return;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd, 1) != 0 ||
        ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(lfd);
      return;
    }
    try {
      client_ =
          std::make_unique<::mqtt::async_client>("tcp://127.0.0.1:" + std::to_string(ntohs(a.sin_port)),
                                                 "nt35e-sim-paho-waker", ::mqtt::create_options(MQTTVERSION_3_1_1));
      ::mqtt::connect_options co;
      co.set_mqtt_version(MQTTVERSION_3_1_1);
      co.set_keep_alive_interval(0);
      co.set_clean_session(true);
      co.set_automatic_reconnect(false);
      client_->connect(co);
    } catch (const std::exception&) {
      ::close(lfd);
      return;
    }
    // The handshake on a short-lived thread of its own, so no caller ever waits for it;
    // until it is done poke() does nothing.
    std::thread([this, lfd] {
      timeval tv{5, 0};
      ::setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      ::close(lfd);
      if (fd < 0) return;
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      unsigned char buf[256];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);  // the CONNECT (one small packet)
      static const unsigned char connack[4] = {0x20, 0x02, 0x00, 0x00};
      if (n < 2 || buf[0] != 0x10 || ::send(fd, connack, sizeof connack, MSG_NOSIGNAL) != 4) {
        ::close(fd);
        return;
      }
      fd_.store(fd, std::memory_order_release);
    }).detach();
  }

  std::unique_ptr<::mqtt::async_client> client_;
  std::atomic<int> fd_{-1};
  std::atomic<std::chrono::steady_clock::rep> last_poke_{0};
};

std::string endpoint_text(const tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// -------------------------------------------------------------------------------------
// The broker side of a link: plain TCP or TLS over TCP.

using io_handler = std::function<void(const error_code&, std::size_t)>;

class upstream {
 public:
  virtual ~upstream() = default;
  virtual tcp::socket& socket() = 0;
  virtual void read_some(asio::mutable_buffer b, io_handler h) = 0;
  virtual void write_all(asio::const_buffer b, io_handler h) = 0;
  /// Abrupt close: no TLS close_notify, no MQTT DISCONNECT.
  void close() {
    error_code ec;
    socket().close(ec);
  }
};

class plain_upstream final : public upstream {
 public:
  explicit plain_upstream(asio::any_io_executor ex) : s_(std::move(ex)) {}
  tcp::socket& socket() override { return s_; }
  void read_some(asio::mutable_buffer b, io_handler h) override { s_.async_read_some(b, std::move(h)); }
  void write_all(asio::const_buffer b, io_handler h) override { asio::async_write(s_, b, std::move(h)); }

 private:
  tcp::socket s_;
};

class tls_upstream final : public upstream {
 public:
  tls_upstream(asio::any_io_executor ex, std::shared_ptr<ssl::context> ctx)
      : ctx_(std::move(ctx)), s_(std::move(ex), *ctx_) {}
  tcp::socket& socket() override { return s_.next_layer(); }
  ssl::stream<tcp::socket>& stream() { return s_; }
  void read_some(asio::mutable_buffer b, io_handler h) override { s_.async_read_some(b, std::move(h)); }
  void write_all(asio::const_buffer b, io_handler h) override { asio::async_write(s_, b, std::move(h)); }

 private:
  std::shared_ptr<ssl::context> ctx_;
  ssl::stream<tcp::socket> s_;
};

/// A TLS client context per AT+ECMTCFG="ssl": chain checked against the CA file (the
/// system store when none is given), no host name check (the module checks the chain
/// only), client certificate and key for mode 2. Throws with a readable sentence.
std::shared_ptr<ssl::context> make_tls_context(const tls_options& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
  ctx->set_verify_mode(ssl::verify_peer);
  auto need = [](const std::string& what, const std::string& path) {
    std::error_code fec;
    if (path.empty() || !std::filesystem::is_regular_file(path, fec))
      throw std::runtime_error("TLS: " + what + " file \"" + path + "\" not found");
  };
  error_code ec;
  if (!tls.ca_file.empty()) {
    need("CA", tls.ca_file);
    ctx->load_verify_file(tls.ca_file, ec);
    if (ec) throw std::runtime_error("TLS: cannot load CA file \"" + tls.ca_file + "\": " + ec.message());
  } else {
    ctx->set_default_verify_paths(ec);
  }
  if (tls.mode >= 2) {
    need("client certificate", tls.cert_file);
    need("client key", tls.key_file);
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) throw std::runtime_error("TLS: cannot load client certificate \"" + tls.cert_file + "\": " + ec.message());
    ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("TLS: cannot load client key \"" + tls.key_file + "\": " + ec.message());
  }
  return ctx;
}

// -------------------------------------------------------------------------------------
// dial: DNS + TCP (+ TLS) with a time limit. The callback runs once, on the executor,
// unless cancel() came first.

class dial_op : public std::enable_shared_from_this<dial_op> {
 public:
  struct result {
    std::unique_ptr<upstream> link;  ///< null on failure
    std::string detail;              ///< failure reason, or the endpoint on success
    std::optional<tcp::endpoint> endpoint;
  };
  using done_fn = std::function<void(result)>;

  dial_op(asio::any_io_executor ex, host_port target, std::string sni, tls_options tls,
          std::optional<tcp::endpoint> known, std::chrono::milliseconds limit)
      : ex_(ex),
        resolver_(ex),
        timer_(ex),
        target_(std::move(target)),
        sni_(std::move(sni)),
        tls_(std::move(tls)),
        known_(known),
        limit_(limit) {}

  void start(done_fn done) {
    done_ = std::move(done);
    auto self = shared_from_this();
    if (tls_.mode > 0) {
      try {
        ctx_ = make_tls_context(tls_);
      } catch (const std::exception& e) {
        asio::post(ex_, [self, why = std::string(e.what())] { self->fail(why); });
        return;
      }
    }
    if (known_) {
      asio::post(ex_, [self] { self->connect(*self->known_); });
      return;
    }
    resolver_.async_resolve(
        target_.host, std::to_string(target_.port), tcp::resolver::numeric_service,
        [self](const error_code& ec, const tcp::resolver::results_type& results) { self->on_resolved(ec, results); });
  }

  void cancel() {
    if (finished_) return;
    finished_ = true;
    done_ = nullptr;
    resolver_.cancel();
    timer_.cancel();
    if (link_) link_->close();
  }

 private:
  void on_resolved(const error_code& ec, const tcp::resolver::results_type& results) {
    if (finished_) return;
    if (ec) return fail("DNS: " + target_.host + ": " + ec.message());
    std::optional<tcp::endpoint> pick;
    for (const auto& r : results) {
      if (r.endpoint().address().is_v4()) {
        pick = r.endpoint();
        break;
      }
      if (!pick) pick = r.endpoint();
    }
    if (!pick) return fail("DNS: " + target_.host + ": no address");
    connect(*pick);
  }

  void connect(const tcp::endpoint& ep) {
    if (finished_) return;
    endpoint_ = ep;
    if (ctx_)
      link_ = std::make_unique<tls_upstream>(ex_, ctx_);
    else
      link_ = std::make_unique<plain_upstream>(ex_);
    auto self = shared_from_this();
    timer_.expires_after(limit_);
    timer_.async_wait([self](const error_code& ec) {
      if (ec || self->finished_) return;
      self->timed_out_ = true;
      self->link_->close();  // the pending connect / handshake ends with operation_aborted
    });
    link_->socket().async_connect(ep, [self](const error_code& ec) { self->on_connected(ec); });
  }

  void on_connected(const error_code& ec) {
    if (finished_) return;
    if (timed_out_) return fail("TCP: " + endpoint_text(*endpoint_) + ": connect timed out");
    if (ec) return fail("TCP: " + endpoint_text(*endpoint_) + ": " + ec.message());
    error_code ignore;
    link_->socket().set_option(tcp::no_delay(true), ignore);
    if (!ctx_) return succeed();
    auto& tls = static_cast<tls_upstream&>(*link_).stream();
    if (!sni_.empty() && !is_ip_literal(sni_)) SSL_set_tlsext_host_name(tls.native_handle(), sni_.c_str());
    auto self = shared_from_this();
    tls.async_handshake(ssl::stream_base::client, [self](const error_code& hec) {
      if (self->finished_) return;
      if (self->timed_out_) return self->fail("TLS: handshake timed out");
      if (hec) return self->fail("TLS: handshake failed: " + hec.message());
      self->succeed();
    });
  }

  void succeed() {
    finished_ = true;
    timer_.cancel();
    auto done = std::move(done_);
    if (done) done(result{std::move(link_), endpoint_text(*endpoint_), endpoint_});
  }

  void fail(std::string why) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    if (link_) link_->close();
    auto done = std::move(done_);
    if (done) done(result{nullptr, std::move(why), std::nullopt});
  }

  asio::any_io_executor ex_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  host_port target_;
  std::string sni_;
  tls_options tls_;
  std::optional<tcp::endpoint> known_;
  std::chrono::milliseconds limit_;
  std::shared_ptr<ssl::context> ctx_;
  std::unique_ptr<upstream> link_;
  std::optional<tcp::endpoint> endpoint_;
  done_fn done_;
  bool finished_ = false;
  bool timed_out_ = false;
};

// -------------------------------------------------------------------------------------
// relay: a one-shot loopback listener for Paho, then a byte pump between Paho's socket
// ("down") and the broker link ("up").

class relay : public std::enable_shared_from_this<relay> {
 public:
  relay(asio::any_io_executor ex, std::unique_ptr<upstream> up)
      : acceptor_(ex), down_(ex), nudge_timer_(ex), up_(std::move(up)) {}

  /// Opens the listener on 127.0.0.1 with an ephemeral port; returns that port.
  std::uint16_t listen(error_code& ec) {
    const tcp::endpoint ep(asio::ip::address_v4::loopback(), 0);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(1, ec);
    if (ec) return 0;
    return acceptor_.local_endpoint(ec).port();
  }

  void start() {
    auto self = shared_from_this();
    acceptor_.async_accept(down_, [self](const error_code& ec) {
      error_code ignore;
      self->acceptor_.close(ignore);
      if (self->closed_) return;
      if (ec) return self->close();
      self->down_.set_option(tcp::no_delay(true), ignore);
      self->nudge_paho();
      self->pump_up();
      self->pump_down();
    });
  }

  /// Drops both sides now (abort, or a session that is over).
  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignore;
    acceptor_.close(ignore);
    down_.close(ignore);
    nudge_timer_.cancel();
    up_->close();
  }

  /// Why the broker side ended ("" while it is up).
  [[nodiscard]] const std::string& upstream_detail() const { return up_detail_; }

 private:
  // broker -> Paho
  void pump_up() {
    quick_ack(up_->socket());
    auto self = shared_from_this();
    up_->read_some(asio::buffer(up_buf_), [self](const error_code& ec, std::size_t n) {
      if (self->closed_) return;
      if (ec) return self->upstream_ended(ec);
      asio::async_write(self->down_, asio::buffer(self->up_buf_.data(), n), [self](const error_code& wec, std::size_t) {
        if (self->closed_) return;
        if (wec) return self->close();  // Paho's socket is gone
        self->pump_up();
      });
    });
  }

  // Paho -> broker
  void pump_down() {
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
  void nudge_paho() {
    if (paho_spoke_ || closed_ || nudges_ >= 400) return;
    ++nudges_;
    paho_waker::instance().poke();
    nudge_timer_.expires_after(std::chrono::milliseconds(5));
    nudge_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) self->nudge_paho();
    });
  }

  /// Paho's socket keeps Nagle on (so does mosquitto by default), and both often write
  /// two small packets back to back (PUBACK then PUBREL, PUBLISH then PUBREL...): the
  /// second waits for our ACK, which Linux delays by up to 40 ms. Acknowledging at once
  /// removes that stall (measured: qos 2 round trip 44 ms -> under 1 ms). TCP_QUICKACK
  /// is not sticky, so it is renewed before every read.
  static void quick_ack(tcp::socket& s) {
    if (!s.is_open()) return;
    int one = 1;
    (void)::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  }

  void upstream_ended(const error_code& ec) {
    if (up_ended_) return;
    up_ended_ = true;
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated)
      up_detail_ = "connection closed by the broker";
    else
      up_detail_ = ec.message();
    up_->close();
    // FIN towards Paho after the bytes already forwarded: Paho reads them, then sees the
    // end of stream and reports the loss (or the failed CONNECT) itself, in order.
    error_code ignore;
    down_.shutdown(tcp::socket::shutdown_send, ignore);
  }

  tcp::acceptor acceptor_;
  tcp::socket down_;
  asio::steady_timer nudge_timer_;
  std::unique_ptr<upstream> up_;
  std::array<char, 4096> up_buf_{};
  std::array<char, 4096> down_buf_{};
  std::string up_detail_;
  bool up_ended_ = false;
  bool closed_ = false;
  bool paho_spoke_ = false;
  int nudges_ = 0;
};

// -------------------------------------------------------------------------------------
// What a Paho token carries back: the operation and the host's msg_id.

/// How many publishes Paho may hold before its send thread writes them.
constexpr int max_queued_publishes = 65535;

enum class op_kind : std::uintptr_t {
  connect = 1,
  subscribe,
  unsubscribe,
  publish,
  disconnect
};

void* op_context(op_kind k, int msg_id) {
  const auto v = (static_cast<std::uintptr_t>(k) << 17) | static_cast<std::uintptr_t>(msg_id & 0xFFFF);
  return reinterpret_cast<void*>(v);  // NOLINT: an integer carried through Paho's void*
}

std::pair<op_kind, int> op_decode(void* ctx) {
  const auto v = reinterpret_cast<std::uintptr_t>(ctx);
  return {static_cast<op_kind>(v >> 17), static_cast<int>(v & 0xFFFF)};
}

}  // namespace

// =======================================================================================

class paho_backend::impl : public std::enable_shared_from_this<impl> {
 public:
  impl(paho_backend* owner, asio::any_io_executor ex, nt35e::mqtt::host_map map, std::string cert_dir,
       bool show_secrets)
      : owner_(owner),
        ex_(std::move(ex)),
        map_(std::move(map)),
        cert_dir_(std::move(cert_dir)),
        show_secrets_(show_secrets),
        reaper_(ex_) {}

  // ---- Paho callbacks: run on Paho's threads; copy, post, nothing else. ----------------
  class paho_client;
  class callbacks final : public ::mqtt::iaction_listener {
   public:
    callbacks(std::weak_ptr<impl> owner, asio::any_io_executor ex, int id, std::uint64_t gen)
        : owner_(std::move(owner)), ex_(std::move(ex)), id_(id), gen_(gen) {}

    void connection_lost(const std::string& cause) {
      post([cause](impl& s, int id, std::uint64_t gen) { s.on_lost(id, gen, cause); });
    }

    void message_arrived(const ::mqtt::const_message_ptr& m) {
      if (!m) return;
      const int qos = m->get_qos();
      ev::message msg{
          id_, qos > 0 ? detail::packet_id_of(*m) : 0, m->get_topic(), m->get_payload_str(), qos, m->is_retained()};
      post([msg = std::move(msg)](impl& s, int id, std::uint64_t gen) mutable {
        s.on_message(id, gen, std::move(msg));
      });
    }

    void on_success(const ::mqtt::token& tok) override {
      const auto [kind, msg_id] = op_decode(tok.get_user_context());
      post([kind = kind, msg_id = msg_id](impl& s, int id, std::uint64_t gen) {
        s.on_op(id, gen, kind, msg_id, 0, {});
      });
    }

    void on_failure(const ::mqtt::token& tok) override {
      const auto [kind, msg_id] = op_decode(tok.get_user_context());
      const int rc = tok.get_return_code();
      std::string why;
      try {
        // The token is complete and not locked here; try_wait() rethrows its error,
        // which is the only way Paho C++ 1.2 hands out the failure message.
        const_cast<::mqtt::token&>(tok).try_wait();  // NOLINT
      } catch (const ::mqtt::exception& e) {
        why = e.get_message().empty() ? e.get_error_str() : e.get_message();
      } catch (...) {}
      if (why.empty()) why = ::mqtt::exception::error_str(rc);
      // No call back into Paho from here: this can run inside MQTTAsync_destroy, with
      // Paho's global mutex held by the calling thread.
      post([kind = kind, msg_id = msg_id, rc, why](impl& s, int id, std::uint64_t gen) {
        s.on_op(id, gen, kind, msg_id, rc, why);
      });
    }

   private:
    template <class F>
    void post(F&& f) {
      asio::post(ex_, [w = owner_, id = id_, gen = gen_, f = std::forward<F>(f)]() mutable {
        if (auto s = w.lock()) f(*s, id, gen);
      });
    }

    std::weak_ptr<impl> owner_;
    asio::any_io_executor ex_;
    int id_;
    std::uint64_t gen_;
  };

  /// One Paho client and the callback object it points at (which must outlive it).
  class paho_client {
   public:
    paho_client(std::weak_ptr<impl> owner, asio::any_io_executor ex, int id, std::uint64_t gen)
        : cb(std::move(owner), std::move(ex), id, gen) {}
    ~paho_client() { cli.reset(); }  // MQTTAsync_destroy first; then the callbacks go
    callbacks cb;
    std::unique_ptr<::mqtt::async_client> cli;
  };

  enum class phase {
    dialing,
    connecting,
    connected
  };

  struct session {
    int id = 0;
    std::uint64_t gen = 0;
    phase state = phase::dialing;
    bool closing = false;  ///< disconnect requested: no more events
    std::shared_ptr<dial_op> dial;
    std::shared_ptr<relay> link;
    std::unique_ptr<paho_client> paho;
    std::unique_ptr<asio::steady_timer> connack_timer;
  };

  struct slot {
    std::uint64_t open_gen = 0;
    std::shared_ptr<dial_op> opening;
    std::shared_ptr<session> sess;
    // The endpoint the last successful open resolved, reused by the next CONNECT.
    std::optional<host_port> opened_target;
    std::optional<tcp::endpoint> opened_endpoint;
    // The link ECMTOPEN opened, kept for ECMTCONN as the module does (one TCP connection
    // from OPEN to DISC), with the TLS settings it was made with.
    std::unique_ptr<upstream> opened_link;
    nt35e::mqtt::tls_options opened_tls;

    void close_opened_link() {
      if (opened_link) opened_link->close();
      opened_link.reset();
    }
  };

  /// True while the broker has not closed `s`: a peek that finds nothing to read yet
  /// (or data, e.g. a TLS session ticket) means it is still up.
  static bool still_up(tcp::socket& s) {
    if (!s.is_open()) return false;
    char c;
    const ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  // ---- requests ----------------------------------------------------------------------

  void submit(nt35e::mqtt::any_request r) {
    // The request itself is already in the session's transcript ("MQTT -> ..."); the log
    // says what the link does with it.
    std::visit([this](auto& x) { handle(std::move(x)); }, r);
  }

  void handle(req::open r) {
    auto& sl = slots_[r.id];
    if (sl.opening) sl.opening->cancel();
    sl.opening.reset();
    drop_session(r.id, false);  // a new open means the old link is gone
    sl.opened_target.reset();
    sl.opened_endpoint.reset();
    sl.close_opened_link();

    const host_port target = map_.resolve(r.host, r.port);
    if (target.host != r.host || target.port != r.port)
      log("id " + std::to_string(r.id) + ": " + r.host + ":" + std::to_string(r.port) + " mapped to " + target.host +
          ":" + std::to_string(target.port));
    const std::uint64_t gen = ++next_gen_;
    sl.open_gen = gen;
    auto op = std::make_shared<dial_op>(ex_, target, r.host, resolve_paths(r.tls), std::nullopt, limit_);
    sl.opening = op;
    std::weak_ptr<impl> w = weak_from_this();
    const int id = r.id;
    op->start([w, id, gen, target, tls = r.tls](dial_op::result res) {
      auto s = w.lock();
      if (!s) return;
      auto& sl2 = s->slots_[id];
      if (sl2.open_gen != gen) return;
      sl2.opening.reset();
      sl2.open_gen = 0;
      const bool ok = res.link != nullptr;
      if (ok) {
        sl2.opened_link = std::move(res.link);  // ECMTCONN's CONNECT goes over it
        sl2.opened_tls = tls;
        sl2.opened_target = target;
        sl2.opened_endpoint = res.endpoint;
      }
      s->log("id " + std::to_string(id) + ": open " + (ok ? "ok " : "failed: ") + res.detail);
      s->deliver(ev::opened{id, ok, res.detail});
    });
  }

  void handle(req::connect r) {
    auto& sl = slots_[r.id];
    drop_session(r.id, false);
    const host_port target = map_.resolve(r.host, r.port);
    std::optional<tcp::endpoint> known;
    if (sl.opened_target && *sl.opened_target == target) known = sl.opened_endpoint;

    auto s = std::make_shared<session>();
    s->id = r.id;
    s->gen = ++next_gen_;
    s->state = phase::dialing;
    sl.sess = s;
    std::weak_ptr<impl> w = weak_from_this();
    auto opened = std::move(sl.opened_link);
    if (opened && known && sl.opened_tls == r.tls && still_up(opened->socket())) {
      // The link ECMTOPEN opened is still up: CONNECT goes over it, as on the module.
      dial_op::result res;
      res.detail = endpoint_text(*known) + " (the link AT+ECMTOPEN opened)";
      res.endpoint = known;
      res.link = std::move(opened);
      asio::post(ex_, [w, s, r = std::move(r), res = std::move(res)]() mutable {
        auto self = w.lock();
        if (!self || !self->is_current(*s)) return;
        self->start_mqtt(s, std::move(res), r);
      });
      return;
    }
    // No link from ECMTOPEN (closed by the broker meanwhile, another target, or a
    // reconnect after DISC or a link loss): dial again.
    if (opened) opened->close();
    s->dial = std::make_shared<dial_op>(ex_, target, r.host, resolve_paths(r.tls), known, limit_);
    s->dial->start([w, s, r = std::move(r)](dial_op::result res) mutable {
      auto self = w.lock();
      if (!self || !self->is_current(*s)) return;
      s->dial.reset();
      if (!res.link) {
        self->drop_session(s->id, false);
        self->log("id " + std::to_string(s->id) + ": connect failed: " + res.detail);
        self->deliver(ev::connect_failed{s->id, res.detail});
        return;
      }
      self->start_mqtt(s, std::move(res), r);
    });
  }

  void handle(req::subscribe r) {
    auto s = connected_session(r.id);
    if (!s) return post_event(ev::suback{r.id, r.msg_id, 2});
    try {
      s->paho->cli->subscribe(r.topic, r.qos, op_context(op_kind::subscribe, r.msg_id), s->paho->cb);
    } catch (const ::mqtt::exception& e) {
      log("id " + std::to_string(r.id) + ": SUBSCRIBE not sent: " + e.what());
      post_event(ev::suback{r.id, r.msg_id, 2});
    }
  }

  void handle(req::unsubscribe r) {
    auto s = connected_session(r.id);
    if (!s) return post_event(ev::unsuback{r.id, r.msg_id, 2});
    try {
      s->paho->cli->unsubscribe(r.topic, op_context(op_kind::unsubscribe, r.msg_id), s->paho->cb);
    } catch (const ::mqtt::exception& e) {
      log("id " + std::to_string(r.id) + ": UNSUBSCRIBE not sent: " + e.what());
      post_event(ev::unsuback{r.id, r.msg_id, 2});
    }
  }

  void handle(req::publish r) {
    auto s = connected_session(r.id);
    if (!s) return post_event(ev::published{r.id, r.msg_id, 2});
    try {
      s->paho->cli->publish(r.topic, r.payload.data(), r.payload.size(), r.qos, r.retain,
                            op_context(op_kind::publish, r.msg_id), s->paho->cb);
    } catch (const ::mqtt::exception& e) {
      log("id " + std::to_string(r.id) + ": PUBLISH not sent: " + e.what());
      post_event(ev::published{r.id, r.msg_id, 2});
    }
  }

  void handle(req::disconnect r) {
    auto& sl = slots_[r.id];
    sl.close_opened_link();
    if (sl.opening) sl.opening->cancel();
    sl.opening.reset();
    sl.open_gen = 0;
    auto s = sl.sess;
    if (!s) return;
    if (s->state == phase::connected && s->paho && s->paho->cli && !s->closing) {
      try {
        // DISCONNECT, then Paho closes its socket; the relay forwards the packet and
        // closes the broker side behind it. Timeout 0: no waiting for in-flight acks.
        s->paho->cli->disconnect(0, op_context(op_kind::disconnect, 0), s->paho->cb);
        s->closing = true;
        sl.sess.reset();
        retire(*s, /*graceful=*/true);
        return;
      } catch (const ::mqtt::exception& e) {
        log("id " + std::to_string(r.id) + ": DISCONNECT not sent: " + e.what());
      }
    }
    drop_session(r.id, false);
  }

  void handle(req::abort r) {
    auto& sl = slots_[r.id];
    sl.close_opened_link();
    if (sl.opening) sl.opening->cancel();
    sl.opening.reset();
    sl.open_gen = 0;
    drop_session(r.id, false);
  }

  // ---- MQTT over the relay ------------------------------------------------------------

  void start_mqtt(const std::shared_ptr<session>& s, dial_op::result res, const req::connect& r) {
    auto link = std::make_shared<relay>(ex_, std::move(res.link));
    error_code ec;
    const auto port = link->listen(ec);
    if (ec) {
      link->close();
      drop_session(s->id, false);
      return deliver(ev::connect_failed{s->id, "relay: " + ec.message()});
    }
    s->link = link;
    auto pc = std::make_unique<paho_client>(weak_from_this(), ex_, s->id, s->gen);
    const auto& o = r.options;
    const int version = o.version == 3 ? MQTTVERSION_3_1 : MQTTVERSION_3_1_1;
    try {
      // Paho queues a publish until its send thread writes it, and by default refuses
      // the 101st queued one (MQTTASYNC_MAX_BUFFERED_MESSAGES, -12). A host pipelining
      // QoS 0 publishes (OK comes at once) reached that: +ECMTPUB:<id>,<msg>,2 for a
      // message the module would have sent. As for in-flight messages, the host decides.
      ::mqtt::create_options create(version);
      create.set_max_buffered_messages(max_queued_publishes);
      pc->cli = std::make_unique<::mqtt::async_client>("tcp://127.0.0.1:" + std::to_string(port), o.client_id, create);
      // Handlers rather than set_callback(): set_callback() takes the client's lock and
      // then Paho C's, the reverse of Paho's own token path (ThreadSanitizer reports the
      // inversion); these setters take only Paho C's.
      auto* cb = &pc->cb;
      pc->cli->set_connection_lost_handler([cb](const std::string& cause) { cb->connection_lost(cause); });
      pc->cli->set_message_callback([cb](::mqtt::const_message_ptr m) { cb->message_arrived(m); });
      ::mqtt::connect_options co;
      co.set_mqtt_version(version);
      co.set_clean_session(o.clean_session);
      co.set_keep_alive_interval(o.keepalive_s);
      co.set_automatic_reconnect(false);
      // Our own timer below enforces the CONNACK limit to the millisecond; Paho checks
      // its timeout only once per poll round (up to 1 s late), so it is just a backstop.
      co.set_connect_timeout(static_cast<int>((limit_.count() + 999) / 1000) + 5);
      co.set_max_inflight(65535);  // the host decides how many are in flight
      if (o.user_name) co.set_user_name(*o.user_name);
      if (o.password) co.set_password(*o.password);
      if (o.will.enabled)
        co.set_will(::mqtt::will_options(o.will.topic, o.will.message.data(), o.will.message.size(), o.will.qos,
                                         o.will.retain));
      log("id " + std::to_string(s->id) + ": CONNECT to " + res.detail + " via 127.0.0.1:" + std::to_string(port) +
          " (MQTT " + (version == MQTTVERSION_3_1 ? "3.1" : "3.1.1") + ", client id \"" + o.client_id + "\", user " +
          (o.user_name ? "\"" + *o.user_name + "\"" : std::string("none")) + ", password " +
          (o.password ? (show_secrets_ ? "\"" + *o.password + "\"" : std::string("****")) : std::string("none")) + ")");
      pc->cli->connect(co, op_context(op_kind::connect, 0), pc->cb);
    } catch (const ::mqtt::exception& e) {
      s->paho = std::move(pc);
      drop_session(s->id, false);
      return deliver(ev::connect_failed{s->id, std::string("Paho: ") + e.what()});
    }
    s->paho = std::move(pc);
    s->state = phase::connecting;
    link->start();

    // Spec §5.4 step 7: no CONNACK within the limit → connect_failed, link closed.
    s->connack_timer = std::make_unique<asio::steady_timer>(ex_, limit_);
    std::weak_ptr<impl> w = weak_from_this();
    s->connack_timer->async_wait([w, id = s->id, gen = s->gen, limit = limit_](const error_code& ec) {
      if (ec) return;
      auto self = w.lock();
      if (!self) return;
      auto cur = self->session_of(id, gen);
      if (!cur || cur->closing || cur->state != phase::connecting) return;
      const std::string why = cur->link && !cur->link->upstream_detail().empty()
                                  ? "link closed before CONNACK: " + cur->link->upstream_detail()
                                  : "no CONNACK within " + std::to_string(limit.count()) + " ms";
      self->drop_session(id, false);
      self->log("id " + std::to_string(id) + ": connect failed: " + why);
      self->deliver(ev::connect_failed{id, why});
    });
  }

  // ---- Paho events, now on the executor -----------------------------------------------

  void on_op(int id, std::uint64_t gen, op_kind kind, int msg_id, int rc, const std::string& why) {
    auto s = session_of(id, gen);
    if (!s || s->closing) return;
    if (kind == op_kind::connect) {
      if (s->state != phase::connecting) return;
      if (rc == 0) {
        s->state = phase::connected;
        return deliver(ev::connack{id, 0});
      }
      const std::string detail = s->link && !s->link->upstream_detail().empty()
                                     ? "link closed before CONNACK: " + s->link->upstream_detail()
                                     : why;
      drop_session(id, false);
      if (rc > 0) {
        // A refusing CONNACK: Paho reports its return code as the token's rc (mosquitto
        // answers a wrong password with 5, which Paho hands over as rc 5).
        log("id " + std::to_string(id) + ": CONNACK refused, code " + std::to_string(rc));
        return deliver(ev::connack{id, rc > 5 ? 6 : rc});
      }
      log("id " + std::to_string(id) + ": connect failed: " + detail);
      return deliver(ev::connect_failed{id, detail});
    }
    if (s->state != phase::connected) return;
    int result = 0;
    if (rc != 0) {
      // SUBACK 0x80 comes back as a failure with rc 0x80; the module still reports 0.
      if (kind == op_kind::subscribe && rc == 0x80) {
        result = 0;
      } else {
        // A failure with the link gone is the link loss, reported on its own.
        const bool still_connected =
            s->paho && s->paho->cli && s->paho->cli->is_connected() && (!s->link || s->link->upstream_detail().empty());
        if (!still_connected) return;
        log("id " + std::to_string(id) + ": operation failed: " + why);
        result = 2;
      }
    }
    switch (kind) {
      case op_kind::subscribe:
        return deliver(ev::suback{id, msg_id, result});
      case op_kind::unsubscribe:
        return deliver(ev::unsuback{id, msg_id, result});
      case op_kind::publish:
        return deliver(ev::published{id, msg_id, result});
      default:
        return;
    }
  }

  void on_lost(int id, std::uint64_t gen, const std::string& cause) {
    auto s = session_of(id, gen);
    if (!s || s->closing || s->state != phase::connected) return;  // connecting: the token reports it
    std::string detail = s->link ? s->link->upstream_detail() : std::string();
    if (detail.empty()) detail = cause.empty() ? "connection lost" : cause;
    drop_session(id, false);
    log("id " + std::to_string(id) + ": link lost: " + detail);
    deliver(ev::link_lost{id, detail});
  }

  void on_message(int id, std::uint64_t gen, ev::message m) {
    auto s = session_of(id, gen);
    if (!s || s->closing || s->state != phase::connected) return;
    deliver(std::move(m));
  }

  // ---- sessions ----------------------------------------------------------------------

  std::shared_ptr<session> session_of(int id, std::uint64_t gen) {
    auto it = slots_.find(id);
    if (it == slots_.end() || !it->second.sess || it->second.sess->gen != gen) return nullptr;
    return it->second.sess;
  }

  bool is_current(const session& s) {
    auto cur = session_of(s.id, s.gen);
    return cur.get() == &s;
  }

  std::shared_ptr<session> connected_session(int id) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return nullptr;
    auto& s = it->second.sess;
    if (!s || s->closing || s->state != phase::connected || !s->paho || !s->paho->cli) return nullptr;
    return s;
  }

  /// Ends id's session without any event: the broker side is cut (no DISCONNECT).
  void drop_session(int id, bool graceful) {
    auto it = slots_.find(id);
    if (it == slots_.end() || !it->second.sess) return;
    auto s = std::move(it->second.sess);
    s->closing = true;
    retire(*s, graceful);
  }

  /// Cancels the dial, closes the relay (unless graceful: then it drains and closes when
  /// Paho closes its socket) and hands the Paho client to the reaper.
  void retire(session& s, bool graceful) {
    if (s.connack_timer) s.connack_timer->cancel();
    if (s.dial) s.dial->cancel();
    s.dial.reset();
    if (s.link && !graceful) s.link->close();
    s.link.reset();
    if (s.paho) bury(std::move(s.paho));
  }

  /// Paho C++ touches the client right after a token callback returns (remove_token), and
  /// that callback may still be returning on Paho's thread when its posted event runs
  /// here. So a finished client is destroyed a little later, never inside that window.
  void bury(std::unique_ptr<paho_client> p) {
    graveyard_.push_back({std::chrono::steady_clock::now() + std::chrono::milliseconds(500), std::move(p)});
    if (!reaper_armed_) arm_reaper();
  }

  void arm_reaper() {
    reaper_armed_ = true;
    reaper_.expires_at(graveyard_.front().when);
    std::weak_ptr<impl> w = weak_from_this();
    reaper_.async_wait([w](const error_code& ec) {
      if (ec) return;
      if (auto s = w.lock()) s->reap();
    });
  }

  void reap() {
    reaper_armed_ = false;
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<paho_client>> dead;
    while (!graveyard_.empty() && graveyard_.front().when <= now) {
      dead.push_back(std::move(graveyard_.front().client));
      graveyard_.erase(graveyard_.begin());
    }
    dead.clear();  // MQTTAsync_destroy: quick, no waiting (the keeper client prevents terminate)
    if (!graveyard_.empty()) arm_reaper();
  }

  /// The backend is going away: cut everything, destroy every Paho client now.
  void shutdown() {
    owner_ = nullptr;
    log_ = nullptr;
    for (auto& [id, sl] : slots_) {
      if (sl.opening) sl.opening->cancel();
      sl.opening.reset();
      if (sl.sess) {
        sl.sess->closing = true;
        retire(*sl.sess, false);
        sl.sess.reset();
      }
    }
    reaper_.cancel();
    graveyard_.clear();
  }

  // ---- helpers -----------------------------------------------------------------------

  tls_options resolve_paths(tls_options t) const {
    auto fix = [this](std::string& p) {
      if (!p.empty() && std::filesystem::path(p).is_relative() && !cert_dir_.empty())
        p = (std::filesystem::path(cert_dir_) / p).string();
    };
    fix(t.ca_file);
    fix(t.cert_file);
    fix(t.key_file);
    return t;
  }

  void deliver(any_event e) {
    if (owner_) owner_->deliver(std::move(e));
  }

  /// From submit(): never call the sink re-entrantly.
  void post_event(any_event e) {
    std::weak_ptr<impl> w = weak_from_this();
    asio::post(ex_, [w, e = std::move(e)]() mutable {
      if (auto s = w.lock()) s->deliver(std::move(e));
    });
  }

  void log(const std::string& line) {
    if (log_) log_(line);
  }

  struct buried {
    std::chrono::steady_clock::time_point when;
    std::unique_ptr<paho_client> client;
  };

  paho_backend* owner_;
  asio::any_io_executor ex_;
  nt35e::mqtt::host_map map_;
  std::string cert_dir_;
  bool show_secrets_;
  std::chrono::milliseconds limit_{10000};
  paho_backend::log_sink log_;
  std::unordered_map<int, slot> slots_;
  std::uint64_t next_gen_ = 0;
  asio::steady_timer reaper_;
  bool reaper_armed_ = false;
  std::vector<buried> graveyard_;

  friend class paho_backend;
};

// =======================================================================================

paho_backend::paho_backend(boost::asio::any_io_executor ex, nt35e::mqtt::host_map map, std::string cert_dir,
                           bool show_secrets)
    : impl_(std::make_shared<impl>(this, std::move(ex), std::move(map), std::move(cert_dir), show_secrets)) {
  paho_waker::instance();
}

paho_backend::~paho_backend() { impl_->shutdown(); }

void paho_backend::submit(nt35e::mqtt::any_request r) { impl_->submit(std::move(r)); }

void paho_backend::set_log_sink(log_sink sink) { impl_->log_ = std::move(sink); }

void paho_backend::set_timeouts(std::chrono::milliseconds connect_limit) { impl_->limit_ = connect_limit; }

}  // namespace nt35e::paho
