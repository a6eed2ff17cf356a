// Import of a broker-side capture (issue 17, part 2): pcap or pcapng in, the broker's
// behaviour out as scenario material (import_log.hpp, captured_broker, says what).
// Steps: packets to TCP segments (net_frames), segments to connections and each
// direction's bytes (reassembled by sequence number: retransmissions and overlaps cut,
// out-of-order segments held until the gap fills), bytes to MQTT packets (mqtt/wire),
// packets to delays and rules.

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "at/text.hpp"
#include "mqtt/topic.hpp"
#include "mqtt/wire.hpp"
#include "trace/import_detail.hpp"
#include "trace/net_frames.hpp"
#include "trace/pcapng.hpp"

namespace nt35e::trace {
namespace {

namespace wire = mqtt::wire;
using detail::capture_world;
using detail::rule_origin;
using ms = std::chrono::milliseconds;

/// Out-of-order bytes held per direction at most; past this a gap is given up.
constexpr std::size_t max_pending = 4 * 1024 * 1024;
/// Deliveries written at most: a capture of a busy broker would make a scenario nobody reads.
constexpr int max_deliveries = 1000;
constexpr int max_ids = 5;  // ECMT ids 0-4

/// One direction of a TCP connection, reassembled.
struct half_stream {
  bool started = false;
  std::uint32_t next = 0;  ///< the sequence number of the next byte expected
  std::string bytes;
  std::vector<std::pair<std::size_t, std::uint64_t>> ends;  ///< (end offset, time) of each appended run
  std::map<std::uint32_t, std::pair<std::string, std::uint64_t>> pending;
  std::size_t pending_bytes = 0;
  std::size_t lost = 0;  ///< bytes given up after a gap that never filled

  void start(std::uint32_t seq) {
    started = true;
    next = seq;
  }

  void append(std::string_view data, std::uint64_t t) {
    bytes.append(data);
    next += static_cast<std::uint32_t>(data.size());
    ends.emplace_back(bytes.size(), t);
  }

  /// Adds a segment's payload at `seq`; what is already there is cut off.
  void add(std::uint32_t seq, std::string_view data, std::uint64_t t) {
    if (data.empty()) return;
    if (!started) start(seq);
    auto d = static_cast<std::int32_t>(seq - next);
    if (d < 0) {
      if (static_cast<std::size_t>(-static_cast<std::int64_t>(d)) >= data.size()) return;  // a retransmission
      data.remove_prefix(static_cast<std::size_t>(-static_cast<std::int64_t>(d)));
      d = 0;
    }
    if (d > 0) {
      if (pending_bytes + data.size() <= max_pending && !pending.count(seq)) {
        pending[seq] = {std::string(data), t};
        pending_bytes += data.size();
      } else {
        lost += data.size();
      }
      return;
    }
    append(data, t);
    drain();
  }

  /// Appends held segments that now follow on.
  void drain() {
    while (!pending.empty()) {
      auto it = std::min_element(pending.begin(), pending.end(), [&](const auto& a, const auto& b) {
        return static_cast<std::int32_t>(a.first - next) < static_cast<std::int32_t>(b.first - next);
      });
      auto d = static_cast<std::int32_t>(it->first - next);
      if (d > 0) return;
      auto [data, t] = std::move(it->second);
      pending_bytes -= data.size();
      pending.erase(it);
      auto skip = static_cast<std::size_t>(-static_cast<std::int64_t>(d));
      if (skip < data.size()) append(std::string_view(data).substr(skip), t);
    }
  }

