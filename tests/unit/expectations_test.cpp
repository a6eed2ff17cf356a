// Expectations in scenarios (issue 15, part 2): the "expect" key read and checked (every
// bad field with its JSON path), written back, and judged by the oracle on the DTE side
// of a session: each kind met, unmet and not triggered, on exchanges written out line by
// line with their times, as the oracle sees them live and in a trace.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oracle/expectations.hpp"
#include "oracle/oracle.hpp"
#include "oracle/verdict.hpp"
#include "scenario/json_loader.hpp"
#include "trace/trace_file.hpp"

namespace nt35e {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

// ---------------------------------------------------------------------------------------
// the format

/// The one diagnostic of loading `text`, formatted without its newline, or "ok".
std::string error(std::string_view text) {
  auto r = scenario::load_text(text, "t.json");
  if (std::holds_alternative<scenario::scenario>(r)) return "ok";
  auto all = scenario::format(std::get<std::vector<scenario::diagnostic>>(r));
  if (!all.empty() && all.back() == '\n') all.pop_back();
  return all;
}

std::vector<scenario::expectation> expect_of(std::string_view list) {
  auto r = scenario::load_text("{\"expect\": " + std::string(list) + "}", "t.json");
  if (auto* bad = std::get_if<std::vector<scenario::diagnostic>>(&r)) {
    ADD_FAILURE() << scenario::format(*bad);
    return {};
  }
  return std::get<scenario::scenario>(r).expect;
}

TEST(ScenarioExpect, EveryKindReadsItsFields) {
  auto x = expect_of(R"([
    {"name": "back after the drop", "kind": "reconnect", "after_loss": 2, "within": "30s",
     "subscribe": ["cmd/#", "cfg/+"], "resubscribe": true},
    {"kind": "reconnect", "after_loss_at": "10s", "within": "1m", "subscribe": "cmd/#"},
    {"kind": "connect", "within": "20s"},
    {"kind": "subscribe", "topic": "cmd/#", "within": "5s"},
    {"kind": "publish", "topic": "tele/+", "every": "60s"},
    {"kind": "never_publish", "topic": "alarm/#", "qos": 0},
    {"kind": "back_off", "at_least": "10s"}])");
  ASSERT_EQ(x.size(), 7u);
  EXPECT_EQ(x[0].name, "back after the drop");
  EXPECT_EQ(x[0].kind, scenario::expect_kind::reconnect);
  EXPECT_EQ(x[0].after_loss, 2);
  EXPECT_EQ(x[0].within, 30s);
  EXPECT_EQ(x[0].subscribe, (std::vector<std::string>{"cmd/#", "cfg/+"}));
  EXPECT_TRUE(x[0].resubscribe);
  EXPECT_EQ(x[1].after_loss, 0);
  EXPECT_EQ(x[1].after_loss_at, 10s);
  EXPECT_EQ(x[1].subscribe, std::vector<std::string>{"cmd/#"});
  EXPECT_EQ(x[2].kind, scenario::expect_kind::connect);
  EXPECT_EQ(x[3].topic, "cmd/#");
  EXPECT_EQ(x[4].every, 60s);
  EXPECT_EQ(x[5].qos, 0);
  EXPECT_EQ(x[6].at_least, 10s);
}

TEST(ScenarioExpect, ScenarioAndExpectationsRoundTrip) {
  auto text = R"({"oracle": {"mode": "lenient", "rules": {"NT35E-AT-PAUSE": "off"},
                             "set": {"NT35E-ECMT-NO-RECOVERY.within_s": 120}},
                  "expect": [{"name": "n", "kind": "reconnect", "after_loss": 1, "within": "30s",
                              "subscribe": ["a/#", "b"], "resubscribe": true},
                             {"kind": "reconnect", "after_loss_at": "1500ms", "within": "2s", "subscribe": "c"},
                             {"kind": "never_publish", "topic": "alarm/#", "qos": 1},
                             {"kind": "publish", "topic": "tele/+", "every": "1m"},
                             {"kind": "connect", "within": "20s"},
                             {"kind": "subscribe", "topic": "x", "within": "5s"},
                             {"kind": "back_off", "at_least": "10s"}]})";
  auto first = std::get<scenario::scenario>(scenario::load_text(text, "t.json"));
  const auto written = scenario::to_json(first);
  ASSERT_TRUE(written.contains("oracle"));
  EXPECT_EQ(written["oracle"], json::parse(R"({"mode": "lenient", "rules": {"NT35E-AT-PAUSE": "off"},
                                              "set": {"NT35E-ECMT-NO-RECOVERY.within_s": 120}})"));
  EXPECT_EQ(written["expect"][1], json::parse(R"({"kind": "reconnect", "after_loss_at": "1500ms", "within": "2s",
                                                 "subscribe": "c"})"));
  auto again = scenario::load_text(written.dump(2), "t.json");
  ASSERT_TRUE(std::holds_alternative<scenario::scenario>(again)) << scenario::format(std::get<1>(again));
  const auto& s = std::get<scenario::scenario>(again);
  EXPECT_EQ(s.expect, first.expect);
  EXPECT_EQ(s.oracle.mode, "lenient");
  EXPECT_EQ(s.oracle.rules, first.oracle.rules);
  EXPECT_EQ(s.oracle.thresholds, first.oracle.thresholds);
  EXPECT_EQ(scenario::to_json(s), written);
  // Without either key, the writer writes an empty "oracle" and "expect" that read back the same.
  auto none = std::get<scenario::scenario>(scenario::load_text("{}", "t.json"));
  EXPECT_EQ(scenario::to_json(none)["oracle"], json::object());
  EXPECT_EQ(scenario::to_json(none)["expect"], json::array());
}

