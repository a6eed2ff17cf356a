// Spec appendix A.3-A.12 and A.15 through the core and the scripted broker, byte for byte,
// in both profiles. The appendix shows nt35e; the ec616s bytes are derived from the spec's
// rules: one space after the first colon of every URC (§2.5; ECMT read answers are fixed),
// ids 0 only (§5.0: id 1 is CME 3), plain-build +CEREG (§4.4.3) and the quirks it turns on
// (§3.2; connected_before_connack for A.8, §5.4 step 6). Final results are never styled.

#include <gtest/gtest.h>

#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;

std::string urc(std::string_view text) { return "\r\n" + std::string(text) + "\r\n"; }
const std::string ok = "\r\nOK\r\n";

class Ecmt : public ::testing::Test {
 protected:
  void SetUp() override {
    h.boot_and_register();
    ASSERT_EQ(h.exchange("ATE0"), "ATE0\r" + ok);
  }
  core_harness h;
};

TEST_F(Ecmt, A3_OpenWithSpaceAfterCommaAndFirstOpenDelay) {
  h.send("AT+ECMTOPEN=0, \"test.mosquitto.org\",1883\r");
  h.run_for(ms(999));
  EXPECT_EQ(h.take_output(), "") << "first open: OK is 1 s late";
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), ok) << "the OK alone: the open starts only now";
  h.run_for(ms(300));
  EXPECT_EQ(h.take_output(), urc("+ECMTOPEN:0,0")) << "DNS + TCP, ~300 ms after the OK";
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ms(1500)), ok) << "live id: no URC";
}

// A.3 under ec616s. The URC's own timing after the late OK is the nt35e test's business
// (above); here only the bytes by 1.5 s are checked.
TEST(EcmtEc616s, A3_OpenWithSpaceAfterCommaAndFirstOpenDelay) {
  core_harness h(*modem::builtin_profile("ec616s"));
  h.boot_and_register();
  h.send("AT+ECMTOPEN=0, \"test.mosquitto.org\",1883\r");
  h.run_for(ms(999));
  EXPECT_EQ(h.take_output(), "") << "first_open_delay is on in both profiles";
  h.run_for(ms(501));
  EXPECT_EQ(h.take_output(), ok + urc("+ECMTOPEN: 0,0"));
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ms(1500)), ok) << "live id: no URC";
}

class EcmtBoth : public ::testing::TestWithParam<const char*> {
 protected:
  EcmtBoth() : h(*modem::builtin_profile(GetParam())) {}
  void SetUp() override {
    h.boot_and_register();
    h.exchange("ATE0");
  }
  bool nt35e() const { return std::string_view(GetParam()) == "nt35e"; }
  /// A URC in the profile's bytes: nt35e's as the appendix shows it, or ec616s's.
  std::string u(std::string_view compact, std::string_view spaced) const { return urc(nt35e() ? compact : spaced); }
  void open_and_connect() {
    ASSERT_EQ(h.exchange("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ms(1500)),
              ok + u("+ECMTOPEN:0,0", "+ECMTOPEN: 0,0"));
    ASSERT_EQ(h.exchange("AT+ECMTCONN=0", ms(500)), ok + u("+ECMTCONN:0,0,0", "+ECMTCONN: 0,0,0"));
  }
  core_harness h;
};

TEST_P(EcmtBoth, A4_ConnectWithoutClientId) {
  h.exchange("AT+ECMTOPEN=0, \"test.mosquitto.org\",1883", ms(1500));
  EXPECT_EQ(h.exchange("AT+ECMTCONN=0", ms(500)), ok + u("+ECMTCONN:0,0,0", "+ECMTCONN: 0,0,0"));
  EXPECT_EQ(h.exchange("AT+ECMTCONN?"), "\r\n+ECMTCONN:0,3\r\n" + ok) << "ECMT read answers are fixed";
  auto reqs = h.take_requests();
  auto* c = std::get_if<mqtt::request::connect>(&reqs.back());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->options.client_id, "");
  EXPECT_EQ(c->options.keepalive_s, 120);
  EXPECT_TRUE(c->options.clean_session);
  EXPECT_EQ(c->options.version, 4);
}

TEST_P(EcmtBoth, A5_A6_A7_SeedSubscribePublishReceiveUnsubscribeDisconnect) {
  open_and_connect();
  EXPECT_EQ(h.exchange("AT+ECMTSUB=0,1,\"test\",2", ms(500)), ok + u("+ECMTSUB:0,1,0,1", "+ECMTSUB: 0,1,0,1"));
  EXPECT_EQ(
      h.exchange("AT+ECMTPUB=0,0,0,0,\"test\",\"hello\"", ms(500)),
      ok + u("+ECMTPUB:0,0,0", "+ECMTPUB: 0,0,0") + u("+ECMTRECV:0,0,\"test\",hello", "+ECMTRECV: 0,0,\"test\",hello"));
  EXPECT_EQ(h.exchange("AT+ECMTUNS=0,4, \"test\"", ms(500)), ok + u("+ECMTUNS:0,4,0", "+ECMTUNS: 0,4,0"));
  EXPECT_EQ(h.exchange("AT+ECMTDISC=0", ms(500)), ok + u("+ECMTDISC:0,0", "+ECMTDISC: 0,0"));
  EXPECT_EQ(h.exchange("AT+ECMTCONN?"), ok) << "context deleted";
}

