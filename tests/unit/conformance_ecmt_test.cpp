// Spec appendix A.3-A.12 and A.15 through the core and the scripted broker, byte for byte.

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
  void open_and_connect(int id = 0) {
    auto s = std::to_string(id);
    ASSERT_EQ(h.exchange("AT+ECMTOPEN=" + s + ",\"test.mosquitto.org\",1883", ms(1500)),
              ok + urc("+ECMTOPEN:" + s + ",0"));
    ASSERT_EQ(h.exchange("AT+ECMTCONN=" + s, ms(500)), ok + urc("+ECMTCONN:" + s + ",0,0"));
  }
  core_harness h;
};

TEST_F(Ecmt, A3_OpenWithSpaceAfterCommaAndFirstOpenDelay) {
  h.send("AT+ECMTOPEN=0, \"test.mosquitto.org\",1883\r");
  h.run_for(ms(999));
  EXPECT_EQ(h.take_output(), "") << "first open: OK is 1 s late";
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), ok + urc("+ECMTOPEN:0,0")) << "the open finished while OK waited: URC right after OK";
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ms(1500)), ok) << "live id: no URC";
}

TEST_F(Ecmt, A4_ConnectWithoutClientId) {
  h.exchange("AT+ECMTOPEN=0, \"test.mosquitto.org\",1883", ms(1500));
  EXPECT_EQ(h.exchange("AT+ECMTCONN=0", ms(500)), ok + urc("+ECMTCONN:0,0,0"));
  EXPECT_EQ(h.exchange("AT+ECMTCONN?"), "\r\n+ECMTCONN:0,3\r\n" + ok);
  auto reqs = h.take_requests();
  auto* c = std::get_if<mqtt::request::connect>(&reqs.back());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->options.client_id, "");
  EXPECT_EQ(c->options.keepalive_s, 120);
  EXPECT_TRUE(c->options.clean_session);
  EXPECT_EQ(c->options.version, 4);
}

TEST_F(Ecmt, A5_A6_A7_SeedSubscribePublishReceiveUnsubscribeDisconnect) {
  open_and_connect();
  EXPECT_EQ(h.exchange("AT+ECMTSUB=0,1,\"test\",2", ms(500)), ok + urc("+ECMTSUB:0,1,0,1"));
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,0,0,0,\"test\",\"hello\"", ms(500)),
            ok + urc("+ECMTPUB:0,0,0") + urc("+ECMTRECV:0,0,\"test\",hello"));
  EXPECT_EQ(h.exchange("AT+ECMTUNS=0,4, \"test\"", ms(500)), ok + urc("+ECMTUNS:0,4,0"));
  EXPECT_EQ(h.exchange("AT+ECMTDISC=0", ms(500)), ok + urc("+ECMTDISC:0,0"));
  EXPECT_EQ(h.exchange("AT+ECMTCONN?"), ok) << "context deleted";
}

TEST_F(Ecmt, A8_AuthenticationFailureLeavesIdOpened) {
  h.exchange("AT+ECMTOPEN=0,\"192.168.1.10\",1883", ms(1500));
  h.send("AT+ECMTCONN=0,\"dev01\",\"user\",\"wrong\"\r");
  h.run_for(ms(5));
  EXPECT_EQ(h.take_output(), ok);
  h.event(mqtt::event::connack{0, 5});
  EXPECT_EQ(h.take_output(), urc("+ECMTCONN:0,0,5"));
  EXPECT_EQ(h.modem().ecmt[0].state, modem::ecmt_state::opened);
  EXPECT_EQ(h.exchange("AT+ECMTSUB=0,1,\"test\",1"), "\r\n+CME ERROR: 3\r\n");
  EXPECT_TRUE(h.logged_reason("state.not_allowed"));
}

TEST_F(Ecmt, A9_DnsFailureDeletesContext) {
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=1,\"no-such-host.invalid\",1883", ms(1500)), ok + urc("+ECMTOPEN:1,-1"));
  EXPECT_EQ(h.exchange("AT+ECMTCONN=1"), "\r\n+CME ERROR: 3\r\n");
}

TEST_F(Ecmt, A10_PublishBeforeConnect) {
  h.exchange("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ms(1500));
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,1,1,0,\"test\",\"x\""), "\r\n+CME ERROR: 3\r\n");
  EXPECT_NE(h.log_text().find("id 0 is OPENED; ECMTPUB needs CONNECTED"), std::string::npos) << h.log_text();
}

TEST_F(Ecmt, A11_BrokerDropThenReconnectWithoutResubscribe) {
  open_and_connect();
  h.exchange("AT+ECMTSUB=0,1,\"test\",2", ms(500));
  h.take_requests();
  h.event(mqtt::event::link_lost{0, "broker restarted"});
  EXPECT_EQ(h.take_output(), urc("+ECMTSTAT:0,1"));
  h.run_for(ms(999));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(500));
  EXPECT_EQ(h.take_output(), urc("+ECMTCONN:0,0,0")) << "first attempt 1 s after STAT";
  EXPECT_EQ(h.exchange("AT+ECMTSUB=0,2,\"test\",2", ms(500)), ok + urc("+ECMTSUB:0,2,0,1"));
  int subscribes = 0;
  for (const auto& r : h.take_requests())
    if (auto* s = std::get_if<mqtt::request::subscribe>(&r)) {
      ++subscribes;
      EXPECT_EQ(s->msg_id, 2) << "no automatic resubscription";
    }
  EXPECT_EQ(subscribes, 1);
}

TEST_F(Ecmt, A12_DataModePublish) {
  open_and_connect();
  h.exchange("AT+ECMTSUB=0,1,\"test\",2", ms(500));
  h.send("AT+ECMTPUB=0,5,1,0,\"test\"\r");
  EXPECT_EQ(h.take_output(), "\r\n> ");
  h.send("{\"t\":21.5}\x1A");
  h.run_for(ms(500));
  EXPECT_EQ(h.take_output(), ok + urc("+ECMTRECV:0,1,\"test\",{\"t\":21.5}") + urc("+ECMTPUB:0,5,0"));
}

TEST_F(Ecmt, A15_RadioOffDropsConnection) {
  open_and_connect();
  h.exchange("AT+CEREG=1");
  h.send("AT+CFUN=0\r");
  h.run_for(ms(299));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), ok + urc("+CEREG:0") + urc("+ECMTSTAT:0,1"));
  h.run_for(ms(3000));
  EXPECT_EQ(h.take_output(), "") << "no PDP: attempts fail silently";
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(100)), ok + urc("+CEREG:2"));
  h.run_for(ms(2000));
  EXPECT_EQ(h.take_output(), urc("+CEREG:1"));
  h.run_for(ms(5000));
  EXPECT_EQ(h.take_output(), urc("+ECMTCONN:0,0,0"));
}

}  // namespace
}  // namespace nt35e::test
