// Unit tests of the control channel's dispatch (control/dispatch): every request of the
// protocol answered for fake modems, one modem or a fleet, through the same asynchronous
// path the server uses, but without a socket. The answers are compared byte for byte:
// tools/nt35e-ctl and users' scripts read them.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "control/dispatch.hpp"
#include "scenario/fleet_choice.hpp"
#include "scenario/json_loader.hpp"

namespace nt35e::control {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

/// What a fake modem was asked to do, and what it shows.
struct fake_modem {
  modem::snapshot snap;
  std::vector<std::string> fired;  ///< scenario::to_json of each action, in order
};

modem::snapshot sample_snapshot() {
  modem::snapshot s;
  s.profile = "nt35e";
  s.uptime_s = 12.5;
  s.registration = 1;
  s.pdp_active = true;
  s.rssi = 20;
  s.ecmt.push_back(modem::ecmt_snapshot{0, "CONNECTED", "test.mosquitto.org", 1883, {{"t", 1}}});
  s.ecmt.push_back(modem::ecmt_snapshot{1, "OPENED", "h", 1884, {}});
  s.count.commands = 3;
  s.count.errors = 1;
  s.count.urcs = 2;
  return s;
}

const std::string sample_counters =
    R"({"commands":3,"errors":1,"urcs":2,"bytes_in":0,"bytes_out":0,"mqtt_requests":0,"mqtt_events":0,)"
    R"("publishes":0,"publishes_refused":0,"messages":0,"reconnects":0,"faults":0,"lines_too_long":0,"input_overflows":0,)"
    R"("output_dropped_bytes":0})";

const std::string sample_state =
    R"("profile":"nt35e","uptime_s":12.5,"booting":false,"cfun":1,"registration":1,"sim":true,"pdp_active":true,)"
    R"("rssi":20,"ecmt":[{"id":0,"state":"CONNECTED","host":"test.mosquitto.org","port":1883,)"
    R"("subscriptions":[{"topic":"t","qos":1}]},{"id":1,"state":"OPENED","host":"h","port":1884,)"
    R"("subscriptions":[]}],"counters":)" +
    sample_counters;

const std::string no_latency =
    R"({"count":0,"p50_ms":0.0,"p90_ms":0.0,"p99_ms":0.0,"max_ms":0.0,"min_ms":0.0,"mean_ms":0.0})";

/// A channel driving `n` fake modems, each on its own strand of one io_context.
class channel {
 public:
  explicit channel(std::size_t n, bool fleet = false, int max_id = 4) {
    auto f = std::make_shared<fleet_target>();
    f->fleet = fleet;
    f->offset = 100;
    f->threads = 2;
    for (std::size_t i = 0; i < n; ++i) {
      modems_.push_back(std::make_unique<fake_modem>());
      auto* m = modems_.back().get();
      m->snap = sample_snapshot();
      target t;
      t.snapshot = [m] { return m->snap; };
      t.fire = [m](const scenario::action& a) { m->fired.push_back(scenario::to_json(a).dump()); };
      t.max_id = max_id;
      f->modems.push_back(modem_entry{net::make_strand(ioc_), std::move(t), 100 + i,
                                      "86612304567890" + std::to_string(i),
                                      "tcp 127.0.0.1:" + std::to_string(5000 + i)});
    }
    target_ = std::move(f);
  }

  /// Gives modem `i` a metrics function: one AT command timed at 2 ms, attached, connected.
  void add_metrics(std::size_t i) {
    auto* m = modems_[i].get();
    const_cast<fleet_target&>(*target_).modems[i].t.metrics = [m] {
      metrics::modem_metrics mm;
      mm.counters = m->snap.count;
      mm.at_command.record(2ms);
      mm.attached = 1;
      mm.connected = 1;
      mm.uptime_s = m->snap.uptime_s;
      return mm;
    };
  }

  /// Gives modem `i` an oracle's verdict: named "modem i", with one finding when `broken`.
  void add_verdict(std::size_t i, bool broken) {
    const_cast<fleet_target&>(*target_).modems[i].t.verdict = [i, broken] {
      oracle::verdict v;
      oracle::modem_verdict m;
      m.name = "modem " + std::to_string(i);
      if (broken) {
        oracle::finding f;
        f.rule = "NT35E-ECMT-CONN-BEFORE-OPEN";
        f.spec = "§5.4, §5.10";
        f.t_us = 5'540'000;
        f.detail = "+ECMTOPEN:0,0 had not come yet";
        f.lines.push_back({5'540'000, true, "AT+ECMTCONN=0"});
        m.findings.push_back(f);
      }
      m.coverage.push_back({"NT35E-ECMT-CONN-BEFORE-OPEN", true, broken, broken ? 1u : 0u});
      v.modems.push_back(m);
      return v;
    };
  }

  /// Takes the modem's functions away, as for a modem that is not running.
  void stop_modem(std::size_t i) {
    auto& t = const_cast<fleet_target&>(*target_).modems[i].t;
    t.fire = nullptr;
    t.snapshot = nullptr;
    t.metrics = nullptr;
  }

