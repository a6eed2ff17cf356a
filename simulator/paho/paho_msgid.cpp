// Reads the packet id of an incoming message. Paho C fills MQTTAsync_message::msgid for
// every received PUBLISH and mqtt::message copies that struct, but Paho C++ 1.2 exposes
// the struct (c_struct()) only when UNIT_TESTS is defined. Defining it here, in this one
// translation unit and before any Paho header, adds just that inline accessor; the
// class layout is unchanged. Kept in its own file so no other code sees the macro.
#define UNIT_TESTS 1
#include <mqtt/message.h>

namespace nt35e::paho::detail {

int packet_id_of(const mqtt::message& m) { return m.c_struct().msgid; }

}  // namespace nt35e::paho::detail
