#include "trace/pcap_export.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <type_traits>

#include "mqtt/wire.hpp"
#include "trace/net_frames.hpp"

namespace nt35e::trace {
namespace {

namespace wire = mqtt::wire;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;
using net::tcp_flag::rst;
using net::tcp_flag::syn;

constexpr char ctrl_z = 0x1A;
constexpr char esc = 0x1B;
constexpr std::uint16_t broker_port = 1883;
constexpr std::size_t mss = 1460;
/// The module's PDP address (spec: AT+CGPADDR answers it).
const std::string module_ip("\x0a\x80\x2d\x43", 4);

/// The broker's address in the capture: the host itself when it is an IPv4 address, else a
/// documentation address (198.51.100.1-254) derived from the name, the same on every run.
std::string broker_ip(const std::string& host) {
  if (auto v4 = net::ipv4(host)) return *v4;
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : host) h = (h ^ c) * 16777619u;
  return std::string("\xc6\x33\x64", 3) + static_cast<char>(1 + h % 254);
}

}  // namespace

/// One direction of the UART cut into lines (the rules in the header).
struct pcap_exporter::line_cutter {
  bool host = false;
  std::string buf;
  bool complete = false;
  bool content = false;  ///< a byte other than CR/LF is in buf
  std::int64_t t_us = 0;

  /// Does `c` start a new piece (so buf must be written first)?
  bool breaks_before(char c) const { return complete && !(c == '\n' && buf.back() == '\r'); }

  void append(char c, std::int64_t t) {
    buf.push_back(c);
    t_us = t;
    bool line_end = c == '\r' || c == '\n';
    if (!line_end) content = true;
    if (host) {
      if (line_end || c == ctrl_z || c == esc) complete = true;
    } else if (line_end && content) {
      complete = true;
    } else if (c == ' ' && buf.size() >= 2 && buf[buf.size() - 2] == '>' &&
               buf.find_first_not_of("\r\n") == buf.size() - 2) {
      complete = true;  // the "> " prompt of data mode: nothing follows it until the host sends
    }
  }

  std::string take() {
    std::string out = std::move(buf);
    buf.clear();
    complete = content = false;
    return out;
  }
};

/// One ECMT id's TCP connection to the broker.
struct pcap_exporter::connection {
  bool open = false;
  std::string server_ip = broker_ip("broker");
  std::uint16_t port = 0;
  std::uint32_t module_seq = 0, broker_seq = 0;
  std::map<int, int> sub_qos;  ///< msg id -> QoS asked for, for the SUBACK
  std::map<int, int> pub_qos;  ///< msg id -> QoS of the module's PUBLISH, for its acks
};

pcap_exporter::pcap_exporter(pcapng_writer::sink out, std::uint64_t origin_us)
    : writer_(std::move(out), "nt35e-sim"),
      origin_us_(origin_us),
      host_(std::make_unique<line_cutter>()),
      module_(std::make_unique<line_cutter>()) {
  host_->host = true;
  uart_if_ =
      writer_.add_interface(link_type::upper_pdu, "uart", "NT35E UART: AT lines as exported PDUs (at dissector)");
  broker_if_ =
      writer_.add_interface(link_type::ethernet, "broker", "MQTT to the broker, synthesized as plain TCP on port 1883");
}

pcap_exporter::~pcap_exporter() = default;

std::uint64_t pcap_exporter::stamp(std::int64_t t_us) {
  last_us_ = std::max(last_us_, origin_us_ + static_cast<std::uint64_t>(std::max<std::int64_t>(0, t_us)));
  return last_us_;
}

