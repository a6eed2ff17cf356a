// ECMT command forms, payload rules, data mode and quirks (spec §5) on the core.

#include <gtest/gtest.h>

#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;
const std::string ok = "\r\nOK\r\n";
const std::string error = "\r\nERROR\r\n";
const std::string cme3 = "\r\n+CME ERROR: 3\r\n";
std::string urc(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

class EcmtCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    h.boot_and_register();
    h.exchange("ATE0");
  }
  void connect(int id) {
    auto s = std::to_string(id);
    ASSERT_EQ(h.exchange("AT+ECMTOPEN=" + s + ",\"broker\",1883", ms(1500)), ok + urc("+ECMTOPEN:" + s + ",0"));
    ASSERT_EQ(h.exchange("AT+ECMTCONN=" + s + ",\"dev" + s + "\"", ms(500)), ok + urc("+ECMTCONN:" + s + ",0,0"));
    h.take_requests();
  }
  mqtt::request::publish last_publish() {
    mqtt::request::publish p{};
    for (auto& r : h.take_requests())
      if (auto* q = std::get_if<mqtt::request::publish>(&r)) p = *q;
    return p;
  }
  core_harness h;
};

TEST_F(EcmtCommands, CfgTestAnswerIsFixed) {
  EXPECT_EQ(h.exchange("AT+ECMTCFG=?"),
            "\r\n+ECMTCFG:\"keepalive\",(0-4),(0-3600),\r\n+ECMTCFG:\"session\",(0-4),(0,1)\r\n"
            "+ECMTCFG:\"timeout\",(0-4),(1-60),(1-10),(0,1)\r\n"
            "+ECMTCFG:\"will\",(0-4),(0,1),(0-2),(0,1),\"will_topic\",\"will_msg\"\r\n"
            "+ECMTCFG:\"version\",(0-4),(3,4)\r\n"
            "+ECMTCFG:\"aliauth\",(0-4),\"productkey\",\"devicename\",\"devicesecret\"\r\n"
            "+ECMTCFG:\"cloud\",(0-255),(0-255)\r\n" +
                ok);
}

TEST_F(EcmtCommands, CfgWriteAndQuery) {
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"keepalive\",0"), cme3) << "no context yet";
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"session\",0,0"), ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"keepalive\",0"), urc("+ECMTCFG:\"keepalive\",0") + ok) << "stored value, not 120";
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"keepalive\",0,3601"), cme3);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"keepalive\",0,60"), ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"keepalive\",0"), urc("+ECMTCFG:\"keepalive\",60") + ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"timeout\",0,20"), ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"timeout\",0"), urc("+ECMTCFG:\"timeout\",20,3,0") + ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"will\",0"), urc("+ECMTCFG:\"will\",0,0,0,,") + ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"will\",0,1"), cme3) << "flag 1 without topic";
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"will\",0,1,1,1,\"dev/status\",\"offline\""), ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"will\",0"), urc("+ECMTCFG:\"will\",1,1,1,dev/status,offline") + ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"version\",0,5"), cme3);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"version\",0,3"), ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"aliauth\",0,\"pk\",\"dn\",\"ds\""), ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"aliauth\",0"), urc("+ECMTCFG:\"aliauth\",dn,ds,pk") + ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"cloud\",1,2"), ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"cloud\",1"), error);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"dataformat\",0"), urc("+ECMTCFG:\"dataformat\",1,0") + ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"KEEPALIVE\",0,60"), cme3) << "names are lower case";
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"keepalive\",5,60"), cme3) << "id out of range";
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"keepalive\",0,\"60\""), error) << "quoted number";
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"ssl\",2,\"ca.pem\""), cme3) << "mutual needs cert and key";
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"ssl\",1,\"ca.pem\""), ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"ssl\",0"), ok);
  EXPECT_TRUE(h.logged_reason("param.cfg_name"));
}

TEST_F(EcmtCommands, ConfigGoesIntoConnect) {
  h.exchange("AT+ECMTCFG=\"keepalive\",0,30");
  h.exchange("AT+ECMTCFG=\"session\",0,0");
  h.exchange("AT+ECMTCFG=\"version\",0,3");
  h.exchange("AT+ECMTCFG=\"will\",0,1,2,1,\"w\",\"bye\"");
  h.exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1500));
  h.take_requests();
  h.exchange("AT+ECMTCONN=0,\"id\",\"user\",\"secret\"", ms(500));
  auto reqs = h.take_requests();
  auto* c = std::get_if<mqtt::request::connect>(&reqs.at(0));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->options.keepalive_s, 30);
  EXPECT_FALSE(c->options.clean_session);
  EXPECT_EQ(c->options.version, 3);
  EXPECT_TRUE(c->options.will.enabled);
  EXPECT_EQ(c->options.will.qos, 2);
  EXPECT_EQ(c->options.will.topic, "w");
  EXPECT_EQ(c->options.client_id, "id");
  EXPECT_EQ(*c->options.user_name, "user");
  EXPECT_EQ(*c->options.password, "secret");
  EXPECT_EQ(h.log_text().find("secret"), std::string::npos) << "passwords are masked in logs";
}