// nt35e: the refusal returns the id to OPENED. ec616s (connected_before_connack): it stays
// CONNECTED until the broker closes the link, which it does at once: +ECMTSTAT and
// auto-reconnect (the appendix's ec616s note). The SUBSCRIBE is CME 3 either way.
TEST_P(EcmtBoth, A8_AuthenticationFailure) {
  h.exchange("AT+ECMTOPEN=0,\"192.168.1.10\",1883", ms(1500));
  h.send("AT+ECMTCONN=0,\"dev01\",\"user\",\"wrong\"\r");
  h.run_for(ms(5));
  EXPECT_EQ(h.take_output(), ok);
  h.event(mqtt::event::connack{0, 5});
  EXPECT_EQ(h.take_output(), nt35e() ? urc("+ECMTCONN:0,0,5") : urc("+ECMTCONN: 0,0,5") + urc("+ECMTSTAT: 0,1"));
  EXPECT_EQ(h.modem().ecmt[0].state, nt35e() ? modem::ecmt_state::opened : modem::ecmt_state::reconnecting);
  EXPECT_EQ(h.exchange("AT+ECMTSUB=0,1,\"test\",1"), "\r\n+CME ERROR: 3\r\n");
  EXPECT_TRUE(h.logged_reason("state.not_allowed"));
}

TEST_P(EcmtBoth, A9_DnsFailureDeletesContext) {
  if (nt35e()) {
    EXPECT_EQ(h.exchange("AT+ECMTOPEN=1,\"no-such-host.invalid\",1883", ms(1500)), ok + urc("+ECMTOPEN:1,-1"));
  } else {
    EXPECT_EQ(h.exchange("AT+ECMTOPEN=1,\"no-such-host.invalid\",1883", ms(1500)), "\r\n+CME ERROR: 3\r\n")
        << "ids 0 only";
    EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"no-such-host.invalid\",1883", ms(1500)), ok + urc("+ECMTOPEN: 0,-1"))
        << "the appendix's case on id 0";
    EXPECT_EQ(h.exchange("AT+ECMTCONN=0"), "\r\n+CME ERROR: 3\r\n");
  }
  EXPECT_EQ(h.exchange("AT+ECMTCONN=1"), "\r\n+CME ERROR: 3\r\n");
}

TEST_P(EcmtBoth, A10_PublishBeforeConnect) {
  h.exchange("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ms(1500));
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,1,1,0,\"test\",\"x\""), "\r\n+CME ERROR: 3\r\n");
  EXPECT_NE(h.log_text().find("id 0 is OPENED; ECMTPUB needs CONNECTED"), std::string::npos) << h.log_text();
}

TEST_P(EcmtBoth, A11_BrokerDropThenReconnectWithoutResubscribe) {
  open_and_connect();
  h.exchange("AT+ECMTSUB=0,1,\"test\",2", ms(500));
  h.take_requests();
  h.event(mqtt::event::link_lost{0, "broker restarted"});
  h.run_for(ms(100));  // noticed at the next receive-loop pass (§8)
  EXPECT_EQ(h.take_output(), u("+ECMTSTAT:0,1", "+ECMTSTAT: 0,1"));
  h.run_for(ms(999));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(500));
  EXPECT_EQ(h.take_output(), u("+ECMTCONN:0,0,0", "+ECMTCONN: 0,0,0")) << "first attempt 1 s after STAT";
  EXPECT_EQ(h.exchange("AT+ECMTSUB=0,2,\"test\",2", ms(500)), ok + u("+ECMTSUB:0,2,0,1", "+ECMTSUB: 0,2,0,1"));
  int subscribes = 0;
  for (const auto& r : h.take_requests())
    if (auto* s = std::get_if<mqtt::request::subscribe>(&r)) {
      ++subscribes;
      EXPECT_EQ(s->msg_id, 2) << "no automatic resubscription";
    }
  EXPECT_EQ(subscribes, 1);
}

TEST_P(EcmtBoth, A12_DataModePublish) {
  open_and_connect();
  h.exchange("AT+ECMTSUB=0,1,\"test\",2", ms(500));
  h.send("AT+ECMTPUB=0,5,1,0,\"test\"\r");
  EXPECT_EQ(h.take_output(), "\r\n> ");
  h.send("{\"t\":21.5}\x1A");
  h.run_for(ms(500));
  EXPECT_EQ(h.take_output(), ok + u("+ECMTRECV:0,1,\"test\",{\"t\":21.5}", "+ECMTRECV: 0,1,\"test\",{\"t\":21.5}") +
                                 u("+ECMTPUB:0,5,0", "+ECMTPUB: 0,5,0"))
      << "the appendix lets the two URCs swap";
}

TEST_P(EcmtBoth, A15_RadioOffDropsConnection) {
  open_and_connect();
  h.exchange("AT+CEREG=1");
  h.send("AT+CFUN=0\r");
  h.run_for(ms(299));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), ok + u("+CEREG:0", "+CEREG: 0") + u("+ECMTSTAT:0,1", "+ECMTSTAT: 0,1"));
  h.run_for(ms(3000));
  EXPECT_EQ(h.take_output(), "") << "no PDP: attempts fail silently";
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(100)), ok + u("+CEREG:2", "+CEREG: 2"));
  h.run_for(ms(2000));
  EXPECT_EQ(h.take_output(), u("+CEREG:1", "+CEREG: 1"));
  h.run_for(ms(5000));
  EXPECT_EQ(h.take_output(), u("+ECMTCONN:0,0,0", "+ECMTCONN: 0,0,0"));
}

INSTANTIATE_TEST_SUITE_P(Profiles, EcmtBoth, ::testing::Values("nt35e", "ec616s"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace nt35e::test
