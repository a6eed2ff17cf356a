// The pcapng export (issue 17, part 1): the writer's block layout byte for byte, the
// exported PDUs Wireshark's `at` dissector reads, the MQTT packets and TCP frames the
// exporter synthesizes (read back through the capture reader, checksums checked), the
// describe() texts read back, and every bad capture file a positioned error.

#include "trace/pcap_export.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "mqtt/backend.hpp"
#include "mqtt/wire.hpp"
#include "support/trace_events.hpp"
#include "trace/net_frames.hpp"
#include "trace/pcapng.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {
namespace {

namespace fs = std::filesystem;
namespace wire = mqtt::wire;

fs::path traces_dir() { return fs::path(__FILE__).parent_path().parent_path() / "data" / "traces"; }

std::string le32(std::uint32_t v) {
  std::string o;
  for (int i = 0; i < 4; ++i) o.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return o;
}
std::string le16(std::uint16_t v) { return le32(v).substr(0, 2); }

TEST(PcapngWriter, BlockLayoutByteForByte) {
  std::vector<std::string> blocks;
  pcapng_writer w([&](std::string_view b) { blocks.emplace_back(b); }, "ab");
  auto uart = w.add_interface(link_type::upper_pdu, "uart", "u");
  w.packet(uart, 0x0000000100000002ull, "xyz", packet_direction::outbound, "c");
  ASSERT_EQ(blocks.size(), 3u);

  // Section header: type, length 32, byte-order magic, version 1.0, length -1,
  // shb_userappl "ab" padded, end of options, length again.
  std::string shb = le32(0x0A0D0D0A) + le32(40) + le32(0x1A2B3C4D) + le16(1) + le16(0) + std::string(8, '\xff') +
                    le16(4) + le16(2) + "ab" + std::string(2, '\0') + le16(0) + le16(0) + le32(40);
  EXPECT_EQ(blocks[0], shb);
  // Interface: link type 252, no snapshot limit, if_name, if_description.
  std::string idb = le32(1) + le32(40) + le16(252) + le16(0) + le32(0) + le16(2) + le16(4) + "uart" + le16(3) +
                    le16(1) + "u" + std::string(3, '\0') + le16(0) + le16(0) + le32(40);
  EXPECT_EQ(blocks[1], idb);
  // Enhanced packet: interface 0, time high/low, lengths, data padded to 4, opt_comment,
  // epb_flags outbound (2), end of options.
  std::string epb = le32(6) + le32(56) + le32(0) + le32(1) + le32(2) + le32(3) + le32(3) + "xyz" +
                    std::string(1, '\0') + le16(1) + le16(1) + "c" + std::string(3, '\0') + le16(2) + le16(4) +
                    le32(2) + le16(0) + le16(0) + le32(56);
  EXPECT_EQ(blocks[2], epb);
  for (const auto& b : blocks) EXPECT_EQ(b.size() % 4, 0u);
}

TEST(PcapngWriter, ExportedPduTagsNameTheDissectorAndTheDirection) {
  // Tags are big-endian; the name is padded with NULs and the padding counted.
  std::string want = std::string("\x00\x0c\x00\x04", 4) + std::string("at\0\0", 4) +
                     std::string("\x00\x23\x00\x04\x00\x00\x00\x00", 8) + std::string(4, '\0') + "AT\r";
  EXPECT_EQ(exported_pdu("at", 0, "AT\r"), want);
  auto received = exported_pdu("at", 1, "OK");
  EXPECT_EQ(received.substr(12, 4), std::string("\x00\x00\x00\x01", 4));
  EXPECT_EQ(exported_pdu("at", -1, "x").size(), 8u + 4u + 1u) << "no direction tag";
}

TEST(PcapngReader, ReadsBackWhatTheWriterWrote) {
  std::string file;
  pcapng_writer w([&](std::string_view b) { file.append(b); }, "t");
  auto a = w.add_interface(link_type::upper_pdu, "uart", "");
  auto b = w.add_interface(link_type::ethernet, "broker", "");
  w.packet(a, 1'700'000'000'123'456ull, "one");
  w.packet(b, 1'700'000'001'000'000ull, std::string(1500, 'x'), packet_direction::inbound, "comment");
  auto got = read_capture(file, "x.pcapng");
  ASSERT_TRUE(std::holds_alternative<capture>(got)) << std::get<capture_error>(got).message;
  const auto& c = std::get<capture>(got);
  ASSERT_EQ(c.packets.size(), 2u);
  EXPECT_TRUE(c.pcapng);
  EXPECT_EQ(c.packets[0].t_us, 1'700'000'000'123'456ull);
  EXPECT_EQ(c.packets[0].link, link_type::upper_pdu);
  EXPECT_EQ(c.packets[0].data, "one");
  EXPECT_EQ(c.packets[1].link, link_type::ethernet);
  EXPECT_EQ(c.packets[1].data, std::string(1500, 'x'));
}

/// A classic pcap file (little-endian, microseconds, Ethernet) of the given records.
std::string classic_pcap(const std::vector<std::pair<std::uint64_t, std::string>>& records, bool nanos = false) {
  std::string f = le32(nanos ? 0xa1b23c4d : 0xa1b2c3d4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(65535) + le32(1);
  for (const auto& [t, d] : records)
    f += le32(static_cast<std::uint32_t>(t / 1'000'000)) +
         le32(static_cast<std::uint32_t>(nanos ? t % 1'000'000 * 1000 : t % 1'000'000)) +
         le32(static_cast<std::uint32_t>(d.size())) + le32(static_cast<std::uint32_t>(d.size())) + d;
  return f;
}

TEST(PcapngReader, ReadsClassicPcapInMicroAndNanoseconds) {
  for (bool nanos : {false, true}) {
    auto got = read_capture(classic_pcap({{5'000'001, "ab"}, {6'000'000, "cde"}}, nanos), "c.pcap");
    ASSERT_TRUE(std::holds_alternative<capture>(got)) << std::get<capture_error>(got).message;
    const auto& c = std::get<capture>(got);
    ASSERT_EQ(c.packets.size(), 2u);
    EXPECT_EQ(c.packets[0].t_us, 5'000'001u);
    EXPECT_EQ(c.packets[1].data, "cde");
    EXPECT_EQ(c.packets[1].link, link_type::ethernet);
  }
}

std::string error_of(std::string_view bytes) {
  auto got = read_capture(bytes, "bad.pcap");
  auto* e = std::get_if<capture_error>(&got);
  return e ? e->message : "no error";
}

TEST(PcapngReader, BadFilesArePositionedErrors) {
  EXPECT_EQ(error_of("hello world"),
            "bad.pcap: byte 0: not a pcap or pcapng file (it does not begin with either's magic number)");
  EXPECT_EQ(error_of("ab"), "bad.pcap: byte 0: the file is too short to be a capture (2 bytes)");
  auto pcap = classic_pcap({{1, "abcdef"}});
  EXPECT_EQ(error_of(pcap.substr(0, 20)), "bad.pcap: byte 20: the pcap file header is cut off (24 bytes expected)");
  EXPECT_EQ(error_of(pcap.substr(0, 30)),
            "bad.pcap: byte 24: a packet record's header is cut off (16 bytes expected, 6 left)");
  EXPECT_EQ(error_of(pcap.substr(0, pcap.size() - 2)),
            "bad.pcap: byte 24: a packet of 6 bytes is cut off: the file ends 4 bytes into it");
  auto huge = pcap;
  huge.replace(32, 4, le32(0x7fffffff));
  EXPECT_EQ(error_of(huge),
            "bad.pcap: byte 24: a packet record claims 2147483647 bytes: not a pcap file, or a damaged one");

  std::string ng;
  pcapng_writer w([&](std::string_view b) { ng.append(b); }, "");
  w.packet(w.add_interface(link_type::ethernet, "e", ""), 1, "data");
  // Blocks: section header (32 bytes), interface (32), packet (36, last). Cut anywhere
  // but between blocks: an error, never a crash.
  const std::size_t pkt = ng.size() - 36;
  for (std::size_t n = 4; n < ng.size(); ++n)
    if (n != 32u && n != pkt) {
      EXPECT_NE(error_of(ng.substr(0, n)), "no error") << n;
    }
  EXPECT_EQ(
      error_of(ng.substr(0, ng.size() - 3)),
      "bad.pcap: byte " + std::to_string(pkt) + ": a block of 36 bytes is cut off: the file ends 33 bytes into it");
  auto bad_bom = ng;
  bad_bom.replace(8, 4, "XXXX");
  EXPECT_EQ(error_of(bad_bom),
            "bad.pcap: byte 8: the section header's byte-order magic is not 1A2B3C4D: not a pcapng file");
  auto bad_len = ng;
  bad_len.replace(pkt + 4, 4, le32(13));  // the packet block's length
  EXPECT_EQ(error_of(bad_len),
            "bad.pcap: byte " + std::to_string(pkt) + ": a block's length is 13, not a multiple of 4 of at least 12");
  auto bad_trailer = ng;
  bad_trailer.replace(ng.size() - 4, 4, le32(48));
  EXPECT_EQ(error_of(bad_trailer),
            "bad.pcap: byte " + std::to_string(ng.size() - 4) +
                ": a block's trailing length does not repeat its length 36: the file is damaged");
  auto bad_iface = ng;
  bad_iface.replace(pkt + 8, 4, le32(7));  // the packet's interface number
  EXPECT_EQ(error_of(bad_iface),
            "bad.pcap: byte " + std::to_string(pkt) + ": a packet names interface 7, but the section describes 1");
  EXPECT_EQ(error_of(ng.substr(28) + ng),
            "bad.pcap: byte 0: not a pcap or pcapng file (it does not begin with either's magic number)");
}

TEST(NetFrames, EthernetIpv4TcpWithValidChecksumsRoundTrips) {
  net::tcp_segment s;
  s.src_ip = *net::ipv4("10.128.45.67");
  s.dst_ip = *net::ipv4("198.51.100.7");
  s.src_port = 49152;
  s.dst_port = 1883;
  s.seq = 1000;
  s.ack = 2000;
  s.flags = net::tcp_flag::psh | net::tcp_flag::ack;
  s.payload = "odd";
  auto f = net::ethernet_frame(s, 9);
  ASSERT_EQ(f.size(), 14u + 20u + 20u + 3u);
  // The one's complement sum over a header with its checksum in it is 0xffff.
  auto sum16 = [](std::string_view b) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < b.size(); i += 2)
      sum += (static_cast<std::uint8_t>(b[i]) << 8) | static_cast<std::uint8_t>(b[i + 1]);
    if (b.size() % 2) sum += static_cast<std::uint32_t>(static_cast<std::uint8_t>(b.back())) << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
  };
  EXPECT_EQ(sum16(std::string_view(f).substr(14, 20)), 0xffffu);
  std::string pseudo = s.src_ip + s.dst_ip + std::string("\0\x06\0\x17", 4) + f.substr(34);
  EXPECT_EQ(sum16(pseudo), 0xffffu);
  auto back = net::parse_frame(link_type::ethernet, f);
  ASSERT_TRUE(back);
  EXPECT_EQ(net::ip_text(back->src_ip), "10.128.45.67");
  EXPECT_EQ(back->dst_port, 1883);
  EXPECT_EQ(back->seq, 1000u);
  EXPECT_EQ(back->flags, s.flags);
  EXPECT_EQ(back->payload, "odd");
  EXPECT_FALSE(net::parse_frame(link_type::ethernet, f.substr(0, 20)));
  EXPECT_FALSE(net::parse_frame(link_type::upper_pdu, f));
  EXPECT_FALSE(net::ipv4("10.0.0"));
  EXPECT_FALSE(net::ipv4("300.1.1.1"));
}

TEST(MqttWire, EveryPacketRoundTrips) {
  mqtt::connect_options o;
  o.client_id = "dev01";
  o.user_name = "u";
  o.password = "p";
  o.keepalive_s = 60;
  o.will = {true, 1, true, "w/t", "bye"};
  auto c = std::get<wire::packet>(wire::parse(wire::connect(o)));
  EXPECT_EQ(c.type, wire::packet_type::connect);
  EXPECT_EQ(c.protocol_name, "MQTT");
  EXPECT_EQ(c.protocol_level, 4);
  EXPECT_EQ(c.connect.client_id, "dev01");
  EXPECT_EQ(c.connect.user_name, "u");
  EXPECT_EQ(c.connect.password, "p");
  EXPECT_EQ(c.connect.keepalive_s, 60);
  EXPECT_TRUE(c.connect.will.enabled);
  EXPECT_EQ(c.connect.will.topic, "w/t");
  EXPECT_EQ(std::get<wire::packet>(wire::parse(wire::connack(5))).return_code, 5);
  auto p = std::get<wire::packet>(wire::parse(wire::publish("t", std::string(300, 'x'), 2, true, 77)));
  EXPECT_EQ(p.topic, "t");
  EXPECT_EQ(p.payload.size(), 300u);
  EXPECT_EQ(p.qos, 2);
  EXPECT_TRUE(p.retain);
  EXPECT_EQ(p.packet_id, 77);
  auto s = std::get<wire::packet>(wire::parse(wire::subscribe(3, "a/#", 1)));
  ASSERT_EQ(s.filters.size(), 1u);
  EXPECT_EQ(s.filters[0], (std::pair<std::string, int>{"a/#", 1}));
  EXPECT_EQ(std::get<wire::packet>(wire::parse(wire::suback(3, 0x80))).codes, std::vector<std::uint8_t>{0x80});
  EXPECT_EQ(std::get<wire::packet>(wire::parse(wire::ack(wire::packet_type::pubrel, 9))).flags, 2);
  EXPECT_EQ(std::get<wire::packet>(wire::parse(wire::bare(wire::packet_type::disconnect))).type,
            wire::packet_type::disconnect);

  std::size_t n = 0;
  auto big = wire::publish("t", std::string(200, 'y'), 0, false, 0);
  EXPECT_EQ(wire::frame(big.substr(0, 2), n), wire::frame_status::incomplete);
  EXPECT_EQ(wire::frame(big + "more", n), wire::frame_status::complete);
  EXPECT_EQ(n, big.size());
  EXPECT_EQ(wire::frame(std::string("\x30\xff\xff\xff\xff\x01", 6), n), wire::frame_status::malformed);
  EXPECT_EQ(std::get<std::string>(wire::parse(std::string("\x10\x02\x00\x04", 4))), "CONNECT ends too early");
  EXPECT_EQ(std::get<std::string>(wire::parse(std::string("\xf0\x00", 2))), "type 15 is not an MQTT 3.1.1 packet type");
}

TEST(MqttDescribe, ParsesBackWhatDescribeWrote) {
  mqtt::connect_options o;
  o.client_id = "a\"b";
  o.user_name = "u";
  o.password = "secret";
  o.will.enabled = true;
  o.will.topic = "w";
  std::vector<mqtt::any_request> requests = {
      mqtt::request::open{0, "test.mosquitto.org", 1883, {}},
      mqtt::request::open{1, "::1", 8883, {1, "", "", ""}},
      mqtt::request::connect{2, "h", 1883, {}, o},
      mqtt::request::subscribe{0, 1, "t/#", 2},
      mqtt::request::unsubscribe{0, 4, "t"},
      mqtt::request::publish{0, 5, 1, true, "t", "x\x01y"},
      mqtt::request::disconnect{3},
      mqtt::request::abort{4},
  };
  for (const auto& r : requests) {
    auto text = mqtt::describe(r, true);
    auto back = mqtt::parse_request(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(mqtt::describe(*back, true), text);
  }
  std::vector<mqtt::any_event> events = {
      mqtt::event::opened{0, true, ""},
      mqtt::event::opened{0, false, "DNS: x does not resolve"},
      mqtt::event::connack{0, 5},
      mqtt::event::connect_failed{1, "no CONNACK"},
      mqtt::event::suback{0, 1, 0},
      mqtt::event::unsuback{0, 2, 1},
      mqtt::event::published{0, 3, 0},
      mqtt::event::message{0, 4, "t", "hello", 1, true},
      mqtt::event::link_lost{0, "peer closed"},
  };
  for (const auto& e : events) {
    auto text = mqtt::describe(e);
    auto back = mqtt::parse_event(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(mqtt::describe(*back), text) << text;
  }
  // A long payload comes back as the 64 bytes the text kept.
  auto text = mqtt::describe(mqtt::any_event{mqtt::event::message{0, 0, "t", std::string(100, 'z'), 0, false}});
  auto back = mqtt::parse_event(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(std::get<mqtt::event::message>(*back).payload, std::string(64, 'z'));
  EXPECT_FALSE(mqtt::parse_request("open id x"));
  EXPECT_FALSE(mqtt::parse_event("CONNACK id 0 code 5 extra"));
  EXPECT_FALSE(mqtt::parse_event("something else"));
}

/// The packets of a capture made by the exporter, read back.
std::vector<captured_packet> packets_of(const std::string& file) {
  auto got = read_capture(file, "x.pcapng");
  EXPECT_TRUE(std::holds_alternative<capture>(got));
  return std::holds_alternative<capture>(got) ? std::get<capture>(got).packets : std::vector<captured_packet>{};
}

/// The exported PDU's payload (after its tags).
std::string pdu_payload(const std::string& pdu) {
  std::size_t at = 0;
  while (at + 4 <= pdu.size()) {
    int code = (static_cast<std::uint8_t>(pdu[at]) << 8) | static_cast<std::uint8_t>(pdu[at + 1]);
    int len = (static_cast<std::uint8_t>(pdu[at + 2]) << 8) | static_cast<std::uint8_t>(pdu[at + 3]);
    at += 4 + static_cast<std::size_t>(len);
    if (code == 0) break;
  }
  return pdu.substr(at);
}

TEST(PcapExport, UartBytesAreCutIntoLinesWhateverTheChunks) {
  std::string file;
  {
    pcap_exporter x([&](std::string_view b) { file.append(b); }, 1'000'000);
    std::string host = "AT+CGMI\r\nAT\r", module = "AT+CGMI\r\r\nLierda\r\n\r\nOK\r\n";
    std::int64_t t = 0;
    for (char c : host.substr(0, 9)) x.add(test::trace_event(++t, direction::dte_to_module, std::string(1, c)));
    for (char c : module) x.add(test::trace_event(++t, direction::module_to_dte, std::string(1, c)));
    x.add(test::trace_event(++t, direction::dte_to_module, host.substr(9)));
    x.add(test::trace_event(++t, direction::module_to_dte, "\r\nOK\r\n\r\n> "));
    x.finish();
  }
  auto p = packets_of(file);
  std::vector<std::string> pieces;
  for (const auto& k : p) pieces.push_back(pdu_payload(k.data));
  EXPECT_EQ(pieces, (std::vector<std::string>{"AT+CGMI\r\n", "AT+CGMI\r", "\r\nLierda\r\n", "\r\nOK\r\n", "AT\r",
                                              "\r\nOK\r\n", "\r\n> "}));
  ASSERT_EQ(p.size(), 7u);
  EXPECT_EQ(p[1].data.substr(0, 8), std::string("\x00\x0c\x00\x04"
                                                "data",
                                                8))
      << "the echo is data";
  EXPECT_EQ(p[2].data.substr(0, 8), std::string("\x00\x0c\x00\x04"
                                                "at\0\0",
                                                8));
  for (std::size_t i = 1; i < p.size(); ++i) EXPECT_GE(p[i].t_us, p[i - 1].t_us) << "one timeline";
}

TEST(PcapExport, SeedFlowTraceGivesTheMqttPacketsInTcp) {
  auto loaded = load((traces_dir() / "seed-flow.jsonl").string());
  ASSERT_TRUE(std::holds_alternative<trace>(loaded));
  auto file = to_pcapng(std::get<trace>(loaded));
  std::vector<std::string> mqtt;
  std::uint32_t next_module_seq = 0;
  int uart = 0;
  for (const auto& p : packets_of(file)) {
    if (p.link == link_type::upper_pdu) {
      ++uart;
      continue;
    }
    auto s = net::parse_frame(p.link, p.data);
    ASSERT_TRUE(s);
    if (s->dst_port == 1883 && next_module_seq) {
      EXPECT_EQ(s->seq, next_module_seq) << "no gap in the module stream";
    }
    if (s->dst_port == 1883)
      next_module_seq = s->seq + static_cast<std::uint32_t>(s->payload.size()) + ((s->flags & 3) ? 1 : 0);
    if (s->payload.empty()) continue;
    auto m = wire::parse(s->payload);
    ASSERT_TRUE(std::holds_alternative<wire::packet>(m)) << std::get<std::string>(m);
    mqtt.push_back(wire::to_string(std::get<wire::packet>(m).type) + (s->dst_port == 1883 ? ">" : "<"));
  }
  EXPECT_EQ(mqtt, (std::vector<std::string>{"CONNECT>", "CONNACK<", "SUBSCRIBE>", "SUBACK<", "PUBLISH>", "PUBLISH<"}));
  EXPECT_EQ(uart, 17);
  // Time zero is the header's "started": ECRDY came 1.5 s after 2026-11-26T10:48:28.123456Z.
  EXPECT_EQ(packets_of(file).front().t_us, *epoch_us("2026-11-26T10:48:28.123456Z") + 1'500'000);
  EXPECT_EQ(*epoch_us("1970-01-01T00:00:01.5Z"), 1'500'000u);
  EXPECT_FALSE(epoch_us("yesterday"));
}

TEST(PcapExport, RefusalLossAndReconnectAreTcpEvents) {
  std::string file;
  {
    pcap_exporter x([&](std::string_view b) { file.append(b); }, 0);
    mqtt::connect_options o;
    x.add(mqtt::any_request{mqtt::request::open{0, "127.0.0.1", 41883, {}}}, 1);
    x.add(mqtt::any_event{mqtt::event::opened{0, true, ""}}, 2);
    x.add(mqtt::any_request{mqtt::request::connect{0, "127.0.0.1", 41883, {}, o}}, 3);
    x.add(mqtt::any_event{mqtt::event::connack{0, 5}}, 4);
    x.add(mqtt::any_request{mqtt::request::connect{0, "127.0.0.1", 41883, {}, o}}, 5);
    x.add(mqtt::any_event{mqtt::event::connack{0, 0}}, 6);
    x.add(mqtt::any_event{mqtt::event::link_lost{0, "peer closed"}}, 7);
    x.add(mqtt::any_request{mqtt::request::connect{0, "127.0.0.1", 41883, {}, o}}, 8);
    x.add(mqtt::any_request{mqtt::request::open{1, "127.0.0.1", 41883, {}}}, 9);
    x.add(mqtt::any_event{mqtt::event::opened{1, false, "DNS: nowhere"}}, 9);
    x.add(mqtt::any_request{mqtt::request::open{2, "127.0.0.1", 41883, {}}}, 9);
    x.add(mqtt::any_event{mqtt::event::opened{2, false, "TCP: connection refused"}}, 10);
  }
  std::vector<std::string> seen;
  for (const auto& p : packets_of(file)) {
    auto s = net::parse_frame(p.link, p.data);
    ASSERT_TRUE(s);
    EXPECT_EQ(net::ip_text(s->src_port == 1883 ? s->src_ip : s->dst_ip), "127.0.0.1") << "an IPv4 host is kept";
    std::string f = std::to_string(s->src_port == 1883 ? s->dst_port : s->src_port) + (s->src_port == 1883 ? "<" : ">");
    if (s->flags & net::tcp_flag::syn) f += "S";
    if (s->flags & net::tcp_flag::fin) f += "F";
    if (s->flags & net::tcp_flag::rst) f += "R";
    if (!s->payload.empty()) f += wire::to_string(std::get<wire::packet>(wire::parse(s->payload)).type);
    seen.push_back(f);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "49152>S", "49152<S", "49152>", "49152>CONNECT", "49152<CONNACK", "49152<F", "49152>F",
                      "49152<",  // refused: the broker closes
                      "49153>S", "49153<S", "49153>", "49153>CONNECT", "49153<CONNACK", "49153<R",  // lost
                      "49154>S", "49154<S", "49154>", "49154>CONNECT",                              // reconnect
                      "49155>S", "49155<R",  // a refused open; the DNS failure sent nothing
                  }));
}

}  // namespace
}  // namespace nt35e::trace
