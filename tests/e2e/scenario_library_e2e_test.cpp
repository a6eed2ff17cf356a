// Every scenario of the library (scenarios/*.json) against the real binary with
// --scenario, the test acting as the DTE on a real TCP socket: the exact URCs each
// scenario produces.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/sim_process.hpp"

#ifndef NT35E_SCENARIOS_DIR
#error "NT35E_SCENARIOS_DIR must name the scenarios/ folder"
#endif

namespace nt35e::test {
namespace {

const std::string ok = "\r\nOK\r\n";
const std::string cme3 = "\r\n+CME ERROR: 3\r\n";
std::string urc(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

class Library : public ::testing::Test {
 protected:
  /// Starts the simulator on scenarios/<name>.json; `scale` speeds the world up.
  void start(const std::string& name, std::vector<std::string> extra = {}, bool wait_registered = true) {
    std::vector<std::string> args = {
        "--scenario", std::string(NT35E_SCENARIOS_DIR) + "/" + name + ".json", "--tcp", "0", "--log-level", "debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    sim = std::make_unique<sim_process>(args);
    ASSERT_TRUE(sim->wait_ready()) << sim->diagnostics();
    dte = std::make_unique<dte_client>(dte_client::connect_tcp(sim->tcp_port()));
    ASSERT_EQ(dte->read_until("ECRDY\r\n", 6s), urc("ECRDY")) << sim->diagnostics();
    ASSERT_EQ(cmd("ATE0", ok), "ATE0\r" + ok);
    if (!wait_registered) return;
    for (int i = 0; i < 100; ++i) {
      if (cmd("AT+CGATT?", ok) == urc("+CGATT:1") + ok) return;
      dte->read_for(50ms);
    }
    FAIL() << "never registered\n" << sim->diagnostics();
  }
  std::string cmd(const std::string& line, std::string_view until, milliseconds timeout = 5s) {
    EXPECT_TRUE(dte->send(line + "\r"));
    return dte->read_until(until, timeout);
  }
  std::string wait(std::string_view until, milliseconds timeout = 5s) { return dte->read_until(until, timeout); }
  void open_connect() {
    ASSERT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", urc("+ECMTOPEN:0,0")), ok + urc("+ECMTOPEN:0,0"))
        << sim->diagnostics();
    ASSERT_EQ(cmd("AT+ECMTCONN=0", urc("+ECMTCONN:0,0,0")), ok + urc("+ECMTCONN:0,0,0")) << sim->diagnostics();
  }
  void TearDown() override {
    if (HasFailure() && sim) std::cerr << sim->diagnostics() << "\n";
  }
  std::unique_ptr<sim_process> sim;
  std::unique_ptr<dte_client> dte;
};

TEST_F(Library, SeedHappyPath) {
  start("seed-happy-path");
  EXPECT_EQ(cmd("AT+ECMTOPEN=0, \"test.mosquitto.org\",1883", urc("+ECMTOPEN:0,0")), ok + urc("+ECMTOPEN:0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN=0", urc("+ECMTCONN:0,0,0")), ok + urc("+ECMTCONN:0,0,0"));
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\"test\",2", urc("+ECMTSUB:0,1,0,1")), ok + urc("+ECMTSUB:0,1,0,1"));
  EXPECT_EQ(cmd("AT+ECMTPUB=0,0,0,0,\"test\",\"hello\"", urc("+ECMTRECV:0,0,\"test\",hello")),
            ok + urc("+ECMTPUB:0,0,0") + urc("+ECMTRECV:0,0,\"test\",hello"));
  EXPECT_EQ(cmd("AT+ECMTUNS=0,4, \"test\"", urc("+ECMTUNS:0,4,0")), ok + urc("+ECMTUNS:0,4,0"));
  EXPECT_EQ(cmd("AT+ECMTDISC=0", urc("+ECMTDISC:0,0")), ok + urc("+ECMTDISC:0,0"));
}

TEST_F(Library, AuthFailure) {
  start("auth-failure", {"--time-scale", "0.25"});
  ASSERT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", urc("+ECMTOPEN:0,0")), ok + urc("+ECMTOPEN:0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN=0,\"dev01\",\"device\",\"wrong\"", urc("+ECMTCONN:0,0,5")), ok + urc("+ECMTCONN:0,0,5"));
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\"test\",1", cme3), cme3);
  EXPECT_EQ(cmd("AT+ECMTCONN=0,\"dev01\",\"device\",\"right-password\"", urc("+ECMTCONN:0,0,0")),
            ok + urc("+ECMTCONN:0,0,0"));
}

TEST_F(Library, DnsFailure) {
  start("dns-failure", {"--time-scale", "0.25"});
  EXPECT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", urc("+ECMTOPEN:0,-1")), ok + urc("+ECMTOPEN:0,-1"));
  EXPECT_EQ(cmd("AT+ECMTCONN=0", cme3), cme3) << "context deleted";
}

TEST_F(Library, BrokerUnreachable) {
  start("broker-unreachable", {"--time-scale", "0.25"});
  EXPECT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", urc("+ECMTOPEN:0,-1")), ok + urc("+ECMTOPEN:0,-1"));
  EXPECT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",8883", urc("+ECMTOPEN:0,0")), ok + urc("+ECMTOPEN:0,0"))
      << "only that port is closed";
}

