#pragma once
// MQTT 3.1.1 packets as bytes on the wire, both ways: what a capture of the broker side
// holds. The pcapng export (trace/pcap_export) synthesizes these from the requests and
// events the core logs; the capture import (trace/import_capture) reads them back.
//
//   auto bytes = wire::connect(options);             // CONNECT, fixed header included
//   std::size_t n = 0;
//   auto r = wire::frame(stream, n);                 // complete: n bytes make one packet
//   auto p = wire::parse(std::string_view(stream).substr(0, n));   // fields, or why not
//
// Pure functions of bytes: no I/O, no clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mqtt/backend.hpp"

namespace nt35e::mqtt::wire {

/// The control packet types of MQTT 3.1.1 (the high nibble of the first byte).
enum class packet_type : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
};

/// "CONNECT", "CONNACK", … ("type 15" for the reserved values).
std::string to_string(packet_type t);

// ---- Encoding (each result is one whole packet, fixed header included)

/// CONNECT with the protocol name and level of `o.version` (3: "MQIsdp" 3, else "MQTT" 4).
std::string connect(const connect_options& o);
std::string connack(int return_code, bool session_present = false);
/// PUBLISH; `packet_id` is written only for QoS 1 and 2.
std::string publish(std::string_view topic, std::string_view payload, int qos, bool retain, int packet_id,
                    bool dup = false);
/// SUBSCRIBE of one filter.
std::string subscribe(int packet_id, std::string_view filter, int qos);
/// SUBACK with one return code (0–2 granted QoS, 0x80 failure).
std::string suback(int packet_id, std::uint8_t code);
std::string unsubscribe(int packet_id, std::string_view filter);
/// PUBACK, PUBREC, PUBREL (flags 0b0010), PUBCOMP, UNSUBACK: a packet id and nothing else.
std::string ack(packet_type t, int packet_id);
/// PINGREQ, PINGRESP, DISCONNECT: a fixed header alone.
std::string bare(packet_type t);

// ---- Decoding

/// Where the first packet of a byte stream ends.
enum class frame_status {
  complete,    ///< `length` bytes from the start are one packet
  incomplete,  ///< more bytes are needed
  malformed,   ///< the remaining length takes more than 4 bytes: not MQTT
};
/// Reads the fixed header at the start of `stream`; on complete, `length` is the whole packet's size.
frame_status frame(std::string_view stream, std::size_t& length);

/// One decoded packet: the fields this simulator cares about.
struct packet {
  packet_type type = packet_type::connect;
  std::uint8_t flags = 0;  ///< the low nibble of the first byte
  int packet_id = 0;       ///< PUBLISH QoS 1/2, SUBSCRIBE, SUBACK, UNSUBSCRIBE, the acks
  // CONNECT
  std::string protocol_name;
  int protocol_level = 0;
  connect_options connect;
  // CONNACK
  int return_code = 0;
  bool session_present = false;
  // PUBLISH
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  bool dup = false;
  // SUBSCRIBE (filter, requested QoS), UNSUBSCRIBE (filter, 0)
  std::vector<std::pair<std::string, int>> filters;
  // SUBACK
  std::vector<std::uint8_t> codes;
};

/// Decodes one whole packet (as frame() delimits it); a sentence saying what is wrong
/// when it is not a valid MQTT 3.1.1 packet.
std::variant<packet, std::string> parse(std::string_view bytes);

}  // namespace nt35e::mqtt::wire
