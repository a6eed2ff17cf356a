// End-to-end, issue "ECMT against a real broker": the real nt35e-sim binary with
// --live, a real mosquitto started per test on free loopback ports, and the test as
// the DTE on a real TCP socket or PTY. Byte-for-byte where the spec fixes the bytes.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/mosquitto_broker.hpp"
#include "support/sim_process.hpp"

namespace nt35e::test {
namespace {

const std::string ok = "\r\nOK\r\n";
const std::string cme3 = "\r\n+CME ERROR: 3\r\n";
std::string urc(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

/// One simulator with --live in front of one broker.
class LiveEcmt : public ::testing::Test {
 protected:
  void start(broker_config cfg = {.tls = false}, std::vector<std::string> extra = {}, bool pty = false) {
    broker = std::make_unique<mosquitto_broker>(cfg);
    std::vector<std::string> args = {"--live",
                                     "--log-level",
                                     "debug",
                                     "--map-host",
                                     "test.mosquitto.org=127.0.0.1:" + std::to_string(broker->port()),
                                     "--cert-dir",
                                     broker->dir()};
    if (pty) {
      args.insert(args.end(), {"--pty", broker->dir() + "/nt35e0"});
    } else {
      args.insert(args.end(), {"--tcp", "0"});
    }
    // Short boot and registration: these tests are about MQTT, not the power-on timeline.
    for (auto s : {"timing.boot=50", "timing.registration=50"}) args.insert(args.end(), {"--set", s});
    args.insert(args.end(), extra.begin(), extra.end());
    sim = std::make_unique<sim_process>(args);
    ASSERT_TRUE(sim->wait_ready()) << sim->diagnostics();
    dte = std::make_unique<dte_client>(pty ? dte_client::open_pty(sim->pty_link())
                                           : dte_client::connect_tcp(sim->tcp_port()));
    ASSERT_NE(dte->read_until("ECRDY\r\n", 5s).find("ECRDY"), std::string::npos) << sim->diagnostics();
    ASSERT_EQ(cmd("ATE0", ok), "ATE0\r" + ok);
    // Registered and PDP active before the first ECMTOPEN.
    for (int i = 0; i < 50; ++i) {
      if (cmd("AT+CGATT?", ok) == urc("+CGATT:1") + ok) break;
      dte->read_for(50ms);
    }
  }

  /// Sends a line and reads until `until` (the last bytes expected) arrives.
  std::string cmd(const std::string& line, std::string_view until, milliseconds timeout = 5s) {
    EXPECT_TRUE(dte->send(line + "\r"));
    return dte->read_until(until, timeout);
  }
  /// Reads until `until` arrives.
  std::string wait(std::string_view until, milliseconds timeout = 5s) { return dte->read_until(until, timeout); }

  void open_connect(int id, int port, const std::string& conn_args = "") {
    auto s = std::to_string(id);
    auto open = urc("+ECMTOPEN:" + s + ",0");
    ASSERT_EQ(cmd("AT+ECMTOPEN=" + s + ",\"127.0.0.1\"," + std::to_string(port), open), ok + open)
        << sim->diagnostics();
    auto conn = urc("+ECMTCONN:" + s + ",0,0");
    ASSERT_EQ(cmd("AT+ECMTCONN=" + s + conn_args, conn), ok + conn) << sim->diagnostics();
  }

  void TearDown() override {
    if (HasFailure() && sim) std::cerr << sim->diagnostics() << "\n";
  }

  std::unique_ptr<mosquitto_broker> broker;
  std::unique_ptr<sim_process> sim;
  std::unique_ptr<dte_client> dte;
};

// The seed guide verbatim (spec A.3-A.7), host mapped to the local broker.
TEST_F(LiveEcmt, SeedGuideFlowVerbatim) {
  start();
  EXPECT_EQ(cmd("AT+ECMTOPEN=0, \"test.mosquitto.org\",1883", urc("+ECMTOPEN:0,0")), ok + urc("+ECMTOPEN:0,0"));
  EXPECT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ok), ok) << "A.3: live id, no URC";
  EXPECT_EQ(dte->read_for(300ms), "");
  EXPECT_EQ(cmd("AT+ECMTCONN=0", urc("+ECMTCONN:0,0,0")), ok + urc("+ECMTCONN:0,0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN?", ok), urc("+ECMTCONN:0,3") + ok);
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\"test\",2", urc("+ECMTSUB:0,1,0,1")), ok + urc("+ECMTSUB:0,1,0,1"));
  EXPECT_EQ(cmd("AT+ECMTPUB=0,0,0,0,\"test\",\"hello\"", urc("+ECMTRECV:0,0,\"test\",hello")),
            ok + urc("+ECMTPUB:0,0,0") + urc("+ECMTRECV:0,0,\"test\",hello"));
  EXPECT_EQ(cmd("AT+ECMTUNS=0,4, \"test\"", urc("+ECMTUNS:0,4,0")), ok + urc("+ECMTUNS:0,4,0"));
  EXPECT_EQ(cmd("AT+ECMTDISC=0", urc("+ECMTDISC:0,0")), ok + urc("+ECMTDISC:0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN?", ok), ok) << "context deleted";
  EXPECT_TRUE(broker->wait_for_log("Received SUBSCRIBE", 2s)) << "a real client talked to the broker";
}

