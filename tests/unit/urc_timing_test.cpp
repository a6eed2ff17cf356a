// When each URC is written, against spec §8 (defaults) and appendix A.3, on the manual
// clock: the time of the first byte of a URC is the time the core hands it to the writer.

#include <gtest/gtest.h>

#include "modem/ecmt_machine.hpp"
#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;

std::string urc(std::string_view text) { return "\r\n" + std::string(text) + "\r\n"; }
const std::string ok = "\r\nOK\r\n";

class UrcTiming : public ::testing::Test {
 protected:
  explicit UrcTiming(modem::profile p = *modem::builtin_profile("nt35e"), bool with_broker = true)
      : h(std::move(p), with_broker) {}
  void SetUp() override {
    h.boot_and_register();
    ASSERT_EQ(h.exchange("ATE0"), "ATE0\r" + ok);
  }
  /// Runs exactly `d` more; returns what was written in that span.
  std::string during(ms d) {
    h.run_for(d);
    return h.take_output();
  }
  void connect() {
    ASSERT_EQ(h.exchange("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ms(1500)), ok + urc("+ECMTOPEN:0,0"));
    ASSERT_EQ(h.exchange("AT+ECMTCONN=0", ms(500)), ok + urc("+ECMTCONN:0,0,0"));
  }
  core_harness h;
};

TEST_F(UrcTiming, A3_FirstOpenUrcComesAbout300msAfterItsLateOk) {
  h.send("AT+ECMTOPEN=0, \"test.mosquitto.org\",1883\r");
  EXPECT_EQ(during(ms(999)), "") << "first open: OK is 1 s late";
  EXPECT_EQ(during(ms(1)), ok) << "the OK alone: the open only starts now (§5.2 steps 4-5)";
  EXPECT_EQ(during(ms(299)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTOPEN:0,0")) << "300 ms after the OK (§8 scripted), in a write of its own";
}

TEST_F(UrcTiming, OpenRequestLeavesWithTheOk) {
  h.send("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883\r");
  h.run_for(ms(999));
  EXPECT_TRUE(h.take_requests().empty()) << "nothing goes to the network before the OK";
  h.run_for(ms(1));
  auto reqs = h.take_requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<mqtt::request::open>(reqs[0]));
}

TEST_F(UrcTiming, LaterOpenUrcIs300msAfterItsPromptOk) {
  connect();
  h.send("AT+ECMTOPEN=1,\"test.mosquitto.org\",1883\r");
  EXPECT_EQ(during(ms(10)), ok) << "not the first open: OK after 10 ms";
  EXPECT_EQ(during(ms(299)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTOPEN:1,0"));
}

TEST_F(UrcTiming, ScriptedTlsOpenTakesSixSeconds) {
  scenario::scripted_broker b;
  auto events = b.handle(mqtt::request::open{0, "broker", 8883, mqtt::tls_options{1, "ca.pem", "", ""}});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].delay_ms, 6000) << "§8: +ECMTOPEN (TLS) scripted 6000 ms";
  events = b.handle(mqtt::request::open{1, "broker", 1883, {}});
  EXPECT_EQ(events[0].delay_ms, 300);
}

TEST_F(UrcTiming, ConnackUrcAbout300msAfterOk) {
  ASSERT_EQ(h.exchange("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ms(1500)), ok + urc("+ECMTOPEN:0,0"));
  h.send("AT+ECMTCONN=0\r");
  EXPECT_EQ(during(ms(1)), ok);
  EXPECT_EQ(during(ms(298)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTCONN:0,0,0")) << "§8 scripted 300 ms (from the command; its OK is 1 ms)";
}

TEST_F(UrcTiming, Qos0PublishUrc20msAfterOk) {
  connect();
  h.send("AT+ECMTPUB=0,0,0,0,\"t\",\"x\"\r");
  EXPECT_EQ(during(ms(5)), ok);
  EXPECT_EQ(during(ms(19)), "") << "the broker's completion is not what the module reports";
  EXPECT_EQ(during(ms(1)), urc("+ECMTPUB:0,0,0")) << "§8: 20 ms after OK";
  EXPECT_EQ(during(ms(1000)), "") << "written once";
}

TEST_F(UrcTiming, Qos0DataModePublishUrc20msAfterOk) {
  connect();
  h.send("AT+ECMTPUB=0,0,0,0,\"t\"\r");
  EXPECT_EQ(during(ms(1)), "\r\n> ");
  h.send("hi\x1A");
  EXPECT_EQ(during(ms(5)), ok);
  EXPECT_EQ(during(ms(19)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTPUB:0,0,0"));
}

TEST_F(UrcTiming, SubackUrc150msAfterTheCommand) {
  connect();
  h.send("AT+ECMTSUB=0,1,\"t\",1\r");
  EXPECT_EQ(during(ms(5)), ok);
  EXPECT_EQ(during(ms(144)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTSUB:0,1,0,1")) << "§8 scripted 150 ms";
}

TEST_F(UrcTiming, RecvUrcIs50msAfterArrival) {
  connect();
  ASSERT_EQ(h.exchange("AT+ECMTSUB=0,1,\"t\",0", ms(500)), ok + urc("+ECMTSUB:0,1,0,1"));
  h.send("AT+ECMTPUB=0,0,0,0,\"t\",\"x\"\r");
  EXPECT_EQ(during(ms(25)), ok + urc("+ECMTPUB:0,0,0"));
  EXPECT_EQ(during(ms(35 + 49)), "") << "the broker delivers at 60 ms; the receive loop takes 50 ms more";
  EXPECT_EQ(during(ms(1)), urc("+ECMTRECV:0,0,\"t\",x")) << "§8: arrival + 50 ms";
}

TEST_F(UrcTiming, CloseAndDiscUrc50msAfterOk) {
  connect();
  h.send("AT+ECMTDISC=0\r");
  EXPECT_EQ(during(ms(5)), ok);
  EXPECT_EQ(during(ms(49)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTDISC:0,0"));
  ASSERT_EQ(h.exchange("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ms(1500)), ok + urc("+ECMTOPEN:0,0"));
  h.send("AT+ECMTCLOSE=0\r");
  EXPECT_EQ(during(ms(5)), ok);
  EXPECT_EQ(during(ms(49)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTCLOSE:0,0"));
}

TEST_F(UrcTiming, PeerCloseNoticedAtTheNextReceiveLoopPass) {
  connect();
  h.event(mqtt::event::link_lost{0, "peer closed"});
  EXPECT_EQ(during(ms(99)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTSTAT:0,1")) << "§8: next receive-loop pass, default 100 ms";
}

TEST_F(UrcTiming, BootBannerAndRegistration) {
  core_harness fresh;
  fresh.run_for(ms(1499));
  EXPECT_EQ(fresh.take_output(), "");
  fresh.run_for(ms(1));
  EXPECT_EQ(fresh.take_output(), urc("ECRDY"));
  ASSERT_EQ(fresh.exchange("AT+CEREG=1", ms(5)), "AT+CEREG=1\r" + ok);
  fresh.run_for(ms(2000 - 5 - 1));
  EXPECT_EQ(fresh.take_output(), "");
  fresh.run_for(ms(1));
  EXPECT_EQ(fresh.take_output(), urc("+CEREG:1")) << "§8: registered 2000 ms after ECRDY";
}

modem::profile live_profile() {
  auto p = *modem::builtin_profile("nt35e");
  p.live_broker = true;
  return p;
}

// A live broker gives only the network's time: the module's own share is added (§8
// "live … + N ms"). No scripted broker here: the test plays the backend.
class LiveUrcTiming : public UrcTiming {
 protected:
  LiveUrcTiming() : UrcTiming(live_profile(), false) {}
};

TEST_F(LiveUrcTiming, OpenConnackAndAckGetTheModulesShare) {
  h.send("AT+ECMTOPEN=0,\"broker\",1883\r");
  EXPECT_EQ(during(ms(1000)), ok);
  h.event(mqtt::event::opened{0, true, ""});
  EXPECT_EQ(during(ms(19)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTOPEN:0,0")) << "live DNS + connect + 20 ms";
  h.send("AT+ECMTCONN=0\r");
  EXPECT_EQ(during(ms(1)), ok);
  h.event(mqtt::event::connack{0, 0});
  EXPECT_EQ(during(ms(9)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTCONN:0,0,0")) << "live RTT + 10 ms";
  h.send("AT+ECMTSUB=0,1,\"t\",1\r");
  EXPECT_EQ(during(ms(5)), ok);
  h.event(mqtt::event::suback{0, 1, 0});
  EXPECT_EQ(during(ms(9)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTSUB:0,1,0,1"));
  h.event(mqtt::event::message{0, 0, "t", "x", 0, false});
  EXPECT_EQ(during(ms(49)), "");
  EXPECT_EQ(during(ms(1)), urc("+ECMTRECV:0,0,\"t\",x")) << "arrival + 50 ms";
}

}  // namespace
}  // namespace nt35e::test