void pcap_exporter::write_piece(bool from_host, const std::string& bytes, std::int64_t t_us) {
  if (bytes.empty()) return;
  auto dir = from_host ? packet_direction::inbound : packet_direction::outbound;
  if (from_host) {
    last_host_line_ = bytes;
  } else if (echoes(bytes)) {
    // The echo is the host's line again: to the `at` dissector it would be a response (a
    // command "A"), so it goes out as data, marked "AT echo".
    writer_.packet(uart_if_, stamp(t_us), exported_pdu("data", 1, bytes, "AT echo"), dir);
    ++packets_;
    return;
  }
  // Wireshark's `at` dissector: sent (0) is the DTE's side, received (1) the module's.
  writer_.packet(uart_if_, stamp(t_us), exported_pdu("at", from_host ? 0 : 1, bytes), dir);
  ++packets_;
}

bool pcap_exporter::echoes(std::string_view piece) const {
  auto text = piece.substr(0, piece.find_last_not_of("\r\n") + 1);
  if (text.empty() || piece.front() == '\r' || piece.front() == '\n') return false;
  return std::string_view(last_host_line_).starts_with(text);
}

void pcap_exporter::flush_complete() {
  line_cutter* first = host_.get();
  line_cutter* second = module_.get();
  if (second->complete && (!first->complete || second->t_us < first->t_us)) std::swap(first, second);
  for (auto* c : {first, second})
    if (c->complete) write_piece(c->host, c->take(), c->t_us);
}

void pcap_exporter::uart(bool from_host, std::string_view bytes, std::int64_t t_us) {
  auto& mine = from_host ? *host_ : *module_;
  auto& other = from_host ? *module_ : *host_;
  if (other.complete) write_piece(other.host, other.take(), other.t_us);
  for (char c : bytes) {
    if (mine.breaks_before(c)) write_piece(mine.host, mine.take(), mine.t_us);
    mine.append(c, t_us);
  }
}

void pcap_exporter::finish() {
  flush_complete();
  for (auto* c : {host_.get(), module_.get()})
    if (!c->buf.empty()) write_piece(c->host, c->take(), c->t_us);
}

pcap_exporter::connection& pcap_exporter::conn(int id) {
  auto& c = connections_[id];
  if (!c) c = std::make_unique<connection>();
  return *c;
}

void pcap_exporter::segment(connection& c, bool from_module, std::uint8_t flags, std::string_view payload,
                            std::int64_t t_us, const std::string& comment) {
  net::tcp_segment s;
  s.src_ip = from_module ? module_ip : c.server_ip;
  s.dst_ip = from_module ? c.server_ip : module_ip;
  s.src_port = from_module ? c.port : broker_port;
  s.dst_port = from_module ? broker_port : c.port;
  auto& mine = from_module ? c.module_seq : c.broker_seq;
  s.seq = mine;
  s.ack = (flags & ack) ? (from_module ? c.broker_seq : c.module_seq) : 0;
  s.flags = flags;
  s.payload.assign(payload);
  mine += static_cast<std::uint32_t>(payload.size()) + ((flags & (syn | fin)) ? 1 : 0);
  writer_.packet(broker_if_, stamp(t_us), net::ethernet_frame(s, ip_id_++),
                 from_module ? packet_direction::outbound : packet_direction::inbound, comment);
  ++packets_;
}

void pcap_exporter::handshake(connection& c, std::int64_t t_us, bool refused) {
  c.port = next_port_;
  next_port_ = next_port_ == 65535 ? 49152 : static_cast<std::uint16_t>(next_port_ + 1);
  // Initial sequence numbers that differ per connection, as a real stack's do.
  c.module_seq = 0x10000000u + c.port * 0x1000u;
  c.broker_seq = 0x60000000u + c.port * 0x1000u;
  segment(c, true, syn, {}, t_us, "");
  if (refused) {
    c.broker_seq = 0;
    segment(c, false, rst | ack, {}, t_us, "nt35e-sim: connection refused");
    c.open = false;
    return;
  }
  segment(c, false, syn | ack, {}, t_us, "");
  segment(c, true, ack, {}, t_us, "");
  c.open = true;
}