TEST(ScenarioExpect, EveryBadFieldIsOneSentenceAtItsPath) {
  auto e = [](std::string_view entry) { return error("{\"expect\": [" + std::string(entry) + "]}"); };
  EXPECT_EQ(error(R"({"expect": {"kind": "connect"}})"),
            "t.json:1:12: error: /expect: expected an array, got an object");
  EXPECT_EQ(e(R"("connect")"), "t.json:1:13: error: /expect/0: expected an object with a \"kind\", got a string");
  EXPECT_EQ(e(R"({"within": "5s"})"),
            "t.json:1:13: error: /expect/0: missing required key \"kind\" for an expectation (reconnect, connect, "
            "subscribe, publish, never_publish, back_off)");
  EXPECT_EQ(e(R"({"kind": 3})"), "t.json:1:22: error: /expect/0/kind: expected an expectation kind, got a number");
  EXPECT_EQ(e(R"({"kind": "reconect", "within": "5s"})"),
            "t.json:1:22: error: /expect/0/kind: unknown expectation kind \"reconect\"; did you mean \"reconnect\"?");
  EXPECT_EQ(e(R"({"kind": "connect"})"),
            "t.json:1:13: error: /expect/0: missing required key \"within\" for a connect expectation");
  EXPECT_EQ(e(R"({"kind": "connect", "within": "5s", "every": "1s"})"),
            "t.json:1:49: error: /expect/0/every: \"every\" does not apply to a connect expectation (its fields: "
            "within)");
  EXPECT_EQ(e(R"({"kind": "connect", "within": "5s", "colour": 1})"),
            "t.json:1:49: error: /expect/0/colour: unknown key \"colour\"; expected one of: name, kind, within");
  EXPECT_EQ(e(R"({"kind": "connect", "within": 5})"),
            "t.json:1:43: error: /expect/0/within: time 5 has no unit; write \"5ms\" or \"5s\"");
  EXPECT_EQ(e(R"({"kind": "connect", "within": "0s"})"),
            "t.json:1:43: error: /expect/0/within: expected a time above 0");
  EXPECT_EQ(e(R"({"kind": "connect", "within": "5s", "name": 1})"),
            "t.json:1:57: error: /expect/0/name: expected a string, got a number");
  EXPECT_EQ(e(R"({"kind": "reconnect", "after_loss": 0, "within": "5s"})"),
            "t.json:1:49: error: /expect/0/after_loss: expected a whole number of at least 1, got 0");
  EXPECT_EQ(e(R"({"kind": "reconnect", "after_loss": 1, "after_loss_at": "3s", "within": "5s"})"),
            "t.json:1:52: error: /expect/0/after_loss_at: give \"after_loss\" (the Nth link loss) or "
            "\"after_loss_at\" (the first loss at or after a time), not both");
  EXPECT_EQ(e(R"({"kind": "reconnect", "after_loss_at": "-3s", "within": "5s"})"),
            "t.json:1:52: error: /expect/0/after_loss_at: time \"-3s\" is negative");
  EXPECT_EQ(e(R"({"kind": "reconnect", "within": "5s", "subscribe": "cmd/#/x"})"),
            "t.json:1:64: error: /expect/0/subscribe: topic filter \"cmd/#/x\" is invalid: \"#\" must be a whole "
            "level and the last one");
  EXPECT_EQ(e(R"({"kind": "reconnect", "within": "5s", "subscribe": ["a", 2]})"),
            "t.json:1:70: error: /expect/0/subscribe/1: expected a topic filter, got a number");
  EXPECT_EQ(e(R"({"kind": "reconnect", "within": "5s", "subscribe": ["a", "b+"]})"),
            "t.json:1:70: error: /expect/0/subscribe/1: topic filter \"b+\" is invalid: \"+\" must be a whole level");
  EXPECT_EQ(e(R"({"kind": "reconnect", "within": "5s", "subscribe": []})"),
            "t.json:1:64: error: /expect/0/subscribe: expected at least one topic filter, got an empty array");
  EXPECT_EQ(e(R"({"kind": "reconnect", "within": "5s", "subscribe": 7})"),
            "t.json:1:64: error: /expect/0/subscribe: expected a topic filter or a non-empty array of them, got 7");
  EXPECT_EQ(e(R"({"kind": "reconnect", "within": "5s", "resubscribe": "yes"})"),
            "t.json:1:66: error: /expect/0/resubscribe: expected true or false, got a string");
  EXPECT_EQ(e(R"({"kind": "subscribe", "within": "5s"})"),
            "t.json:1:13: error: /expect/0: missing required key \"topic\" for a subscribe expectation");
  EXPECT_EQ(e(R"({"kind": "subscribe", "topic": "", "within": "5s"})"),
            "t.json:1:44: error: /expect/0/topic: expected a topic filter, got an empty string");
  EXPECT_EQ(e(R"({"kind": "publish", "topic": "tele/+"})"),
            "t.json:1:13: error: /expect/0: missing required key \"every\" for a publish expectation");
  EXPECT_EQ(e(R"({"kind": "publish", "topic": "tele/+", "every": "0ms"})"),
            "t.json:1:61: error: /expect/0/every: expected a time above 0");
  EXPECT_EQ(e(R"({"kind": "never_publish", "topic": "alarm/#", "qos": 3})"),
            "t.json:1:66: error: /expect/0/qos: expected a whole number from 0 to 2, got 3");
  EXPECT_EQ(e(R"({"kind": "back_off"})"),
            "t.json:1:13: error: /expect/0: missing required key \"at_least\" for a back_off expectation");
  EXPECT_EQ(e(R"({"kind": "back_off", "at_least": "1d"})"),
            "t.json:1:46: error: /expect/0/at_least: time \"1d\" has an unknown unit \"d\"; use ms, s, m or h");
}

// ---------------------------------------------------------------------------------------
// the trace's header keeps them, so `report --verdict` judges as live did

TEST(TraceHeaderExpect, TheOracleSettingsAndExpectationsRoundTrip) {
  auto world = std::get<scenario::scenario>(scenario::load_text(
      R"({"oracle": {"mode": "lenient", "rules": {"NT35E-AT-PAUSE": "off"}},
          "expect": [{"name": "zurück in 30 s", "kind": "reconnect", "after_loss": 1, "within": "30s",
                      "subscribe": "cmd/#"}]})",
      "t.json"));
  trace::header h;
  h.oracle = world.oracle;
  h.expect = world.expect;
  const auto line = trace::to_jsonl(h);
  EXPECT_EQ(
      line,
      R"({"trace":"nt35e-sim","version":2,"profile":"nt35e","redacted":[],"oracle":{"mode":"lenient","rules":{"NT35E-AT-PAUSE":"off"}},"expect":[{"after_loss":1,"kind":"reconnect","name":"zur\u00fcck in 30 s","subscribe":"cmd/#","within":"30s"}]})"
      "\n")
      << "ASCII, as every line of a trace";
  auto loaded = trace::parse(line, "t.jsonl");
  ASSERT_TRUE(std::holds_alternative<trace::trace>(loaded)) << std::get<trace::load_error>(loaded).message;
  const auto& back = std::get<trace::trace>(loaded).head;
  EXPECT_EQ(back.expect, world.expect);
  EXPECT_EQ(back.oracle.mode, "lenient");
  EXPECT_EQ(back.oracle.rules, world.oracle.rules);
  // Without them the header is as before.
  EXPECT_EQ(trace::to_jsonl(trace::header{}), R"({"trace":"nt35e-sim","version":2,"profile":"nt35e","redacted":[]})"
                                              "\n");
}