  /// The time of the segment that brought byte `offset`.
  std::uint64_t time_of(std::size_t offset) const {
    auto it =
        std::upper_bound(ends.begin(), ends.end(), offset, [](std::size_t o, const auto& e) { return o < e.first; });
    return it == ends.end() ? (ends.empty() ? 0 : ends.back().second) : it->second;
  }
};

/// One TCP connection: side a sent the first SYN (or the first segment seen).
struct tcp_conn {
  std::string a_ip, b_ip;
  std::uint16_t a_port = 0, b_port = 0;
  int first_packet = 0;
  std::uint64_t start_t = 0, last_t = 0;
  std::optional<std::uint64_t> syn_t, synack_t;
  std::optional<std::uint64_t> fin_a, fin_b, rst_a, rst_b;
  half_stream ab, ba;
  bool has_data = false;
  bool ended() const { return rst_a || rst_b || (fin_a && fin_b); }
};

/// An MQTT packet of a connection with its time and sender.
struct mqtt_item {
  std::uint64_t t = 0;
  bool from_client = true;
  wire::packet p;
};

std::string port_text(const tcp_conn& c, bool client_is_a) { return std::to_string(client_is_a ? c.a_port : c.b_port); }

std::int64_t ms_between(std::uint64_t from, std::uint64_t to) {
  return to > from ? static_cast<std::int64_t>((to - from + 500) / 1000) : 0;
}

std::int64_t median(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Reads a capture into the scenario material.
class capture_reader {
 public:
  capture_reader(captured_broker& out, const std::string& name) : out_(out), name_(name) {}

  void run(std::string_view bytes) {
    auto got = read_capture(bytes, name_);
    if (auto* e = std::get_if<capture_error>(&got)) {
      out_.messages.push_back({0, message_level::error, e->message.substr(name_.size() + 2)});
      return;
    }
    out_.readable = true;
    const auto& packets = std::get<capture>(got).packets;
    for (std::size_t i = 0; i < packets.size(); ++i) segment(packets[i], static_cast<int>(i + 1));
    auto world = std::make_shared<capture_world>();
    world_ = world.get();
    analyse();
    out_.world = std::move(world);
  }

 private:
  void warn(const std::string& text) { out_.messages.push_back({0, message_level::warning, text}); }
  void note(const std::string& text) { out_.messages.push_back({0, message_level::note, text}); }

  void segment(const captured_packet& p, int number) {
    auto s = net::parse_frame(p.link, p.data);
    if (!s) return;
    ++out_.tcp_segments;
    std::string key_ab =
        s->src_ip + ":" + std::to_string(s->src_port) + ">" + s->dst_ip + ":" + std::to_string(s->dst_port);
    std::string key_ba =
        s->dst_ip + ":" + std::to_string(s->dst_port) + ">" + s->src_ip + ":" + std::to_string(s->src_port);
    const bool syn_only = (s->flags & net::tcp_flag::syn) && !(s->flags & net::tcp_flag::ack);
    tcp_conn* c = nullptr;
    bool from_a = true;
    if (auto it = open_.find(key_ab); it != open_.end()) {
      c = &conns_[it->second];
    } else if (auto jt = open_.find(key_ba); jt != open_.end()) {
      c = &conns_[jt->second];
      from_a = false;
    }
    // A new SYN on the ports of a connection that ended (or carried data) starts a new one.
    if (c && syn_only && from_a && (c->ended() || c->has_data)) c = nullptr;
    if (!c) {
      if (!syn_only && (s->flags & net::tcp_flag::rst)) return;  // a reset of something we never saw
      open_.erase(key_ba);
      open_[key_ab] = conns_.size();
      conns_.emplace_back();
      c = &conns_.back();
      c->a_ip = s->src_ip;
      c->b_ip = s->dst_ip;
      c->a_port = s->src_port;
      c->b_port = s->dst_port;
      c->first_packet = number;
      c->start_t = p.t_us;
      from_a = true;
    }
    c->last_t = p.t_us;
    auto& half = from_a ? c->ab : c->ba;
    if (s->flags & net::tcp_flag::syn) {
      if (from_a && !c->syn_t) c->syn_t = p.t_us;
      if (!from_a && !c->synack_t) c->synack_t = p.t_us;
      half.start(s->seq + 1);
    }
    if (!s->payload.empty()) {
      half.add(s->seq, s->payload, p.t_us);
      c->has_data = true;
    }
    if (s->flags & net::tcp_flag::fin) (from_a ? c->fin_a : c->fin_b) = p.t_us;
    if (s->flags & net::tcp_flag::rst) (from_a ? c->rst_a : c->rst_b) = p.t_us;
  }

  /// The MQTT packets of one direction; a malformed one ends it with a warning.
  void decode(const half_stream& h, bool from_client, const std::string& who, std::vector<mqtt_item>& out) {
    std::size_t at = 0;
    while (at < h.bytes.size()) {
      std::size_t n = 0;
      auto rest = std::string_view(h.bytes).substr(at);
      auto f = wire::frame(rest, n);
      if (f == wire::frame_status::incomplete) {
        note(who + ": the capture ends inside an MQTT packet (" + std::to_string(rest.size()) + " bytes of it)");
        return;
      }
      auto parsed =
          f == wire::frame_status::malformed
              ? std::variant<wire::packet, std::string>(std::string("the remaining length takes more than 4 bytes"))
              : wire::parse(rest.substr(0, n));
      if (auto* why = std::get_if<std::string>(&parsed)) {
        warn(who + ", byte " + std::to_string(at) + " of its stream: not an MQTT packet (" + *why +
             "); the rest of that direction is left out");
        return;
      }
      out.push_back({h.time_of(at + n - 1), from_client, std::get<wire::packet>(parsed)});
      ++out_.mqtt_packets;
      at += n;
    }
  }

  /// Is this direction's first packet a CONNECT?
  static bool starts_with_connect(const half_stream& h) {
    std::size_t n = 0;
    if (h.bytes.empty() || (static_cast<std::uint8_t>(h.bytes[0]) >> 4) != 1) return false;
    if (wire::frame(h.bytes, n) != wire::frame_status::complete) return false;
    return std::holds_alternative<wire::packet>(wire::parse(std::string_view(h.bytes).substr(0, n)));
  }

  void add_rule(scenario::rule r, scenario::action a, int packet, const std::string& why, bool timed) {
    r.then.push_back(std::move(a));
    world_->rules.push_back(std::move(r));
    world_->origins.push_back(rule_origin{packet, "packet " + std::to_string(packet) + ": " + why, timed});
  }

  static scenario::action action_on(scenario::action_kind k, int id) {
    scenario::action a;
    a.kind = k;
    a.id = id;
    return a;
  }

  /// Fires `delay_ms` after the n-th CONNACK on `id` (n = 0: at power-on).
  static scenario::rule after_connack(int id, int n, std::int64_t delay_ms) {
    scenario::rule r;
    if (n == 0) {
      r.when.kind = scenario::trigger_kind::at;
      r.when.at = ms(std::min<std::int64_t>(delay_ms, scenario::max_duration.count()));
      return r;
    }
    r.when.kind = scenario::trigger_kind::mqtt_event;
    r.when.pattern = "connack";
    r.when.id = id;
    r.when.occurrence = n;
    r.after = ms(std::min<std::int64_t>(delay_ms, scenario::max_duration.count()));
    return r;
  }

  void analyse() {
    // MQTT connections, and the server ports they use.
    std::vector<std::size_t> order;
    std::set<std::pair<std::string, std::uint16_t>> servers;
    std::vector<bool> client_is_a(conns_.size(), true);
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      const auto& c = conns_[i];
      if (starts_with_connect(c.ab)) {
        servers.insert({c.b_ip, c.b_port});
        order.push_back(i);
      } else if (starts_with_connect(c.ba)) {
        client_is_a[i] = false;
        servers.insert({c.a_ip, c.a_port});
        order.push_back(i);
      }
    }
    // Opens the broker refused (SYN answered by RST) count when they went to an MQTT port.
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      const auto& c = conns_[i];
      if (!c.has_data && c.syn_t && !c.synack_t && c.rst_b && servers.count({c.b_ip, c.b_port})) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), [&](auto x, auto y) { return conns_[x].start_t < conns_[y].start_t; });
    int skipped = 0;
    for (std::size_t i = 0; i < conns_.size(); ++i)
      if (conns_[i].has_data && std::find(order.begin(), order.end(), i) == order.end()) ++skipped;
    if (skipped)
      note(std::to_string(skipped) + (skipped == 1 ? " TCP connection does" : " TCP connections do") +
           " not begin with an MQTT CONNECT and " + (skipped == 1 ? "is" : "are") + " left out");