void pcap_exporter::mqtt(connection& c, bool from_module, const std::string& packet, std::int64_t t_us,
                         const std::string& comment) {
  if (!c.open) handshake(c, t_us);
  for (std::size_t at = 0; at < packet.size(); at += mss) {
    auto piece = std::string_view(packet).substr(at, mss);
    segment(c, from_module, psh | ack, piece, t_us, at == 0 ? comment : std::string());
  }
}

void pcap_exporter::close(connection& c, bool by_module, bool reset, std::int64_t t_us, const std::string& comment) {
  if (!c.open) return;
  if (reset) {
    segment(c, by_module, rst | ack, {}, t_us, comment);
  } else {
    segment(c, by_module, fin | ack, {}, t_us, comment);
    segment(c, !by_module, fin | ack, {}, t_us, "");
    segment(c, by_module, ack, {}, t_us, "");
  }
  c.open = false;
}

void pcap_exporter::add(const mqtt::any_request& r, std::int64_t t_us) {
  flush_complete();
  const auto why = "nt35e-sim: " + mqtt::describe(r, true);
  std::visit(
      [&](const auto& q) {
        using T = std::decay_t<decltype(q)>;
        if constexpr (std::is_same_v<T, mqtt::request::open>) {
          auto& c = conn(q.id);
          if (c.open) close(c, true, true, t_us, why);
          c.server_ip = broker_ip(q.host);
        }
        if constexpr (std::is_same_v<T, mqtt::request::connect>) {
          auto& c = conn(q.id);
          if (!c.open) c.server_ip = broker_ip(q.host);
          mqtt(c, true, wire::connect(q.options), t_us, why);
        }
        if constexpr (std::is_same_v<T, mqtt::request::subscribe>) {
          auto& c = conn(q.id);
          c.sub_qos[q.msg_id] = q.qos;
          mqtt(c, true, wire::subscribe(q.msg_id, q.topic, q.qos), t_us, why);
        }
        if constexpr (std::is_same_v<T, mqtt::request::unsubscribe>) {
          mqtt(conn(q.id), true, wire::unsubscribe(q.msg_id, q.topic), t_us, why);
        }
        if constexpr (std::is_same_v<T, mqtt::request::publish>) {
          auto& c = conn(q.id);
          c.pub_qos[q.msg_id] = q.qos;
          mqtt(c, true, wire::publish(q.topic, q.payload, q.qos, q.retain, q.msg_id), t_us, why);
        }
        if constexpr (std::is_same_v<T, mqtt::request::disconnect>) {
          auto& c = conn(q.id);
          if (!c.open) return;
          mqtt(c, true, wire::bare(wire::packet_type::disconnect), t_us, why);
          close(c, true, false, t_us, "");
        }
        if constexpr (std::is_same_v<T, mqtt::request::abort>) {
          close(conn(q.id), true, true, t_us, why);
        }
      },
      r);
}