  /// The answer to one request line, once every handler it started has run.
  std::string ask(std::string_view line, io::logger* log = nullptr) {
    std::optional<std::string> answer;
    handle_request_async(line, target_, ioc_.get_executor(), log, "client test", stop_,
                         [&answer](std::string a) { answer = std::move(a); });
    EXPECT_FALSE(answer) << "the answer must come later, not from inside the call";
    ioc_.restart();
    ioc_.run();
    return answer.value_or("<no answer>");
  }

  fake_modem& modem(std::size_t i) { return *modems_[i]; }
  const std::shared_ptr<const fleet_target>& target_ptr() const { return target_; }
  std::shared_ptr<std::atomic<bool>>& stop_flag() { return stop_; }
  net::io_context& ioc() { return ioc_; }

 private:
  net::io_context ioc_;
  std::vector<std::unique_ptr<fake_modem>> modems_;
  std::shared_ptr<const fleet_target> target_;
  std::shared_ptr<std::atomic<bool>> stop_ = std::make_shared<std::atomic<bool>>(false);
};

std::string refusal(const std::string& sentence) {
  return R"({"ok":false,"error":)" + nlohmann::json(sentence).dump() + "}";
}

// ---------------------------------------------------------------------------
// One modem: the requests that work

TEST(ControlDispatch, QueryVerdictIsTheVerdictJsonSoFar) {
  channel c(1);
  EXPECT_EQ(c.ask(R"({"query": "verdict"})"),
            refusal("no oracle watches the driver of modem 0, so there is no verdict"));
  c.add_verdict(0, true);
  const auto v = const_cast<fleet_target&>(*c.target_ptr()).modems[0].t.verdict();
  // The --verdict-json file's object, after "ok".
  nlohmann::ordered_json expected = {{"ok", true}};
  const auto written = nlohmann::ordered_json::parse(oracle::to_json(v));
  for (const auto& [key, value] : written.items()) expected[key] = value;
  EXPECT_EQ(c.ask(R"({"query": "verdict"})"), expected.dump());
  const auto answer = nlohmann::json::parse(c.ask(R"({"query": "verdict"})"));
  EXPECT_EQ(answer["passed"], false);
  EXPECT_EQ(answer["errors"], 1);
  ASSERT_EQ(answer["modems"].size(), 1u);
  EXPECT_EQ(answer["modems"][0]["findings"][0]["rule"], "NT35E-ECMT-CONN-BEFORE-OPEN");
  EXPECT_EQ(answer["modems"][0]["findings"][0]["lines"][0]["text"], "AT+ECMTCONN=0");
}

TEST(ControlDispatch, FireAnObjectOrANameFiresOnTheModem) {
  channel c(1);
  EXPECT_EQ(c.ask(R"({"fire": {"action": "drop_link", "id": 0}})"),
            R"({"ok":true,"fired":{"action":"drop_link","id":0}})");
  EXPECT_EQ(c.ask(R"({"fire": "reboot"})"), R"({"ok":true,"fired":{"action":"reboot"}})");
  EXPECT_EQ(c.ask(R"({"modem": 0, "fire": {"action": "inject_urc", "text": "+X:1"}})"),
            R"({"ok":true,"modem":0,"fired":{"action":"inject_urc","text":"+X:1"}})");
  EXPECT_EQ(c.modem(0).fired, (std::vector<std::string>{R"({"action":"drop_link","id":0})", R"({"action":"reboot"})",
                                                        R"({"action":"inject_urc","text":"+X:1"})"}));
}

TEST(ControlDispatch, DeliverIsTheDeliverAction) {
  channel c(1);
  EXPECT_EQ(c.ask(R"({"deliver": {"id": 0, "topic": "t", "payload": "p", "qos": 1}})"),
            R"({"ok":true,"fired":{"action":"deliver","id":0,"payload":"p","qos":1,"retain":false,"topic":"t"}})");
  EXPECT_EQ(c.ask(R"({"deliver": {"action": "deliver", "id": 1, "topic": "u", "payload": ""}})"),
            R"({"ok":true,"fired":{"action":"deliver","id":1,"payload":"","qos":0,"retain":false,"topic":"u"}})");
  EXPECT_EQ(c.modem(0).fired.size(), 2u);
}

TEST(ControlDispatch, NetworkFiresAListInAFixedOrder) {
  channel c(1);
  EXPECT_EQ(c.ask(R"({"network": {"registration": "denied"}})"),
            R"({"ok":true,"fired":[{"action":"lose_registration","stat":3}]})");
  EXPECT_EQ(c.ask(R"({"network": {"registration": "searching"}})"),
            R"({"ok":true,"fired":[{"action":"lose_registration","stat":2}]})");
  EXPECT_EQ(c.ask(R"({"network": {"registration": "none"}})"),
            R"({"ok":true,"fired":[{"action":"lose_registration","stat":0}]})");
  EXPECT_EQ(c.ask(R"({"network": {"registration": 3}})"),
            R"({"ok":true,"fired":[{"action":"lose_registration","stat":3}]})");
  EXPECT_EQ(c.ask(R"({"network": {"registration": "home", "by": "500ms"}})"),
            R"({"ok":true,"fired":[{"action":"regain_registration","by":"500ms"}]})");
  EXPECT_EQ(c.ask(R"({"network": {"registration": "registered"}})"),
            R"({"ok":true,"fired":[{"action":"regain_registration","by":"0s"}]})");
  EXPECT_EQ(c.ask(R"({"network": {"rssi": 10, "ber": 0}})"),
            R"({"ok":true,"fired":[{"action":"set_signal","ber":0,"rssi":10}]})");
  EXPECT_EQ(c.ask(R"({"network": {"sim": false}})"), R"({"ok":true,"fired":[{"action":"remove_sim"}]})");
  // Several at once: the SIM first, then the registration, then the signal.
  EXPECT_EQ(c.ask(R"({"network": {"rsrp": 40, "registration": "home", "sim": true}})"),
            R"({"ok":true,"fired":[{"action":"insert_sim"},{"action":"regain_registration","by":"0s"},)"
            R"({"action":"set_signal","rsrp":40}]})");
  EXPECT_EQ(c.modem(0).fired.size(), 11u);
}

TEST(ControlDispatch, QueriesStateAndMetrics) {
  channel c(1);
  EXPECT_EQ(c.ask(R"({"query": "state"})"), R"({"ok":true,)" + sample_state + "}");
  EXPECT_EQ(c.ask(R"({"modem": 0, "query": "state"})"), R"({"ok":true,)" + sample_state + R"(,"modem":0})");
  // Without line metrics: the snapshot's counters, no latency.
  EXPECT_EQ(c.ask(R"({"query": "metrics"})"),
            R"({"ok":true,"modems":1,"uptime_s":12.5,"attached":0,"connected":1,"counters":)" + sample_counters +
                R"(,"latency":{"at_command":)" + no_latency + R"(,"connect":)" + no_latency + R"(},"unmatched":0})");
  c.add_metrics(0);
  EXPECT_EQ(c.ask(R"({"query": "metrics"})"),
            R"({"ok":true,"modems":1,"uptime_s":12.5,"attached":1,"connected":1,"counters":)" + sample_counters +
                R"(,"latency":{"at_command":{"count":1,"p50_ms":2.0,"p90_ms":2.0,"p99_ms":2.0,"max_ms":2.0,)"
                R"("min_ms":2.0,"mean_ms":2.0},"connect":)" +
                no_latency + R"(},"unmatched":0})");
  EXPECT_TRUE(c.modem(0).fired.empty());
}

TEST(ControlDispatch, HelpListsTheRequestsActionsAndRegistrations) {
  channel c(1);
  auto help = nlohmann::json::parse(c.ask(R"({"query": "help"})"));
  ASSERT_TRUE(help.is_object());
  std::vector<std::string> keys;
  for (auto it = help.begin(); it != help.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(help["ok"], true);
  ASSERT_EQ(help["requests"].size(), 11u) << help.dump();
  EXPECT_EQ(help["requests"][0]["request"], R"({"fire": {"action": "drop_link", "id": 0}})");
  EXPECT_EQ(help["requests"][8]["request"], R"({"query": "verdict"})");
  EXPECT_EQ(help["requests"][9]["request"], R"({"query": "help"})");
  EXPECT_EQ(help["actions"], nlohmann::json(scenario::action_names()));
  EXPECT_EQ(help["registration"], nlohmann::json::parse(R"(["home","searching","denied","none"])"));
  // The keys in the order written ("ok" first).
  const std::string text = c.ask(R"({"query": "help"})");
  EXPECT_EQ(text.rfind(R"({"ok":true,"requests":[{"request":"{\"fire\": {\"action\": \"drop_link\", \"id\": 0}}",)"
                       R"("does":"carries out one action now, as a scenario rule would;)",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find(R"(],"actions":["replace_response",)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(,"registration":["home","searching","denied","none"]})"), std::string::npos) << text;
}

TEST(ControlDispatch, BlankFieldsOfARequestAreFine) {
  channel c(1);
  // Whitespace and a trailing "\r" are the server's business; the dispatcher parses JSON.
  EXPECT_EQ(c.ask("  {\"query\" : \"metrics\" }  "), c.ask(R"({"query":"metrics"})"));
}

// ---------------------------------------------------------------------------
// One modem: bad input

TEST(ControlDispatch, BrokenJsonIsRefusedWithTheByte) {
  channel c(1);
  const std::string tail = R"(; send one JSON object per line, such as {"query":"help"})";
  EXPECT_EQ(c.ask("hello"), refusal("the request is not valid JSON (syntax error at byte 1)" + tail));
  EXPECT_EQ(c.ask(R"({"fire": )"), refusal("the request is not valid JSON (syntax error at byte 10)" + tail));
  EXPECT_EQ(c.ask(std::string("\x00\xff\xfe{\x01", 5)),
            refusal("the request is not valid JSON (syntax error at byte 1)" + tail));
  EXPECT_EQ(c.ask(""), refusal("the request is not valid JSON (syntax error at byte 1)" + tail));
  EXPECT_EQ(c.ask(std::string(100, '[') + std::string(100, ']')),
            refusal("the request is nested more than 32 levels deep"));
  // Not "internal error ... [json.exception.out_of_range.406]" (reliability, issue 13).
  EXPECT_EQ(c.ask(R"({"fire": {"action": "drop_link", "id": 1e99999}})"),
            refusal("the number in \"id\" is out of range (beyond a 64-bit floating-point number); send a number "
                    "the field accepts"));
  EXPECT_TRUE(c.modem(0).fired.empty());
}

TEST(ControlDispatch, NotAnObjectOrNotOneRequest) {
  channel c(1);
  EXPECT_EQ(c.ask("[1, 2]"), refusal(R"(the request must be a JSON object such as {"query":"state"}, not an array)"));
  EXPECT_EQ(c.ask("42"), refusal(R"(the request must be a JSON object such as {"query":"state"}, not a number)"));
  EXPECT_EQ(c.ask(R"("state")"),
            refusal(R"(the request must be a JSON object such as {"query":"state"}, not a string)"));
  EXPECT_EQ(c.ask("null"), refusal(R"(the request must be a JSON object such as {"query":"state"}, not null)"));
  EXPECT_EQ(c.ask("{}"), refusal("the request is an empty object; use one of fire, deliver, network or query"));
  EXPECT_EQ(c.ask(R"({"fire": {"action": "drop_link"}, "query": "state"})"),
            refusal(R"(one request per line, but this one has "fire" or "query"; send them on separate lines)"));
  EXPECT_EQ(c.ask(R"({"a": 1, "b": 2, "c": 3})"),
            refusal(R"(one request per line, but this one has "a", "b" or "c"; send them on separate lines)"));
}

TEST(ControlDispatch, UnknownRequestGetsADidYouMean) {
  channel c(1);
  EXPECT_EQ(c.ask(R"({"fier": {"action": "drop_link"}})"),
            refusal(R"(unknown request "fier" (did you mean "fire"?); use one of fire, deliver, network or query)"));
  EXPECT_EQ(c.ask(R"({"QUERY": "state"})"),
            refusal(R"(unknown request "QUERY" (did you mean "query"?); use one of fire, deliver, network or query)"));
  EXPECT_EQ(c.ask(R"({"explode": 1})"),
            refusal(R"(unknown request "explode"; use one of fire, deliver, network or query)"));
  EXPECT_EQ(c.ask(R"({"fleet": {"fire": "reboot"}})"),
            refusal(R"("fleet" requests need a fleet; start the simulator with --fleet N)"));
}

TEST(ControlDispatch, QueryMistakes) {
  channel c(1);
  EXPECT_EQ(c.ask(R"({"query": "everything"})"),
            refusal(R"(unknown query "everything"; use state, metrics, verdict or help)"));
  EXPECT_EQ(c.ask(R"({"query": "stat"})"),
            refusal(R"(unknown query "stat" (did you mean "state"?); use state, metrics, verdict or help)"));
  EXPECT_EQ(c.ask(R"({"query": "fleet"})"), refusal(R"(unknown query "fleet"; use state, metrics, verdict or help)"));
  EXPECT_EQ(c.ask(R"({"query": 5})"), refusal(R"("query" expects state, metrics, verdict or help, not a number)"));
  EXPECT_EQ(c.ask(R"({"query": ["state"]})"),
            refusal(R"("query" expects state, metrics, verdict or help, not an array)"));
}

TEST(ControlDispatch, ModemMistakesWithOneModem) {
  channel c(1);
  const std::string only0 =
      R"("modem" can only be 0: this simulator runs one modem (start it with --fleet N for more))";
  EXPECT_EQ(c.ask(R"({"modem": 1, "query": "state"})"), refusal(only0));
  EXPECT_EQ(c.ask(R"({"modem": -1, "query": "state"})"), refusal(only0));
  EXPECT_EQ(c.ask(R"({"modem": "0", "query": "state"})"), refusal(only0));
  EXPECT_EQ(c.ask(R"({"modem": 0})"),
            refusal(R"("modem" names the modem; add the request, as in {"modem": 0, "query": "state"})"));
}

TEST(ControlDispatch, FireMistakesChangeNothing) {
  channel c(1, false, 4);
  EXPECT_EQ(c.ask(R"({"fire": 7})"),
            refusal(R"("fire" expects an object such as {"action":"drop_link","id":0}, not a number)"));
  EXPECT_EQ(c.ask(R"({"fire": null})"),
            refusal(R"("fire" expects an object such as {"action":"drop_link","id":0}, not null)"));
  const auto explode = c.ask(R"({"fire": {"action": "explode", "id": 0}})");
  EXPECT_EQ(explode.rfind(R"({"ok":false,"error":")", 0), 0u) << explode;
  EXPECT_NE(explode.find("explode"), std::string::npos) << explode;
  EXPECT_NE(c.ask(R"({"fire": {"action": "drop_link", "id": 9}})").find("9"), std::string::npos);
  EXPECT_EQ(c.ask(R"({"fire": {"action": "drop_link", "id": "zero"}})").rfind(R"({"ok":false,)", 0), 0u);
  EXPECT_EQ(c.ask(R"({"deliver": {"id": 0, "topic": "t", "payload": "p", "qos": 7}})").rfind(R"({"ok":false,)", 0), 0u);
  EXPECT_EQ(c.ask(R"({"deliver": "t"})"),
            refusal(R"("deliver" expects an object such as {"id":0,"topic":"t","payload":"p","qos":1}, not a string)"));
  EXPECT_EQ(c.ask(R"({"deliver": {"action": "reboot"}})"),
            refusal(R"("deliver" is a shortcut for the deliver action; use {"fire": {...}} for other actions)"));
  EXPECT_TRUE(c.modem(0).fired.empty());
}

TEST(ControlDispatch, NetworkMistakesChangeNothing) {
  channel c(1);
  const std::string fields = "registration, by, rssi, ber, rsrq, rsrp or sim";
  EXPECT_EQ(c.ask(R"({"network": {}})"),
            refusal(R"("network" expects an object such as {"registration":"denied"} or {"rssi":10})"));
  EXPECT_EQ(c.ask(R"({"network": "denied"})"),
            refusal(R"("network" expects an object such as {"registration":"denied"} or {"rssi":10})"));
  EXPECT_EQ(c.ask(R"({"network": {"rsi": 10}})"),
            refusal(R"(network has no field "rsi" (did you mean "rssi"?); use )" + fields));
  EXPECT_EQ(c.ask(R"({"network": {"sim": false, "colour": "red"}})"),
            refusal(R"(network has no field "colour"; use )" + fields));
  EXPECT_EQ(
      c.ask(R"({"network": {"registration": "sideways"}})"),
      refusal(R"(network.registration "sideways" is not one of home (registered again), searching, denied or none)"));
  EXPECT_EQ(c.ask(R"({"network": {"registration": "denid"}})"),
            refusal(R"(network.registration "denid" is not one of home (registered again), searching, denied or none)"
                    R"( (did you mean "denied"?))"));
  EXPECT_EQ(c.ask(R"({"network": {"registration": true}})"),
            refusal("network.registration expects home, searching, denied, none or a +CEREG stat, not a boolean"));
  EXPECT_EQ(c.ask(R"({"network": {"registration": 7}})"),
            refusal("network.registration 7 is not a +CEREG stat the network can give (0, 1, 2 or 3)"));
  EXPECT_EQ(c.ask(R"({"network": {"registration": "roaming"}})"),
            refusal("network.registration: the module registers again with its profile's result, which a running "
                    R"(modem cannot change; give the scenario "network": {"registration": "roaming"} instead)"));
  EXPECT_EQ(c.ask(R"({"network": {"sim": "yes"}})"),
            refusal("network.sim expects true (insert the SIM) or false (remove it), not a string"));
  EXPECT_EQ(c.ask(R"({"network": {"registration": "denied", "by": "1s"}})"),
            refusal(R"(network.by (how long until the module registers again) goes only with "registration": "home")"));
  EXPECT_EQ(c.ask(R"({"network": {"by": "1s"}})"), refusal(R"(network.by goes only with "registration": "home")"));
  // A bad signal value after a good SIM change: nothing is fired.
  EXPECT_EQ(c.ask(R"({"network": {"sim": true, "rssi": "loud"}})").rfind(R"({"ok":false,)", 0), 0u);
  EXPECT_TRUE(c.modem(0).fired.empty());
}

TEST(ControlDispatch, AModemThatIsNotRunning) {
  channel c(1);
  c.stop_modem(0);
  EXPECT_EQ(c.ask(R"({"fire": "reboot"})"), refusal("the modem is not running; nothing was fired"));
  EXPECT_EQ(c.ask(R"({"query": "state"})"), refusal("the modem is not running"));
  EXPECT_EQ(c.ask(R"({"query": "metrics"})"), refusal("the modem is not running"));
  // Help needs no modem; a bad request is still refused for what it is.
  EXPECT_EQ(c.ask(R"({"query": "help"})").rfind(R"({"ok":true,"requests":)", 0), 0u);
  EXPECT_EQ(c.ask(R"({"fire": 7})"),
            refusal(R"("fire" expects an object such as {"action":"drop_link","id":0}, not a number)"));
}

TEST(ControlDispatch, NoModemAtAll) {
  channel c(0);
  EXPECT_EQ(c.ask(R"({"query": "help"})"), refusal("the simulator runs no modem"));
}

TEST(ControlDispatch, TheIdIsCheckedAgainstTheProfile) {
  channel c(1, false, 0);  // an EC616S: id 0 only
  EXPECT_EQ(c.ask(R"({"fire": {"action": "drop_link", "id": 0}})"),
            R"({"ok":true,"fired":{"action":"drop_link","id":0}})");
  EXPECT_EQ(c.ask(R"({"fire": {"action": "drop_link", "id": 1}})").rfind(R"({"ok":false,)", 0), 0u);
}

TEST(ControlDispatch, FiringAndRefusalsAreLogged) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  {
    io::logger log(io::log_level::info, fds[1]);
    channel c(1);
    c.ask(R"({"fire": "reboot"})", &log);
    c.ask(R"({"fier": 1})", &log);
  }
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_NE(out.find(R"([info] control client test: fire {"action":"reboot"})"), std::string::npos) << out;
  EXPECT_NE(out.find(R"([warn] control client test: refused: unknown request "fier" (did you mean "fire"?))"),
            std::string::npos)
      << out;
}

// ---------------------------------------------------------------------------
// A fleet

TEST(ControlDispatch, FleetRequestsNameTheirModem) {
  channel c(3, true);
  EXPECT_EQ(c.ask(R"({"modem": 2, "fire": "reboot"})"), R"({"ok":true,"modem":2,"fired":{"action":"reboot"}})");
  EXPECT_EQ(c.ask(R"({"fire": "reboot"})"), R"({"ok":true,"fired":{"action":"reboot"}})");
  EXPECT_EQ(c.modem(0).fired.size(), 1u);
  EXPECT_TRUE(c.modem(1).fired.empty());
  EXPECT_EQ(c.modem(2).fired.size(), 1u);
  EXPECT_EQ(c.ask(R"({"modem": 1, "query": "state"})"), R"({"ok":true,)" + sample_state + R"(,"modem":1})");
  EXPECT_EQ(c.ask(R"({"query": "fleet"})"),
            R"({"ok":true,"size":3,"offset":100,"threads":2,"modems":[)"
            R"({"modem":0,"index":100,"imei":"866123045678900","line":"tcp 127.0.0.1:5000"},)"
            R"({"modem":1,"index":101,"imei":"866123045678901","line":"tcp 127.0.0.1:5001"},)"
            R"({"modem":2,"index":102,"imei":"866123045678902","line":"tcp 127.0.0.1:5002"}]})");
}

TEST(ControlDispatch, FleetVerdictEveryModemOrOne) {
  channel c(3, true);
  for (std::size_t i = 0; i < 3; ++i) c.add_verdict(i, i == 1);
  // Without "modem": every modem's part, in the fleet's order, in one verdict.
  const auto all = nlohmann::json::parse(c.ask(R"({"query": "verdict"})"));
  EXPECT_EQ(all["ok"], true);
  EXPECT_EQ(all["passed"], false);
  EXPECT_EQ(all["errors"], 1);
  ASSERT_EQ(all["modems"].size(), 3u) << all.dump();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(all["modems"][i]["name"], "modem " + std::to_string(i));
    EXPECT_EQ(all["modems"][i]["findings"].size(), i == 1 ? 1u : 0u);
  }
  // One modem: its part only, and its number.
  const auto text = c.ask(R"({"modem": 2, "query": "verdict"})");
  EXPECT_EQ(text.rfind(R"({"ok":true,"modem":2,"verdict":"nt35e-oracle","version":1,)", 0), 0u) << text;
  const auto two = nlohmann::json::parse(text);
  EXPECT_EQ(two["passed"], true);
  ASSERT_EQ(two["modems"].size(), 1u);
  EXPECT_EQ(two["modems"][0]["name"], "modem 2");
  // A modem without an oracle: the fleet's verdict is refused, naming it.
  const_cast<fleet_target&>(*c.target_ptr()).modems[2].t.verdict = nullptr;
  EXPECT_EQ(c.ask(R"({"query": "verdict"})"),
            refusal("no oracle watches the driver of modem 2, so there is no verdict"));
  EXPECT_EQ(nlohmann::json::parse(c.ask(R"({"modem": 1, "query": "verdict"})"))["errors"], 1);
}

TEST(ControlDispatch, FleetMetricsOneModemOrTheTotals) {
  channel c(3, true);
  c.add_metrics(0);
  c.add_metrics(2);
  EXPECT_EQ(c.ask(R"({"modem": 2, "query": "metrics"})"),
            R"({"ok":true,"modem":2,"index":102,"imei":"866123045678902","modems":1,"uptime_s":12.5,"attached":1,)"
            R"("connected":1,"counters":)" +
                sample_counters +
                R"(,"latency":{"at_command":{"count":1,"p50_ms":2.0,"p90_ms":2.0,"p99_ms":2.0,"max_ms":2.0,)"
                R"("min_ms":2.0,"mean_ms":2.0},"connect":)" +
                no_latency + R"(},"unmatched":0})");
  // Modem 1 has no line metrics: its snapshot's counters count, its latency does not.
  EXPECT_EQ(
      c.ask(R"({"query": "metrics"})"),
      R"({"ok":true,"modems":3,"uptime_s":12.5,"attached":2,"connected":3,"counters":{"commands":9,)"
      R"("errors":3,"urcs":6,"bytes_in":0,"bytes_out":0,"mqtt_requests":0,"mqtt_events":0,"publishes":0,"publishes_refused":0,)"
      R"("messages":0,"reconnects":0,"faults":0,"lines_too_long":0,"input_overflows":0,"output_dropped_bytes":0},"latency":{"at_command":{"count":2,"p50_ms":2.0,)"
      R"("p90_ms":2.0,"p99_ms":2.0,"max_ms":2.0,"min_ms":2.0,"mean_ms":2.0},"connect":)" +
          no_latency + R"(},"unmatched":0})");
}

TEST(ControlDispatch, FleetFireOnAListOrAFraction) {
  channel c(5, true);
  EXPECT_EQ(c.ask(R"({"fleet": {"fire": "reboot", "modems": [3, 1, 1]}})"),
            R"({"ok":true,"fired":{"action":"reboot"},"count":2,"modems":[1,3]})");
  EXPECT_EQ(c.modem(1).fired.size(), 1u);
  EXPECT_EQ(c.modem(3).fired.size(), 1u);
  EXPECT_TRUE(c.modem(0).fired.empty());

  const auto chosen = scenario::choose_fraction({0, 1, 2, 3, 4}, 0.4, 7);
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(c.ask(R"({"fleet": {"fire": {"action": "drop_link", "id": 0}, "fraction": 0.4, "seed": 7}})"),
            R"({"ok":true,"fired":{"action":"drop_link","id":0},"count":2,"modems":)" + nlohmann::json(chosen).dump() +
                R"(,"seed":7})");
  // Without a seed the answer gives the one used, so the choice can be repeated.
  auto answer = nlohmann::json::parse(c.ask(R"({"fleet": {"fire": "reboot", "fraction": 0.4}})"));
  ASSERT_TRUE(answer.contains("seed")) << answer.dump();
  EXPECT_EQ(answer["modems"],
            nlohmann::json(scenario::choose_fraction({0, 1, 2, 3, 4}, 0.4, answer["seed"].get<std::uint64_t>())));
  // With a list and a fraction: a part of the list.
  EXPECT_EQ(c.ask(R"({"fleet": {"fire": "reboot", "modems": [4, 0], "fraction": 0.5, "seed": 1}})"),
            R"({"ok":true,"fired":{"action":"reboot"},"count":1,"modems":)" +
                nlohmann::json(scenario::choose_fraction({0, 4}, 0.5, 1)).dump() + R"(,"seed":1})");
}

TEST(ControlDispatch, FleetFireStaggeredAndStopped) {
  channel c(3, true);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c.ask(R"({"fleet": {"fire": "reboot", "stagger": "60ms"}})"),
            R"({"ok":true,"fired":{"action":"reboot"},"count":3,"modems":[0,1,2],"stagger":"60ms"})");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 60ms);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(c.modem(i).fired.size(), 1u) << i;

  // Stopped before their time: only the first (at once) fires.
  std::optional<std::string> answer;
  handle_request_async(R"({"fleet": {"fire": "reboot", "stagger": "10s"}})", c.target_ptr(), c.ioc().get_executor(),
                       nullptr, "client test", c.stop_flag(), [&answer](std::string a) { answer = std::move(a); });
  c.ioc().restart();
  c.ioc().run_for(100ms);
  ASSERT_TRUE(answer);
  c.stop_flag()->store(true);
  // The timers still wait: the test does not; the modems see nothing more.
  EXPECT_EQ(c.modem(0).fired.size(), 2u);
  EXPECT_EQ(c.modem(1).fired.size(), 1u);
  EXPECT_EQ(c.modem(2).fired.size(), 1u);
}

