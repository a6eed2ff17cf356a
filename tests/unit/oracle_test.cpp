// The oracle (issue 15) on the sans-I/O core: a driver's exchange with the real
// interpreter and scripted broker, on a manual clock, watched by the oracle. Each faulty
// exchange yields exactly its rule's finding and nothing else; correct exchanges (the
// seed's flow, an auth refusal, a broker loss) yield none.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "explain/explanations.hpp"
#include "oracle/oracle.hpp"
#include "oracle/verdict.hpp"
#include "scenario/json_loader.hpp"
#include "support/core_harness.hpp"

namespace nt35e {
namespace {

using ms = std::chrono::milliseconds;

/// A driver on the core, every byte of both directions shown to an oracle.
class watched {
 public:
  explicit watched(oracle::config c = {}, const scenario::scenario& world = {})
      : core_(core_harness_for(world)), oracle_(std::move(c), core_->now()) {}

  /// Raw bytes from the driver now.
  void send(std::string_view bytes) {
    oracle_.on_dte(bytes, core_->now());
    core_->send(bytes);
    flush();
  }
  /// A command line (CR added), then `d` of time.
  void line(std::string_view text, ms d = ms(400)) {
    send(std::string(text) + "\r");
    wait(d);
  }
  /// A command line, then time until the module wrote `expect` (at most 30 s), then the
  /// V.250 pause: what a careful driver does.
  void until(std::string_view text, std::string_view expect) {
    auto from = all_.size();
    send(std::string(text) + "\r");
    for (int i = 0; i < 6000 && all_.find(expect, from) == std::string::npos; ++i) wait(ms(5));
    ASSERT_NE(all_.find(expect, from), std::string::npos) << text << " never got " << expect << "\n" << all_;
    wait(ms(150));
  }
  /// Time passes in 5 ms steps; the module's output goes to the oracle as it comes.
  void wait(ms d) {
    for (auto left = d; left.count() > 0; left -= ms(5)) {
      core_->run_for(std::min(left, ms(5)));
      flush();
    }
    oracle_.advance(core_->now());
  }
  /// Powers on, waits for ECRDY and registration, and checks it as a careful driver does.
  void boot() {
    wait(ms(4000));
    until("AT+CEREG?", "OK");
  }
  /// The careful ECMT flow up to a subscribed link on id 0.
  void connect_and_subscribe() {
    open_and_connect();
    until("AT+ECMTSUB=0,1,\"cmd/#\",1", "+ECMTSUB:0,1,0,1");
  }
  /// AT+ECMTOPEN / AT+ECMTCONN on id 0, then time until `expect`.
  void open(std::string_view expect) { until("AT+ECMTOPEN=0,\"broker.example\",1883", expect); }
  void conn(std::string_view expect) { until("AT+ECMTCONN=0,\"dev1\"", expect); }
  void open_and_connect() {
    until("AT+ECMTOPEN=0,\"broker.example\",1883", "+ECMTOPEN:0,0");
    until("AT+ECMTCONN=0,\"dev1\"", "+ECMTCONN:0,0,0");
  }
  void fire(const scenario::action& a) {
    core_->fire(a);
    flush();
  }
  /// The broker link of id 0 drops (+ECMTSTAT); the module then reconnects by itself.
  void drop_link() {
    scenario::action drop;
    drop.kind = scenario::action_kind::drop_link;
    drop.id = 0;
    fire(drop);
  }
  std::string output() const { return all_; }
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& f : oracle_.findings()) out.push_back(f.rule);
    return out;
  }
  const oracle::oracle& verdict() const { return oracle_; }
  /// The proving lines of finding `i`: "> " what the driver sent, "< " what the module wrote.
  std::vector<std::string> lines(std::size_t i = 0) const {
    std::vector<std::string> out;
    for (const auto& l : oracle_.findings().at(i).lines) out.push_back((l.from_dte ? "> " : "< ") + l.text);
    return out;
  }
  std::string dump() const {
    std::string out;
    for (const auto& f : oracle_.findings()) out += oracle::describe(f);
    return out + "--- session ---\n" + all_;
  }