TEST_F(EcmtCommands, OpenReadAndConnRead) {
  connect(0);
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=2,\"other\",8883", ms(500)), ok + urc("+ECMTOPEN:2,0")) << "not the first open";
  EXPECT_EQ(h.exchange("AT+ECMTOPEN?"), "\r\n+ECMTOPEN:0,\"broker\",1883\r\n+ECMTOPEN:2,\"other\",8883\r\n" + ok);
  EXPECT_EQ(h.exchange("AT+ECMTCONN?"), "\r\n+ECMTCONN:0,3\r\n+ECMTCONN:2,1\r\n" + ok);
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"\",1883"), cme3) << "empty host";
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"h\",65536"), cme3);
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"" + std::string(128, 'h') + "\",1"), cme3);
  EXPECT_EQ(h.exchange("AT+ECMTCONN=0,\"\""), cme3) << "empty client id";
  EXPECT_EQ(h.exchange("AT+ECMTCONN=0,\"" + std::string(49, 'c') + "\""), cme3);
}

TEST_F(EcmtCommands, IdsAreIndependent) {
  connect(0);
  connect(3);
  EXPECT_EQ(h.exchange("AT+ECMTSUB=3,7,\"a/+\",1", ms(500)), ok + urc("+ECMTSUB:3,7,0,1"));
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,9,1,0,\"a/b\",\"x\"", ms(500)),
            ok + urc("+ECMTRECV:3,1,\"a/b\",x") + urc("+ECMTPUB:0,9,0"))
      << "the scripted broker delivers before it acknowledges, as the spec allows for qos 1";
  EXPECT_EQ(h.exchange("AT+ECMTDISC=0", ms(500)), ok + urc("+ECMTDISC:0,0"));
  EXPECT_EQ(h.exchange("AT+ECMTCONN?"), "\r\n+ECMTCONN:3,3\r\n" + ok);
}

TEST_F(EcmtCommands, InlinePayloadRules) {
  connect(0);
  struct row {
    const char* tail;
    std::string payload;
  };
  const row rows[] = {
      {"\"a,b\"", "a,b"},
      {"{\"k\":1}", "{\"k\":1}"},
      {"\"{\"k\":1}\"", "{\"k\":1}"},
      {"hello\"", "hello\""},
      {"\"\"", ""},
      {"a;b;AT+CSQ", "a;b;AT+CSQ"},
      {"  spaced", "spaced"},
      {"\xE2\x80\x9Chello\xE2\x80\x9D", "\xE2\x80\x9Chello\xE2\x80\x9D"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(h.exchange(std::string("AT+ECMTPUB=0,0,0,0,\"t\",") + r.tail, ms(100)), ok + urc("+ECMTPUB:0,0,0"))
        << r.tail;
    EXPECT_EQ(last_publish().payload, r.payload) << r.tail;
  }
  EXPECT_TRUE(h.logged_reason("note"));
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,0,0,0,\"t\"," + std::string(1024, 'p')), ok + urc("+ECMTPUB:0,0,0"));
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,0,0,0,\"t\"," + std::string(1025, 'p')), cme3);
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,0,0,0,\"t\",\"" + std::string(1024, 'p') + "\""), ok + urc("+ECMTPUB:0,0,0"));
  EXPECT_EQ(last_publish().payload.size(), 1024u);
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,0,1,0,\"t\",\"x\""), cme3) << "qos 1 with msgID 0";
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,1,3,0,\"t\",\"x\""), cme3);
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,1,1,2,\"t\",\"x\""), cme3) << "retain 2";
  EXPECT_EQ(h.exchange("AT+ECMTPUB=0,1,1,21,\"t\",\"x\"", ms(500)), ok + urc("+ECMTPUB:0,1,0")) << "RAI hint";
  EXPECT_TRUE(last_publish().retain);
}

