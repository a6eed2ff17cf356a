// Scenario rules and actions played by the core (engine/fault_engine), over the
// scripted broker, through a manual clock.

#include <gtest/gtest.h>

#include "at/text.hpp"
#include "engine/fault_engine.hpp"
#include "engine/interpreter.hpp"
#include "scenario/apply.hpp"
#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;
using scenario::action;
using scenario::action_kind;
using scenario::rule;
using scenario::trigger_kind;

const std::string ok = "\r\nOK\r\n";
std::string urc(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

action make(action_kind k, std::optional<int> id = std::nullopt) {
  action a;
  a.kind = k;
  a.id = id;
  return a;
}

rule on_command(std::string pattern, std::vector<action> then, int occurrence = 0) {
  rule r;
  r.when.kind = trigger_kind::command;
  r.when.pattern = std::move(pattern);
  r.when.occurrence = occurrence;
  r.then = std::move(then);
  return r;
}

class Faults : public ::testing::Test {
 protected:
  void start(scenario::scenario world = {}) {
    h = core_harness::for_world(world);
    h->boot_and_register();
    h->exchange("ATE0");
  }
  void connect(int id = 0) {
    auto s = std::to_string(id);
    ASSERT_EQ(h->exchange("AT+ECMTOPEN=" + s + ",\"broker\",1883", ms(1500)), ok + urc("+ECMTOPEN:" + s + ",0"));
    ASSERT_EQ(h->exchange("AT+ECMTCONN=" + s, ms(500)), ok + urc("+ECMTCONN:" + s + ",0,0"));
  }
  std::unique_ptr<core_harness> h;
};

TEST(Glob, CaseInsensitiveWithStarAndQuestionMark) {
  EXPECT_TRUE(at::glob_match("+ECMTCONN=*", "+ecmtconn=0,\"id\""));
  EXPECT_TRUE(at::glob_match("+CSQ", "+csq"));
  EXPECT_FALSE(at::glob_match("+CSQ", "+CSQ=?"));
  EXPECT_TRUE(at::glob_match("+ECMTSTAT:?,1", "+ECMTSTAT:0,1"));
  EXPECT_TRUE(at::glob_match("*", ""));
  EXPECT_FALSE(at::glob_match("a*b", "acd"));
}

TEST_F(Faults, RefuseTheThirdConnect) {
  scenario::scenario w;
  action refuse = make(action_kind::refuse_connect);
  refuse.code = 5;
  w.rules.push_back(on_command("+ECMTCONN=*", {refuse}, 3));
  start(w);
  connect();
  EXPECT_EQ(h->exchange("AT+ECMTDISC=0", ms(200)), ok + urc("+ECMTDISC:0,0"));
  connect();
  EXPECT_EQ(h->exchange("AT+ECMTDISC=0", ms(200)), ok + urc("+ECMTDISC:0,0"));
  h->exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1500));
  EXPECT_EQ(h->exchange("AT+ECMTCONN=0", ms(500)), ok + urc("+ECMTCONN:0,0,5"));
  EXPECT_TRUE(h->logged_reason("scenario.rule"));
}

TEST_F(Faults, CredentialsTableDecidesTheConnack) {
  scenario::scenario w;
  w.broker.credentials.push_back({std::nullopt, "user", "right"});
  w.broker.allow_anonymous = false;
  start(w);
  h->exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1500));
  EXPECT_EQ(h->exchange("AT+ECMTCONN=0,\"dev01\",\"user\",\"wrong\"", ms(500)), ok + urc("+ECMTCONN:0,0,5"));
  EXPECT_EQ(h->exchange("AT+ECMTCONN=0", ms(500)), ok + urc("+ECMTCONN:0,0,5")) << "anonymous refused";
  EXPECT_EQ(h->exchange("AT+ECMTCONN=0,\"dev01\",\"user\",\"right\"", ms(500)), ok + urc("+ECMTCONN:0,0,0"));
}