 private:
  static std::unique_ptr<test::core_harness> core_harness_for(const scenario::scenario& world) {
    return test::core_harness::for_world(world);
  }
  void flush() {
    auto out = core_->take_output();
    if (out.empty()) return;
    all_ += out;
    oracle_.on_module(out, core_->now());
  }
  std::unique_ptr<test::core_harness> core_;
  oracle::oracle oracle_;
  std::string all_;
};

using ids = std::vector<std::string>;

// ---------------------------------------------------------------------------------------
// correct drivers: no finding

TEST(Oracle, TheSeedsFullFlowDoneCorrectlyHasNoFinding) {
  watched w;
  w.boot();
  w.line("AT+ECMTCFG=\"keepalive\",0,60", ms(200));
  w.connect_and_subscribe();
  w.line("AT+ECMTPUB=0,2,1,0,\"tele/dev1\",\"{\"t\":21.5}\"", ms(400));
  w.line("AT+ECMTPUB=0,3,0,0,\"tele/dev1\"", ms(200));
  w.send("{\"t\":21.6}\x1A");
  w.wait(ms(400));
  w.line("AT+ECMTUNS=0,4,\"cmd/#\"", ms(400));
  w.line("AT+ECMTDISC=0", ms(400));
  EXPECT_EQ(w.ids(), ids{}) << w.dump();
  EXPECT_NE(w.output().find("+ECMTDISC:0,0"), std::string::npos) << w.dump();
}

TEST(Oracle, AnAuthRefusalHandledCorrectlyHasNoFinding) {
  scenario::scenario world;
  watched w({}, world);
  w.boot();
  w.open("+ECMTOPEN:0,0");
  scenario::action refuse;
  refuse.kind = scenario::action_kind::refuse_connect;
  refuse.code = 5;
  w.fire(refuse);
  w.until("AT+ECMTCONN=0,\"dev1\",\"user\",\"wrong\"", "+ECMTCONN:0,0,5");
  ASSERT_NE(w.output().find("+ECMTCONN:0,0,5"), std::string::npos) << w.dump();
  w.line("AT+ECMTCLOSE=0", ms(400));
  EXPECT_EQ(w.ids(), ids{}) << w.dump();
}

