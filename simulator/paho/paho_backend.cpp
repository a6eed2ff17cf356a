#include "paho/paho_backend.hpp"

#include <mqtt/async_client.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "paho/call_queue.hpp"
#include "paho/dialer.hpp"
#include "paho/lane.hpp"
#include "paho/listen_gate.hpp"
#include "paho/paho_client.hpp"
#include "paho/relay.hpp"
#include "paho/upstream.hpp"
#include "paho/waker.hpp"

namespace nt35e::paho {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
namespace req = nt35e::mqtt::request;
namespace ev = nt35e::mqtt::event;
using detail::call_queue;
using detail::dialer;
using detail::endpoint_text;
using detail::listen_gate;
using detail::op_context;
using detail::op_kind;
using detail::paho_client;
using detail::relay;
using detail::upstream;
using nt35e::mqtt::any_event;
using nt35e::mqtt::host_port;
using nt35e::mqtt::tls_options;

/// How many publishes Paho may hold before its send thread writes them (Paho's own limit,
/// a backstop: max_unfinished_publishes below refuses long before).
constexpr int max_queued_publishes = 65535;

/// Publishes handed to Paho and not finished yet (QoS 0: not yet written; QoS 1/2: not yet
/// acknowledged), per connection and in the whole process. Past either limit, AT+ECMTPUB
/// is answered with +ECMTPUB:<id>,<msg>,2, the module's "could not send" (spec §5.8.3),
/// instead of queueing. Why: Paho's one send thread serves every client of the process; a
/// fleet publishing flat out outran it and publishes piled up inside Paho without bound
/// (1000 modems: 48 MiB to 988 MiB in 5 minutes, every one answered OK; about 1.8 KB per
/// waiting publish). The module cannot queue without bound either: its socket buffer
/// fills and the send fails. Chosen values (the spec names none): per connection, above
/// any in-flight window a driver uses and the ~170 publish lines the module's 4096-byte
/// input buffer holds at once; per process, about 15 MB of waiting publishes.
constexpr int max_unfinished_publishes = 256;
constexpr int max_unfinished_publishes_in_process = 8192;
/// Shared by every backend of the process (a fleet's modems run on several threads).
std::atomic<int> unfinished_publishes_in_process{0};

}  // namespace

// =======================================================================================
// The backend proper: one slot per context id (the link ECMTOPEN made) and at most one
// session in it (dial, relay, Paho client, CONNACK timer). Runs on the executor only;
// Paho's callbacks reach it through client_events, posted there.

class paho_backend::impl final : public std::enable_shared_from_this<impl>, public detail::client_events {
 public:
  impl(paho_backend* owner, asio::any_io_executor ex, nt35e::mqtt::host_map map, std::string cert_dir,
       bool show_secrets)
      : owner_(owner),
        ex_(std::move(ex)),
        map_(std::move(map)),
        cert_dir_(std::move(cert_dir)),
        show_secrets_(show_secrets),
        reaper_(ex_) {}

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
    std::shared_ptr<dialer> dial;
    std::shared_ptr<relay> link;
    std::shared_ptr<paho_client> paho;  ///< shared with the calls queued for it (call_paho)
    std::optional<detail::lane> lane;   ///< the packets the backend carries itself (paho/lane.hpp)
    std::unique_ptr<asio::steady_timer> connack_timer;
    std::uint64_t turn_ticket = 0;                    ///< waiting for leave to listen (listen_gate)
    std::unique_ptr<asio::steady_timer> retry_timer;  ///< out of files: the next try to listen
    bool said_out_of_files = false;
    int unfinished_publishes = 0;         ///< handed to Paho, no completion yet
    std::uint64_t refused_publishes = 0;  ///< refused in the current episode of a full queue