TEST_F(EcmtCommands, DataModeEscCancelsAndGuardExpires) {
  connect(0);
  h.send("AT+ECMTPUB=0,1,1,0,\"t\"\r");
  EXPECT_EQ(h.take_output(), "\r\n> ");
  h.send("never mind\x1B");
  h.run_for(ms(300));
  EXPECT_EQ(h.take_output(), ok) << "ESC: OK, nothing published, no URC";
  EXPECT_EQ(last_publish().topic, "");

  h.send("AT+ECMTPUB=0,2,1,0,\"t\",\r");
  EXPECT_EQ(h.take_output(), "\r\n> ") << "a trailing comma means data mode";
  h.send("abc");
  h.run_for(ms(19999));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), error) << "20 s guard";
  EXPECT_TRUE(h.logged_reason("guard.expired"));
  EXPECT_EQ(h.exchange("AT"), ok) << "back in command mode";
}

TEST_F(EcmtCommands, DataModeHoldsUrcsAndEchoesPayload) {
  connect(0);
  h.exchange("ATE1");
  h.take_output();
  h.send("AT+ECMTPUB=0,3,0,0,\"t\"\r");
  EXPECT_EQ(h.take_output(), "AT+ECMTPUB=0,3,0,0,\"t\"\r\r\n> ");
  h.event(mqtt::event::message{0, 0, "x", "incoming", 0, false});
  h.send("abc");
  h.run_for(ms(60));  // the message is reported 50 ms after it arrived: still in data mode
  EXPECT_EQ(h.take_output(), "abc") << "no URC inside data mode";
  h.send("\x1A");
  h.run_for(ms(100));
  EXPECT_EQ(h.take_output(), ok + urc("+ECMTRECV:0,0,\"x\",incoming") + urc("+ECMTPUB:0,3,0"));
}

TEST_F(EcmtCommands, IncomingMessageRules) {
  connect(0);
  // Each arrives and is reported after the receive loop's 50 ms (§8).
  auto message = [&](mqtt::event::message m) {
    h.event(m);
    h.run_for(ms(50));
  };
  message(mqtt::event::message{0, 0, "t", std::string("\0\0ab\0cd", 7), 0, false});
  EXPECT_EQ(h.take_output(), urc("+ECMTRECV:0,0,\"t\",ab")) << "leading NULs skipped, ends at the next NUL";
  message(mqtt::event::message{0, 12, "t", "line1\r\nline2\r\n", 1, false});
  EXPECT_EQ(h.take_output(), urc("+ECMTRECV:0,12,\"t\",line1\r\nline2")) << "trailing CR/LF trimmed";
  message(mqtt::event::message{0, 0, "t", std::string(1025, 'x'), 0, false});
  EXPECT_EQ(h.take_output(), "") << "oversize: dropped with a note";
  message(mqtt::event::message{0, 0, std::string(129, 't'), "x", 0, false});
  EXPECT_EQ(h.take_output(), "");
  message(mqtt::event::message{0, 0, "t", "a,\"b\",c", 0, false});
  EXPECT_EQ(h.take_output(), urc("+ECMTRECV:0,0,\"t\",a,\"b\",c"));
}

TEST_F(EcmtCommands, ConnectQueuedBehindOpen) {
  core_harness q(*modem::builtin_profile("nt35e"), false);
  q.boot_and_register();
  q.exchange("ATE0");
  EXPECT_EQ(q.exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1100)), ok);
  EXPECT_EQ(q.exchange("AT+ECMTCONN=0"), ok) << "OPENING: CONNECT queued behind the open";
  q.take_requests();
  q.event(mqtt::event::opened{0, true, ""});
  EXPECT_EQ(q.take_output(), urc("+ECMTOPEN:0,0"));
  auto reqs = q.take_requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<mqtt::request::connect>(reqs[0]));
  q.event(mqtt::event::connack{0, 0});
  EXPECT_EQ(q.take_output(), urc("+ECMTCONN:0,0,0"));
}

TEST_F(EcmtCommands, ConnectQueuedBehindAFailedOpenIsDropped) {
  core_harness q(*modem::builtin_profile("nt35e"), false);
  q.boot_and_register();
  q.exchange("ATE0");
  q.exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1100));
  q.exchange("AT+ECMTCONN=0");
  q.take_requests();
  q.event(mqtt::event::opened{0, false, "refused"});
  EXPECT_EQ(q.take_output(), urc("+ECMTOPEN:0,-1"));
  EXPECT_TRUE(q.take_requests().empty());
}