TEST(ControlDispatch, FleetFireOnAScheduleEachModemAtItsTime) {
  channel c(4, true);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::chrono::steady_clock::time_point> fired_at(4);
  for (std::size_t i = 0; i < 4; ++i) {
    auto& t = const_cast<fleet_target&>(*c.target_ptr()).modems[i].t;
    auto inner = t.fire;
    t.fire = [inner, &fired_at, i](const scenario::action& a) {
      fired_at[i] = std::chrono::steady_clock::now();
      inner(a);
    };
  }
  EXPECT_EQ(c.ask(R"({"fleet": {"fire": "reboot", "modems": [3, 0, 2], "after_ms": [80, 40, 0]}})"),
            R"({"ok":true,"fired":{"action":"reboot"},"count":3,"modems":[0,2,3],"after_ms":[40,0,80]})");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 80ms);
  EXPECT_EQ(c.modem(0).fired.size(), 1u);
  EXPECT_TRUE(c.modem(1).fired.empty());
  EXPECT_EQ(c.modem(2).fired.size(), 1u);
  EXPECT_EQ(c.modem(3).fired.size(), 1u);
  // In the order of their times, not of their numbers.
  EXPECT_LT(fired_at[2], fired_at[0]);
  EXPECT_LT(fired_at[0], fired_at[3]);
  EXPECT_GE(fired_at[3] - t0, 80ms);
  EXPECT_GE(fired_at[0] - t0, 40ms);
}

