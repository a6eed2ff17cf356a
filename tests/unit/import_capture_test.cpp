// The capture import (issue 17, part 2): a broker-side pcap or pcapng becomes the scenario's
// broker. A real capture (dumpcap on lo against mosquitto, checked in as pcapng and as
// pcap), captures made here segment by segment (reassembly out of order, retransmissions,
// MQTT found by its CONNECT on any port), the exporter's own captures, and every bad file
// a positioned message, never a crash.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/import_command.hpp"
#include "mqtt/wire.hpp"
#include "scenario/json_loader.hpp"
#include "trace/import_log.hpp"
#include "trace/net_frames.hpp"
#include "trace/pcap_export.hpp"
#include "trace/pcapng.hpp"

namespace nt35e::trace {
namespace {

namespace fs = std::filesystem;
namespace wire = mqtt::wire;

fs::path captures_dir() { return fs::path(__FILE__).parent_path().parent_path() / "data" / "captures"; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The scenario's rules as "trigger action" lines, and the scenario loads.
std::vector<std::string> rules_of(const scenario_result& r) {
  EXPECT_EQ(r.invalid, "");
  auto loaded = scenario::load_text(r.json, "x.json");
  EXPECT_TRUE(std::holds_alternative<scenario::scenario>(loaded)) << r.json;
  std::vector<std::string> out;
  if (!std::holds_alternative<scenario::scenario>(loaded)) return out;
  for (const auto& rule : std::get<scenario::scenario>(loaded).rules) {
    std::string t =
        rule.when.kind == scenario::trigger_kind::at
            ? "at " + std::to_string(rule.when.at.count())
            : rule.when.pattern + "#" + std::to_string(rule.when.occurrence) + "+" + std::to_string(rule.after.count());
    for (const auto& a : rule.then) {
      t += std::string(" ") + scenario::to_string(a.kind);
      if (a.kind == scenario::action_kind::refuse_connect) t += " " + std::to_string(a.code);
      if (a.kind == scenario::action_kind::deliver) t += " " + a.topic + "=" + a.payload;
    }
    out.push_back(t);
  }
  return out;
}

std::string messages_of(const captured_broker& c) {
  std::string out;
  for (const auto& m : c.messages) out += format(m, c.name) + "\n";
  return out;
}

TEST(ImportCapture, RealLoopbackCaptureGivesTheRefusalAndTheLoss) {
  // Taken by dumpcap on lo: the module refused with 5, accepted, then mosquitto killed
  // (its FIN), a reconnect refused while it was down, and the reconnect once it was back.
  for (const char* file : {"broker-refusal-loss.pcapng", "broker-refusal-loss.pcap"}) {
    auto cap = import_capture(read_file(captures_dir() / file), file);
    ASSERT_TRUE(cap.ok()) << messages_of(cap);
    EXPECT_EQ(cap.mqtt_connections, 3);
    EXPECT_EQ(cap.mqtt_packets, 17);
    auto r = to_scenario(cap);
    EXPECT_EQ(rules_of(r), (std::vector<std::string>{"at 0 refuse_connect 5", "connack#2+72 drop_link"})) << r.json;
    EXPECT_NE(messages_of(cap).find("the broker refused a TCP connection that was not the first on id 0"),
              std::string::npos)
        << messages_of(cap);
    // Loopback: the broker's delays are a millisecond or less, its routing of the module's
    // own message back to it too (the scripted broker's default delivery is 60 ms).
    EXPECT_NE(r.json.find("\"delivery\": \"0s\""), std::string::npos) << r.json;
    EXPECT_EQ(r.json.find("s3cret"), std::string::npos) << "no password in the scenario";
    EXPECT_EQ(messages_of(cap).find("s3cret"), std::string::npos);
  }
}

/// Builds a capture segment by segment (Ethernet, IPv4, TCP), client 10.0.0.2:40000 to
/// 10.0.0.1:`port`.
class capture_builder {
 public:
  explicit capture_builder(std::uint16_t port) : port_(port) {
    w_.emplace([this](std::string_view b) { file_.append(b); }, "test");
    iface_ = w_->add_interface(link_type::ethernet, "eth", "");
  }
  void handshake(std::uint64_t t) {
    seg(true, net::tcp_flag::syn, "", t, cseq_++);
    seg(false, net::tcp_flag::syn | net::tcp_flag::ack, "", t, sseq_++);
  }
  /// `data` from the client (or the broker) at its place in the stream, `at` bytes later than
  /// the next byte (to send segments out of order); returns the sequence number used.
  void send(bool client, std::string_view data, std::uint64_t t, std::uint32_t offset = 0, bool advance = true) {
    auto& seq = client ? cseq_ : sseq_;
    seg(client, net::tcp_flag::psh | net::tcp_flag::ack, data, t, seq + offset);
    if (advance) seq += static_cast<std::uint32_t>(data.size());
  }
  void skip(bool client, std::size_t n) { (client ? cseq_ : sseq_) += static_cast<std::uint32_t>(n); }
  void flags(bool client, std::uint8_t f, std::uint64_t t) {
    seg(client, f | net::tcp_flag::ack, "", t, client ? cseq_ : sseq_);
  }
  const std::string& file() const { return file_; }

 private:
  void seg(bool client, std::uint8_t flags, std::string_view data, std::uint64_t t, std::uint32_t seq) {
    net::tcp_segment s;
    s.src_ip = *net::ipv4(client ? "10.0.0.2" : "10.0.0.1");
    s.dst_ip = *net::ipv4(client ? "10.0.0.1" : "10.0.0.2");
    s.src_port = client ? 40000 : port_;
    s.dst_port = client ? port_ : 40000;
    s.seq = seq;
    s.flags = flags;
    s.payload.assign(data);
    w_->packet(iface_, t, net::ethernet_frame(s, 1));
  }
  std::string file_;
  std::optional<pcapng_writer> w_;
  std::uint32_t iface_ = 0;
  std::uint16_t port_;
  std::uint32_t cseq_ = 1000, sseq_ = 9000;
};

TEST(ImportCapture, ReassemblesOutOfOrderAndRetransmittedSegmentsOnAnyPort) {
  capture_builder b(12345);  // not 1883: MQTT is found by its CONNECT
  b.handshake(1'000'000);
  mqtt::connect_options o;
  o.client_id = "dev";
  auto connect = wire::connect(o);
  // The second half first, then the first half, then the first half again.
  b.send(true, std::string_view(connect).substr(5), 1'010'000, 5, false);
  b.send(true, std::string_view(connect).substr(0, 5), 1'011'000, 0, false);
  b.send(true, std::string_view(connect).substr(0, 5), 1'012'000, 0, false);
  b.skip(true, connect.size());
  b.send(false, wire::connack(0), 1'250'000);
  b.send(false, wire::publish("cmd/led", "on", 1, false, 7), 3'250'000);
  b.send(true, wire::ack(wire::packet_type::puback, 7), 3'251'000);
  b.flags(false, net::tcp_flag::rst, 9'250'000);
  auto cap = import_capture(b.file(), "ooo.pcapng");
  ASSERT_TRUE(cap.ok()) << messages_of(cap);
  EXPECT_EQ(cap.mqtt_packets, 4);
  EXPECT_EQ(rules_of(to_scenario(cap)),
            (std::vector<std::string>{"connack#1+2000 deliver cmd/led=on", "connack#1+8000 drop_link"}));
  EXPECT_NE(to_scenario(cap).json.find("\"connack\": \"240ms\""), std::string::npos) << to_scenario(cap).json;
}

TEST(ImportCapture, UnansweredPingsAreStopPingsAndNotMqttIsLeftOut) {
  capture_builder b(1883);
  b.handshake(0);
  b.send(true, wire::connect({}), 1000);
  b.send(false, wire::connack(0), 2000);
  b.send(true, wire::bare(wire::packet_type::pingreq), 60'000'000);
  b.send(false, wire::bare(wire::packet_type::pingresp), 60'010'000);
  b.send(true, wire::bare(wire::packet_type::pingreq), 120'000'000);
  b.flags(true, net::tcp_flag::fin, 128'000'000);
  auto cap = import_capture(b.file(), "pings.pcapng");
  ASSERT_TRUE(cap.ok()) << messages_of(cap);
  EXPECT_EQ(rules_of(to_scenario(cap)), (std::vector<std::string>{"connack#1+119998 stop_pings"}));

  capture_builder http(80);
  http.handshake(0);
  http.send(true, "GET / HTTP/1.1\r\n\r\n", 1000);
  auto none = import_capture(http.file(), "http.pcapng");
  EXPECT_FALSE(none.ok());
  EXPECT_EQ(messages_of(none),
            "http.pcapng: note: 1 TCP connection does not begin with an MQTT CONNECT and is left out\n"
            "http.pcapng: error: no MQTT connection in the capture (3 TCP segments; an MQTT connection begins with "
            "the client's CONNECT)\n");
}

TEST(ImportCapture, MalformedMqttIsAPositionedWarning) {
  capture_builder b(1883);
  b.handshake(0);
  b.send(true, wire::connect({}), 1000);
  b.send(false, wire::connack(0), 2000);
  b.send(false, std::string("\xf0\x00", 2), 3000);
  auto cap = import_capture(b.file(), "bad.pcapng");
  ASSERT_TRUE(cap.ok());
  EXPECT_NE(
      messages_of(cap).find("bad.pcapng: warning: packet 1, the connection from port 40000 (broker to module), "
                            "byte 4 of its stream: not an MQTT packet (type 15 is not an MQTT 3.1.1 packet type); "
                            "the rest of that direction is left out"),
      std::string::npos)
      << messages_of(cap);
}

TEST(ImportCapture, OurOwnPcapIsReadBackAndEchoesAreLeftToTheScriptedBroker) {
  std::string file;
  {
    pcap_exporter x([&](std::string_view b) { file.append(b); }, 1'700'000'000'000'000);
    x.add(mqtt::any_request{mqtt::request::open{0, "broker", 1883, {}}}, 0);
    x.add(mqtt::any_event{mqtt::event::opened{0, true, ""}}, 100'000);
    x.add(mqtt::any_request{mqtt::request::connect{0, "broker", 1883, {}, {}}}, 200'000);
    x.add(mqtt::any_event{mqtt::event::connack{0, 0}}, 500'000);
    x.add(mqtt::any_request{mqtt::request::subscribe{0, 1, "t", 1}}, 600'000);
    x.add(mqtt::any_event{mqtt::event::suback{0, 1, 0}}, 750'000);
    x.add(mqtt::any_request{mqtt::request::publish{0, 0, 0, false, "t", "echo"}}, 800'000);
    x.add(mqtt::any_event{mqtt::event::message{0, 0, "t", "echo", 0, false}}, 860'000);
    x.add(mqtt::any_event{mqtt::event::message{0, 3, "t", "from the server", 1, false}}, 1'500'000);
    x.add(mqtt::any_event{mqtt::event::link_lost{0, "peer closed"}}, 5'500'000);
  }
  auto cap = import_capture(file, "ours.pcapng");
  ASSERT_TRUE(cap.ok()) << messages_of(cap);
  auto r = to_scenario(cap);
  EXPECT_EQ(rules_of(r),
            (std::vector<std::string>{"connack#1+1000 deliver t=from the server", "connack#1+5000 drop_link"}));
  // CONNECT to CONNACK 300 ms and SUBSCRIBE to SUBACK 150 ms are the scripted broker's own.
  EXPECT_NE(r.json.find("\"broker\": {\"delays\": {\"open\": \"0s\"}}"), std::string::npos) << r.json;
}

TEST(ImportCapture, WithTheSerialLogTheBrokerComesFromTheCapture) {
  auto cap = import_capture(read_file(captures_dir() / "broker-refusal-loss.pcapng"), "broker.pcapng");
  ASSERT_TRUE(cap.ok());
  // The log shows the refusal and the loss too: the capture's rules replace the log's.
  auto log = import_log(
      "AT+ECMTOPEN=0,\"h\",1883\r\nOK\r\n+ECMTOPEN:0,0\r\nAT+ECMTCONN=0,\"c\",\"u\",\"p\"\r\nOK\r\n+ECMTCONN:0,0,5\r\n"
      "AT+ECMTCONN=0,\"c\",\"u\",\"p\"\r\nOK\r\n+ECMTCONN:0,0,0\r\n+ECMTSTAT:0,1\r\n",
      "customer.log");
  ASSERT_TRUE(log.ok());
  auto r = to_scenario(log, &cap);
  auto rules = rules_of(r);
  EXPECT_EQ(std::count(rules.begin(), rules.end(), "at 0 refuse_connect 5"), 1) << r.json;
  EXPECT_EQ(std::count(rules.begin(), rules.end(), "connack#2+72 drop_link"), 1) << r.json;
  EXPECT_EQ(
      std::count_if(rules.begin(), rules.end(), [](const auto& s) { return s.find("+ECMTCONN") != std::string::npos; }),
      0)
      << "no refusal rule from the log: " << r.json;
  EXPECT_NE(r.json.find("broker.pcapng, packet 1: the broker refused CONNECT with CONNACK 5"), std::string::npos)
      << r.json;
}

TEST(ImportCapture, BadFilesArePositionedErrorsNeverACrash) {
  auto error_of = [](std::string_view bytes) {
    auto cap = import_capture(bytes, "x.pcap");
    EXPECT_FALSE(cap.ok());
    return messages_of(cap);
  };
  EXPECT_EQ(error_of("GET / HTTP/1.1"),
            "x.pcap: error: byte 0: not a pcap or pcapng file (it does not begin with either's magic number)\n");
  auto sample = read_file(captures_dir() / "broker-refusal-loss.pcapng");
  auto cut = error_of(sample.substr(0, sample.size() - 10));
  EXPECT_EQ(cut.substr(0, 20), "x.pcap: error: byte ");
  EXPECT_NE(cut.find(" bytes is cut off: the file ends "), std::string::npos) << cut;
  // Garbage blocks after a valid section header and interface.
  std::string garbage = sample.substr(0, 64);
  garbage += std::string("\x06\x00\x00\x00\xff\xff\xff\x7f", 8) + std::string(40, 'x');
  EXPECT_NE(error_of(garbage).find("x.pcap: error: byte "), std::string::npos) << error_of(garbage);
  // Every cut of a real capture: a result or an error, never a crash.
  for (std::size_t n = 0; n < sample.size(); n += 7) (void)import_capture(sample.substr(0, n), "cut.pcapng");
  auto pcap = read_file(captures_dir() / "broker-refusal-loss.pcap");
  for (std::size_t n = 0; n < pcap.size(); n += 5) (void)import_capture(pcap.substr(0, n), "cut.pcap");
}

/// `nt35e-sim import ARGS`: (status, stderr).
std::pair<int, std::string> import_command(std::vector<std::string> args) {
  args.insert(args.begin(), "import");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  testing::internal::CaptureStderr();
  int rc = app::import_main(static_cast<int>(argv.size()), argv.data());
  return {rc, testing::internal::GetCapturedStderr()};
}

TEST(ImportCapture, TheImportCommandTakesACaptureAloneOrBesideTheLog) {
  auto dir = fs::temp_directory_path() / ("nt35e-import-capture-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto pcap = (captures_dir() / "broker-refusal-loss.pcap").string();
  const auto log = (fs::path(__FILE__).parent_path().parent_path() / "data" / "logs" / "plain.log").string();
  const auto out = (dir / "s.json").string();
  auto [rc, err] = import_command({"--to", "scenario", "-o", out, pcap});
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("broker-refusal-loss.pcap: read as a broker-side capture: 3 MQTT connections, 17 MQTT packets"),
            std::string::npos)
      << err;
  EXPECT_NE(read_file(out).find("\"refuse_connect\""), std::string::npos);
  std::tie(rc, err) = import_command({"--to", "scenario", "-o", out, "--capture", pcap, log});
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(read_file(out).find("broker-refusal-loss.pcap, packet 1"), std::string::npos) << read_file(out);
  // Usage errors: a capture makes no trace; two captures.
  std::tie(rc, err) = import_command({pcap});
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(err, "nt35e-sim import: " + pcap +
                     " is a capture of the broker side: it makes a scenario (--to scenario), not a trace\n");
  std::tie(rc, err) = import_command({"--capture", pcap, log});
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(err, "nt35e-sim import: --capture gives the scenario its broker: use it with --to scenario\n");
  std::tie(rc, err) = import_command({"--to", "scenario", "--capture", pcap, pcap});
  EXPECT_EQ(rc, 2) << err;
  // A damaged capture: status 1, the byte named.
  auto bad = (dir / "bad.pcap").string();
  std::ofstream(bad, std::ios::binary) << read_file(pcap).substr(0, 30);
  std::tie(rc, err) = import_command({"--to", "scenario", bad});
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, "bad.pcap: error: byte 24: a packet record's header is cut off (16 bytes expected, 6 left)\n");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nt35e::trace
