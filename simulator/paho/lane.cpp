#include "paho/lane.hpp"

#include <variant>

#include "mqtt/wire.hpp"

namespace nt35e::paho::detail {
namespace {

namespace wire = nt35e::mqtt::wire;
namespace ev = nt35e::mqtt::event;
using wire::packet_type;

/// The remaining length of a whole packet (what frame() read), and where its body starts.
std::size_t body_size(std::string_view bytes) {
  std::size_t header = 2;
  while (header <= bytes.size() && header < 5 && (static_cast<unsigned char>(bytes[header - 1]) & 0x80)) ++header;
  return bytes.size() >= header ? bytes.size() - header : 0;
}

}  // namespace

bool lane::carries(unsigned char first_byte) {
  switch (static_cast<packet_type>(first_byte >> 4)) {
    case packet_type::publish:
    case packet_type::puback:
    case packet_type::pubrec:
    case packet_type::pubrel:
    case packet_type::pubcomp:
    case packet_type::suback:
    case packet_type::unsuback:
      return true;
    default:
      return false;
  }
}

std::string lane::publish(const nt35e::mqtt::request::publish& r) {
  if (r.qos == 1) ++puback_[r.msg_id];
  if (r.qos == 2) ++pubrec_[r.msg_id];
  return wire::publish(r.topic, r.payload, r.qos, r.retain, r.msg_id);
}

std::string lane::subscribe(const nt35e::mqtt::request::subscribe& r) {
  ++suback_[r.msg_id];
  return wire::subscribe(r.msg_id, r.topic, r.qos);
}

std::string lane::unsubscribe(const nt35e::mqtt::request::unsubscribe& r) {
  ++unsuback_[r.msg_id];
  return wire::unsubscribe(r.msg_id, r.topic);
}

bool lane::take(waiting& w, int packet_id) {
  auto it = w.find(packet_id);
  if (it == w.end()) return false;
  if (--it->second == 0) w.erase(it);
  return true;
}

std::size_t lane::waiting_for_acks() const {
  std::size_t n = 0;
  for (const auto* w : {&puback_, &pubrec_, &pubcomp_, &suback_, &unsuback_})
    for (const auto& [id, count] : *w) n += static_cast<std::size_t>(count);
  return n;
}

lane::outcome lane::on_packet(std::string_view bytes) {
  outcome o;
  const auto type = static_cast<packet_type>(static_cast<unsigned char>(bytes.at(0)) >> 4);
  const std::string name = wire::to_string(type);

  if (type == packet_type::publish) {
    auto parsed = wire::parse(bytes);
    if (auto* why = std::get_if<std::string>(&parsed)) {
      o.broken = "the broker sent a malformed PUBLISH (" + *why + ")";
      return o;
    }
    auto& p = std::get<wire::packet>(parsed);
    // Spec §7.5: acknowledged at once, reported when the PUBLISH arrives (QoS 2 too).
    if (p.qos == 1) o.reply = wire::ack(packet_type::puback, p.packet_id);
    if (p.qos == 2) o.reply = wire::ack(packet_type::pubrec, p.packet_id);
    o.event = ev::message{id_, p.qos > 0 ? p.packet_id : 0, std::move(p.topic), std::move(p.payload), p.qos, p.retain};
    return o;
  }

  // Every other packet the lane carries starts with a packet id.
  const std::size_t size = body_size(bytes);
  if (size < 2) {
    o.note = "dropped a " + name + " without a packet id from the broker";
    return o;
  }
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data() + (bytes.size() - size));
  const int packet_id = (b[0] << 8) | b[1];
  const std::string named = name + " " + std::to_string(packet_id);
  // Spec §5.6-5.8: an ack that is not well-formed is result 1 ("malformed").
  auto result_of = [&](std::size_t expected) {
    if (size == expected) return 0;
    o.note = named + " from the broker has remaining length " + std::to_string(size) + ", not " +
             std::to_string(expected) + ": reported as malformed";
    return 1;
  };
  auto unexpected = [&] { o.note = "dropped " + named + " from the broker: nothing waits for it"; };

  switch (type) {
    case packet_type::puback:
      if (!take(puback_, packet_id)) return unexpected(), o;
      o.event = ev::published{id_, packet_id, result_of(2)};
      return o;
    case packet_type::pubrec:
      if (!take(pubrec_, packet_id)) return unexpected(), o;
      if (const int r = result_of(2); r != 0) {
        o.event = ev::published{id_, packet_id, r};
        return o;
      }
      // Spec §5.8.3: PUBREL goes out by itself; the result waits for PUBCOMP.
      ++pubcomp_[packet_id];
      o.reply = wire::ack(packet_type::pubrel, packet_id);
      return o;
    case packet_type::pubcomp:
      if (!take(pubcomp_, packet_id)) return unexpected(), o;
      o.event = ev::published{id_, packet_id, result_of(2)};
      return o;
    case packet_type::pubrel:
      // The broker's half of an incoming QoS 2 message (reported at its PUBLISH).
      o.reply = wire::ack(packet_type::pubcomp, packet_id);
      return o;
    case packet_type::suback:
      if (!take(suback_, packet_id)) return unexpected(), o;
      // Spec §5.6: one return code, whatever it is (0x80 included), is result 0.
      o.event = ev::suback{id_, packet_id, result_of(3)};
      return o;
    case packet_type::unsuback:
      if (!take(unsuback_, packet_id)) return unexpected(), o;
      o.event = ev::unsuback{id_, packet_id, result_of(2)};
      return o;
    default:
      o.note = "dropped a " + name + " the lane does not carry";
      return o;
  }
}

}  // namespace nt35e::paho::detail