TEST_F(Faults, DnsAndTcpFailures) {
  scenario::scenario w;
  w.broker.unresolvable = {"bad.example"};
  w.broker.unreachable = {"10.0.0.9:1883"};
  start(w);
  EXPECT_EQ(h->exchange("AT+ECMTOPEN=0,\"bad.example\",1883", ms(1500)), ok + urc("+ECMTOPEN:0,-1"));
  EXPECT_EQ(h->exchange("AT+ECMTOPEN=0,\"10.0.0.9\",1883", ms(1500)), ok + urc("+ECMTOPEN:0,-1"));
  h->fire(make(action_kind::dns_failure, 1));
  EXPECT_EQ(h->exchange("AT+ECMTOPEN=1,\"good.example\",1883", ms(1500)), ok + urc("+ECMTOPEN:1,-1"));
  EXPECT_EQ(h->exchange("AT+ECMTOPEN=1,\"good.example\",1883", ms(1500)), ok + urc("+ECMTOPEN:1,0")) << "one-shot";
  h->fire(make(action_kind::tcp_open_failure));
  EXPECT_EQ(h->exchange("AT+ECMTOPEN=2,\"good.example\",1883", ms(500)), ok + urc("+ECMTOPEN:2,-1"));
}

TEST_F(Faults, DropLinkThenReconnect) {
  start();
  connect();
  h->fire(make(action_kind::drop_link, 0));
  h->run_for(ms(100));  // a peer's close is noticed at the next receive-loop pass (§8)
  EXPECT_EQ(h->take_output(), urc("+ECMTSTAT:0,1"));
  h->run_for(ms(1500));
  EXPECT_EQ(h->take_output(), urc("+ECMTCONN:0,0,0"));
  EXPECT_EQ(h->snapshot().count.reconnects, 1u);
}