TEST(TraceHeaderExpect, ABadExpectationInTheHeaderIsOneSentenceAtLineOne) {
  auto error_of = [](std::string_view text) {
    auto r = trace::parse(text, "t.jsonl");
    return std::holds_alternative<trace::load_error>(r) ? std::get<trace::load_error>(r).message : "ok";
  };
  EXPECT_EQ(error_of(R"({"trace":"nt35e-sim","version":1,"expect":[{"kind":"connect","within":"0s"}]})"),
            "t.jsonl:1: the header's /expect/0/within: expected a time above 0");
  EXPECT_EQ(error_of(R"({"trace":"nt35e-sim","version":1,"oracle":{"mode":"loose"}})"),
            "t.jsonl:1: the header's /oracle/mode: the verdict mode is strict or lenient, not \"loose\"");
  EXPECT_EQ(error_of(R"({"trace":"nt35e-sim","version":1,"expect":{}})"),
            "t.jsonl:1: the header's /expect: expected an array, got an object");
}

// ---------------------------------------------------------------------------------------
// judging: an exchange written out with its times, fed to an oracle

/// A session as the oracle sees it: `dte(t, line)` the driver sends a line (CR added),
/// `mod(t, line)` the module writes one (framed in CR LF); times in seconds.
class session {
 public:
  explicit session(std::string_view expect_json) : judge_({}, origin(), expect_of(expect_json)) { mod(1.0, "ECRDY"); }
  static modem::time_point origin() { return modem::time_point{}; }
  static modem::time_point at(double s) {
    return origin() + std::chrono::microseconds(static_cast<long long>(s * 1e6));
  }
  void dte(double s, std::string_view line) { judge_.on_dte(std::string(line) + "\r", at(s)); }
  void mod(double s, std::string_view line) { judge_.on_module("\r\n" + std::string(line) + "\r\n", at(s)); }
  /// A command answered OK at once (its URC is the caller's).
  void ok(double s, std::string_view line) {
    dte(s, line);
    mod(s + 0.05, "OK");
  }
  /// Open and connect id 0 from `s` on: connected at s + 0.5.
  void connect(double s) {
    ok(s, "AT+ECMTOPEN=0,\"broker.example\",1883");
    mod(s + 0.2, "+ECMTOPEN:0,0");
    ok(s + 0.3, "AT+ECMTCONN=0,\"dev1\"");
    mod(s + 0.5, "+ECMTCONN:0,0,0");
  }
  void subscribe(double s, std::string_view filter, int msg = 1) {
    ok(s, "AT+ECMTSUB=0," + std::to_string(msg) + ",\"" + std::string(filter) + "\",1");
    mod(s + 0.1, "+ECMTSUB:0," + std::to_string(msg) + ",0,1");
  }
  void publish(double s, std::string_view topic, int qos = 0) {
    ok(s, "AT+ECMTPUB=0,0," + std::to_string(qos) + ",0,\"" + std::string(topic) + "\",\"x\"");
  }
  /// The results at `end` seconds.
  std::vector<oracle::expectation_result> at_end(double end) {
    judge_.advance(at(end));
    return judge_.expectation_results();
  }
  oracle::oracle& judge() { return judge_; }