TEST_F(LiveEcmt, SeedGuideTypographicQuotesAreErrorA13) {
  start();
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\xE2\x80\x9Dtest\xE2\x80\x9D,2", "ERROR\r\n"), "\r\nERROR\r\n");
  EXPECT_TRUE(sim->wait_stderr("syntax.typographic_quote")) << sim->diagnostics();
  EXPECT_EQ(cmd("AT+ECMTOPEN=0\xEF\xBC\x8C\"test.mosquitto.org\",1883", "ERROR\r\n"), "\r\nERROR\r\n");
}

TEST_F(LiveEcmt, WrongPasswordIsRefusedWith5AndTheRightOneAccepted_A8) {
  start();
  auto port = std::to_string(broker->auth_port());
  ASSERT_EQ(cmd("AT+ECMTOPEN=0,\"127.0.0.1\"," + port, urc("+ECMTOPEN:0,0")), ok + urc("+ECMTOPEN:0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN=0,\"dev01\",\"" + broker->user() + "\",\"wrong\"", urc("+ECMTCONN:0,0,5")),
            ok + urc("+ECMTCONN:0,0,5"));
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\"test\",1", cme3), cme3) << "A.8: back to OPENED";
  EXPECT_EQ(
      cmd("AT+ECMTCONN=0,\"dev01\",\"" + broker->user() + "\",\"" + broker->password() + "\"", urc("+ECMTCONN:0,0,0")),
      ok + urc("+ECMTCONN:0,0,0"));
  EXPECT_EQ(sim->stderr_text().find(broker->password()), std::string::npos) << "password never logged";
  EXPECT_EQ(sim->stderr_text().find("\"wrong\""), std::string::npos);
  // Why the URC said 5 is in the transcript: the live backend's own line.
  EXPECT_EQ(sim->stderr_count("[info] paho: id 0: CONNACK refused, code 5"), 1u) << sim->stderr_text();
}

TEST_F(LiveEcmt, UnknownHostAndClosedPortGiveMinusOne_A9) {
  start();
  EXPECT_EQ(cmd("AT+ECMTOPEN=1,\"no-such-host.invalid\",1883", urc("+ECMTOPEN:1,-1"), 15s), ok + urc("+ECMTOPEN:1,-1"));
  EXPECT_EQ(cmd("AT+ECMTCONN=1", cme3), cme3);
  // A port nothing listens on: the broker's own port after it is stopped.
  int closed = broker->port();
  broker->stop();
  EXPECT_EQ(cmd("AT+ECMTOPEN=2,\"127.0.0.1\"," + std::to_string(closed), urc("+ECMTOPEN:2,-1"), 15s),
            ok + urc("+ECMTOPEN:2,-1"));
}

