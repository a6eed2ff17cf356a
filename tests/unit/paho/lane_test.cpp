// The lane (paho/lane.hpp): the module's own MQTT packets and the broker's answers, bytes
// in and out, against the spec (§5.6-5.8 results, §7.2 packet ids, §7.5 incoming).

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "mqtt/wire.hpp"
#include "paho/lane.hpp"

namespace {

namespace wire = nt35e::mqtt::wire;
namespace req = nt35e::mqtt::request;
namespace ev = nt35e::mqtt::event;
using nt35e::paho::detail::lane;
using wire::packet_type;

wire::packet parsed(const std::string& bytes) {
  auto p = wire::parse(bytes);
  EXPECT_TRUE(std::holds_alternative<wire::packet>(p)) << std::get<std::string>(p);
  return std::holds_alternative<wire::packet>(p) ? std::get<wire::packet>(p) : wire::packet{};
}

template <class Event>
Event event_of(const lane::outcome& o) {
  EXPECT_TRUE(o.event.has_value());
  if (!o.event) return {};
  EXPECT_TRUE(std::holds_alternative<Event>(*o.event));
  return std::holds_alternative<Event>(*o.event) ? std::get<Event>(*o.event) : Event{};
}

TEST(Lane, PublishUsesTheHostsMsgIdAsThePacketId) {
  lane l(2);
  auto p = parsed(l.publish(req::publish{2, 4242, 1, true, "a/b", "hello"}));
  EXPECT_EQ(p.type, packet_type::publish);
  EXPECT_EQ(p.packet_id, 4242);
  EXPECT_EQ(p.qos, 1);
  EXPECT_TRUE(p.retain);
  EXPECT_EQ(p.topic, "a/b");
  EXPECT_EQ(p.payload, "hello");
  EXPECT_EQ(parsed(l.subscribe(req::subscribe{2, 17, "s/#", 2})).packet_id, 17);
  EXPECT_EQ(parsed(l.unsubscribe(req::unsubscribe{2, 18, "s/#"})).packet_id, 18);
  EXPECT_EQ(l.waiting_for_acks(), 3u);
}

TEST(Lane, Qos1PublishIsDoneAtItsPuback) {
  lane l(0);
  (void)l.publish(req::publish{0, 5, 1, false, "t", "x"});
  auto o = l.on_packet(wire::ack(packet_type::puback, 5));
  auto e = event_of<ev::published>(o);
  EXPECT_EQ(e.id, 0);
  EXPECT_EQ(e.msg_id, 5);
  EXPECT_EQ(e.result, 0);
  EXPECT_TRUE(o.reply.empty());
  EXPECT_EQ(l.waiting_for_acks(), 0u);
}

TEST(Lane, Qos2PublishSendsPubrelAtPubrecAndIsDoneAtPubcomp) {
  lane l(1);
  (void)l.publish(req::publish{1, 9, 2, false, "t", "x"});
  auto rec = l.on_packet(wire::ack(packet_type::pubrec, 9));
  EXPECT_FALSE(rec.event.has_value());
  EXPECT_EQ(rec.reply, wire::ack(packet_type::pubrel, 9));
  auto comp = l.on_packet(wire::ack(packet_type::pubcomp, 9));
  EXPECT_EQ(event_of<ev::published>(comp).result, 0);
  EXPECT_EQ(event_of<ev::published>(comp).msg_id, 9);
}

TEST(Lane, ARepeatedMsgIdWaitsForTwoAcks) {
  lane l(0);
  (void)l.publish(req::publish{0, 3, 1, false, "t", "a"});
  (void)l.publish(req::publish{0, 3, 1, false, "t", "b"});
  EXPECT_TRUE(l.on_packet(wire::ack(packet_type::puback, 3)).event.has_value());
  EXPECT_TRUE(l.on_packet(wire::ack(packet_type::puback, 3)).event.has_value());
  auto third = l.on_packet(wire::ack(packet_type::puback, 3));
  EXPECT_FALSE(third.event.has_value());
  EXPECT_NE(third.note.find("nothing waits"), std::string::npos) << third.note;
}

TEST(Lane, AMalformedAckIsResult1) {
  lane l(0);
  (void)l.publish(req::publish{0, 6, 1, false, "t", "x"});
  std::string long_puback("\x40\x03\x00\x06\x00", 5);  // remaining length 3, not 2
  auto o = l.on_packet(long_puback);
  EXPECT_EQ(event_of<ev::published>(o).result, 1);
  EXPECT_FALSE(o.note.empty());
  (void)l.subscribe(req::subscribe{0, 7, "t", 0});
  std::string no_code("\x90\x02\x00\x07", 4);  // a SUBACK without its return code
  EXPECT_EQ(event_of<ev::suback>(l.on_packet(no_code)).result, 1);
}

TEST(Lane, AckWithoutPacketIdIsDroppedWithANote) {
  lane l(0);
  auto o = l.on_packet(std::string("\x40\x00", 2));
  EXPECT_FALSE(o.event.has_value());
  EXPECT_TRUE(o.broken.empty());
  EXPECT_FALSE(o.note.empty());
}

TEST(Lane, SubackFailureCodeIsStillResult0) {
  lane l(3);
  (void)l.subscribe(req::subscribe{3, 11, "t", 1});
  auto e = event_of<ev::suback>(l.on_packet(wire::suback(11, 0x80)));
  EXPECT_EQ(e.id, 3);
  EXPECT_EQ(e.msg_id, 11);
  EXPECT_EQ(e.result, 0);
  (void)l.unsubscribe(req::unsubscribe{3, 12, "t"});
  EXPECT_EQ(event_of<ev::unsuback>(l.on_packet(wire::ack(packet_type::unsuback, 12))).result, 0);
}

TEST(Lane, IncomingMessagesAreReportedOnArrivalAndAcknowledged) {
  lane l(4);
  auto q0 = l.on_packet(wire::publish("t/0", "zero", 0, false, 0));
  auto m0 = event_of<ev::message>(q0);
  EXPECT_EQ(m0.id, 4);
  EXPECT_EQ(m0.msg_id, 0);
  EXPECT_EQ(m0.topic, "t/0");
  EXPECT_EQ(m0.payload, "zero");
  EXPECT_TRUE(q0.reply.empty());

  auto q1 = l.on_packet(wire::publish("t/1", "one", 1, true, 300));
  EXPECT_EQ(event_of<ev::message>(q1).msg_id, 300);
  EXPECT_TRUE(event_of<ev::message>(q1).retained);
  EXPECT_EQ(q1.reply, wire::ack(packet_type::puback, 300));

  // Spec §7.5: a QoS 2 message is reported when its PUBLISH arrives, PUBREC at once,
  // PUBCOMP on PUBREL; a duplicate is reported again.
  auto q2 = l.on_packet(wire::publish("t/2", "two", 2, false, 301));
  EXPECT_EQ(event_of<ev::message>(q2).qos, 2);
  EXPECT_EQ(q2.reply, wire::ack(packet_type::pubrec, 301));
  auto dup = l.on_packet(wire::publish("t/2", "two", 2, false, 301, true));
  EXPECT_TRUE(dup.event.has_value());
  auto rel = l.on_packet(wire::ack(packet_type::pubrel, 301));
  EXPECT_FALSE(rel.event.has_value());
  EXPECT_EQ(rel.reply, wire::ack(packet_type::pubcomp, 301));
}

TEST(Lane, AMalformedPublishBreaksTheStream) {
  lane l(0);
  std::string cut("\x32\x03\x00\x05t", 5);  // QoS 1, topic length 5 but 1 byte of it
  auto o = l.on_packet(cut);
  EXPECT_FALSE(o.event.has_value());
  EXPECT_FALSE(o.broken.empty());
}

TEST(Lane, CarriesPublishesAndAcksButNotConnackOrPingresp) {
  for (unsigned t : {3u, 4u, 5u, 6u, 7u, 9u, 11u}) EXPECT_TRUE(lane::carries(static_cast<unsigned char>(t << 4))) << t;
  for (unsigned t : {2u, 13u}) EXPECT_FALSE(lane::carries(static_cast<unsigned char>(t << 4))) << t;
}

}  // namespace
