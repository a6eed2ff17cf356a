#pragma once
// What the relay lets through from the broker to Paho: whole MQTT packets a server may
// send, no larger than the module's receive buffer could ever need.
//
// Why: Paho C allocates a packet's declared remaining length before reading it, so a
// broker declaring 200 MB would make the simulator allocate 200 MB; and Paho's answer to
// a packet type a server never sends is not something to rely on. The guard reads the
// fixed header of each packet as it streams past (sans-I/O: bytes in, bytes out):
//
//   * a packet larger than max_packet is skipped, byte by byte, without being buffered
//     (spec §9: an incoming packet larger than the receive buffer is dropped, no URC);
//   * a remaining length longer than 4 bytes, or a type the broker never sends to a
//     client (0, CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT, 15), is a broken
//     stream: the relay cuts the link (the module sees a link loss);
//   * a first packet that is not a CONNACK of remaining length 2 is refused the same
//     way, and flagged: the module reports that as CONNACK code 6 (spec §7.3).
//
// Thread safety: none (one relay's executor).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nt35e::paho::detail {

class packet_guard {
 public:
  /// The largest packet passed on (fixed header included). Spec §3.1: the module takes
  /// a topic of 128 and a payload of 1024 bytes; larger messages up to this bound still
  /// reach the core, which drops them with its own explain note (§7.5). Beyond it the
  /// packet cannot be one the module would deliver, so it is skipped here, unbuffered.
  /// Chosen: 64 KiB (the spec is silent on the firmware's receive buffer).
  static constexpr std::size_t default_max_packet = 64 * 1024;

  explicit packet_guard(std::size_t max_packet = default_max_packet) : max_packet_(max_packet) {}

  struct verdict {
    bool broken = false;           ///< the stream cannot go on: cut the link (why says why)
    bool bad_connack = false;      ///< broken at the first packet, which was not a well-formed CONNACK
    std::uint64_t skipped = 0;     ///< oversize packets whose header was read in this feed
    std::size_t skipped_size = 0;  ///< the declared size of the last of them
    std::string why;
  };

  /// Reads `in`; appends what may go to Paho to `out`. After a broken verdict, nothing
  /// more is passed on.
  verdict feed(std::string_view in, std::string& out);

 private:
  enum class phase {
    type,
    length,
    body
  } phase_ = phase::type;
  std::size_t max_packet_;
  unsigned char header_[5] = {};
  std::size_t header_len_ = 0;
  std::uint32_t remaining_ = 0;  ///< length being decoded, then body bytes left
  std::uint32_t multiplier_ = 1;
  bool skipping_ = false;
  bool first_ = true;
  bool broken_ = false;
};

}  // namespace nt35e::paho::detail