TEST_F(Library, LinkDropReconnect) {
  start("link-drop-reconnect", {"--time-scale", "0.25"});
  open_connect();
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\"test\",1", urc("+ECMTSUB:0,1,0,1")), ok + urc("+ECMTSUB:0,1,0,1"));
  EXPECT_EQ(wait(urc("+ECMTCONN:0,0,0")), urc("+ECMTSTAT:0,1") + urc("+ECMTCONN:0,0,0"));
  // Not resubscribed: a publish to test is not delivered back.
  EXPECT_EQ(cmd("AT+ECMTPUB=0,0,0,0,\"test\",\"x\"", urc("+ECMTPUB:0,0,0")), ok + urc("+ECMTPUB:0,0,0"));
  EXPECT_EQ(dte->read_for(300ms), "");
}

TEST_F(Library, KeepaliveLoss) {
  start("keepalive-loss");
  open_connect();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wait(urc("+ECMTSTAT:0,1"), 10s), urc("+ECMTSTAT:0,1"));
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 2000ms) << "(120 s + 8.4 s) x 0.02 = 2.57 s";
  EXPECT_LE(waited, 6000ms);
  EXPECT_EQ(wait(urc("+ECMTCONN:0,0,0")), urc("+ECMTCONN:0,0,0"));
}

TEST_F(Library, SlowNetwork) {
  start("slow-network");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", urc("+ECMTOPEN:0,0"), 8s), ok + urc("+ECMTOPEN:0,0"));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 2900ms);
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(cmd("AT+ECMTCONN=0", urc("+ECMTCONN:0,0,0"), 8s), ok + urc("+ECMTCONN:0,0,0"));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1900ms);
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\"test\",1", urc("+ECMTSUB:0,1,0,1"), 8s), ok + urc("+ECMTSUB:0,1,0,1"));
}

TEST_F(Library, RegistrationDelayedAndLost) {
  start("registration-delayed-and-lost", {}, /*wait_registered=*/false);
  EXPECT_EQ(cmd("AT+CEREG=1", ok), ok);
  EXPECT_EQ(cmd("AT+CEREG?", ok), urc("+CEREG:1,2") + ok) << "still searching";
  EXPECT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", cme3), cme3) << "no PDP yet";
  EXPECT_EQ(wait(urc("+CEREG:1"), 10s), urc("+CEREG:1"));
  EXPECT_EQ(wait(urc("+CEREG:2"), 10s), urc("+CEREG:2")) << "coverage lost at 14 s";
  EXPECT_EQ(wait(urc("+CEREG:1"), 6s), urc("+CEREG:1")) << "back 3 s later";
}

TEST_F(Library, NoSim) {
  start("no-sim", {"--time-scale", "0.25"}, /*wait_registered=*/false);
  EXPECT_EQ(cmd("AT+CPIN?", "10\r\n"), "\r\n+CME ERROR: 10\r\n");
  EXPECT_EQ(cmd("AT+CIMI", "10\r\n"), "\r\n+CME ERROR: 10\r\n");
  dte->read_for(1500ms);
  EXPECT_EQ(cmd("AT+CEREG?", ok), urc("+CEREG:0,0") + ok);
  EXPECT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", cme3), cme3);
}

TEST_F(Library, MessageBurstOfAThousandArrivesInOrder) {
  start("message-burst");
  open_connect();
  ASSERT_EQ(cmd("AT+ECMTSUB=0,1,\"burst\",1", urc("+ECMTSUB:0,1,0,1")), ok + urc("+ECMTSUB:0,1,0,1"));
  auto got = wait(",\"burst\",message 1000\r\n", 20s);
  std::size_t pos = 0;
  for (int n = 1; n <= 1000; ++n) {
    auto line = ",\"burst\",message " + std::to_string(n) + "\r\n";
    auto p = got.find(line, pos);
    ASSERT_NE(p, std::string::npos) << "message " << n << " lost or out of order";
    pos = p + line.size();
  }
}

TEST_F(Library, RebootDuringPublish) {
  start("reboot-during-publish");
  open_connect();
  ASSERT_TRUE(dte->send("AT+ECMTPUB=0,1,1,0,\"test\",\"x\"\r"));
  EXPECT_EQ(dte->read_until("ECRDY\r\n", 5s), urc("ECRDY")) << "no OK, no +ECMTPUB: just the banner";
  EXPECT_EQ(cmd("AT+ECMTCONN?", ok), ok) << "contexts are gone after a reboot";
}

TEST_F(Library, DoubleConnack) {
  start("double-connack");
  ASSERT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", urc("+ECMTOPEN:0,0")), ok + urc("+ECMTOPEN:0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN=0", urc("+ECMTCONN:0,0,0")), ok + urc("+ECMTCONN:0,2,2") + urc("+ECMTCONN:0,0,0"));
  EXPECT_EQ(cmd("AT+ECMTCONN?", ok), urc("+ECMTCONN:0,3") + ok);
}

TEST_F(Library, PingLossyHost) {
  start("ping-lossy-host", {"--time-scale", "0.25"});
  const std::string succ = urc("+ECPING:SUCC, dest: 203.0.113.9, RTT: 250 ms");
  const std::string stats =
      "+ECPING:dest: 203.0.113.9, 4 packets transmittted, 3 received, 25 % packet loss\r rtt min/avg/max = 250 / "
      "250 / 250 ms";
  EXPECT_EQ(cmd("AT+ECPING=\"iot.example.com\",4,32,600", urc(stats)),
            ok + succ + succ + succ + urc("+ECPING:FAIL, dest: 203.0.113.9, time out: 600 ms") + urc("+ECPING:DONE") +
                urc(stats));
  EXPECT_EQ(cmd("AT+ECPING=\"gone.example\"", urc("+ECPING:ERROR, cause: 5")), ok + urc("+ECPING:ERROR, cause: 5"));
}

}  // namespace
}  // namespace nt35e::test