TEST(ControlDispatch, FleetMistakes) {
  channel c(20, true);
  const auto ask = [&c](const char* line) { return c.ask(line); };
  EXPECT_EQ(ask(R"({"modem": 20, "query": "state"})"),
            refusal(R"("modem" expects a modem number from 0 to 19, not 20)"));
  EXPECT_EQ(ask(R"({"modem": -1, "query": "state"})"),
            refusal(R"("modem" expects a modem number from 0 to 19, not -1)"));
  EXPECT_EQ(ask(R"({"modem": 1.5, "query": "state"})"),
            refusal(R"("modem" expects a modem number from 0 to 19, not 1.5)"));
  EXPECT_EQ(ask(R"({"modem": "3", "query": "state"})"),
            refusal(R"("modem" expects a modem number from 0 to 19, not a string)"));
  EXPECT_EQ(ask(R"({"modem": 1, "fleet": {"fire": "reboot"}})"),
            refusal(R"(a "fleet" request chooses its modems itself ("modems", "fraction"); leave "modem" out)"));
  EXPECT_EQ(
      ask(R"({"flet": {"fire": "reboot"}})"),
      refusal(R"(unknown request "flet" (did you mean "fleet"?); use one of fire, deliver, network, query or fleet)"));
  EXPECT_EQ(ask(R"({"query": "fleets"})"),
            refusal(R"(unknown query "fleets" (did you mean "fleet"?); use state, metrics, verdict, fleet or help)"));
  EXPECT_EQ(
      ask(R"({"fleet": "reboot"})"),
      refusal(R"("fleet" expects an object such as {"fire": {"action": "drop_link"}, "fraction": 0.3}, not a string)"));
  EXPECT_EQ(
      ask(R"({"fleet": {"fire": "reboot", "fractoin": 0.5}})"),
      refusal(
          R"(fleet has no field "fractoin" (did you mean "fraction"?); use fire, fraction, modems, seed, stagger or after_ms)"));
  EXPECT_EQ(ask(R"({"fleet": {"fraction": 0.5}})"),
            refusal(R"(a "fleet" request needs "fire": the action, as in {"fleet": {"fire": {"action": "drop_link"}, )"
                    R"("fraction": 0.3}})"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": 7}})"),
            refusal(R"(fleet.fire expects an object such as {"action":"drop_link","id":0}, not a number)"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": {"action": "explode"}}})").rfind(R"({"ok":false,)", 0), 0u);
  EXPECT_EQ(ask(R"({"fleet": {"fire": "reboot", "modems": []}})"),
            refusal("fleet.modems expects a list of modem numbers such as [0, 5, 7], not an empty list"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": "reboot", "modems": 3}})"),
            refusal("fleet.modems expects a list of modem numbers such as [0, 5, 7], not a number"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": "reboot", "modems": [25]}})"),
            refusal("fleet.modems: 25 is not a modem number from 0 to 19"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": "reboot", "modems": ["a"]}})"),
            refusal("fleet.modems: a string is not a modem number from 0 to 19"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": "reboot", "seed": 1}})"),
            refusal(R"(fleet.seed goes with "fraction" (it seeds the random choice of modems))"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": "reboot", "fraction": 0.5, "seed": -1}})"),
            refusal("fleet.seed expects a whole number of 0 or more, not -1"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": "reboot", "fraction": 2}})"),
            refusal("fleet.fraction expects a number above 0 and at most 1 (0.3 = 30 % of the modems), not 2"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": "reboot", "fraction": 0}})"),
            refusal("fleet.fraction expects a number above 0 and at most 1 (0.3 = 30 % of the modems), not 0"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": "reboot", "fraction": "half"}})"),
            refusal("fleet.fraction expects a number above 0 and at most 1 (0.3 = 30 % of the modems), not a string"));
  EXPECT_EQ(ask(R"({"fleet": {"fire": "reboot", "stagger": 5}})"),
            refusal(R"(fleet.stagger expects a time such as "5s" or "500ms", not a number)"));
  EXPECT_EQ(
      ask(R"({"fleet": {"fire": "reboot", "stagger": "soon"}})").rfind(R"({"ok":false,"error":"fleet.stagger: )", 0),
      0u);
  for (std::size_t i = 0; i < 20; ++i) EXPECT_TRUE(c.modem(i).fired.empty()) << i;
}

TEST(ControlDispatch, FleetHelpAddsTheFleetRequests) {
  channel c(4, true);
  auto help = nlohmann::json::parse(c.ask(R"({"query": "help"})"));
  ASSERT_EQ(help["requests"].size(), 18u) << help.dump();
  EXPECT_EQ(help["requests"][10]["request"], R"({"modem": 3, "fire": {"action": "drop_link"}})");
  EXPECT_NE(help["requests"][10]["does"].get<std::string>().find("(0 to 3)"), std::string::npos) << help.dump();
  EXPECT_EQ(help["requests"][15]["request"], R"({"fleet": {"fire": {"action": "drop_link"}, "modems": [0, 5, 7]}})");
}

}  // namespace
}  // namespace nt35e::control
