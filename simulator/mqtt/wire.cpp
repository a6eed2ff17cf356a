#include "mqtt/wire.hpp"

namespace nt35e::mqtt::wire {
namespace {

void put16(std::string& out, int v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_string(std::string& out, std::string_view s) {
  // MQTT strings carry a 16-bit length: longer ones cannot be on the wire.
  if (s.size() > 0xffff) s = s.substr(0, 0xffff);
  put16(out, static_cast<int>(s.size()));
  out.append(s);
}

/// The fixed header (type, flags, remaining length as a variable byte integer) and the body.
std::string packet_of(packet_type t, std::uint8_t flags, const std::string& body) {
  std::string out;
  out.push_back(static_cast<char>((static_cast<unsigned>(t) << 4) | (flags & 0x0f)));
  std::size_t n = body.size();
  do {
    auto b = static_cast<std::uint8_t>(n % 128);
    n /= 128;
    if (n > 0) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (n > 0);
  return out + body;
}

/// Reads the body of a packet field by field; the first shortfall is the error.
class reader {
 public:
  explicit reader(std::string_view b) : b_(b) {}
  bool u8(int& v) {
    if (pos_ + 1 > b_.size()) return fail();
    v = static_cast<std::uint8_t>(b_[pos_++]);
    return true;
  }
  bool u16(int& v) {
    if (pos_ + 2 > b_.size()) return fail();
    v = (static_cast<std::uint8_t>(b_[pos_]) << 8) | static_cast<std::uint8_t>(b_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool str(std::string& s) {
    int n = 0;
    if (!u16(n)) return false;
    if (pos_ + static_cast<std::size_t>(n) > b_.size()) return fail();
    s.assign(b_.substr(pos_, static_cast<std::size_t>(n)));
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  std::string rest() {
    std::string s(b_.substr(pos_));
    pos_ = b_.size();
    return s;
  }
  bool done() const { return pos_ >= b_.size(); }
  bool failed() const { return failed_; }

 private:
  bool fail() {
    failed_ = true;
    return false;
  }
  std::string_view b_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace

std::string to_string(packet_type t) {
  static const char* names[] = {"type 0",      "CONNECT",  "CONNACK", "PUBLISH",   "PUBACK",
                                "PUBREC",      "PUBREL",   "PUBCOMP", "SUBSCRIBE", "SUBACK",
                                "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP",  "DISCONNECT"};
  auto i = static_cast<unsigned>(t);
  return i < std::size(names) ? names[i] : "type " + std::to_string(i);
}

std::string connect(const connect_options& o) {
  std::string body;
  const bool v31 = o.version == 3;
  put_string(body, v31 ? "MQIsdp" : "MQTT");
  body.push_back(static_cast<char>(v31 ? 3 : 4));
  std::uint8_t flags = 0;
  if (o.user_name) flags |= 0x80;
  if (o.password) flags |= 0x40;
  if (o.will.enabled) flags |= static_cast<std::uint8_t>(0x04 | ((o.will.qos & 3) << 3) | (o.will.retain ? 0x20 : 0));
  if (o.clean_session) flags |= 0x02;
  body.push_back(static_cast<char>(flags));
  put16(body, o.keepalive_s);
  put_string(body, o.client_id);
  if (o.will.enabled) {
    put_string(body, o.will.topic);
    put_string(body, o.will.message);
  }
  if (o.user_name) put_string(body, *o.user_name);
  if (o.password) put_string(body, *o.password);
  return packet_of(packet_type::connect, 0, body);
}

std::string connack(int return_code, bool session_present) {
  std::string body;
  body.push_back(static_cast<char>(session_present ? 1 : 0));
  body.push_back(static_cast<char>(return_code & 0xff));
  return packet_of(packet_type::connack, 0, body);
}

std::string publish(std::string_view topic, std::string_view payload, int qos, bool retain, int packet_id, bool dup) {
  std::string body;
  put_string(body, topic);
  if (qos > 0) put16(body, packet_id);
  body.append(payload);
  auto flags = static_cast<std::uint8_t>(((qos & 3) << 1) | (retain ? 1 : 0) | (dup ? 8 : 0));
  return packet_of(packet_type::publish, flags, body);
}

std::string subscribe(int packet_id, std::string_view filter, int qos) {
  std::string body;
  put16(body, packet_id);
  put_string(body, filter);
  body.push_back(static_cast<char>(qos & 3));
  return packet_of(packet_type::subscribe, 0x02, body);
}

std::string suback(int packet_id, std::uint8_t code) {
  std::string body;
  put16(body, packet_id);
  body.push_back(static_cast<char>(code));
  return packet_of(packet_type::suback, 0, body);
}

std::string unsubscribe(int packet_id, std::string_view filter) {
  std::string body;
  put16(body, packet_id);
  put_string(body, filter);
  return packet_of(packet_type::unsubscribe, 0x02, body);
}

std::string ack(packet_type t, int packet_id) {
  std::string body;
  put16(body, packet_id);
  return packet_of(t, t == packet_type::pubrel ? 0x02 : 0, body);
}

std::string bare(packet_type t) { return packet_of(t, 0, {}); }

frame_status frame(std::string_view stream, std::size_t& length) {
  std::size_t n = 0, multiplier = 1, i = 1;
  for (;; ++i) {
    if (i >= stream.size()) return frame_status::incomplete;
    if (i > 4) return frame_status::malformed;
    auto b = static_cast<std::uint8_t>(stream[i]);
    n += (b & 0x7f) * multiplier;
    multiplier *= 128;
    if (!(b & 0x80)) break;
  }
  length = i + 1 + n;
  return stream.size() >= length ? frame_status::complete : frame_status::incomplete;
}

std::variant<packet, std::string> parse(std::string_view bytes) {
  std::size_t length = 0;
  if (frame(bytes, length) != frame_status::complete || length != bytes.size())
    return std::string("the fixed header's remaining length does not match the packet's size");
  packet p;
  auto first = static_cast<std::uint8_t>(bytes[0]);
  p.type = static_cast<packet_type>(first >> 4);
  p.flags = first & 0x0f;
  std::size_t header = 2;
  while (static_cast<std::uint8_t>(bytes[header - 1]) & 0x80) ++header;
  reader r(bytes.substr(header));
  const std::string name = to_string(p.type);
  auto cut = [&] { return name + " ends too early"; };
  switch (p.type) {
    case packet_type::connect: {
      int level = 0, flags = 0, keepalive = 0;
      if (!r.str(p.protocol_name) || !r.u8(level) || !r.u8(flags) || !r.u16(keepalive) || !r.str(p.connect.client_id))
        return cut();
      if (p.protocol_name != "MQTT" && p.protocol_name != "MQIsdp")
        return "CONNECT names protocol \"" + p.protocol_name + "\", not MQTT";
      p.protocol_level = level;
      p.connect.version = level == 3 ? 3 : 4;
      p.connect.keepalive_s = keepalive;
      p.connect.clean_session = (flags & 0x02) != 0;
      if (flags & 0x04) {
        p.connect.will.enabled = true;
        p.connect.will.qos = (flags >> 3) & 3;
        p.connect.will.retain = (flags & 0x20) != 0;
        if (!r.str(p.connect.will.topic) || !r.str(p.connect.will.message)) return cut();
      }
      std::string s;
      if (flags & 0x80) {
        if (!r.str(s)) return cut();
        p.connect.user_name = s;
      }
      if (flags & 0x40) {
        if (!r.str(s)) return cut();
        p.connect.password = s;
      }
      break;
    }
    case packet_type::connack: {
      int f = 0, rc = 0;
      if (!r.u8(f) || !r.u8(rc)) return cut();
      p.session_present = (f & 1) != 0;
      p.return_code = rc;
      break;
    }
    case packet_type::publish: {
      p.qos = (p.flags >> 1) & 3;
      p.retain = (p.flags & 1) != 0;
      p.dup = (p.flags & 8) != 0;
      if (p.qos == 3) return std::string("PUBLISH with QoS 3");
      if (!r.str(p.topic)) return cut();
      if (p.qos > 0 && !r.u16(p.packet_id)) return cut();
      p.payload = r.rest();
      break;
    }
    case packet_type::subscribe:
    case packet_type::unsubscribe: {
      if (!r.u16(p.packet_id)) return cut();
      while (!r.done()) {
        std::string filter;
        int qos = 0;
        if (!r.str(filter) || (p.type == packet_type::subscribe && !r.u8(qos))) return cut();
        p.filters.emplace_back(std::move(filter), qos);
      }
      if (p.filters.empty()) return name + " without a topic filter";
      break;
    }
    case packet_type::suback: {
      if (!r.u16(p.packet_id)) return cut();
      for (int c = 0; !r.done() && r.u8(c);) p.codes.push_back(static_cast<std::uint8_t>(c));
      break;
    }
    case packet_type::puback:
    case packet_type::pubrec:
    case packet_type::pubrel:
    case packet_type::pubcomp:
    case packet_type::unsuback:
      if (!r.u16(p.packet_id)) return cut();
      break;
    case packet_type::pingreq:
    case packet_type::pingresp:
    case packet_type::disconnect:
      break;
    default:
      return name + " is not an MQTT 3.1.1 packet type";
  }
  return p;
}

}  // namespace nt35e::mqtt::wire
