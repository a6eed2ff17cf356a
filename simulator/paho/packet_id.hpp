#pragma once
// The MQTT packet id of a message Paho received, which Paho C++ 1.2 does not expose.

#include <mqtt/message.h>

namespace nt35e::paho::detail {

/// The packet id the broker gave `m` (Paho C's MQTTAsync_message::msgid); meaningful for qos 1 and 2.
/// Thread safety: pure; any thread (called on Paho's threads).
int packet_id_of(const ::mqtt::message& m);

}  // namespace nt35e::paho::detail
