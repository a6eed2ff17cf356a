#pragma once
// The MQTT traffic the backend carries itself on a relayed link, once Paho has its CONNACK:
// PUBLISH, SUBSCRIBE and UNSUBSCRIBE both ways with all their acknowledgements. Paho keeps
// CONNECT/CONNACK, PINGREQ/PINGRESP and DISCONNECT (and so the keepalive and the MQTT
// session's start and end).
//
// Why: through Paho, a publish crossed two more threads (the modem's thread → Paho's one
// send thread for the whole process → the relay back on the modem's thread) and every ack
// and message two more (the relay → Paho's receive thread → posted back), which set the
// publish latency, the rate with messages in flight and the receive rate (bench/README.md,
// "2026-12-06, fifth session"). The relay already sits on the modem's thread between Paho
// and the broker; the lane lets it write the module's packets and read the broker's there.
// It also follows the module where Paho could not: the packet id is the host's msgID
// (spec §5.6, §5.8, §7.2), and an incoming QoS 2 message is reported when its PUBLISH
// arrives, not at PUBREL (§7.5).
//
// Sans-I/O: requests in, packets out; whole broker packets in, events and replies out.
//
//   lane l(id);
//   relay.send(l.publish(r));                    // the PUBLISH, packet id r.msg_id
//   auto o = l.on_packet(bytes);                 // a PUBACK: o.event = published{…, 0}
//   if (!o.reply.empty()) relay.send(o.reply);   // PUBACK / PUBREC / PUBREL / PUBCOMP
//
// Thread safety: none (the session's executor).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mqtt/backend.hpp"

namespace nt35e::paho::detail {

class lane {
 public:
  explicit lane(int id) : id_(id) {}

  /// The PUBLISH to write (packet id = msg_id for QoS 1 and 2); its completion comes from
  /// on_packet() (QoS 1, 2) or, for QoS 0, is the write itself.
  std::string publish(const nt35e::mqtt::request::publish& r);
  /// The SUBSCRIBE to write (packet id = msg_id).
  std::string subscribe(const nt35e::mqtt::request::subscribe& r);
  /// The UNSUBSCRIBE to write (packet id = msg_id).
  std::string unsubscribe(const nt35e::mqtt::request::unsubscribe& r);

  /// What one broker packet means for the module.
  struct outcome {
    std::optional<nt35e::mqtt::any_event> event;  ///< for the host (a result or a message)
    std::string reply;                            ///< to write to the broker at once
    std::string note;                             ///< for the log: an ack nobody waits for, a malformed ack
    std::string broken;                           ///< not empty: the stream cannot go on (why); cut the link
  };
  /// One whole packet from the broker, of a type the lane carries (lane::carries).
  outcome on_packet(std::string_view bytes);

  /// True for the packet types the lane takes from the broker once it has the link.
  static bool carries(unsigned char first_byte);

  /// Publishes, subscribes and unsubscribes written and not yet acknowledged.
  [[nodiscard]] std::size_t waiting_for_acks() const;

 private:
  /// Host msgIDs may repeat while one is still waiting (the module does not check): count them.
  using waiting = std::map<int, int>;
  static bool take(waiting& w, int packet_id);

  int id_;
  waiting puback_;   ///< QoS 1 publishes
  waiting pubrec_;   ///< QoS 2 publishes, before PUBREC
  waiting pubcomp_;  ///< QoS 2 publishes, PUBREL sent
  waiting suback_;
  waiting unsuback_;
};

}  // namespace nt35e::paho::detail