TEST_F(Faults, BrokerDownDropsTheLinkAndRefusesEveryOpenUntilItIsBack) {
  start();
  connect();
  action down = make(action_kind::broker_down);
  down.window = ms(10'000);
  h->fire(down);
  h->run_for(ms(100));
  EXPECT_EQ(h->take_output(), urc("+ECMTSTAT:0,1"));
  // A new link cannot open meanwhile; the dropped one keeps trying and failing, silently.
  EXPECT_EQ(h->exchange("AT+ECMTOPEN=1,\"broker\",1883", ms(2000)), ok + urc("+ECMTOPEN:1,-1"));
  h->run_for(ms(7'000));  // 9.1 s into the outage
  EXPECT_EQ(h->take_output(), "");
  // Back after the outage: the module's next reconnect attempt succeeds.
  h->run_for(ms(20'000));
  EXPECT_EQ(h->take_output(), urc("+ECMTCONN:0,0,0"));
  EXPECT_EQ(h->snapshot().count.reconnects, 1u);
  EXPECT_EQ(h->exchange("AT+ECMTOPEN=1,\"broker\",1883", ms(2000)), ok + urc("+ECMTOPEN:1,0"));
}

TEST_F(Faults, SlowNetworkHoldsEachWayThenEnds) {
  start();
  connect();
  // The broker's own SUBACK delay, measured before the network is slow.
  h->exchange("AT+ECMTSUB=0,1,\"a\",1", ms(0));
  int normal = 0;
  while (h->take_output().find("+ECMTSUB:0,1,0,1") == std::string::npos && normal < 5000) {
    h->run_for(ms(10));
    normal += 10;
  }
  ASSERT_LT(normal, 5000);
  action slow = make(action_kind::slow_network);
  slow.window = ms(30'000);
  slow.by = ms(2'000);
  h->fire(slow);
  h->exchange("AT+ECMTSUB=0,2,\"b\",1", ms(0));
  int slowed = 0;
  std::string seen;
  while (seen.find("+ECMTSUB:0,2,0,1") == std::string::npos && slowed < 20'000) {
    h->run_for(ms(10));
    slowed += 10;
    seen += h->take_output();
  }
  ASSERT_LT(slowed, 20'000) << seen;
  EXPECT_GE(slowed, normal + 4'000) << "2 s to the broker and 2 s back";
  EXPECT_LE(slowed, normal + 4'100);
  // Once the window is over, the network is as fast as before.
  h->run_for(ms(30'000));
  h->take_output();
  h->exchange("AT+ECMTSUB=0,3,\"c\",1", ms(0));
  int after = 0;
  while (h->take_output().find("+ECMTSUB:0,3,0,1") == std::string::npos && after < 5000) {
    h->run_for(ms(10));
    after += 10;
  }
  EXPECT_EQ(after, normal);
}

TEST_F(Faults, KeepaliveLoss) {
  start();
  h->exchange("AT+ECMTCFG=\"keepalive\",0,60");
  connect();
  h->fire(make(action_kind::stop_pings, 0));
  h->run_for(ms(68'399));
  EXPECT_EQ(h->take_output(), "");
  h->run_for(ms(1));
  EXPECT_EQ(h->take_output(), urc("+ECMTSTAT:0,1")) << "keepalive 60 s + 8.4 s";
}

TEST_F(Faults, TimeScaleMakesAMinuteASecond) {
  scenario::scenario w;
  w.time_scale = 0.01;
  start(w);
  h->exchange("AT+ECMTCFG=\"keepalive\",0,60", ms(10));
  h->exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(30));
  h->exchange("AT+ECMTCONN=0", ms(30));
  h->take_output();
  h->fire(make(action_kind::stop_pings, 0));
  h->run_for(ms(700));
  EXPECT_EQ(h->take_output(), urc("+ECMTSTAT:0,1") + urc("+ECMTCONN:0,0,0"))
      << "68.4 s of keepalive loss and the 1 s reconnect, a hundred times faster";
}

TEST_F(Faults, DoubleConnackQuirk) {
  start();
  h->exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1500));
  h->fire(make(action_kind::connfail_then_connack, 0));
  h->send("AT+ECMTCONN=0\r");
  h->run_for(ms(299));
  EXPECT_EQ(h->take_output(), ok);
  h->run_for(ms(1));
  EXPECT_EQ(h->take_output(), urc("+ECMTCONN:0,2,2"));
  h->run_for(ms(400));
  EXPECT_EQ(h->take_output(), urc("+ECMTCONN:0,0,0"));
}

TEST_F(Faults, ResponseChanges) {
  scenario::scenario w;
  action replace = make(action_kind::replace_response);
  replace.text = "\r\n+CSQ:5,99\r\n\r\nOK\r\n";
  w.rules.push_back(on_command("+CSQ", {replace}, 1));
  action delay = make(action_kind::delay_response);
  delay.by = ms(2000);
  w.rules.push_back(on_command("+CGMI", {delay}));
  action cut = make(action_kind::truncate_response);
  cut.keep = 5;
  w.rules.push_back(on_command("+CGMM", {cut}));
  w.rules.push_back(on_command("+CIMI", {make(action_kind::never_answer)}));
  start(w);
  EXPECT_EQ(h->exchange("AT+CSQ"), "\r\n+CSQ:5,99\r\n" + ok);
  EXPECT_EQ(h->exchange("AT+CSQ"), "\r\n+CSQ:23,99\r\n" + ok) << "only the first";
  EXPECT_EQ(h->exchange("AT+CGMI", ms(1000)), "");
  h->run_for(ms(1100));
  EXPECT_EQ(h->take_output(), "\r\nLierda\r\n" + ok);
  EXPECT_EQ(h->exchange("AT+CGMM"), "\r\nNT3") << "5 bytes kept";
  EXPECT_EQ(h->exchange("AT+CIMI", ms(30'000)), "");
  EXPECT_EQ(h->exchange("AT", ms(1000)), "") << "input waits behind the hung command";
  h->fire(make(action_kind::reboot));
  h->run_for(ms(2000));
  EXPECT_EQ(h->take_output(), urc("ECRDY"));
  EXPECT_EQ(h->exchange("AT"), ok);
}

// Command rules are indexed (exact lines by their text, patterns tried once per line): the
// rules a line hits still fire in the scenario's order, each counting its own occurrences,
// whatever the kind of pattern or the case of the line.
TEST_F(Faults, CommandRulesFireInScenarioOrderWhateverTheirPattern) {
  scenario::scenario w;
  auto say = [](std::string text) {
    action a = make(action_kind::inject_urc);
    a.text = std::move(text);
    return a;
  };
  w.rules.push_back(on_command("+CSQ*", {say("A every +CSQ*")}));
  w.rules.push_back(on_command("+csq", {say("B second +csq")}, 2));
  rule by_regex = on_command("^\\+CSQ$", {say("C every regex")});
  by_regex.when.regex = true;
  w.rules.push_back(by_regex);
  w.rules.push_back(on_command("+CSQ", {say("D first +CSQ")}, 1));
  w.rules.push_back(on_command("+CSQ*", {say("E second +CSQ*")}, 2));
  w.rules.push_back(on_command("+CGMI", {say("F never")}));
  start(w);
  // Injected URCs wait for the answer the command is writing (a URC never splits a response).
  EXPECT_EQ(h->exchange("AT+CSQ"),
            "\r\n+CSQ:23,99\r\n" + ok + urc("A every +CSQ*") + urc("C every regex") + urc("D first +CSQ"));
  EXPECT_EQ(h->exchange("AT+csq"), "\r\n+CSQ:23,99\r\n" + ok + urc("A every +CSQ*") + urc("B second +csq") +
                                       urc("C every regex") + urc("E second +CSQ*"));
  EXPECT_EQ(h->exchange("AT+CSQ=?"), "\r\n+CSQ:(0-31,99),(0-7,99)\r\n" + ok + urc("A every +CSQ*"))
      << "the exact rules and the regex want the line whole";
}

TEST_F(Faults, UrcsInjectedDuplicatedAndTriggering) {
  scenario::scenario w;
  rule r;
  r.when.kind = trigger_kind::urc;
  r.when.pattern = "+ECMTSTAT:*";
  action inj = make(action_kind::inject_urc);
  inj.text = "+ECMTSTAT:0,1 seen";
  r.then = {inj};
  w.rules.push_back(r);
  start(w);
  connect();
  action dup = make(action_kind::duplicate_next_urc);
  dup.text = "+ECMTSUB:*";
  h->fire(dup);
  EXPECT_EQ(h->exchange("AT+ECMTSUB=0,1,\"t\",1", ms(300)), ok + urc("+ECMTSUB:0,1,0,1") + urc("+ECMTSUB:0,1,0,1"));
  h->fire(make(action_kind::drop_link));
  h->run_for(ms(100));
  EXPECT_EQ(h->take_output(), urc("+ECMTSTAT:0,1 seen") + urc("+ECMTSTAT:0,1"))
      << "the rule runs when the URC is about to be queued, so its URC comes first";
}

TEST_F(Faults, DeliverAndPublishTrigger) {
  scenario::scenario w;
  rule r;
  r.when.kind = trigger_kind::publish;
  r.when.pattern = "cmd/#";
  action reply = make(action_kind::deliver, 0);
  reply.topic = "resp";
  reply.payload = "done";
  reply.qos = 1;
  r.then = {reply};
  r.after = ms(100);
  w.rules.push_back(r);
  start(w);
  connect();
  EXPECT_EQ(h->exchange("AT+ECMTPUB=0,0,0,0,\"cmd/reboot\",\"now\"", ms(300)),
            ok + urc("+ECMTPUB:0,0,0") + urc("+ECMTRECV:0,1,\"resp\",done"));
}

TEST_F(Faults, ScriptedRepliesRetainedAndTimedMessages) {
  scenario::scenario w;
  w.broker.retained.push_back({"cfg", "v1", 1});
  w.broker.replies.push_back({"ping", {"pong", "hi", 0}, ms(100)});
  scenario::timed_message burst;
  burst.at = ms(8000);
  burst.msg = {"burst", "m{n}", 1};
  burst.count = 1000;
  burst.every = ms(1);
  w.broker.messages.push_back(burst);
  start(w);
  connect();
  EXPECT_EQ(h->exchange("AT+ECMTSUB=0,1,\"cfg\",1", ms(300)),
            ok + urc("+ECMTSUB:0,1,0,1") + urc("+ECMTRECV:0,1,\"cfg\",v1"));
  EXPECT_EQ(h->exchange("AT+ECMTSUB=0,2,\"pong\",0", ms(300)), ok + urc("+ECMTSUB:0,2,0,1"));
  EXPECT_EQ(h->exchange("AT+ECMTPUB=0,0,0,0,\"ping\",\"x\"", ms(300)),
            ok + urc("+ECMTPUB:0,0,0") + urc("+ECMTRECV:0,0,\"pong\",hi"));
  EXPECT_EQ(h->exchange("AT+ECMTSUB=0,3,\"burst\",1", ms(300)), ok + urc("+ECMTSUB:0,3,0,1"));
  h->run_for(ms(5000));
  auto out = h->take_output();
  std::size_t pos = 0;
  for (int n = 1; n <= 1000; ++n) {
    auto line = urc("+ECMTRECV:0," + std::to_string(n + 1) + ",\"burst\",m" + std::to_string(n));
    auto p = out.find(line, pos);
    ASSERT_NE(p, std::string::npos) << "message " << n << " lost or out of order";
    pos = p + line.size();
  }
  EXPECT_EQ(h->snapshot().count.messages, 1002u);
}

TEST_F(Faults, RegistrationSignalAndSim) {
  start();
  connect();
  h->exchange("AT+CEREG=1");
  action lose = make(action_kind::lose_registration);
  lose.stat = 2;
  h->fire(lose);
  EXPECT_EQ(h->take_output(), urc("+CEREG:2") + urc("+ECMTSTAT:0,1"));
  action regain = make(action_kind::regain_registration);
  regain.by = ms(3000);
  h->fire(regain);
  h->run_for(ms(3000));
  EXPECT_EQ(h->take_output(), urc("+CEREG:1"));
  h->run_for(ms(5000));
  EXPECT_EQ(h->take_output(), urc("+ECMTCONN:0,0,0"));
  action sig = make(action_kind::set_signal);
  sig.rssi = 7;
  h->fire(sig);
  EXPECT_EQ(h->exchange("AT+CSQ"), "\r\n+CSQ:7,99\r\n" + ok);
  h->fire(make(action_kind::remove_sim));
  EXPECT_EQ(h->take_output(), urc("+CEREG:0") + urc("+ECMTSTAT:0,1"));
  EXPECT_EQ(h->exchange("AT+CPIN?"), "\r\n+CME ERROR: 10\r\n");
  h->fire(make(action_kind::insert_sim));
  h->run_for(ms(2500));
  EXPECT_EQ(h->take_output(), urc("+CEREG:2") + urc("+CEREG:1"));
}

TEST(SharedProfile, ASignalChangeCopiesTheProfileForThatModemOnly) {
  // A fleet's modems read one profile object until one changes it (copy on write): the
  // change must reach that modem alone, and leave the shared profile as it was.
  auto p = *modem::builtin_profile("nt35e");
  p.timing.boot = 0;
  p.timing.registration = 0;
  const auto shared = std::make_shared<const modem::profile>(p);
  const auto t0 = modem::clock::now();
  engine::interpreter changed(shared, t0), untouched(shared, t0);
  for (auto* m : {&changed, &untouched}) m->on_timer(t0 + ms(10));
  EXPECT_EQ(&changed.state().prof(), shared.get()) << "nothing changed yet: no copy";
  action sig = make(action_kind::set_signal);
  sig.rssi = 7;
  changed.fire(sig, t0 + ms(20));
  auto csq = [&](engine::interpreter& m) {
    std::string out;
    for (auto& a : m.feed("AT+CSQ\r", t0 + ms(30)))
      if (auto* w = std::get_if<modem::write_bytes>(&a)) out += w->bytes;
    for (auto& a : m.on_timer(t0 + ms(100)))
      if (auto* w = std::get_if<modem::write_bytes>(&a)) out += w->bytes;
    return out;
  };
  EXPECT_EQ(csq(changed), "AT+CSQ\r\r\n+CSQ:7,99\r\n" + ok);
  EXPECT_EQ(csq(untouched), "AT+CSQ\r\r\n+CSQ:23,99\r\n" + ok);
  EXPECT_EQ(shared->csq_rssi, 23);
  EXPECT_NE(&changed.state().prof(), shared.get());
  EXPECT_EQ(&untouched.state().prof(), shared.get());
}

TEST_F(Faults, SendBytesBypassesFraming) {
  start();
  action garble = make(action_kind::send_bytes);
  garble.text = std::string("\xFF\x00+ECMTR", 8);
  h->fire(garble);
  EXPECT_EQ(h->take_output(), std::string("\xFF\x00+ECMTR", 8));
}

TEST_F(Faults, TimelineRuleAtAnOffset) {
  scenario::scenario w;
  rule r;
  r.when.kind = trigger_kind::at;
  r.when.at = ms(10'000);
  r.then = {make(action_kind::drop_link, 0)};
  w.rules.push_back(r);
  start(w);
  connect();
  h->run_for(ms(4000));
  EXPECT_EQ(h->take_output(), urc("+ECMTSTAT:0,1")) << "10 s after power-on";
}

TEST_F(Faults, MqttEventTrigger) {
  scenario::scenario w;
  rule r;
  r.when.kind = trigger_kind::mqtt_event;
  r.when.pattern = "suback";
  action inj = make(action_kind::inject_urc);
  inj.text = "+TRACE:suback";
  r.then = {inj};
  w.rules.push_back(r);
  start(w);
  connect();
  EXPECT_EQ(h->exchange("AT+ECMTSUB=0,1,\"t\",1", ms(300)), ok + urc("+TRACE:suback") + urc("+ECMTSUB:0,1,0,1"));
  auto snap = h->snapshot();
  ASSERT_EQ(snap.ecmt.size(), 1u);
  EXPECT_EQ(snap.ecmt[0].state, "CONNECTED");
  ASSERT_EQ(snap.ecmt[0].subscriptions.size(), 1u);
  EXPECT_EQ(snap.ecmt[0].subscriptions[0].first, "t");
}

}  // namespace
}  // namespace nt35e::test
