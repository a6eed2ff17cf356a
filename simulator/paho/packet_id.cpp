#include "paho/packet_id.hpp"

namespace nt35e::paho::detail {
namespace {

// Paho C fills MQTTAsync_message::msgid for every received PUBLISH and mqtt::message
// keeps a copy of that struct in its private member msg_, but Paho C++ 1.2 has no public
// getter: c_struct() exists only when UNIT_TESTS is defined, and defining it here would
// give mqtt::message a different definition in this translation unit than in the others
// (an ODR violation). Instead, the standard's rule that access checks do not apply to
// names used to specify an explicit instantiation ([temp.spec] in C++20) lets us name
// &mqtt::message::msg_ as a template argument below; the instantiated class hands that
// member pointer out through a friend function. No class definition changes.

using paho_message = ::mqtt::message;

/// Names the member pointer's type; `msg_member` is declared here, defined by the instantiation.
struct message_msg_tag {
  using type = MQTTAsync_message paho_message::*;
  friend type msg_member(message_msg_tag);
};

/// Defines Tag's friend to return `Member`.
template <class Tag, typename Tag::type Member>
struct expose_member {
  friend typename Tag::type msg_member(Tag) { return Member; }
};

template struct expose_member<message_msg_tag, &paho_message::msg_>;

}  // namespace

int packet_id_of(const ::mqtt::message& m) { return (m.*msg_member(message_msg_tag{})).msgid; }

}  // namespace nt35e::paho::detail