TEST_F(LiveEcmt, PublishBeforeConnect_A10) {
  start();
  cmd("AT+ECMTOPEN=0,\"127.0.0.1\"," + std::to_string(broker->port()), urc("+ECMTOPEN:0,0"));
  EXPECT_EQ(cmd("AT+ECMTPUB=0,1,1,0,\"test\",\"x\"", cme3), cme3);
  EXPECT_TRUE(sim->wait_stderr("id 0 is OPENED; ECMTPUB needs CONNECTED")) << sim->diagnostics();
}

TEST_F(LiveEcmt, MessagesFromMosquittoPubArriveAsEcmtrecv) {
  start();
  open_connect(0, broker->port());
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\"in/#\",1", urc("+ECMTSUB:0,1,0,1")), ok + urc("+ECMTSUB:0,1,0,1"));
  ASSERT_EQ(broker->publish("in/a", "plain", 0).exit_code, 0);
  EXPECT_EQ(wait(urc("+ECMTRECV:0,0,\"in/a\",plain")), urc("+ECMTRECV:0,0,\"in/a\",plain"));
  ASSERT_EQ(broker->publish("in/json", "{\"a\":1,\"b\":\"x,y\"}", 1).exit_code, 0);
  auto got = wait("\"b\":\"x,y\"}\r\n");
  EXPECT_NE(got.find(",\"in/json\",{\"a\":1,\"b\":\"x,y\"}\r\n"), std::string::npos) << printable(got);
  EXPECT_EQ(got.find("+ECMTRECV:0,0,"), std::string::npos) << "qos 1 carries a packet id: " << printable(got);
  std::string big(1024, 'B');
  ASSERT_EQ(broker->publish("in/big", big, 1).exit_code, 0);
  got = wait(big + "\r\n");
  EXPECT_NE(got.find(big), std::string::npos) << "1024-byte payload";
  ASSERT_EQ(broker->publish("in/toobig", std::string(1025, 'C'), 0).exit_code, 0);
  ASSERT_EQ(broker->publish("in/after", "after", 0).exit_code, 0);
  got = wait(urc("+ECMTRECV:0,0,\"in/after\",after"));
  EXPECT_EQ(got.find("CCCC"), std::string::npos) << "oversize message dropped";
}

TEST_F(LiveEcmt, RetainedMessageFollowsTheSuback) {
  start();
  ASSERT_EQ(broker->publish("ret/t", "kept", 1, true).exit_code, 0);
  open_connect(0, broker->port());
  EXPECT_EQ(cmd("AT+ECMTSUB=0,3,\"ret/t\",0", urc("+ECMTRECV:0,0,\"ret/t\",kept")),
            ok + urc("+ECMTSUB:0,3,0,1") + urc("+ECMTRECV:0,0,\"ret/t\",kept"));
}

