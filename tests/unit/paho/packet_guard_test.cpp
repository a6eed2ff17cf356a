// The relay's packet guard (paho/packet_guard): what a hostile broker's bytes become
// before Paho reads them. Sans-I/O: bytes in, bytes out.

#include <gtest/gtest.h>

#include <string>

#include "paho/packet_guard.hpp"

namespace {

using nt35e::paho::detail::packet_guard;

const std::string connack("\x20\x02\x00\x00", 4);

std::string varint(std::size_t n) {
  std::string out;
  do {
    unsigned char b = n % 128;
    n /= 128;
    out += static_cast<char>(b | (n ? 0x80 : 0));
  } while (n);
  return out;
}

std::string publish(const std::string& topic, const std::string& payload) {
  std::string body;
  body += static_cast<char>(topic.size() >> 8);
  body += static_cast<char>(topic.size() & 0xFF);
  body += topic + payload;
  return "\x30" + varint(body.size()) + body;
}

TEST(PacketGuard, WholePacketsPassUnchangedWhateverTheChunking) {
  const std::string stream = connack + publish("t", "hello") + std::string("\xD0\x00", 2) + publish("u", "x");
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 1000u}) {
    packet_guard g;
    std::string out;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      auto v = g.feed(std::string_view(stream).substr(i, chunk), out);
      ASSERT_FALSE(v.broken) << v.why;
      EXPECT_EQ(v.skipped, 0u);
    }
    EXPECT_EQ(out, stream) << "chunk " << chunk;
  }
}

TEST(PacketGuard, AnOversizePacketIsSkippedAndTheNextPasses) {
  packet_guard g(1024);
  const std::string big = publish("t", std::string(5000, 'Z'));
  const std::string after = publish("t", "after");
  std::string out;
  auto v = g.feed(connack + big.substr(0, 100), out);
  EXPECT_FALSE(v.broken);
  EXPECT_EQ(v.skipped, 1u);
  EXPECT_EQ(v.skipped_size, big.size());
  v = g.feed(big.substr(100) + after, out);
  EXPECT_FALSE(v.broken);
  EXPECT_EQ(v.skipped, 0u);
  EXPECT_EQ(out, connack + after);
}

TEST(PacketGuard, ADeclared200MegabytesIsNeverBuffered) {
  packet_guard g;
  std::string out;
  const std::string head = "\x30" + varint(200u * 1024 * 1024);
  auto v = g.feed(connack + head + std::string(60000, 'H'), out);
  EXPECT_FALSE(v.broken);
  EXPECT_EQ(v.skipped, 1u);
  EXPECT_EQ(v.skipped_size, 200u * 1024 * 1024 + head.size());
  EXPECT_EQ(out, connack);  // nothing of it reaches Paho
}

TEST(PacketGuard, ARemainingLengthOfFiveBytesBreaksTheStream) {
  packet_guard g;
  std::string out;
  auto v = g.feed(connack + std::string("\x30\xFF\xFF\xFF\xFF", 5), out);
  EXPECT_TRUE(v.broken);
  EXPECT_FALSE(v.bad_connack);
  EXPECT_NE(v.why.find("longer than 4 bytes"), std::string::npos);
  EXPECT_EQ(out, connack);
  EXPECT_TRUE(g.feed("more", out).broken) << "stays broken";
  EXPECT_EQ(out, connack);
}

TEST(PacketGuard, TypesAServerNeverSendsBreakTheStream) {
  for (unsigned type : {0u, 1u, 8u, 10u, 12u, 14u, 15u}) {
    packet_guard g;
    std::string out;
    auto v = g.feed(connack + std::string(1, static_cast<char>(type << 4)) + std::string(1, '\0'), out);
    EXPECT_TRUE(v.broken) << type;
    EXPECT_NE(v.why.find("type " + std::to_string(type)), std::string::npos) << v.why;
  }
}

TEST(PacketGuard, AFirstPacketThatIsNotAWellFormedConnackIsFlagged) {
  {
    packet_guard g;
    std::string out;
    auto v = g.feed(std::string("\x90\x03\x00\x01\x00", 5), out);  // a SUBACK
    EXPECT_TRUE(v.broken);
    EXPECT_TRUE(v.bad_connack);
    EXPECT_TRUE(out.empty());
  }
  {
    packet_guard g;
    std::string out;
    auto v = g.feed(std::string("\x20\x03\x00\x00\x00", 5), out);  // remaining length 3
    EXPECT_TRUE(v.broken);
    EXPECT_TRUE(v.bad_connack);
  }
  {
    packet_guard g;  // half a CONNACK is not (yet) wrong
    std::string out;
    auto v = g.feed("\x20", out);
    EXPECT_FALSE(v.broken);
    EXPECT_TRUE(out.empty());
  }
}

}  // namespace