TEST_F(EcmtCommands, NoConnackWithinTheLimitGives22) {
  core_harness quiet(*modem::builtin_profile("nt35e"), false);
  quiet.boot_and_register();
  quiet.exchange("ATE0");
  quiet.exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1100));
  quiet.event(mqtt::event::opened{0, true, ""});
  quiet.take_output();
  EXPECT_EQ(quiet.exchange("AT+ECMTCONN=0", ms(9000)), ok);
  quiet.run_for(ms(1100));
  EXPECT_EQ(quiet.take_output(), urc("+ECMTCONN:0,2,2"));
  EXPECT_EQ(quiet.modem().ecmt[0].state, modem::ecmt_state::connect_fail);
}

TEST_F(EcmtCommands, AckTimeoutWhenQuirkOff) {
  auto p = *modem::builtin_profile("nt35e");
  p.quirk.no_ack_timeout = false;
  core_harness q(p, false);
  q.boot_and_register();
  q.exchange("ATE0");
  q.exchange("AT+ECMTCFG=\"timeout\",0,2");
  q.exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1100));
  q.event(mqtt::event::opened{0, true, ""});
  q.exchange("AT+ECMTCONN=0");
  q.event(mqtt::event::connack{0, 0});
  q.take_output();
  EXPECT_EQ(q.exchange("AT+ECMTSUB=0,4,\"t\",1", ms(2100)), ok + urc("+ECMTSUB:0,4,2,0"));
}

// Back-pressure (spec §5.8.3, result 2 = could not send): a QoS 0 publish the backend
// refused before its URC was due is reported 2, not 0, and counted; one refused after its
// URC went out is only logged (the module had reported it already).
class Qos0Report : public ::testing::Test {
 protected:
  void SetUp() override {
    q.boot_and_register();
    q.exchange("ATE0");
    q.exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1100));
    q.event(mqtt::event::opened{0, true, ""});
    q.exchange("AT+ECMTCONN=0");
    q.event(mqtt::event::connack{0, 0});
    q.take_output();
  }
  core_harness q{*modem::builtin_profile("nt35e"), false};
};

TEST_F(Qos0Report, RefusedBeforeItsUrcIsReportedTwoAndCounted) {
  q.send("AT+ECMTPUB=0,7,0,0,\"t\",\"a\"\r");
  q.run_for(ms(1));
  q.event(mqtt::event::published{0, 7, 2, /*refused=*/true});
  q.run_for(ms(500));
  EXPECT_EQ(q.take_output(), ok + urc("+ECMTPUB:0,7,2"));
  EXPECT_EQ(q.snapshot().count.publishes_refused, 1u);
  EXPECT_TRUE(q.modem().ecmt[0].qos0_publishes.empty()) << "nothing left behind";
}

TEST_F(Qos0Report, SentOnesAreReportedZeroInOrderAmongRefusedOnesOfTheSameId) {
  // Three publishes with the same msgID: the second is refused, the others are written.
  for (int i = 0; i < 3; ++i) q.send("AT+ECMTPUB=0,9,0,0,\"t\",\"a\"\r");
  q.run_for(ms(16));  // the three OKs (5 ms each), none of the URCs (20 ms after each OK)
  ASSERT_EQ(q.take_output(), ok + ok + ok);
  q.event(mqtt::event::published{0, 9, 0});
  q.event(mqtt::event::published{0, 9, 2, /*refused=*/true});
  q.event(mqtt::event::published{0, 9, 0});
  q.run_for(ms(500));
  const std::string got = q.take_output();
  std::size_t zeros = 0, twos = 0;
  for (auto at = got.find("+ECMTPUB:0,9,0"); at != std::string::npos; at = got.find("+ECMTPUB:0,9,0", at + 1)) ++zeros;
  for (auto at = got.find("+ECMTPUB:0,9,2"); at != std::string::npos; at = got.find("+ECMTPUB:0,9,2", at + 1)) ++twos;
  EXPECT_EQ(zeros, 2u) << got;
  EXPECT_EQ(twos, 1u) << got;
  EXPECT_EQ(q.snapshot().count.publishes_refused, 1u);
  EXPECT_TRUE(q.modem().ecmt[0].qos0_publishes.empty());
}

TEST_F(Qos0Report, FailureAfterItsUrcIsLoggedNotReportedAgain) {
  q.send("AT+ECMTPUB=0,3,0,0,\"t\",\"a\"\r");
  q.run_for(ms(500));
  EXPECT_EQ(q.take_output(), ok + urc("+ECMTPUB:0,3,0"));
  q.event(mqtt::event::published{0, 3, 2});
  q.run_for(ms(100));
  EXPECT_EQ(q.take_output(), "") << "already reported: no second URC";
  EXPECT_EQ(q.snapshot().count.publishes_refused, 0u) << "a send failure, not a refusal";
  EXPECT_TRUE(q.modem().ecmt[0].qos0_publishes.empty());
}