    session() = default;
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    // Completions of a session that is over are not counted down one by one.
    ~session() { unfinished_publishes_in_process.fetch_sub(unfinished_publishes, std::memory_order_relaxed); }
  };

  struct slot {
    std::uint64_t open_gen = 0;
    std::shared_ptr<dialer> opening;
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
    auto op = std::make_shared<dialer>(ex_, target, r.host, resolve_paths(r.tls), std::nullopt, limit_);
    sl.opening = op;
    std::weak_ptr<impl> w = weak_from_this();
    const int id = r.id;
    op->start([w, id, gen, target, tls = r.tls](dialer::result res) {
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
      dialer::result res;
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
    s->dial = std::make_shared<dialer>(ex_, target, r.host, resolve_paths(r.tls), known, limit_);
    s->dial->start([w, s, r = std::move(r)](dialer::result res) mutable {
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
    // Not written (the link is ending): its loss is reported on its own.
    s->link->send(s->lane->subscribe(r));
  }

  void handle(req::unsubscribe r) {
    auto s = connected_session(r.id);
    if (!s) return post_event(ev::unsuback{r.id, r.msg_id, 2});
    s->link->send(s->lane->unsubscribe(r));
  }

  void handle(req::publish r) {
    auto s = connected_session(r.id);
    // A publish that cannot be sent is answered from inside submit() (the host hands it to
    // the modem before any timer): the module's own QoS 0 report, due right after the OK,
    // must say 2 for it, not 0.
    if (!s) return deliver(ev::published{r.id, r.msg_id, 2});
    const int in_process = unfinished_publishes_in_process.load(std::memory_order_relaxed);
    if (s->unfinished_publishes >= max_unfinished_publishes || in_process >= max_unfinished_publishes_in_process) {
      // Said once per episode (when it starts and when it ends), not once per publish.
      if (s->refused_publishes++ == 0)
        log("id " + std::to_string(r.id) + ": " + std::to_string(s->unfinished_publishes) +
            " publishes of this link (" + std::to_string(in_process) +
            " in the process) not yet sent or acknowledged, the limit is " + std::to_string(max_unfinished_publishes) +
            " (" + std::to_string(max_unfinished_publishes_in_process) +
            "): refusing publishes with result 2 until they drain");
      return deliver(ev::published{r.id, r.msg_id, 2, /*refused=*/true});
    }
    // Unfinished until written (QoS 0) or acknowledged (QoS 1, 2: on_lane_packet).
    ++s->unfinished_publishes;
    unfinished_publishes_in_process.fetch_add(1, std::memory_order_relaxed);
    auto packet = s->lane->publish(r);
    if (r.qos > 0) return s->link->send(std::move(packet));
    // Spec §5.8.3: QoS 0 is done once written. Not written, the link is ending and its
    // loss is reported on its own.
    s->link->send(std::move(packet), [w = weak_from_this(), id = s->id, gen = s->gen, msg_id = r.msg_id](bool ok) {
      auto self = w.lock();
      auto cur = self ? self->session_of(id, gen) : nullptr;
      if (!cur) return;
      self->publish_finished(*cur);
      if (ok && !cur->closing) self->deliver(ev::published{id, msg_id, 0});
    });
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
      // DISCONNECT (after the publishes queued before it), then Paho closes its socket;
      // the relay forwards the packet and closes the broker side behind it. Timeout 0: no
      // waiting for in-flight acks. Refused, the link is cut instead.
      std::weak_ptr<relay> link = s->link;
      queue_call(
          s->paho,
          [](::mqtt::async_client& cli, detail::callbacks& cb) {
            cli.disconnect(0, op_context(op_kind::disconnect, 0), cb);
          },
          [id = r.id, link](impl& self, const std::string& why) {
            self.log("id " + std::to_string(id) + ": DISCONNECT not sent: " + why);
            if (auto l = link.lock()) l->close();
          });
      s->closing = true;
      sl.sess.reset();
      retire(*s, /*graceful=*/true);
      return;
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

  void start_mqtt(const std::shared_ptr<session>& s, dialer::result res, const req::connect& r) {
    s->link = std::make_shared<relay>(ex_, std::move(res.link));
    s->lane.emplace(s->id);
    s->state = phase::connecting;
    arm_connack_timer(s);
    wait_for_turn(s, std::move(res.detail), r);
  }

  /// The relay's listener waits for the process's leave (paho/listen_gate.hpp): at once
  /// unless a fleet is connecting many modems. Always through the executor, as the leave
  /// may come on another modem's thread.
  void wait_for_turn(const std::shared_ptr<session>& s, std::string detail, const req::connect& r) {
    std::weak_ptr<impl> w = weak_from_this();
    std::weak_ptr<session> ws = s;
    s->turn_ticket = listen_gate::process().acquire(
        [w, ws, ex = ex_, detail = std::move(detail), r](listen_gate::slot turn) mutable {
          asio::post(ex, [w, ws, detail = std::move(detail), r = std::move(r), turn = std::move(turn)]() mutable {
            auto self = w.lock();
            auto cur = ws.lock();
            // A session that ended meanwhile drops the leave, which passes it on.
            if (!self || !cur || cur->closing || !self->is_current(*cur)) return;
            cur->turn_ticket = 0;
            self->connect_via_relay(cur, detail, r, std::move(turn));
          });
        });
  }

  void connect_via_relay(const std::shared_ptr<session>& s, const std::string& detail, const req::connect& r,
                         listen_gate::slot turn) {
    auto link = s->link;
    error_code ec;
    const auto port = link->listen(std::move(turn), ec);
    if (ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system) {
      // Out of files (other lines, a low limit): try again in 100 ms, within the CONNACK
      // limit, whose timer ends the wait. Said once per connect.
      if (!s->said_out_of_files)
        log("id " + std::to_string(s->id) + ": relay: " + ec.message() + "; the CONNECT waits for a free file");
      s->said_out_of_files = true;
      s->retry_timer = std::make_unique<asio::steady_timer>(ex_, std::chrono::milliseconds(100));
      std::weak_ptr<impl> w = weak_from_this();
      std::weak_ptr<session> ws = s;
      s->retry_timer->async_wait([w, ws, detail, r](const error_code& tec) {
        auto self = w.lock();
        auto cur = ws.lock();
        if (tec || !self || !cur || cur->closing || !self->is_current(*cur)) return;
        self->wait_for_turn(cur, detail, r);
      });
      return;
    }
    if (ec) {
      drop_session(s->id, false);
      return deliver(ev::connect_failed{s->id, "relay: " + ec.message()});
    }
    link->on_note([w = weak_from_this(), id = s->id](const std::string& note) {
      if (auto self = w.lock()) self->log("id " + std::to_string(id) + ": " + note);
    });
    auto pc = std::make_shared<paho_client>(weak_from_this(), ex_, s->id, s->gen);
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
      ::mqtt::connect_options co;
      co.set_mqtt_version(version);
      co.set_clean_session(o.clean_session);
      co.set_keep_alive_interval(o.keepalive_s);
      co.set_automatic_reconnect(false);
      // Our own timer (arm_connack_timer) enforces the CONNACK limit to the millisecond;
      // Paho checks its timeout only once per poll round (up to 1 s late): a backstop.
      co.set_connect_timeout(static_cast<int>((limit_.count() + 999) / 1000) + 5);
      co.set_max_inflight(65535);  // the host decides how many are in flight
      if (o.user_name) co.set_user_name(*o.user_name);
      if (o.password) co.set_password(*o.password);
      if (o.will.enabled)
        co.set_will(::mqtt::will_options(o.will.topic, o.will.message.data(), o.will.message.size(), o.will.qos,
                                         o.will.retain));
      log("id " + std::to_string(s->id) + ": CONNECT to " + detail + " via 127.0.0.1:" + std::to_string(port) +
          " (MQTT " + (version == MQTTVERSION_3_1 ? "3.1" : "3.1.1") + ", client id \"" + o.client_id + "\", user " +
          (o.user_name ? "\"" + *o.user_name + "\"" : std::string("none")) + ", password " +
          (o.password ? (show_secrets_ ? "\"" + *o.password + "\"" : std::string("****")) : std::string("none")) + ")");
      s->paho = pc;
      // Queued like every other call on the client: a DISCONNECT of the link before it
      // (the same client id) reaches the broker first.
      call_paho(
          *s,
          [co = std::move(co)](::mqtt::async_client& cli, detail::callbacks& cb) {
            cli.connect(co, op_context(op_kind::connect, 0), cb);
          },
          [](impl& self, session& cur, const std::string& why) {
            self.drop_session(cur.id, false);
            self.deliver(ev::connect_failed{cur.id, "Paho: " + why});
          });
    } catch (const ::mqtt::exception& e) {
      s->paho = std::move(pc);
      drop_session(s->id, false);
      return deliver(ev::connect_failed{s->id, std::string("Paho: ") + e.what()});
    }
    link->start();
  }

  /// Spec §5.4 step 7: no CONNACK within the limit → connect_failed, link closed. Armed
  /// before the relay's turn to listen: waiting for it is part of the limit.
  void arm_connack_timer(const std::shared_ptr<session>& s) {
    s->connack_timer = std::make_unique<asio::steady_timer>(ex_, limit_);
    std::weak_ptr<impl> w = weak_from_this();
    s->connack_timer->async_wait([w, id = s->id, gen = s->gen, limit = limit_](const error_code& ec) {
      if (ec) return;
      auto self = w.lock();
      if (!self) return;
      auto cur = self->session_of(id, gen);
      if (!cur || cur->closing || cur->state != phase::connecting) return;
      std::string why = cur->link && !cur->link->upstream_detail().empty()
                            ? "link closed before CONNACK: " + cur->link->upstream_detail()
                            : "no CONNACK within " + std::to_string(limit.count()) + " ms";
      if (!cur->paho)
        why += cur->said_out_of_files ? " (the process was out of open files)"
                                      : " (the CONNECT waited behind the process's other connects)";
      self->drop_session(id, false);
      self->log("id " + std::to_string(id) + ": connect failed: " + why);
      self->deliver(ev::connect_failed{id, why});
    });
  }

  // ---- Paho events, now on the executor -----------------------------------------------

  void on_op(int id, std::uint64_t gen, op_kind kind, int /*msg_id*/, int rc, const std::string& why) override {
    auto s = session_of(id, gen);
    if (!s || s->closing || kind != op_kind::connect || s->state != phase::connecting) return;
    if (rc == 0) {
      s->state = phase::connected;
      deliver(ev::connack{id, 0});
      // From now on the relay hands the broker's PUBLISHes and acks to the lane, after
      // the CONNACK's event (the host may have ended the session on it).
      if (auto cur = session_of(id, gen); cur && !cur->closing && cur->link) {
        if (receive_paused_) cur->link->pause(true);  // a link made while the host is behind
        cur->link->take_over([w = weak_from_this(), id, gen](std::string_view packet) {
          if (auto self = w.lock()) self->on_lane_packet(id, gen, packet);
        });
      }
      return;
    }
    const std::string detail = s->link && !s->link->upstream_detail().empty()
                                   ? "link closed before CONNACK: " + s->link->upstream_detail()
                                   : why;
    const bool bad_connack = s->link && s->link->bad_connack();
    drop_session(id, false);
    if (bad_connack) {
      // Spec §7.3: a first packet that is not a well-formed CONNACK is reported as code 6.
      log("id " + std::to_string(id) + ": connect failed: " + detail + " (reported as CONNACK code 6)");
      return deliver(ev::connack{id, 6});
    }
    if (rc > 0) {
      // A refusing CONNACK: Paho reports its return code as the token's rc (mosquitto
      // answers a wrong password with 5, which Paho hands over as rc 5).
      log("id " + std::to_string(id) + ": CONNACK refused, code " + std::to_string(rc));
      return deliver(ev::connack{id, rc > 5 ? 6 : rc});
    }
    log("id " + std::to_string(id) + ": connect failed: " + detail);
    deliver(ev::connect_failed{id, detail});
  }

  /// A broker packet for the lane, from the relay (on the executor).
  void on_lane_packet(int id, std::uint64_t gen, std::string_view packet) {
    auto s = session_of(id, gen);
    if (!s || s->closing || !s->lane) return;
    auto o = s->lane->on_packet(packet);
    if (!o.note.empty()) log("id " + std::to_string(id) + ": " + o.note);
    if (!o.reply.empty()) s->link->send(std::move(o.reply));
    if (!o.broken.empty()) {
      // The module's receive loop gives up on the connection: a link loss.
      drop_session(id, false);
      log("id " + std::to_string(id) + ": link lost: " + o.broken);
      return deliver(ev::link_lost{id, o.broken});
    }
    if (!o.event) return;
    if (std::holds_alternative<ev::published>(*o.event)) publish_finished(*s);
    deliver(std::move(*o.event));
  }

  void on_lost(int id, std::uint64_t gen, const std::string& cause) override {
    auto s = session_of(id, gen);
    if (!s || s->closing || s->state != phase::connected) return;  // connecting: the token reports it
    std::string detail = s->link ? s->link->upstream_detail() : std::string();
    if (detail.empty()) detail = cause.empty() ? "connection lost" : cause;
    drop_session(id, false);
    log("id " + std::to_string(id) + ": link lost: " + detail);
    deliver(ev::link_lost{id, detail});
  }

  void publish_finished(session& s) {
    if (s.unfinished_publishes > 0) {
      --s.unfinished_publishes;
      unfinished_publishes_in_process.fetch_sub(1, std::memory_order_relaxed);
    }
    // The episode of refusals ends once half the queue has drained (hysteresis: no log
    // line per publish while a flood hovers at the limit).
    if (s.refused_publishes > 0 && s.unfinished_publishes <= max_unfinished_publishes / 2 &&
        unfinished_publishes_in_process.load(std::memory_order_relaxed) <= max_unfinished_publishes_in_process / 2) {
      log("id " + std::to_string(s.id) + ": publishes drain again; " + std::to_string(s.refused_publishes) +
          " refused with result 2 meanwhile");
      s.refused_publishes = 0;
    }
  }

  // ---- calls into Paho ------------------------------------------------------------------

  /// What a refused call does, on the executor, with Paho's reason.
  using refused_fn = std::function<void(impl&, const std::string& why)>;

  /// Runs `call(cli, cb)`, once this turn of the executor is over, through the process's
  /// Paho call queue (paho/call_queue.hpp): on its thread whenever other calls are
  /// waiting, so that this thread does not wait for Paho's lock behind them. The client
  /// stays alive until the call ran. If Paho refuses it (throws), `refused` runs on the
  /// executor, posted, unless this backend is gone by then.
  template <class Call>
  void queue_call(std::shared_ptr<paho_client> pc, Call call, refused_fn refused) {
    auto job = [pc = std::move(pc), call = std::move(call), refused = std::move(refused), ex = ex_,
                w = weak_from_this()]() mutable {
      std::optional<std::string> why;
      try {
        call(*pc->cli, pc->cb);
      } catch (const std::exception& e) {
        why = e.what();
      }
      if (why)
        asio::post(ex, [w, refused = std::move(refused), why = std::move(*why)] {
          if (auto self = w.lock()) refused(*self, why);
        });
      // Its session is over and the reaper has let go already: bury it again on the
      // executor rather than destroy it here, perhaps inside a callback's window (bury()).
      if (pc.use_count() == 1)
        asio::post(ex, [w, pc = std::move(pc)]() mutable {
          if (auto self = w.lock()) self->bury(std::move(pc));
        });
    };
    // The call waits for the end of this turn of the executor, so that what the turn
    // answers the DTE (AT+ECMTPUB's OK) is written first: made inline, the call waits for
    // Paho's one lock whenever Paho's send or receive thread holds it for an earlier
    // message, and the OK waited with it (a lone modem, QoS 1 one at a time: AT+ECMTPUB
    // -> OK p50 69 -> 50 us; the message reaches the broker no later, within the noise).
    asio::post(ex_, [w = weak_from_this(), job = std::move(job)]() mutable {
      auto self = w.lock();
      if (!self || !self->owner_) return;  // shut down meanwhile: no more calls into Paho
      call_queue::instance().run_or_push(std::move(job));
    });
  }

  /// queue_call() for a call of session `s` whose refusal matters only while `s` is still
  /// the id's live session (not dropped or replaced meanwhile: then it was said otherwise).
  template <class Call, class Refused>
  void call_paho(session& s, Call call, Refused refused) {
    queue_call(s.paho, std::move(call),
               [id = s.id, gen = s.gen, refused = std::move(refused)](impl& self, const std::string& why) {
                 auto cur = self.session_of(id, gen);
                 if (cur && !cur->closing) refused(self, *cur, why);
               });
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
    listen_gate::process().cancel(std::exchange(s.turn_ticket, 0));
    if (s.retry_timer) s.retry_timer->cancel();
    if (s.dial) s.dial->cancel();
    s.dial.reset();
    if (s.link && !graceful) s.link->close();
    s.link.reset();
    if (s.paho) bury(std::move(s.paho));
  }

  /// Paho C++ touches the client right after a token callback returns (remove_token), and
  /// that callback may still be returning on Paho's thread when its posted event runs
  /// here. So a finished client is destroyed a little later, never inside that window.
  void bury(std::shared_ptr<paho_client> p) {
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
    std::vector<std::shared_ptr<paho_client>> dead;
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
    // The calls still queued for these clients run first: after this the clients go, and
    // nothing may call Paho on them or post to this executor for them any more.
    call_queue::instance().drain();
    graveyard_.clear();
  }

  void pause_receiving(bool paused) {
    receive_paused_ = paused;
    for (auto& [id, sl] : slots_)
      if (sl.sess && sl.sess->link && sl.sess->state == phase::connected) sl.sess->link->pause(paused);
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
    std::shared_ptr<paho_client> client;
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
  bool receive_paused_ = false;  ///< the host is behind with incoming messages
  asio::steady_timer reaper_;
  bool reaper_armed_ = false;
  std::vector<buried> graveyard_;

  friend class paho_backend;
};

// =======================================================================================

paho_backend::paho_backend(boost::asio::any_io_executor ex, nt35e::mqtt::host_map map, std::string cert_dir,
                           bool show_secrets)
    : impl_(std::make_shared<impl>(this, std::move(ex), std::move(map), std::move(cert_dir), show_secrets)) {
  detail::waker::instance();
}

paho_backend::~paho_backend() { impl_->shutdown(); }

void paho_backend::submit(nt35e::mqtt::any_request r) { impl_->submit(std::move(r)); }

void paho_backend::pause_receiving(bool paused) { impl_->pause_receiving(paused); }

void paho_backend::set_log_sink(log_sink sink) { impl_->log_ = std::move(sink); }

void paho_backend::set_timeouts(std::chrono::milliseconds connect_limit) { impl_->limit_ = connect_limit; }

}  // namespace nt35e::paho