TEST_F(LiveEcmt, Qos1And2BothWaysWithAwkwardPayloads) {
  start();
  open_connect(0, broker->port());
  auto sub = broker->subscribe_async("out/#", 3, 10, "watcher", 2);
  ASSERT_TRUE(broker->wait_for_log("Received SUBSCRIBE from watcher", 5s));
  auto r1 = cmd("AT+ECMTPUB=0,11,1,0,\"out/q1\",\"a,b \"quoted\" c\"", urc("+ECMTPUB:0,11,0"));
  EXPECT_EQ(r1, ok + urc("+ECMTPUB:0,11,0"));
  auto r2 = cmd("AT+ECMTPUB=0,12,2,0,\"out/q2\",{\"t\":21.5,\"ok\":true}", urc("+ECMTPUB:0,12,0"));
  EXPECT_EQ(r2, ok + urc("+ECMTPUB:0,12,0"));
  std::string big(1024, 'x');
  EXPECT_EQ(cmd("AT+ECMTPUB=0,13,1,0,\"out/big\",\"" + big + "\"", urc("+ECMTPUB:0,13,0")),
            ok + urc("+ECMTPUB:0,13,0"));
  ASSERT_EQ(sub.wait_for(10s), 0) << sub.output();
  auto seen = sub.output();
  EXPECT_NE(seen.find("out/q1 a,b \"quoted\" c\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("out/q2 {\"t\":21.5,\"ok\":true}\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("out/big " + big), std::string::npos);
  // And inbound at qos 2.
  EXPECT_EQ(cmd("AT+ECMTSUB=0,2,\"in2\",2", urc("+ECMTSUB:0,2,0,1")), ok + urc("+ECMTSUB:0,2,0,1"));
  ASSERT_EQ(broker->publish("in2", "exactly-once", 2).exit_code, 0);
  auto got = wait(",\"in2\",exactly-once\r\n");
  EXPECT_NE(got.find(",\"in2\",exactly-once\r\n"), std::string::npos) << printable(got);
}

// A host that pipelines QoS 0 publishes (the OK comes at once, so the next command
// follows at once) keeps many publishes queued inside Paho. Every one must still be
// reported sent: Paho's default limit of 100 queued publishes used to refuse the rest
// (+ECMTPUB:0,0,2 with "No more messages can be buffered").
// As on the module, AT+ECMTOPEN opens the TCP connection and AT+ECMTCONN's CONNECT goes
// over that same connection: the broker sees one connection, not a probe and a second one.
// After a DISC a new CONN dials again.
TEST_F(LiveEcmt, OpenAndConnectShareOneTcpConnection) {
  start();
  auto connections = [&] {
    const std::string log = broker->log();
    std::size_t n = 0;
    for (auto at = log.find("New connection from"); at != std::string::npos;
         at = log.find("New connection from", at + 1))
      ++n;
    return n;
  };
  const auto before = connections();
  open_connect(0, broker->port());
  ASSERT_TRUE(broker->wait_for_log("New client connected", 5s));
  EXPECT_EQ(connections() - before, 1u) << broker->log();
  EXPECT_EQ(cmd("AT+ECMTDISC=0", urc("+ECMTDISC:0,0")), ok + urc("+ECMTDISC:0,0"));
  EXPECT_EQ(cmd("AT+ECMTOPEN=0,\"127.0.0.1\"," + std::to_string(broker->port()), urc("+ECMTOPEN:0,0")),
            ok + urc("+ECMTOPEN:0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN=0", urc("+ECMTCONN:0,0,0")), ok + urc("+ECMTCONN:0,0,0")) << sim->diagnostics();
  EXPECT_EQ(connections() - before, 2u) << "one more for the second OPEN/CONN pair\n" << broker->log();
}

TEST_F(LiveEcmt, PipelinedQos0PublishesAreAllSent) {
  start({.tls = false},
        {"--set", "timing.basic_result=0", "--set", "timing.ecmt_ok=0", "--set", "timing.qos0_publish_urc=0"});
  open_connect(0, broker->port());
  auto count = [](const std::string& text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  constexpr int per_write = 140;  // 140 lines of 27 bytes: within the module's 4096-byte input buffer
  std::string batch;
  for (int i = 0; i < per_write; ++i) batch += "AT+ECMTPUB=0,0,0,0,\"t\",\"x\"\r";
  ASSERT_LT(batch.size(), 4096u);
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(dte->send(batch));
    std::string got;
    for (int i = 0; i < 100 && count(got, "+ECMTPUB:0,0,") < per_write; ++i) got += dte->read_for(50ms);
    EXPECT_EQ(count(got, "OK\r\n"), static_cast<std::size_t>(per_write)) << printable(got.substr(0, 400));
    EXPECT_EQ(count(got, "+ECMTPUB:0,0,0\r\n"), static_cast<std::size_t>(per_write))
        << "round " << round << ": " << count(got, "+ECMTPUB:0,0,2") << " refused\n"
        << sim->diagnostics();
  }
}

TEST_F(LiveEcmt, DataModePublishWithCtrlZAndEsc_A12) {
  start();
  open_connect(0, broker->port());
  cmd("AT+ECMTSUB=0,1,\"test\",2", urc("+ECMTSUB:0,1,0,1"));
  ASSERT_TRUE(dte->send("AT+ECMTPUB=0,5,1,0,\"test\"\r"));
  EXPECT_EQ(dte->read_until("> "), "\r\n> ");
  ASSERT_TRUE(dte->send("{\"t\":21.5}\x1A"));
  auto got = dte->read_for(1500ms);
  // The two URCs may swap (§A.12).
  EXPECT_EQ(got.substr(0, ok.size()), ok) << printable(got);
  EXPECT_NE(got.find(urc("+ECMTPUB:0,5,0")), std::string::npos) << printable(got);
  EXPECT_NE(got.find(",\"test\",{\"t\":21.5}\r\n"), std::string::npos) << printable(got);
  ASSERT_TRUE(dte->send("AT+ECMTPUB=0,6,1,0,\"test\"\r"));
  EXPECT_EQ(dte->read_until("> "), "\r\n> ");
  ASSERT_TRUE(dte->send("discard me\x1B"));
  EXPECT_EQ(dte->read_for(1000ms), ok) << "ESC: OK, nothing published";
}

TEST_F(LiveEcmt, BrokerKilledThenRestarted_A11) {
  start();
  open_connect(0, broker->port());
  cmd("AT+ECMTSUB=0,1,\"test\",2", urc("+ECMTSUB:0,1,0,1"));
  broker->kill();
  EXPECT_EQ(wait(urc("+ECMTSTAT:0,1"), 10s), urc("+ECMTSTAT:0,1"));
  broker->start();
  EXPECT_EQ(wait(urc("+ECMTCONN:0,0,0"), 15s), urc("+ECMTCONN:0,0,0")) << "reconnect attempts every 5 s";
  EXPECT_EQ(cmd("AT+ECMTSUB=0,2,\"test\",2", urc("+ECMTSUB:0,2,0,1")), ok + urc("+ECMTSUB:0,2,0,1"));
  EXPECT_EQ(cmd("AT+ECMTPUB=0,0,0,0,\"test\",\"back\"", urc("+ECMTRECV:0,0,\"test\",back")),
            ok + urc("+ECMTPUB:0,0,0") + urc("+ECMTRECV:0,0,\"test\",back"));
}

TEST_F(LiveEcmt, SeveralIdsOnDifferentListenersAtOnce) {
  start();
  open_connect(0, broker->port());
  open_connect(1, broker->auth_port(), ",\"c1\",\"" + broker->user() + "\",\"" + broker->password() + "\"");
  open_connect(2, broker->port(), ",\"c2\"");
  EXPECT_EQ(cmd("AT+ECMTCONN?", ok), "\r\n+ECMTCONN:0,3\r\n+ECMTCONN:1,3\r\n+ECMTCONN:2,3\r\n" + ok);
  cmd("AT+ECMTSUB=2,1,\"x\",1", urc("+ECMTSUB:2,1,0,1"));
  auto got = cmd("AT+ECMTPUB=1,7,1,0,\"x\",\"from1\"", ",\"x\",from1\r\n");
  EXPECT_NE(got.find("+ECMTRECV:2,"), std::string::npos) << printable(got);
  // The ack and the delivery may come in either order (network order, §7.5).
  if (got.find(urc("+ECMTPUB:1,7,0")) == std::string::npos) got += wait(urc("+ECMTPUB:1,7,0"));
  EXPECT_NE(got.find(urc("+ECMTPUB:1,7,0")), std::string::npos) << printable(got);
  EXPECT_EQ(cmd("AT+ECMTCLOSE=0", urc("+ECMTCLOSE:0,0")), ok + urc("+ECMTCLOSE:0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN?", ok), "\r\n+ECMTCONN:1,3\r\n+ECMTCONN:2,3\r\n" + ok);
}

TEST_F(LiveEcmt, StateErrorsAndCmeeRendering_A14) {
  start();
  for (const char* line :
       {"AT+ECMTCONN=0", "AT+ECMTSUB=0,1,\"t\",0", "AT+ECMTUNS=0,1,\"t\"", "AT+ECMTPUB=0,0,0,0,\"t\",\"x\"",
        "AT+ECMTDISC=0", "AT+ECMTCLOSE=0", "AT+ECMTCFG=\"keepalive\",0"})
    EXPECT_EQ(cmd(line, cme3), cme3) << line;
  EXPECT_EQ(cmd("AT+CMEE=2", ok), ok);
  EXPECT_EQ(cmd("AT+ECMTDISC=3", "allowed\r\n"), "\r\n+CME ERROR: operation not allowed\r\n");
  EXPECT_EQ(cmd("AT+CMEE=0", ok), ok);
  EXPECT_EQ(cmd("AT+ECMTDISC=3", "ERROR\r\n"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CMEE=1", ok), ok);
  EXPECT_EQ(cmd("AT+ECMTDISC=7", cme3), cme3);
}

TEST_F(LiveEcmt, RadioOffDropsTheConnection_A15) {
  start();
  open_connect(0, broker->port());
  cmd("AT+CEREG=1", ok);
  EXPECT_EQ(cmd("AT+CFUN=0", urc("+ECMTSTAT:0,1")), ok + urc("+CEREG:0") + urc("+ECMTSTAT:0,1"));
  EXPECT_EQ(cmd("AT+CFUN=1", urc("+CEREG:2")), ok + urc("+CEREG:2"));
  EXPECT_EQ(wait(urc("+CEREG:1")), urc("+CEREG:1"));
  EXPECT_EQ(wait(urc("+ECMTCONN:0,0,0"), 10s), urc("+ECMTCONN:0,0,0"));
}

TEST_F(LiveEcmt, TlsWithTheGeneratedCaAndAWrongCa) {
  start(broker_config{});
  auto tls_port = std::to_string(broker->tls_port());
  EXPECT_EQ(cmd("AT+ECMTCFG=\"ssl\",1,\"other-ca.crt\"", ok), ok);
  EXPECT_EQ(cmd("AT+ECMTOPEN=0,\"127.0.0.1\"," + tls_port, urc("+ECMTOPEN:0,-1"), 15s), ok + urc("+ECMTOPEN:0,-1"))
      << "wrong CA: the handshake fails at open (tls_open_always_ok is off on nt35e)";
  EXPECT_EQ(cmd("AT+ECMTCFG=\"ssl\",1,\"ca.crt\"", ok), ok);
  EXPECT_EQ(cmd("AT+ECMTOPEN=0,\"127.0.0.1\"," + tls_port, urc("+ECMTOPEN:0,0"), 15s), ok + urc("+ECMTOPEN:0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN=0,\"tls-client\"", urc("+ECMTCONN:0,0,0"), 10s), ok + urc("+ECMTCONN:0,0,0"));
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\"s\",1", urc("+ECMTSUB:0,1,0,1")), ok + urc("+ECMTSUB:0,1,0,1"));
  auto got = cmd("AT+ECMTPUB=0,2,1,0,\"s\",\"secure\"", ",\"s\",secure\r\n");
  EXPECT_NE(got.find(",\"s\",secure\r\n"), std::string::npos) << printable(got);
}

TEST_F(LiveEcmt, MutualTls) {
  start(broker_config{});
  EXPECT_EQ(cmd("AT+ECMTCFG=\"ssl\",2,\"ca.crt\",\"client.crt\",\"client.key\"", ok), ok);
  open_connect(0, broker->mtls_port(), ",\"mtls-client\"");
}

TEST_F(LiveEcmt, SeedFlowOverThePty) {
  start({.tls = false}, {}, /*pty=*/true);
  EXPECT_EQ(cmd("AT+ECMTOPEN=0, \"test.mosquitto.org\",1883", urc("+ECMTOPEN:0,0")), ok + urc("+ECMTOPEN:0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN=0", urc("+ECMTCONN:0,0,0")), ok + urc("+ECMTCONN:0,0,0"));
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\"test\",2", urc("+ECMTSUB:0,1,0,1")), ok + urc("+ECMTSUB:0,1,0,1"));
  EXPECT_EQ(cmd("AT+ECMTPUB=0,0,0,0,\"test\",\"hello\"", urc("+ECMTRECV:0,0,\"test\",hello")),
            ok + urc("+ECMTPUB:0,0,0") + urc("+ECMTRECV:0,0,\"test\",hello"));
}

}  // namespace
}  // namespace nt35e::test