TEST_F(Qos0Report, RefusedQos1PublishGetsItsResultTwoAtOnce) {
  q.send("AT+ECMTPUB=0,5,1,0,\"t\",\"a\"\r");
  q.run_for(ms(100));
  q.take_output();
  q.event(mqtt::event::published{0, 5, 2, /*refused=*/true});
  EXPECT_EQ(q.take_output(), urc("+ECMTPUB:0,5,2"));
  EXPECT_EQ(q.snapshot().count.publishes_refused, 1u);
}

TEST_F(EcmtCommands, DiscInOpenedWithQuirkOffClosesAndDeletes) {
  auto p = *modem::builtin_profile("nt35e");
  p.quirk.disc_in_opened_fails = false;
  core_harness q(p);
  q.boot_and_register();
  q.exchange("ATE0");
  q.exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1500));
  EXPECT_EQ(q.exchange("AT+ECMTDISC=0"), ok + urc("+ECMTDISC:0,0"));
  EXPECT_EQ(q.modem().ecmt[0].state, modem::ecmt_state::none);
}

TEST_F(EcmtCommands, CloseFromConnectedAndOpened) {
  connect(0);
  EXPECT_EQ(h.exchange("AT+ECMTCLOSE=0"), ok + urc("+ECMTCLOSE:0,0"));
  EXPECT_EQ(h.exchange("AT+ECMTCLOSE=0"), cme3);
  EXPECT_EQ(h.exchange("AT+ECMTCLOSE=?"), urc("+ECMTCLOSE:(0-4)") + ok);
}

TEST_F(EcmtCommands, OnlyTheIdsInUseHoldAContext) {
  // Contexts are made on first use (a fleet's memory): reading the others, a radio off
  // and a reboot must neither make them nor change what the DTE sees.
  const auto& table = h.modem().ecmt;
  connect(0);
  EXPECT_EQ(h.exchange("AT+ECMTOPEN?"), urc("+ECMTOPEN:0,\"broker\",1883") + ok);
  EXPECT_EQ(h.exchange("AT+ECMTCONN?"), urc("+ECMTCONN:0,3") + ok);
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"keepalive\",3"), cme3) << "no context to query";
  ASSERT_EQ(table.size(), 5u);
  EXPECT_TRUE(table.used(0));
  for (std::size_t id = 1; id < table.size(); ++id) EXPECT_FALSE(table.used(id)) << id;
  EXPECT_EQ(h.exchange("AT+CFUN=0", ms(1000)), ok + urc("+ECMTSTAT:0,1"));
  for (std::size_t id = 1; id < table.size(); ++id) EXPECT_FALSE(table.used(id)) << id << " after a radio off";
  EXPECT_EQ(h.exchange("AT+ECRST", ms(4000)).find("ECRDY") != std::string::npos, true);
  for (std::size_t id = 0; id < table.size(); ++id) EXPECT_FALSE(table.used(id)) << id << " after a reboot";
  EXPECT_EQ(h.exchange("AT+ECMTCONN?"), ok) << "no context after a reboot";
  EXPECT_THROW((void)std::as_const(table).at(5), std::out_of_range);
}

TEST(Ec616sQuirks, ConnectedBeforeConnackAndRefusalLoop) {
  core_harness h(*modem::builtin_profile("ec616s"), false);
  h.boot_and_register();
  h.exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1100));
  h.event(mqtt::event::opened{0, true, ""});
  h.take_output();
  EXPECT_EQ(h.exchange("AT+ECMTCONN=0,\"only-id\""), "\r\nOK\r\n");
  EXPECT_EQ(h.modem().ecmt[0].state, modem::ecmt_state::connected) << "CONNECTED as soon as CONNECT is written";
  auto reqs = h.take_requests();
  auto* c = std::get_if<mqtt::request::connect>(&reqs.back());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->options.client_id, "") << "clientid_needs_all_three";
  h.event(mqtt::event::connack{0, 5});
  EXPECT_EQ(h.take_output(), "\r\n+ECMTCONN: 0,0,5\r\n\r\n+ECMTSTAT: 0,1\r\n");
  for (int i = 0; i < 3; ++i) {
    h.run_for(ms(1000));
    h.event(mqtt::event::connack{0, 5});
  }
  EXPECT_EQ(h.modem().ecmt[0].state, modem::ecmt_state::opened) << "four refusals, then OPENED";
}

}  // namespace
}  // namespace nt35e::test