void pcap_exporter::add(const mqtt::any_event& e, std::int64_t t_us) {
  flush_complete();
  const auto why = "nt35e-sim: " + mqtt::describe(e);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, mqtt::event::opened>) {
          auto& c = conn(v.id);
          if (v.ok) {
            if (c.open) close(c, true, true, t_us, "");
            handshake(c, t_us);
          } else if (!v.detail.starts_with("DNS")) {
            // Refused: a SYN answered by RST (a DNS failure sends nothing).
            if (c.open) close(c, true, true, t_us, "");
            handshake(c, t_us, true);
          }
        }
        if constexpr (std::is_same_v<T, mqtt::event::connack>) {
          auto& c = conn(v.id);
          mqtt(c, false, wire::connack(v.return_code), t_us, why);
          // MQTT 3.1.1 §3.2.2.3: the server closes the connection after a refusal.
          if (v.return_code != 0) close(c, false, false, t_us, "");
        }
        if constexpr (std::is_same_v<T, mqtt::event::suback>) {
          auto& c = conn(v.id);
          if (v.result == 2) return;  // never sent: nothing came back
          auto qos = c.sub_qos.count(v.msg_id) ? c.sub_qos[v.msg_id] : 0;
          // A malformed SUBACK (result 1) carries a return code MQTT 3.1.1 does not have.
          mqtt(c, false, wire::suback(v.msg_id, static_cast<std::uint8_t>(v.result == 0 ? qos : 3)), t_us, why);
        }
        if constexpr (std::is_same_v<T, mqtt::event::unsuback>) {
          if (v.result != 0) return;
          mqtt(conn(v.id), false, wire::ack(wire::packet_type::unsuback, v.msg_id), t_us, why);
        }
        if constexpr (std::is_same_v<T, mqtt::event::published>) {
          auto& c = conn(v.id);
          auto qos = c.pub_qos.count(v.msg_id) ? c.pub_qos[v.msg_id] : 0;
          if (v.result != 0 || qos == 0) return;  // QoS 0: nothing comes back
          if (qos == 1) {
            mqtt(c, false, wire::ack(wire::packet_type::puback, v.msg_id), t_us, why);
          } else {
            mqtt(c, false, wire::ack(wire::packet_type::pubrec, v.msg_id), t_us, why);
            mqtt(c, true, wire::ack(wire::packet_type::pubrel, v.msg_id), t_us, "");
            mqtt(c, false, wire::ack(wire::packet_type::pubcomp, v.msg_id), t_us, "");
          }
        }
        if constexpr (std::is_same_v<T, mqtt::event::message>) {
          auto& c = conn(v.id);
          mqtt(c, false, wire::publish(v.topic, v.payload, v.qos, v.retained, v.msg_id), t_us, why);
          if (v.qos == 1) {
            mqtt(c, true, wire::ack(wire::packet_type::puback, v.msg_id), t_us, "");
          } else if (v.qos == 2) {
            mqtt(c, true, wire::ack(wire::packet_type::pubrec, v.msg_id), t_us, "");
            mqtt(c, false, wire::ack(wire::packet_type::pubrel, v.msg_id), t_us, "");
            mqtt(c, true, wire::ack(wire::packet_type::pubcomp, v.msg_id), t_us, "");
          }
        }
        if constexpr (std::is_same_v<T, mqtt::event::link_lost>) {
          close(conn(v.id), false, true, t_us, why);
        }
      },
      e);
}

void pcap_exporter::add(const event& e) {
  switch (e.dir) {
    case direction::dte_to_module:
      uart(true, e.data, e.t_us);
      break;
    case direction::module_to_dte:
      uart(false, e.data, e.t_us);
      break;
    case direction::module_to_net:
      if (auto r = mqtt::parse_request(e.text)) add(*r, e.t_us);
      break;
    case direction::net_to_module:
      if (auto v = mqtt::parse_event(e.text)) add(*v, e.t_us);
      break;
    case direction::state:
      break;
  }
}

std::optional<std::uint64_t> epoch_us(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.ffffff]Z
  auto num = [&](std::size_t at, std::size_t n, int& v) {
    if (at + n > s.size()) return false;
    auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
    return ec == std::errc{} && p == s.data() + at + n;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) || !num(17, 2, sec))
    return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || y < 1970 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::uint64_t us = 0;
  std::size_t at = 19;
  if (at < s.size() && s[at] == '.') {
    std::uint64_t scale = 100000;
    for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, scale /= 10) us += (s[at] - '0') * scale;
  }
  auto days = std::chrono::sys_days(ymd).time_since_epoch().count();
  return static_cast<std::uint64_t>(days) * 86'400'000'000ull +
         static_cast<std::uint64_t>(h * 3600 + mi * 60 + sec) * 1'000'000ull + us;
}

std::string to_pcapng(const trace& t) {
  std::string out;
  {
    pcap_exporter x([&](std::string_view b) { out.append(b); }, epoch_us(t.head.started).value_or(0));
    for (const auto& e : t.events) x.add(e);
    x.finish();
  }
  return out;
}

}  // namespace nt35e::trace