TEST(Oracle, ABrokerLossHandledCorrectlyHasNoFinding) {
  watched w;
  w.boot();
  w.connect_and_subscribe();
  w.drop_link();
  w.wait(ms(3000));
  ASSERT_NE(w.output().find("+ECMTSTAT:0,1"), std::string::npos) << w.dump();
  ASSERT_NE(w.output().rfind("+ECMTCONN:0,0,0"), w.output().find("+ECMTCONN:0,0,0")) << w.dump();
  w.line("AT+ECMTSUB=0,5,\"cmd/#\",1", ms(400));
  w.wait(ms(120'000));
  EXPECT_EQ(w.ids(), ids{}) << w.dump();
  // Rule coverage: the loss exercised the recovery rules.
  bool recovery = false, resubscribe = false;
  for (const auto& u : w.verdict().coverage()) {
    if (u.id == "NT35E-ECMT-NO-RECOVERY") recovery = u.exercised;
    if (u.id == "NT35E-ECMT-NO-RESUBSCRIBE") resubscribe = u.exercised;
  }
  EXPECT_TRUE(recovery);
  EXPECT_TRUE(resubscribe);
}

// ---------------------------------------------------------------------------------------
// one faulty exchange per rule: exactly its finding

TEST(Oracle, ACommandBeforeEcrdyIsLost) {
  watched w;
  w.wait(ms(500));
  w.line("AT+CSQ", ms(4000));
  w.line("AT+CEREG?", ms(200));
  EXPECT_EQ(w.ids(), ids{"NT35E-AT-BEFORE-ECRDY"}) << w.dump();
}

TEST(Oracle, ACommandBeforeThePreviousFinalResultOverlaps) {
  watched w;
  w.boot();
  w.send("AT+CSQ\r");
  w.send("AT+CGSN=1\r");
  w.wait(ms(400));
  EXPECT_EQ(w.ids(), ids{"NT35E-AT-OVERLAP"}) << w.dump();
}

TEST(Oracle, ALineEndedByLfAloneIsFound) {
  watched w;
  w.boot();
  w.send("AT+CSQ\n");
  w.wait(ms(400));
  EXPECT_EQ(w.ids(), ids{"NT35E-AT-LINE-ENDING"}) << w.dump();
}

TEST(Oracle, CrLfIsAllowed) {
  watched w;
  w.boot();
  w.send("AT+CSQ\r\n");
  w.wait(ms(400));
  EXPECT_EQ(w.ids(), ids{}) << w.dump();
}

TEST(Oracle, TypographicQuotesAreFoundOnce) {
  watched w;
  w.boot();
  w.line(
      "AT+ECMTOPEN=0,\xE2\x80\x9D"
      "broker.example\xE2\x80\x9D,1883",
      ms(400));
  ASSERT_NE(w.output().find("ERROR"), std::string::npos);
  EXPECT_EQ(w.ids(), ids{"NT35E-AT-TYPOGRAPHIC"}) << w.dump();
}

TEST(Oracle, TypographicQuotesInAPayloadAreContent) {
  watched w;
  w.boot();
  w.open_and_connect();
  w.line("AT+ECMTPUB=0,0,0,0,\"t\",\xE2\x80\x9Chello\xE2\x80\x9D", ms(400));
  EXPECT_EQ(w.ids(), ids{}) << w.dump();
}

TEST(Oracle, ALowerCaseCommandIsAWarning) {
  watched w;
  w.boot();
  w.line("at+csq", ms(400));
  EXPECT_EQ(w.ids(), ids{"NT35E-AT-LOWERCASE"}) << w.dump();
  EXPECT_EQ(w.verdict().findings().at(0).level, oracle::severity::warning);
}

TEST(Oracle, ALineTheModuleRejectsIsMalformed) {
  watched w;
  w.boot();
  w.line("AT+CSQ=1", ms(400));
  EXPECT_EQ(w.ids(), ids{"NT35E-AT-MALFORMED"}) << w.dump();
}

TEST(Oracle, TooShortAPauseAfterTheFinalResultIsAWarning) {
  watched w;
  w.boot();
  w.send("AT+CSQ\r");
  w.wait(ms(30));
  w.line("AT+CGSN=1", ms(400));
  ASSERT_EQ(w.ids(), ids{"NT35E-AT-PAUSE"}) << w.dump();
  EXPECT_EQ(w.lines(), (ids{"< OK", "> AT+CGSN=1"})) << "the final result it followed, then the line";
}

TEST(Oracle, SeveralActionCommandsOnOneLine) {
  watched w;
  w.boot();
  w.open("+ECMTOPEN:0,0");
  w.until("AT+ECMTCONN=0,\"dev1\";+ECMTCLOSE=1", "+ECMTCONN:0,0,0");
  EXPECT_EQ(w.ids(), ids{"NT35E-AT-MULTI-ACTION"}) << w.dump();
}

TEST(Oracle, ConnBeforeTheOpenUrcIsFound) {
  watched w;
  w.boot();
  w.open("OK");
  w.conn("+ECMTCONN:0,0,0");
  ASSERT_NE(w.output().find("+ECMTCONN:0,0,0"), std::string::npos) << "the module queues it: lucky" << w.dump();
  EXPECT_EQ(w.ids(), ids{"NT35E-ECMT-CONN-BEFORE-OPEN"}) << w.dump();
}

TEST(Oracle, SubscribeBeforeTheConnUrcIsFound) {
  watched w;
  w.boot();
  w.open("+ECMTOPEN:0,0");
  w.conn("OK");
  w.line("AT+ECMTSUB=0,1,\"cmd/#\",1", ms(600));
  EXPECT_EQ(w.ids(), ids{"NT35E-ECMT-USE-BEFORE-CONN"}) << w.dump();
}

TEST(Oracle, ASecondOpenWhileItsUrcIsPending) {
  watched w;
  w.boot();
  w.open("OK");
  w.open("+ECMTOPEN:0,0");
  EXPECT_EQ(w.ids(), ids{"NT35E-ECMT-URC-PENDING"}) << w.dump();
}

TEST(Oracle, ClosingBeforeTheWorstCaseConnackTimeGivesUpEarly) {
  watched w;
  w.boot();
  w.open("+ECMTOPEN:0,0");
  w.conn("OK");
  w.line("AT+ECMTCLOSE=0", ms(600));
  EXPECT_EQ(w.ids(), ids{"NT35E-ECMT-GAVE-UP-EARLY"}) << w.dump();
}

TEST(Oracle, CarryingOnAfterAFailedOpenIgnoresTheError) {
  watched w;
  w.boot();
  w.line("AT+ECMTOPEN=0,\"broker.example\",0", ms(400));  // port 0: CME 3
  ASSERT_NE(w.output().find("+CME ERROR: 3"), std::string::npos) << w.dump();
  w.line("AT+ECMTCONN=0,\"dev1\"", ms(400));
  EXPECT_EQ(w.ids(), ids{"NT35E-DRV-IGNORED-ERROR"}) << w.dump();
}

TEST(Oracle, OpeningWhileNotRegisteredIsFound) {
  watched w;
  w.wait(ms(1700));  // ECRDY, still searching
  w.line("AT+CEREG?", ms(200));
  w.line("AT+ECMTOPEN=0,\"broker.example\",1883", ms(400));
  ASSERT_EQ(w.ids(), ids{"NT35E-NET-OPEN-UNREGISTERED"}) << w.dump();
  EXPECT_EQ(w.lines(), (ids{"< +CEREG:0,2", "> AT+ECMTOPEN=0,\"broker.example\",1883"}))
      << "what it had seen, then the open";
}

TEST(Oracle, NoRecoveryAfterALinkLossThatDoesNotHeal) {
  watched w;
  w.boot();
  w.connect_and_subscribe();
  scenario::action lose;
  lose.kind = scenario::action_kind::lose_registration;
  lose.stat = 0;
  w.fire(lose);
  w.wait(ms(70'000));
  EXPECT_EQ(w.ids(), ids{"NT35E-ECMT-NO-RECOVERY"}) << w.dump();
}

TEST(Oracle, NoResubscriptionAfterAReconnect) {
  watched w;
  w.boot();
  w.connect_and_subscribe();
  w.drop_link();
  w.wait(ms(40'000));
  EXPECT_EQ(w.ids(), ids{"NT35E-ECMT-NO-RESUBSCRIBE"}) << w.dump();
}

TEST(Oracle, NoResubscriptionIsFineWithoutACleanSession) {
  watched w;
  w.boot();
  w.line("AT+ECMTCFG=\"session\",0,0", ms(200));
  w.connect_and_subscribe();
  w.drop_link();
  w.wait(ms(40'000));
  EXPECT_EQ(w.ids(), ids{}) << w.dump();
}

// A driver that ends the session itself after the reconnect owes nothing from before it:
// CLOSE was reported as NO-RESUBSCRIBE while DISC was not (found by the faulty drivers).
TEST(Oracle, ClosingOrDisconnectingAfterAReconnectOwesNoSubscription) {
  for (std::string ending : {"AT+ECMTCLOSE=0", "AT+ECMTDISC=0"}) {
    SCOPED_TRACE(ending);
    watched w;
    w.boot();
    w.connect_and_subscribe();
    w.drop_link();
    w.wait(ms(3000));
    ASSERT_NE(w.output().rfind("+ECMTCONN:0,0,0"), w.output().find("+ECMTCONN:0,0,0")) << w.dump();
    w.until(ending, ending == "AT+ECMTCLOSE=0" ? "+ECMTCLOSE:0,0" : "+ECMTDISC:0,0");
    w.wait(ms(40'000));
    EXPECT_EQ(w.ids(), ids{}) << w.dump();
  }
}

// A DISC the module refuses (it is stuck reconnecting, the NT35E's quirk) ends nothing: once
// the module has reconnected, the subscriptions are owed as before.
TEST(Oracle, ARefusedDisconnectStillOwesTheSubscriptions) {
  watched w;
  w.boot();
  w.connect_and_subscribe();
  w.drop_link();
  w.wait(ms(200));
  w.until("AT+ECMTDISC=0", "+CME ERROR");
  w.wait(ms(40'000));
  ASSERT_NE(w.output().rfind("+ECMTCONN:0,0,0"), w.output().find("+ECMTCONN:0,0,0")) << w.dump();
  EXPECT_EQ(w.ids(), ids{"NT35E-ECMT-NO-RESUBSCRIBE"}) << w.dump();
}

TEST(Oracle, ARetryStormWithoutBackOff) {
  watched w;
  w.boot();
  for (int i = 0; i < 5; ++i) w.line("AT+ECMTSUB=0,1,\"cmd/#\",1", ms(300));
  // the first try is the state rule; the repeats without back-off make the storm
  auto found = w.ids();
  ASSERT_FALSE(found.empty());
  ASSERT_EQ(found.back(), "NT35E-DRV-RETRY-STORM") << w.dump();
  ids tries;  // every try with the answer that said it failed
  for (int i = 0; i < 5; ++i) tries.insert(tries.end(), {"> AT+ECMTSUB=0,1,\"cmd/#\",1", "< +CME ERROR: 3"});
  EXPECT_EQ(w.lines(found.size() - 1), tries);
}

TEST(Oracle, ARuleBrokenAgainAndAgainKeepsTheFirstFindingsAndCountsThemAll) {
  oracle::config c;
  c.enabled["NT35E-AT-PAUSE"] = false;
  watched w(c);
  w.boot();
  const std::size_t times = oracle::oracle::max_findings_per_rule + 20;
  for (std::size_t i = 0; i < times; ++i) w.line("at+csq", ms(60));
  EXPECT_EQ(w.ids(), ids(oracle::oracle::max_findings_per_rule, "NT35E-AT-LOWERCASE"));
  std::size_t counted = 0;
  for (const auto& u : w.verdict().coverage())
    if (u.id == "NT35E-AT-LOWERCASE") counted = u.findings;
  EXPECT_EQ(counted, times) << "the coverage counts the findings that were not kept";
}

TEST(Oracle, DistinctFailingLinesAreTrackedUpToTheCapAndAStormIsStillFound) {
  oracle::config c;
  c.enabled["NT35E-ECMT-USE-BEFORE-CONN"] = false;
  c.enabled["NT35E-DRV-IGNORED-ERROR"] = false;
  c.enabled["NT35E-AT-PAUSE"] = false;
  watched w(c);
  w.boot();
  // A driver that publishes before it is connected, each line with its own msgID: each
  // line fails once, so none is a storm, and the oracle must not keep them all.
  const int distinct = static_cast<int>(oracle::oracle::max_tracked_commands) * 3;
  for (int i = 1; i <= distinct; ++i) w.line("AT+ECMTPUB=0," + std::to_string(i) + ",1,0,\"t\",\"x\"", ms(10));
  EXPECT_LE(w.verdict().tracked_commands(), oracle::oracle::max_tracked_commands);
  EXPECT_EQ(w.ids(), ids{}) << w.dump();
  // The bound did not cost the rule: the same line failing without back-off is a storm.
  for (int i = 0; i < 5; ++i) w.line("AT+ECMTSUB=0,1,\"cmd/#\",1", ms(300));
  EXPECT_EQ(w.ids(), ids{"NT35E-DRV-RETRY-STORM"}) << w.dump();
}

TEST(Oracle, AFailingLineQuietForAWholeWindowIsForgotten) {
  oracle::config c;
  c.enabled["NT35E-ECMT-USE-BEFORE-CONN"] = false;
  c.enabled["NT35E-DRV-IGNORED-ERROR"] = false;
  c.enabled["NT35E-AT-PAUSE"] = false;
  c.values["NT35E-DRV-RETRY-STORM.window_s"] = 5;
  watched w(c);
  w.boot();
  // Three lines fail once each, well under the cap: all three are remembered.
  for (int i = 1; i <= 3; ++i) w.line("AT+ECMTPUB=0," + std::to_string(i) + ",1,0,\"t\",\"x\"", ms(10));
  EXPECT_EQ(w.verdict().tracked_commands(), 3u);
  // A whole window later another line fails: the three quiet ones can no longer be
  // part of a storm, so they go; the new one stays.
  w.wait(ms(6000));
  w.line("AT+ECMTPUB=0,4,1,0,\"t\",\"x\"", ms(10));
  EXPECT_EQ(w.verdict().tracked_commands(), 1u) << w.dump();
  EXPECT_EQ(w.ids(), ids{}) << w.dump();
}

TEST(Oracle, RetriesWithAGrowingDelayAreNoStorm) {
  oracle::config c;
  c.enabled["NT35E-ECMT-USE-BEFORE-CONN"] = false;
  c.enabled["NT35E-DRV-IGNORED-ERROR"] = false;
  watched w(c);
  w.boot();
  int delay = 300;
  for (int i = 0; i < 6; ++i, delay *= 2) w.line("AT+ECMTSUB=0,1,\"cmd/#\",1", ms(delay));
  EXPECT_EQ(w.ids(), ids{}) << w.dump();
}

TEST(Oracle, ATopicOverTheLimit) {
  watched w;
  w.boot();
  w.open_and_connect();
  w.line("AT+ECMTSUB=0,1,\"" + std::string(256, 't') + "\",1", ms(400));
  EXPECT_EQ(w.ids(), ids{"NT35E-ECMT-LIMITS"}) << w.dump();
}

TEST(Oracle, QosOnePublishesBeyondTheInFlightLimit) {
  oracle::config c;
  c.values["NT35E-ECMT-INFLIGHT.limit"] = 1;
  watched w(c);
  w.boot();
  w.open_and_connect();
  for (int i = 1; i <= 2; ++i) w.line("AT+ECMTPUB=0," + std::to_string(i) + ",1,0,\"t\",\"x\"", ms(110));
  w.wait(ms(400));
  ASSERT_EQ(w.ids(), ids{"NT35E-ECMT-INFLIGHT"}) << w.dump();
  EXPECT_EQ(w.lines(), (ids{"> AT+ECMTPUB=0,1,1,0,\"t\",\"x\"", "> AT+ECMTPUB=0,2,1,0,\"t\",\"x\""}))
      << "the publish awaiting its ack, then the one beyond the limit";
}

TEST(Oracle, RebootsWithoutAReasonLoop) {
  watched w;
  w.boot();
  for (int i = 0; i < 3; ++i) {
    w.line("AT+ECRST", ms(4000));
    w.line("AT+CEREG?", ms(200));
  }
  ASSERT_EQ(w.ids(), ids{"NT35E-SYS-REBOOT-LOOP"}) << w.dump();
  EXPECT_EQ(w.lines(), (ids{"> AT+ECRST", "> AT+ECRST", "> AT+ECRST"})) << "every reboot of the loop";
}

// ---------------------------------------------------------------------------------------
// settings and outputs

TEST(Oracle, ARuleSwitchedOffFindsNothingAndLenientDropsWhatWorksOnTheModule) {
  oracle::config off;
  ASSERT_EQ(oracle::set_rule(off, "NT35E-AT-LOWERCASE=off"), "");
  watched w(off);
  w.boot();
  w.line("at+csq", ms(400));
  EXPECT_EQ(w.ids(), ids{}) << w.dump();

  oracle::config lenient;
  ASSERT_EQ(oracle::set_mode(lenient, "lenient"), "");
  watched l(lenient);
  l.boot();
  l.line("at+csq", ms(400));
  EXPECT_EQ(l.ids(), ids{}) << l.dump();
}

TEST(Oracle, SettingsSpeakToAPerson) {
  oracle::config c;
  EXPECT_EQ(oracle::set_threshold(c, "NT35E-ECMT-NO-RECOVERY.within_s=120"), "");
  EXPECT_EQ(c.value("NT35E-ECMT-NO-RECOVERY", "within_s"), 120);
  EXPECT_NE(oracle::set_threshold(c, "NT35E-ECMT-NO-RECOVERY.within=1").find("within_s"), std::string::npos);
  EXPECT_NE(oracle::set_threshold(c, "NT35E-ECMT-NO-RECOVERY.within_s=-1").find("0 or more"), std::string::npos);
  EXPECT_NE(oracle::set_rule(c, "NT35E-NOPE=off").find("no oracle rule"), std::string::npos);
  EXPECT_NE(oracle::set_rule(c, "NT35E-AT-PAUSE=maybe").find("on or off"), std::string::npos);
  EXPECT_NE(oracle::set_mode(c, "loose").find("strict or lenient"), std::string::npos);
}

TEST(Oracle, AScenarioSetsTheOracleAndAMistakeIsOneSentence) {
  auto good = scenario::load_text(R"({"oracle": {"mode": "lenient", "rules": {"NT35E-AT-PAUSE": "off"},
                                                "set": {"NT35E-ECMT-NO-RECOVERY.within_s": 120}}})",
                                  "good.json");
  ASSERT_TRUE(std::holds_alternative<scenario::scenario>(good)) << scenario::format(std::get<1>(good));
  const auto& o = std::get<scenario::scenario>(good).oracle;
  EXPECT_EQ(o.mode, "lenient");
  EXPECT_EQ(o.rules, std::vector<std::string>{"NT35E-AT-PAUSE=off"});
  EXPECT_EQ(o.thresholds, std::vector<std::string>{"NT35E-ECMT-NO-RECOVERY.within_s=120"});

  auto bad = scenario::load_text(R"({"oracle": {"set": {"NT35E-ECMT-NO-RECOVERY.within": 1}}})", "bad.json");
  ASSERT_FALSE(std::holds_alternative<scenario::scenario>(bad));
  auto text = scenario::format(std::get<1>(bad));
  EXPECT_NE(text.find("bad.json:1:"), std::string::npos) << text;
  EXPECT_NE(text.find("has no threshold \"within\""), std::string::npos) << text;
}

TEST(Oracle, EveryRuleHasItsExplanationInBothLanguages) {
  for (const auto& r : oracle::rules()) {
    const auto* e = explain::find_rule(r.id);
    ASSERT_NE(e, nullptr) << r.id;
    EXPECT_FALSE(e->en.empty());
    EXPECT_FALSE(e->zh.empty());
    EXPECT_TRUE(e->spec.starts_with("§")) << r.id;
  }
  EXPECT_EQ(explain::rule_entries().size(), oracle::rules().size());
}

TEST(Oracle, TheVerdictFailsOnErrorsAndListsCoverage) {
  watched w;
  w.boot();
  w.open("OK");
  w.conn("+ECMTCONN:0,0,0");
  oracle::verdict v;
  v.modems.push_back(oracle::collect(w.verdict(), "nt35e"));
  EXPECT_TRUE(v.failed());
  auto xml = oracle::to_junit(v);
  EXPECT_NE(xml.find("<testcase classname=\"nt35e.oracle.nt35e\" name=\"NT35E-ECMT-CONN-BEFORE-OPEN\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<failure type=\"error\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("§5.4"), std::string::npos) << xml;
  EXPECT_NE(xml.find("not exercised"), std::string::npos) << xml;
  auto json = oracle::to_json(v);
  EXPECT_NE(json.find("\"passed\":false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"rule\":\"NT35E-ECMT-CONN-BEFORE-OPEN\""), std::string::npos) << json;
  v.threshold = oracle::fail_on::never;
  EXPECT_FALSE(v.failed());
}

}  // namespace
}  // namespace nt35e