 private:
  oracle::oracle judge_;
};

std::string lines_of(const oracle::expectation_result& r) {
  std::string out;
  for (const auto& l : r.lines) out += (l.from_dte ? "> " : "< ") + l.text + "\n";
  return out;
}

using oracle::outcome;

TEST(OracleExpect, AReconnectAndResubscriptionInTimeIsMet) {
  session s(R"([{"name": "back", "kind": "reconnect", "after_loss": 1, "within": "30s", "subscribe": "cmd/#"}])");
  s.connect(2);
  s.subscribe(3, "cmd/#");
  s.mod(10, "+ECMTSTAT:0,1");
  s.mod(11, "+ECMTCONN:0,0,0");  // the module's own reconnect
  s.subscribe(12, "cmd/#", 2);
  auto r = s.at_end(60);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].name, "back");
  EXPECT_EQ(r[0].result, outcome::met) << r[0].detail;
  EXPECT_EQ(r[0].t_us, 12'050'000) << "when the subscription was accepted";
  EXPECT_EQ(lines_of(r[0]), "< +ECMTSTAT:0,1\n< +ECMTCONN:0,0,0\n> AT+ECMTSUB=0,2,\"cmd/#\",1\n");
}

TEST(OracleExpect, NoResubscriptionWithinTheTimeIsUnmetAtTheDeadline) {
  session s(R"([{"kind": "reconnect", "after_loss": 1, "within": "30s", "subscribe": "cmd/#"}])");
  s.connect(2);
  s.subscribe(3, "cmd/#");
  s.mod(10, "+ECMTSTAT:0,1");
  s.mod(11, "+ECMTCONN:0,0,0");
  s.subscribe(45, "cmd/#", 2);  // too late
  auto r = s.at_end(60);
  EXPECT_EQ(r[0].result, outcome::unmet);
  EXPECT_EQ(r[0].t_us, 40'000'000) << "the deadline: the loss + 30 s";
  EXPECT_EQ(r[0].detail, "id 0 was back, but cmd/# was not subscribed again within 30 s of the loss");
  EXPECT_EQ(lines_of(r[0]), "< +ECMTSTAT:0,1\n< +ECMTCONN:0,0,0\n");
  EXPECT_EQ(r[0].name, r[0].asks) << "without a name, what it asks";
  EXPECT_EQ(r[0].asks,
            "after the first link loss (+ECMTSTAT), the link is connected again (+ECMTCONN:<id>,0,0) and subscribed "
            "to cmd/# again within 30 s");
}

TEST(OracleExpect, NotConnectedAgainIsUnmet) {
  session s(R"([{"kind": "reconnect", "within": "30s"}])");
  s.connect(2);
  s.mod(10, "+ECMTSTAT:0,1");
  auto r = s.at_end(100);
  EXPECT_EQ(r[0].result, outcome::unmet);
  EXPECT_EQ(r[0].detail, "id 0 was not connected again within 30 s of the loss");
  EXPECT_EQ(r[0].t_us, 40'000'000);
}

TEST(OracleExpect, WithoutALinkLossAReconnectIsNotTriggered) {
  session s(R"([{"kind": "reconnect", "within": "30s"}, {"kind": "reconnect", "after_loss": 2, "within": "30s"}])");
  s.connect(2);
  s.mod(10, "+ECMTSTAT:0,1");
  s.mod(11, "+ECMTCONN:0,0,0");
  auto r = s.at_end(100);
  EXPECT_EQ(r[0].result, outcome::met) << "after every loss: the one loss healed";
  EXPECT_EQ(r[0].detail, "1 link loss, each followed in time");
  EXPECT_EQ(r[1].result, outcome::not_triggered);
  EXPECT_EQ(r[1].detail, "the session saw 1 link loss (+ECMTSTAT), not the one it waits for");
}

TEST(OracleExpect, TheSessionEndingBeforeTheDeadlineDecidesNothing) {
  session s(R"([{"kind": "reconnect", "after_loss_at": "5s", "within": "30s"}])");
  s.connect(2);
  s.mod(10, "+ECMTSTAT:0,1");
  auto r = s.at_end(15);
  EXPECT_EQ(r[0].result, outcome::not_triggered);
  EXPECT_EQ(r[0].detail, "the link loss came; the session ended 5 s after it, before the 30 s allowed");
}

TEST(OracleExpect, AfterLossAtWaitsForTheFirstLossAtOrAfterItsTime) {
  session s(R"([{"kind": "reconnect", "after_loss_at": "20s", "within": "5s"}])");
  s.connect(2);
  s.mod(10, "+ECMTSTAT:0,1");  // before 20 s: not this one, and it never heals
  s.ok(12, "AT+ECMTCLOSE=0");
  s.mod(12.2, "+ECMTCLOSE:0,0");
  s.connect(18);
  s.mod(25, "+ECMTSTAT:0,1");
  s.mod(27, "+ECMTCONN:0,0,0");
  auto r = s.at_end(60);
  EXPECT_EQ(r[0].result, outcome::met) << r[0].detail;
  EXPECT_EQ(lines_of(r[0]), "< +ECMTSTAT:0,1\n< +ECMTCONN:0,0,0\n");
  EXPECT_EQ(r[0].lines[0].t_us, 25'000'000);
}

TEST(OracleExpect, ResubscribeAsksForEveryFilterHeldBeforeTheLoss) {
  session s(R"([{"kind": "reconnect", "within": "10s", "resubscribe": true}])");
  s.connect(2);
  s.subscribe(3, "cmd/#", 1);
  s.subscribe(4, "cfg/+", 2);
  s.subscribe(5, "old", 3);
  s.ok(6, "AT+ECMTUNS=0,4,\"old\"");
  s.mod(10, "+ECMTSTAT:0,1");
  s.mod(11, "+ECMTCONN:0,0,0");
  s.subscribe(12, "cmd/#", 5);
  auto r = s.at_end(60);
  EXPECT_EQ(r[0].result, outcome::unmet);
  EXPECT_EQ(r[0].detail, "id 0 was back, but cfg/+ was not subscribed again within 10 s of the loss");
}

TEST(OracleExpect, ResubscribeIsNotAskedOfAKeptSession) {
  session s(R"([{"kind": "reconnect", "within": "10s", "resubscribe": true}])");
  s.ok(1.5, "AT+ECMTCFG=\"session\",0,0");
  s.connect(2);
  s.subscribe(3, "cmd/#");
  s.mod(10, "+ECMTSTAT:0,1");
  s.mod(11, "+ECMTCONN:0,0,0");
  auto r = s.at_end(60);
  EXPECT_EQ(r[0].result, outcome::met) << "the broker keeps the subscriptions of a session that is not clean";
}

TEST(OracleExpect, ConnectInTimeMetTooSlowUnmetNeverOpenedNotTriggered) {
  session met(R"([{"kind": "connect", "within": "10s"}])");
  met.connect(2);
  auto r = met.at_end(30);
  EXPECT_EQ(r[0].result, outcome::met);
  EXPECT_EQ(r[0].detail, "connected 500 ms after the first AT+ECMTOPEN");
  EXPECT_EQ(lines_of(r[0]), "> AT+ECMTOPEN=0,\"broker.example\",1883\n< +ECMTCONN:0,0,0\n");

  session unmet(R"([{"kind": "connect", "within": "10s"}])");
  unmet.ok(2, "AT+ECMTOPEN=0,\"broker.example\",1883");
  unmet.mod(2.2, "+ECMTOPEN:0,0");
  unmet.ok(2.3, "AT+ECMTCLOSE=0");  // gives up and never connects
  r = unmet.at_end(30);
  EXPECT_EQ(r[0].result, outcome::unmet);
  EXPECT_EQ(r[0].t_us, 12'000'000);
  EXPECT_EQ(r[0].detail, "no +ECMTCONN:<id>,0,0 within 10 s of the first AT+ECMTOPEN");

  session idle(R"([{"kind": "connect", "within": "10s"}])");
  r = idle.at_end(30);
  EXPECT_EQ(r[0].result, outcome::not_triggered);
  EXPECT_EQ(r[0].detail, "the driver never opened a link (AT+ECMTOPEN)");
}

TEST(OracleExpect, SubscribeAfterTheFirstConnect) {
  session met(R"([{"kind": "subscribe", "topic": "cmd/#", "within": "5s"}])");
  met.connect(2);
  met.subscribe(3, "other");
  met.subscribe(4, "cmd/#", 2);
  auto r = met.at_end(30);
  EXPECT_EQ(r[0].result, outcome::met);
  EXPECT_EQ(lines_of(r[0]), "< +ECMTCONN:0,0,0\n> AT+ECMTSUB=0,2,\"cmd/#\",1\n");

  session unmet(R"([{"kind": "subscribe", "topic": "cmd/#", "within": "5s"}])");
  unmet.connect(2);
  unmet.dte(3, "AT+ECMTSUB=0,1,\"cmd/#\",1");
  unmet.mod(3.05, "+CME ERROR: 3");  // refused: not a subscription
  r = unmet.at_end(30);
  EXPECT_EQ(r[0].result, outcome::unmet);
  EXPECT_EQ(r[0].t_us, 7'500'000);
  EXPECT_EQ(r[0].detail, "cmd/# was not subscribed within 5 s of the first connect");

  session idle(R"([{"kind": "subscribe", "topic": "cmd/#", "within": "5s"}])");
  r = idle.at_end(30);
  EXPECT_EQ(r[0].result, outcome::not_triggered);
  EXPECT_EQ(r[0].detail, "the link was never connected");
}

TEST(OracleExpect, PublishEveryPeriodOfConnectedTime) {
  session met(R"([{"kind": "publish", "topic": "tele/+", "every": "10s"}])");
  met.connect(2);  // connected at 2.5
  met.publish(5, "tele/dev1");
  met.publish(9, "other/dev1");  // not the filter
  met.publish(14, "tele/dev1");
  met.mod(20, "+ECMTSTAT:0,1");    // disconnected time does not count...
  met.mod(40, "+ECMTCONN:0,0,0");  // ...and the count starts again at the connect
  met.publish(49, "tele/dev2");
  auto r = met.at_end(55);
  EXPECT_EQ(r[0].result, outcome::met) << r[0].detail;
  EXPECT_EQ(r[0].detail, "3 publishes to tele/+ in 32.5 s of connected time, none late");
  EXPECT_EQ(lines_of(r[0]), "> AT+ECMTPUB=0,0,0,0,\"tele/dev2\",\"x\"\n");

  session late(R"([{"kind": "publish", "topic": "tele/+", "every": "10s"}])");
  late.connect(2);
  late.publish(5, "tele/dev1");
  late.publish(16, "tele/dev1");
  r = late.at_end(30);
  EXPECT_EQ(r[0].result, outcome::unmet);
  EXPECT_EQ(r[0].t_us, 15'000'000) << "10 s of connected time after the publish at 5 s";
  EXPECT_EQ(r[0].detail, "no publish to tele/+ for 10 s of connected time after the one at 5 s");

  session refused(R"([{"kind": "publish", "topic": "tele/+", "every": "10s"}])");
  refused.connect(2);
  refused.dte(5, "AT+ECMTPUB=0,0,0,0,\"tele/dev1\",\"x\"");
  refused.mod(5.05, "ERROR");  // not published
  r = refused.at_end(30);
  EXPECT_EQ(r[0].result, outcome::unmet);
  EXPECT_EQ(r[0].t_us, 12'500'000) << "10 s after the connect";

  session brief(R"([{"kind": "publish", "topic": "tele/+", "every": "10s"}])");
  brief.connect(2);
  r = brief.at_end(8);
  EXPECT_EQ(r[0].result, outcome::not_triggered);
  EXPECT_EQ(r[0].detail, "connected for 5.5 s in all, less than one period");
}

TEST(OracleExpect, ADataModePublishCancelledWithEscIsNoPublish) {
  session s(R"([{"kind": "publish", "topic": "tele/+", "every": "10s"}])");
  s.connect(2);
  s.dte(5, "AT+ECMTPUB=0,0,0,0,\"tele/dev1\"");
  s.mod(5.05, ">");
  s.judge().on_dte("abc\x1B", session::at(5.1));
  s.mod(5.15, "OK");
  auto r = s.at_end(30);
  EXPECT_EQ(r[0].result, outcome::unmet);
  EXPECT_EQ(r[0].t_us, 12'500'000);
}

TEST(OracleExpect, NeverPublishToAFilterOptionallyWithAQos) {
  session s(
      R"([{"kind": "never_publish", "topic": "alarm/#", "qos": 0}, {"kind": "never_publish", "topic": "debug/#"}])");
  s.connect(2);
  s.publish(3, "alarm/fire", 1);  // QoS 1: allowed by the first
  s.publish(4, "tele/x");
  auto r = s.at_end(10);
  EXPECT_EQ(r[0].result, outcome::met);
  EXPECT_EQ(r[0].detail, "the driver never published to alarm/# with QoS 0 (1 publish to it with another QoS)");
  EXPECT_EQ(lines_of(r[0]), "> AT+ECMTPUB=0,0,1,0,\"alarm/fire\",\"x\"\n") << "the proof that it kept to it";
  EXPECT_EQ(r[1].result, outcome::met);
  EXPECT_EQ(r[1].detail, "the driver never published to debug/#");
  EXPECT_TRUE(r[1].lines.empty());
  s.publish(11, "alarm/fire", 0);
  s.publish(12, "debug/a/b", 2);
  r = s.at_end(20);
  EXPECT_EQ(r[0].result, outcome::unmet);
  EXPECT_EQ(r[0].t_us, 11'000'000);
  EXPECT_EQ(r[0].detail, "the driver published to alarm/fire with QoS 0");
  EXPECT_EQ(lines_of(r[0]), "> AT+ECMTPUB=0,0,0,0,\"alarm/fire\",\"x\"\n");
  EXPECT_EQ(r[0].asks, "never publishes to alarm/# with QoS 0");
  EXPECT_EQ(r[1].result, outcome::unmet);
}

TEST(OracleExpect, BackOffAfterARefusedConnect) {
  auto refused = [](session& s, double t) {
    s.ok(t, "AT+ECMTCONN=0,\"dev1\",\"device\",\"wrong\"");
    s.mod(t + 0.3, "+ECMTCONN:0,0,5");
  };
  session met(R"([{"kind": "back_off", "at_least": "10s"}])");
  met.ok(2, "AT+ECMTOPEN=0,\"broker.example\",1883");
  met.mod(2.2, "+ECMTOPEN:0,0");
  refused(met, 3);
  met.ok(4, "AT+ECMTCONN=0,\"dev1\",\"device\",\"right-password\"");  // other credentials: no retry
  met.mod(4.3, "+ECMTCONN:0,0,0");
  auto r = met.at_end(30);
  EXPECT_EQ(r[0].result, outcome::met) << r[0].detail;

  session storm(R"([{"kind": "back_off", "at_least": "10s"}])");
  storm.ok(2, "AT+ECMTOPEN=0,\"broker.example\",1883");
  storm.mod(2.2, "+ECMTOPEN:0,0");
  refused(storm, 3);
  refused(storm, 15);  // 11.7 s later: fine
  refused(storm, 17);  // 1.7 s later: too soon
  r = storm.at_end(30);
  EXPECT_EQ(r[0].result, outcome::unmet);
  EXPECT_EQ(r[0].t_us, 17'000'000);
  EXPECT_EQ(r[0].detail, "the same AT+ECMTCONN came 1.7 s after the refusal; at least 10 s was asked");
  EXPECT_EQ(lines_of(r[0]), "< +ECMTCONN:0,0,5\n> AT+ECMTCONN=0,\"dev1\",\"device\",\"*****\"\n");

  session never(R"([{"kind": "back_off", "at_least": "10s"}])");
  never.connect(2);
  r = never.at_end(30);
  EXPECT_EQ(r[0].result, outcome::not_triggered);
  EXPECT_EQ(r[0].detail, "no CONNECT was refused");
}

TEST(OracleExpect, AnUnmetExpectationFailsTheVerdictInJunitAndJson) {
  session s(R"([{"name": "alarms stay QoS 1", "kind": "never_publish", "topic": "alarm/#", "qos": 0},
                {"name": "back after a loss", "kind": "reconnect", "within": "5s"},
                {"name": "telemetry", "kind": "publish", "topic": "tele/+", "every": "10s"}])");
  s.connect(2);
  s.publish(3, "alarm/fire", 0);
  s.publish(4, "tele/a");
  s.judge().advance(session::at(8));
  oracle::verdict v;
  v.modems.push_back(oracle::collect(s.judge(), "nt35e"));
  EXPECT_TRUE(v.failed()) << "no finding, but an unmet expectation";
  EXPECT_EQ(v.unmet(), 1u);
  v.threshold = oracle::fail_on::never;
  EXPECT_FALSE(v.failed());
  v.threshold = oracle::fail_on::error;

  const auto junit = oracle::to_junit(v);
  EXPECT_NE(junit.find("<testcase classname=\"nt35e.expect.nt35e\" name=\"alarms stay QoS 1\" time=\"0\">\n"
                       "      <failure type=\"expectation\" message=\"3.000 s: the driver published to alarm/fire with "
                       "QoS 0\">"),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find("name=\"back after a loss\" time=\"0\">\n      <skipped message=\"not triggered: the session "
                       "saw 0 link losses (+ECMTSTAT), not the one it waits for\"/>"),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find("name=\"telemetry\" time=\"0\">\n      <system-out>expectation &quot;telemetry&quot; met"),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find("<testsuite name=\"nt35e\" tests=\"23\" failures=\"1\""), std::string::npos)
      << "20 rules and 3 expectations\n"
      << junit;

  const auto j = json::parse(oracle::to_json(v));
  EXPECT_EQ(j["passed"], false);
  EXPECT_EQ(j["unmet"], 1);
  const auto& e = j["modems"][0]["expectations"];
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0], json::parse(R"({"name": "alarms stay QoS 1", "kind": "never_publish",
                                  "asks": "never publishes to alarm/# with QoS 0", "result": "unmet", "t": 3.000,
                                  "detail": "the driver published to alarm/fire with QoS 0",
                                  "lines": [{"t": 3.000, "dir": "dte>mod",
                                             "text": "AT+ECMTPUB=0,0,0,0,\"alarm/fire\",\"x\""}]})"));
  EXPECT_EQ(e[1]["result"], "not_triggered");
  EXPECT_EQ(e[2]["result"], "met");
  EXPECT_EQ(oracle::describe(oracle::collect(s.judge(), "nt35e").expectations[0]),
            "expectation \"alarms stay QoS 1\" unmet at 3.000 s: the driver published to alarm/fire with QoS 0\n"
            "  asks: never publishes to alarm/# with QoS 0\n"
            "  3.000 s DTE> AT+ECMTPUB=0,0,0,0,\"alarm/fire\",\"x\"\n");
}

TEST(OracleExpect, WithoutExpectationsTheVerdictHasNone) {
  oracle::oracle o;
  o.advance(session::at(5));
  EXPECT_TRUE(o.expectation_results().empty());
  oracle::verdict v;
  v.modems.push_back(oracle::collect(o, "nt35e"));
  EXPECT_FALSE(v.failed());
  EXPECT_EQ(json::parse(oracle::to_json(v))["modems"][0]["expectations"], json::array());
}

}  // namespace
}  // namespace nt35e
