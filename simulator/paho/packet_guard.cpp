#include "paho/packet_guard.hpp"

#include <algorithm>

namespace nt35e::paho::detail {
namespace {

/// MQTT 3.1.1 §2.2.1: the packet types a server sends to a client.
bool server_sends(unsigned type) {
  switch (type) {
    case 2:   // CONNACK
    case 3:   // PUBLISH
    case 4:   // PUBACK
    case 5:   // PUBREC
    case 6:   // PUBREL
    case 7:   // PUBCOMP
    case 9:   // SUBACK
    case 11:  // UNSUBACK
    case 13:  // PINGRESP
      return true;
    default:
      return false;
  }
}

}  // namespace

packet_guard::verdict packet_guard::feed(std::string_view in, std::string& out) {
  verdict v;
  if (broken_) {
    v.broken = true;
    v.why = "the stream was already refused";
    return v;
  }
  auto refuse = [&](std::string why, bool connack) {
    broken_ = true;
    v.broken = true;
    v.bad_connack = connack;
    v.why = std::move(why);
    return v;
  };
  std::size_t i = 0;
  while (i < in.size()) {
    const auto byte = static_cast<unsigned char>(in[i]);
    switch (phase_) {
      case phase::type: {
        const unsigned type = byte >> 4;
        if (first_ && type != 2)
          return refuse("the broker's first packet is of type " + std::to_string(type) + ", not a CONNACK", true);
        if (!server_sends(type))
          return refuse("the broker sent a packet of type " + std::to_string(type) + ", which a server never sends",
                        false);
        header_[0] = byte;
        header_len_ = 1;
        remaining_ = 0;
        multiplier_ = 1;
        phase_ = phase::length;
        ++i;
        break;
      }
      case phase::length: {
        header_[header_len_++] = byte;
        remaining_ += (byte & 0x7Fu) * multiplier_;
        multiplier_ *= 128;
        ++i;
        if (byte & 0x80u) {
          if (header_len_ == 5)  // a fourth length byte that says more follow
            return refuse("the broker sent a packet whose remaining length is longer than 4 bytes", first_);
          break;
        }
        if (first_ && remaining_ != 2)
          return refuse("the broker's CONNACK has remaining length " + std::to_string(remaining_) + ", not 2", true);
        first_ = false;
        skipping_ = header_len_ + std::size_t{remaining_} > max_packet_;
        if (skipping_) {
          ++v.skipped;
          v.skipped_size = header_len_ + std::size_t{remaining_};
        } else {
          out.append(reinterpret_cast<const char*>(header_), header_len_);
        }
        phase_ = remaining_ == 0 ? phase::type : phase::body;
        break;
      }
      case phase::body: {
        const auto n = std::min<std::size_t>(remaining_, in.size() - i);
        if (!skipping_) out.append(in.substr(i, n));
        i += n;
        remaining_ -= static_cast<std::uint32_t>(n);
        if (remaining_ == 0) phase_ = phase::type;
        break;
      }
    }
  }
  return v;
}

}  // namespace nt35e::paho::detail