    std::vector<std::int64_t> open_ms, connack_ms, ack_ms, delivery_ms;
    std::array<std::uint64_t, max_ids> busy_until{};
    std::array<bool, max_ids> used{};
    std::array<int, max_ids> connacks{};
    std::map<std::pair<std::string, std::string>, std::uint64_t> published;  // (topic, payload) the module sent, when
    std::vector<std::string> granted;                                        // filters the broker granted
    int deliveries = 0;
    bool capped = false;

    for (auto i : order) {
      const auto& c = conns_[i];
      const bool a_client = client_is_a[i];
      const auto& up = a_client ? c.ab : c.ba;
      const auto& down = a_client ? c.ba : c.ab;
      const auto& client_fin = a_client ? c.fin_a : c.fin_b;
      const auto& client_rst = a_client ? c.rst_a : c.rst_b;
      const auto& broker_fin = a_client ? c.fin_b : c.fin_a;
      const auto& broker_rst = a_client ? c.rst_b : c.rst_a;
      const std::string who =
          "packet " + std::to_string(c.first_packet) + ", the connection from port " + port_text(c, a_client);
      // The lowest ECMT id free when this connection opens.
      int id = -1;
      for (int k = 0; k < max_ids && id < 0; ++k)
        if (busy_until[static_cast<std::size_t>(k)] <= c.start_t) id = k;
      if (id < 0) {
        warn(who + ": more than 5 connections at once (the module has ids 0-4); left out");
        continue;
      }
      const auto uid = static_cast<std::size_t>(id);
      std::uint64_t end_t = c.last_t;
      for (const auto& t : {c.fin_a, c.fin_b, c.rst_a, c.rst_b})
        if (t) end_t = std::min(end_t, *t);
      busy_until[uid] = std::max(end_t, c.last_t) + 1;
      const bool first_on_id = !used[uid];
      used[uid] = true;

      if (!c.has_data) {
        if (first_on_id) {
          add_rule(after_connack(id, 0, 0), action_on(scenario::action_kind::tcp_open_failure, id), c.first_packet,
                   "the broker refused the TCP connection (port " + std::to_string(c.b_port) + ")", false);
        } else {
          note(who + ": the broker refused a TCP connection that was not the first on id " + std::to_string(id) +
               "; a scenario cannot refuse a reconnect's open, so this one is not reproduced");
        }
        continue;
      }
      ++out_.mqtt_connections;
      if (c.syn_t && c.synack_t) open_ms.push_back(ms_between(*c.syn_t, *c.synack_t));
      for (const auto* h : {&up, &down})
        if (h->lost || !h->pending.empty())
          warn(who + ": " + std::to_string(h->lost + h->pending_bytes) +
               " bytes came after a gap the capture never filled (lost packets); they are left out");

      std::vector<mqtt_item> items;
      decode(up, true, who + " (module to broker)", items);
      decode(down, false, who + " (broker to module)", items);
      std::stable_sort(items.begin(), items.end(), [](const auto& x, const auto& y) { return x.t < y.t; });

      std::optional<std::uint64_t> connect_t, ping_out;
      std::map<int, std::uint64_t> sub_t, pub_t;
      std::map<int, std::vector<std::string>> sub_filters;
      int connack_n = 0;  // this id's CONNACKs so far, the last one on this connection
      std::uint64_t connack_t = 0;
      bool refused = false, disconnected = false;
      for (const auto& it : items) {
        const auto& p = it.p;
        switch (p.type) {
          case wire::packet_type::connect:
            if (!it.from_client) break;
            connect_t = it.t;
            note(who + ": CONNECT as client id \"" + p.connect.client_id + "\"" +
                 (p.connect.user_name ? ", user \"" + *p.connect.user_name + "\"" : std::string(", no user name")) +
                 ", keepalive " + std::to_string(p.connect.keepalive_s) + " s (the password is not kept)");
            break;
          case wire::packet_type::connack: {
            if (it.from_client) break;
            connack_n = ++connacks[uid];
            connack_t = it.t;
            if (connect_t) connack_ms.push_back(ms_between(*connect_t, it.t));
            if (p.return_code != 0) {
              refused = true;
              auto refuse = action_on(scenario::action_kind::refuse_connect, id);
              refuse.code = std::clamp(p.return_code, 1, 5);
              add_rule(after_connack(id, connack_n - 1, 0), std::move(refuse), c.first_packet,
                       "the broker refused CONNECT with CONNACK " + std::to_string(p.return_code), false);
            }
            break;
          }
          case wire::packet_type::subscribe:
            if (!it.from_client) break;
            sub_t[p.packet_id] = it.t;
            for (const auto& f : p.filters) sub_filters[p.packet_id].push_back(f.first);
            break;
          case wire::packet_type::suback:
            if (auto s = sub_t.find(p.packet_id); s != sub_t.end()) {
              ack_ms.push_back(ms_between(s->second, it.t));
              sub_t.erase(s);
            }
            for (std::size_t k = 0; k < p.codes.size(); ++k) {
              const auto& filters = sub_filters[p.packet_id];
              std::string filter = k < filters.size() ? filters[k] : "?";
              if (p.codes[k] >= 0x80)
                note(who + ": SUBACK refused \"" + filter +
                     "\" (0x80); the module reports it as +ECMTSUB:…,0,1 anyway, "
                     "and the scenario delivers only what the capture shows");
              else
                granted.push_back(filter);
            }
            break;
          case wire::packet_type::publish:
            if (it.from_client) {
              published[{p.topic, p.payload}] = it.t;
              if (p.qos > 0) pub_t[p.packet_id] = it.t;
              break;
            }
            if (connack_n == 0 || refused) break;
            if (auto own = published.find({p.topic, p.payload});
                own != published.end() && std::any_of(granted.begin(), granted.end(),
                                                      [&](const auto& f) { return mqtt::topic_matches(f, p.topic); })) {
              // The module's own message coming back: the scripted broker routes it itself,
              // after the delivery delay this measures.
              delivery_ms.push_back(ms_between(own->second, it.t));
              break;
            }
            if (deliveries >= max_deliveries) {
              capped = true;
              break;
            }
            {
              ++deliveries;
              auto d = action_on(scenario::action_kind::deliver, id);
              d.topic = p.topic;
              d.payload = p.payload;
              d.qos = p.qos;
              d.retain = p.retain;
              if (!at::valid_utf8(p.topic) || !at::valid_utf8(p.payload))
                warn(who + ": a PUBLISH on \"" + detail::bytes_as_text(p.topic) +
                     "\" is not UTF-8 text; the scenario file holds U+FFFD for its bytes");
              auto after = ms_between(connack_t, it.t);
              add_rule(after_connack(id, connack_n, after), std::move(d), c.first_packet,
                       "the broker published to \"" + p.topic + "\" " + std::to_string(after) + " ms after CONNACK",
                       true);
            }
            break;
          case wire::packet_type::puback:
          case wire::packet_type::pubrec:
            if (it.from_client) break;
            if (auto s = pub_t.find(p.packet_id); s != pub_t.end()) {
              ack_ms.push_back(ms_between(s->second, it.t));
              pub_t.erase(s);
            }
            break;
          case wire::packet_type::unsuback:
            break;
          case wire::packet_type::pingreq:
            if (!ping_out) ping_out = it.t;
            break;
          case wire::packet_type::pingresp:
            ping_out.reset();
            break;
          case wire::packet_type::disconnect:
            if (it.from_client) disconnected = true;
            break;
          default:
            break;
        }
      }
      if (connack_n == 0 || refused || disconnected) continue;
      // How the link ended: the broker closing or resetting it is a link loss; the module
      // giving up after unanswered PINGREQs is the broker no longer answering pings.
      std::optional<std::uint64_t> broker_end, client_end;
      for (const auto& t : {broker_fin, broker_rst})
        if (t && (!broker_end || *t < *broker_end)) broker_end = t;
      for (const auto& t : {client_fin, client_rst})
        if (t && (!client_end || *t < *client_end)) client_end = t;
      if (ping_out && (client_end || broker_end)) {
        add_rule(after_connack(id, connack_n, ms_between(connack_t, *ping_out)),
                 action_on(scenario::action_kind::stop_pings, id), c.first_packet,
                 "the broker stopped answering PINGREQ " + std::to_string(ms_between(connack_t, *ping_out)) +
                     " ms after CONNACK",
                 true);
      } else if (broker_end && (!client_end || *broker_end <= *client_end)) {
        auto after = ms_between(connack_t, *broker_end);
        add_rule(after_connack(id, connack_n, after), action_on(scenario::action_kind::drop_link, id), c.first_packet,
                 std::string("the broker ") + (broker_rst && *broker_rst == *broker_end ? "reset" : "closed") +
                     " the link " + std::to_string(after) + " ms after CONNACK",
                 true);
      } else if (client_end) {
        note(who +
             ": the module closed the link without DISCONNECT (a reboot or radio off on its side?); "
             "not the broker's doing, so not in the scenario");
      }
    }
    if (capped)
      warn("the broker published more than " + std::to_string(max_deliveries) +
           " messages; the scenario delivers the first " + std::to_string(max_deliveries));
    if (out_.mqtt_connections == 0)
      out_.messages.push_back({0, message_level::error,
                               "no MQTT connection in the capture (" + std::to_string(out_.tcp_segments) +
                                   " TCP segments; an MQTT connection begins with the client's CONNECT)"});
    auto& b = world_->broker;
    // A delay no longer than a scenario may give (the loader's limit, max_duration): a
    // capture's timestamps may jump by years (found by fuzzing: an ack delay of 628963044 s
    // made a scenario the loader rejects), which is no broker's doing; cut it and say so.
    auto typical = [&](const char* what, const std::vector<std::int64_t>& v) {
      const auto m = median(v);
      const auto limit = static_cast<std::int64_t>(scenario::max_duration.count());
      if (m <= limit) return ms(m);
      warn(std::string("the broker's typical ") + what + " delay in the capture, " + std::to_string(m) +
           " ms, is longer than a scenario allows; cut to " + std::to_string(limit) + " ms");
      return ms(limit);
    };
    if (!open_ms.empty()) b.open_delay = typical("open", open_ms);
    if (!connack_ms.empty()) b.connack_delay = typical("CONNACK", connack_ms);
    if (!ack_ms.empty()) b.ack_delay = typical("acknowledgement", ack_ms);
    if (!delivery_ms.empty()) b.delivery_delay = typical("delivery", delivery_ms);
  }

  captured_broker& out_;
  const std::string& name_;
  std::vector<tcp_conn> conns_;
  std::map<std::string, std::size_t> open_;  ///< "src>dst" of the side that opened -> connection
  capture_world* world_ = nullptr;
};

}  // namespace

captured_broker import_capture(std::string_view bytes, const std::string& name) {
  captured_broker out;
  out.name = name;
  capture_reader(out, name).run(bytes);
  return out;
}

}  // namespace nt35e::trace
