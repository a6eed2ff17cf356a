// Unit tests of the control channel's protocol (control/protocol) and answers
// (control/answers): request lines parsed into typed requests or refused with today's
// sentences, the byte stream cut into lines, and the answers' exact text. No modem, no
// socket, no executor.

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "control/answers.hpp"
#include "control/protocol.hpp"

namespace nt35e::control {
namespace {

using namespace std::chrono_literals;
using scenario::action_kind;

request_limits one_modem_limits() { return request_limits{}; }

request_limits fleet_limits(std::size_t n) {
  request_limits l;
  l.modems = n;
  l.fleet = true;
  return l;
}

/// The request, or a test failure with the refusal's sentence.
request parsed(std::string_view line, const request_limits& limits = one_modem_limits()) {
  auto r = parse_request(line, limits);
  if (auto* no = std::get_if<refusal>(&r)) {
    ADD_FAILURE() << line << " refused: " << no->sentence;
    return request{};
  }
  return std::get<request>(std::move(r));
}

/// The refusal's sentence, or "<accepted>".
std::string refused(std::string_view line, const request_limits& limits = one_modem_limits()) {
  auto r = parse_request(line, limits);
  if (auto* no = std::get_if<refusal>(&r)) return no->sentence;
  return "<accepted>";
}

// ---------------------------------------------------------------------------
// Good requests, one of each

TEST(ControlProtocol, FireIsOneCheckedAction) {
  auto r = parsed(R"({"fire": {"action": "drop_link", "id": 0}})");
  EXPECT_FALSE(r.modem);
  const auto* a = std::get_if<action_request>(&r.body);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->single);
  ASSERT_EQ(a->actions.size(), 1u);
  EXPECT_EQ(a->actions[0].kind, action_kind::drop_link);
  EXPECT_EQ(a->actions[0].id, 0);

  r = parsed(R"({"fire": "reboot"})");
  a = std::get_if<action_request>(&r.body);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->actions.size(), 1u);
  EXPECT_EQ(a->actions[0].kind, action_kind::reboot);
  EXPECT_FALSE(a->actions[0].id);
}

TEST(ControlProtocol, DeliverIsTheDeliverAction) {
  auto r = parsed(R"({"deliver": {"id": 1, "topic": "t", "payload": "p", "qos": 2, "retain": true}})");
  const auto* a = std::get_if<action_request>(&r.body);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->actions.size(), 1u);
  const auto& d = a->actions[0];
  EXPECT_EQ(d.kind, action_kind::deliver);
  EXPECT_EQ(d.id, 1);
  EXPECT_EQ(d.topic, "t");
  EXPECT_EQ(d.payload, "p");
  EXPECT_EQ(d.qos, 2);
  EXPECT_TRUE(d.retain);
}

TEST(ControlProtocol, NetworkIsAListSimThenRegistrationThenSignal) {
  auto r = parsed(R"({"network": {"rssi": 10, "ber": 0, "registration": "home", "by": "2s", "sim": true}})");
  const auto* a = std::get_if<action_request>(&r.body);
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->single);
  ASSERT_EQ(a->actions.size(), 3u);
  EXPECT_EQ(a->actions[0].kind, action_kind::insert_sim);
  EXPECT_EQ(a->actions[1].kind, action_kind::regain_registration);
  EXPECT_EQ(a->actions[1].by, 2s);
  EXPECT_EQ(a->actions[2].kind, action_kind::set_signal);
  EXPECT_EQ(a->actions[2].rssi, 10);
  EXPECT_EQ(a->actions[2].ber, 0);

  // Registration by name or +CEREG stat.
  for (const auto& [value, stat] : std::vector<std::pair<std::string, int>>{
           {R"("denied")", 3}, {R"("searching")", 2}, {R"("none")", 0}, {R"("not_registered")", 0}, {"2", 2}}) {
    r = parsed(R"({"network": {"registration": )" + value + "}}");
    a = std::get_if<action_request>(&r.body);
    ASSERT_TRUE(a) << value;
    ASSERT_EQ(a->actions.size(), 1u) << value;
    EXPECT_EQ(a->actions[0].kind, action_kind::lose_registration) << value;
    EXPECT_EQ(a->actions[0].stat, stat) << value;
  }
  r = parsed(R"({"network": {"sim": false}})");
  a = std::get_if<action_request>(&r.body);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->actions.at(0).kind, action_kind::remove_sim);
}

TEST(ControlProtocol, Queries) {
  EXPECT_EQ(std::get<query_kind>(parsed(R"({"query": "state"})").body), query_kind::state);
  EXPECT_EQ(std::get<query_kind>(parsed(R"({"query": "metrics"})").body), query_kind::metrics);
  EXPECT_EQ(std::get<query_kind>(parsed(R"({"query": "verdict"})").body), query_kind::verdict);
  EXPECT_EQ(std::get<query_kind>(parsed(R"({"query": "verdict"})", fleet_limits(2)).body), query_kind::verdict);
  EXPECT_EQ(std::get<query_kind>(parsed(R"({"query": "help"})").body), query_kind::help);
  EXPECT_EQ(std::get<query_kind>(parsed(R"({"query": "fleet"})", fleet_limits(2)).body), query_kind::fleet);
  auto r = parsed(R"({"modem": 0, "query": "state"})");
  EXPECT_EQ(r.modem, 0u);
}

TEST(ControlProtocol, FleetRequests) {
  auto r = parsed(R"({"fleet": {"fire": "reboot"}})", fleet_limits(3));
  auto* f = std::get_if<fleet_request>(&r.body);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->action.kind, action_kind::reboot);
  EXPECT_EQ(f->candidates, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_FALSE(f->fraction);
  EXPECT_FALSE(f->seed);
  EXPECT_FALSE(f->stagger);

  r = parsed(R"({"fleet": {"fire": {"action": "drop_link", "id": 0}, "modems": [7, 2, 2, 0], "fraction": 0.5,)"
             R"( "seed": 9, "stagger": "1500ms"}})",
             fleet_limits(8));
  f = std::get_if<fleet_request>(&r.body);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->action.kind, action_kind::drop_link);
  EXPECT_EQ(f->candidates, (std::vector<std::size_t>{0, 2, 7}));
  EXPECT_EQ(f->fraction, 0.5);
  EXPECT_EQ(f->seed, 9u);
  EXPECT_EQ(f->stagger, 1500ms);
}

TEST(ControlProtocol, FleetScheduleKeepsEachModemWithItsTime) {
  // nt35e-ctl's schedule across processes: the times follow their modems when sorted.
  auto r =
      parsed(R"({"fleet": {"fire": "reboot", "modems": [5, 0, 3], "after_ms": [2500, 0, 86400000]}})", fleet_limits(8));
  auto* f = std::get_if<fleet_request>(&r.body);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->candidates, (std::vector<std::size_t>{0, 3, 5}));
  EXPECT_EQ(f->after, (std::vector<std::chrono::milliseconds>{0ms, 86400000ms, 2500ms}));
  EXPECT_FALSE(f->fraction);
  EXPECT_FALSE(f->stagger);
  // Without "after_ms", no schedule.
  r = parsed(R"({"fleet": {"fire": "reboot", "modems": [1]}})", fleet_limits(8));
  EXPECT_TRUE(std::get<fleet_request>(r.body).after.empty());
}

TEST(ControlProtocol, FleetScheduleMistakes) {
  const auto limits = fleet_limits(8);
  EXPECT_EQ(refused(R"({"fleet": {"fire": "reboot", "after_ms": [0]}})", limits),
            R"(fleet.after_ms goes with "modems": one time for each modem listed, in the same order)");
  EXPECT_EQ(refused(R"({"fleet": {"fire": "reboot", "modems": [1, 2], "after_ms": [0]}})", limits),
            R"(fleet.after_ms expects a list of 2 whole numbers of milliseconds, one for each of "modems", not a )"
            R"(list of 1)");
  EXPECT_EQ(
      refused(R"({"fleet": {"fire": "reboot", "modems": [1], "after_ms": 5}})", limits),
      R"(fleet.after_ms expects a list of 1 whole numbers of milliseconds, one for each of "modems", not a number)");
  EXPECT_EQ(refused(R"({"fleet": {"fire": "reboot", "modems": [1, 2], "after_ms": [0, -5]}})", limits),
            "fleet.after_ms: -5 is not a whole number of milliseconds from 0 to 86400000 (a day)");
  EXPECT_EQ(refused(R"({"fleet": {"fire": "reboot", "modems": [1], "after_ms": [1.5]}})", limits),
            "fleet.after_ms: 1.5 is not a whole number of milliseconds from 0 to 86400000 (a day)");
  EXPECT_EQ(refused(R"({"fleet": {"fire": "reboot", "modems": [1], "after_ms": ["1s"]}})", limits),
            "fleet.after_ms: a string is not a whole number of milliseconds from 0 to 86400000 (a day)");
  EXPECT_EQ(refused(R"({"fleet": {"fire": "reboot", "modems": [1], "after_ms": [86400001]}})", limits),
            "fleet.after_ms: 86400001 is not a whole number of milliseconds from 0 to 86400000 (a day)");
  EXPECT_EQ(refused(R"({"fleet": {"fire": "reboot", "modems": [1, 1], "after_ms": [0, 10]}})", limits),
            R"(fleet.modems lists modem 1 twice; with "after_ms" each modem fires once, at its own time)");
  EXPECT_EQ(refused(R"({"fleet": {"fire": "reboot", "modems": [9], "after_ms": [0]}})", limits),
            "fleet.modems: 9 is not a modem number from 0 to 7");
  for (const char* other : {R"("fraction": 0.5)", R"("stagger": "1s")"})
    EXPECT_EQ(
        refused(std::string(R"({"fleet": {"fire": "reboot", "modems": [1], "after_ms": [0], )") + other + "}}", limits)
            .rfind("fleet.after_ms is a schedule of its own; leave \"", 0),
        0u)
        << other;
  EXPECT_EQ(
      refused(R"({"fleet": {"fire": "reboot", "modems": [1], "after_ms": [0], "fraction": 0.5, "seed": 1}})", limits),
      R"(fleet.after_ms is a schedule of its own; leave "fraction" out)");
}

TEST(ControlProtocol, TheIdRangeIsTheNamedModems) {
  auto limits = fleet_limits(3);
  limits.max_id = [](std::size_t i) { return i == 1 ? 0 : 4; };  // modem 1 is an EC616S
  EXPECT_EQ(
      std::get<action_request>(parsed(R"({"fire": {"action": "drop_link", "id": 3}})", limits).body).actions.at(0).id,
      3);
  EXPECT_NE(refused(R"({"modem": 1, "fire": {"action": "drop_link", "id": 3}})", limits), "<accepted>");
  EXPECT_EQ(refused(R"({"modem": 1, "fire": {"action": "drop_link", "id": 0}})", limits), "<accepted>");
  // A fleet request is checked against modem 0's.
  EXPECT_EQ(refused(R"({"fleet": {"fire": {"action": "drop_link", "id": 3}}})", limits), "<accepted>");
}

// ---------------------------------------------------------------------------
// Bad input: today's sentences

TEST(ControlProtocol, BrokenJson) {
  const std::string tail = R"(; send one JSON object per line, such as {"query":"help"})";
  EXPECT_EQ(refused("hello"), "the request is not valid JSON (syntax error at byte 1)" + tail);
  EXPECT_EQ(refused(R"({"query": "state")"), "the request is not valid JSON (syntax error at byte 18)" + tail);
  EXPECT_EQ(refused(R"({"query": "state"} x)"), "the request is not valid JSON (syntax error at byte 20)" + tail);
  EXPECT_EQ(refused("{'query': 'state'}"), "the request is not valid JSON (syntax error at byte 2)" + tail);
  EXPECT_EQ(refused("{\"query\": \"st\xff\"}"), "the request is not valid JSON (syntax error at byte 14)" + tail);
  // The outermost value is at depth 0: 33 arrays reach depth 32, 34 are too deep.
  EXPECT_EQ(refused(std::string(34, '[') + std::string(34, ']')), "the request is nested more than 32 levels deep");
  EXPECT_EQ(refused(std::string(33, '[') + std::string(33, ']')),
            R"(the request must be a JSON object such as {"query":"state"}, not an array)");
}

// Reliability (issue 13, also seen): a number beyond a double was nlohmann's out_of_range,
// answered "internal error ... [json.exception...]"; a large whole number wrapped into a
// valid stat. Both are refusals that name the field.
TEST(ControlProtocol, OutOfRangeNumbersAreRefusalsNamingTheField) {
  EXPECT_EQ(refused(R"({"network": {"rssi": 1e99999}})"),
            "the number in \"rssi\" is out of range (beyond a 64-bit floating-point number); send a number the "
            "field accepts");
  EXPECT_EQ(refused(R"({"network": {"registration": 4294967297}})"),
            "network.registration 4294967297 is out of range: not a +CEREG stat the network can give (0, 1, 2 or 3)");
  EXPECT_EQ(refused("[-1e400]"),
            "the number is out of range (beyond a 64-bit floating-point number); send a number the field accepts");
}

TEST(ControlProtocol, UnknownVerbAndItsDidYouMean) {
  const std::string use = "; use one of fire, deliver, network or query";
  EXPECT_EQ(refused(R"({"qury": "state"})"), R"(unknown request "qury" (did you mean "query"?))" + use);
  EXPECT_EQ(refused(R"({"Fire": "reboot"})"), R"(unknown request "Fire" (did you mean "fire"?))" + use);
  EXPECT_EQ(refused(R"({"delivre": {}})"), R"(unknown request "delivre" (did you mean "deliver"?))" + use);
  EXPECT_EQ(refused(R"({"netwrk": {}})"), R"(unknown request "netwrk" (did you mean "network"?))" + use);
  EXPECT_EQ(refused(R"({"xyz": 1})"), R"(unknown request "xyz")" + use);
  // A long name gets no suggestion.
  const std::string long_key(65, 'f');
  EXPECT_EQ(refused(R"({")" + long_key + R"(": 1})"), R"(unknown request ")" + long_key + R"(")" + use);
  // In fleet mode "fleet" is a verb too.
  EXPECT_EQ(refused(R"({"fleat": {}})", fleet_limits(2)),
            R"(unknown request "fleat" (did you mean "fleet"?); use one of fire, deliver, network, query or fleet)");
}

TEST(ControlProtocol, WrongFieldTypes) {
  EXPECT_EQ(refused(R"({"fire": ["reboot"]})"),
            R"("fire" expects an object such as {"action":"drop_link","id":0}, not an array)");
  EXPECT_EQ(refused(R"({"fire": true})"),
            R"("fire" expects an object such as {"action":"drop_link","id":0}, not a boolean)");
  EXPECT_EQ(refused(R"({"deliver": 1})"),
            R"("deliver" expects an object such as {"id":0,"topic":"t","payload":"p","qos":1}, not a number)");
  EXPECT_EQ(refused(R"({"network": [1]})"),
            R"("network" expects an object such as {"registration":"denied"} or {"rssi":10})");
  EXPECT_EQ(refused(R"({"network": {"sim": 1}})"),
            "network.sim expects true (insert the SIM) or false (remove it), not a number");
  EXPECT_EQ(refused(R"({"network": {"registration": null}})"),
            "network.registration expects home, searching, denied, none or a +CEREG stat, not null");
  EXPECT_EQ(refused(R"({"query": {"what": "state"}})"),
            R"("query" expects state, metrics, verdict or help, not an object)");
  EXPECT_EQ(refused(R"({"modem": "first", "query": "state"})", fleet_limits(4)),
            R"("modem" expects a modem number from 0 to 3, not a string)");
  EXPECT_EQ(refused(R"({"modem": true, "query": "state"})", fleet_limits(4)),
            R"("modem" expects a modem number from 0 to 3, not a boolean)");
  EXPECT_EQ(refused(R"({"fleet": {"fire": "reboot", "seed": 1, "fraction": 0.5, "stagger": []}})", fleet_limits(4)),
            R"(fleet.stagger expects a time such as "5s" or "500ms", not an array)");
  EXPECT_EQ(refused(R"({"fleet": {"fire": "reboot", "fraction": 0.5, "seed": "7"}})", fleet_limits(4)),
            R"(fleet.seed expects a whole number of 0 or more, not "7")");
  // The action's own fields are checked by the scenario loader; its sentence names the path.
  EXPECT_EQ(refused(R"({"fire": {"action": "drop_link", "id": "zero"}})"),
            "error: /fire/id: expected an ECMT id (a whole number from 0 to 4), got a string");
  EXPECT_EQ(refused(R"({"deliver": {"id": 0, "topic": "t", "payload": "p", "qos": 7}})"),
            "error: /deliver/qos: expected a whole number from 0 to 2, got 7");
  EXPECT_EQ(refused(R"({"network": {"rssi": "loud"}})"),
            "error: /network/rssi: expected a whole number from 0 to 31, or 99 (unknown), got a string");
  const auto bad_fleet = refused(R"({"fleet": {"fire": {"action": "explode"}}})", fleet_limits(2));
  EXPECT_EQ(bad_fleet.rfind(R"(error: /fleet/fire/action: unknown action "explode"; expected one of: )", 0), 0u)
      << bad_fleet;
}

TEST(ControlProtocol, OneRequestPerObject) {
  EXPECT_EQ(refused("{}"), "the request is an empty object; use one of fire, deliver, network or query");
  EXPECT_EQ(refused("{}", fleet_limits(2)),
            "the request is an empty object; use one of fire, deliver, network, query or fleet");
  EXPECT_EQ(refused(R"({"modem": 1})", fleet_limits(2)),
            R"("modem" names the modem; add the request, as in {"modem": 1, "query": "state"})");
  EXPECT_EQ(refused(R"({"query": "state", "fire": "reboot"})"),
            R"(one request per line, but this one has "fire" or "query"; send them on separate lines)");
  EXPECT_EQ(refused(R"({"modem": 0, "fleet": {"fire": "reboot"}})", fleet_limits(2)),
            R"(a "fleet" request chooses its modems itself ("modems", "fraction"); leave "modem" out)");
}

TEST(ControlProtocol, NoModemsLimits) {
  // The dispatcher refuses first ("the simulator runs no modem"); parsing alone still works.
  request_limits none;
  none.modems = 0;
  none.max_id = [](std::size_t) -> int { throw std::logic_error("no modem to ask"); };
  EXPECT_EQ(refused(R"({"fire": "reboot"})", none), "<accepted>");
}

// ---------------------------------------------------------------------------
// Lines

TEST(ControlProtocol, LinesEndAtNewlineWithoutCrAndBlanksAreSkipped) {
  line_splitter s;
  std::vector<std::string> lines;
  s.feed("a\nb\r\n\n \t\r\n{\"c", lines);
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.pending(), 3u);
  s.feed("\":1}\r", lines);
  EXPECT_EQ(lines.size(), 2u);
  s.feed("\n", lines);
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "{\"c\":1}"}));
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_FALSE(s.too_long());
  // A lone "\r" inside a line stays; only the one before "\n" goes.
  lines.clear();
  s.feed("x\ry\r\r\n", lines);
  EXPECT_EQ(lines, (std::vector<std::string>{"x\ry\r"}));
  s.feed("half", lines);
  s.clear();
  EXPECT_EQ(s.pending(), 0u);
}

TEST(ControlProtocol, AnOverlongLineStopsTheConnection) {
  EXPECT_EQ(max_line, 65536u);
  EXPECT_EQ(too_long_sentence(), "the request line is longer than 65536 bytes; the connection is closed");
  {
    // Exactly max_line bytes (and its "\r") is fine.
    line_splitter s;
    std::vector<std::string> lines;
    s.feed(std::string(max_line, 'x') + "\r\n", lines);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].size(), max_line);
    EXPECT_FALSE(s.too_long());
  }
  {
    // One more: the lines before it are kept, nothing after it is read.
    line_splitter s;
    std::vector<std::string> lines;
    s.feed("{\"query\":\"state\"}\n" + std::string(max_line + 1, 'x') + "\n{\"query\":\"help\"}\n", lines);
    EXPECT_EQ(lines, (std::vector<std::string>{"{\"query\":\"state\"}"}));
    EXPECT_TRUE(s.too_long());
    s.feed("{\"query\":\"help\"}\n", lines);
    EXPECT_EQ(lines.size(), 1u);
  }
  {
    // An incomplete line is refused as soon as it cannot fit any more (one byte of
    // grace for its "\r").
    line_splitter s;
    std::vector<std::string> lines;
    s.feed(std::string(max_line + 1, 'x'), lines);
    EXPECT_FALSE(s.too_long());
    s.feed("x", lines);
    EXPECT_TRUE(s.too_long());
    EXPECT_TRUE(lines.empty());
  }
}

// ---------------------------------------------------------------------------
// Answers

TEST(ControlAnswers, ErrorsAreOneCompactLine) {
  EXPECT_EQ(format(error_answer("no")), R"({"ok":false,"error":"no"})");
  EXPECT_EQ(format(error_answer("a \"quoted\" word\n")), R"({"ok":false,"error":"a \"quoted\" word\n"})");
  // Invalid UTF-8 never breaks the line: it is replaced.
  EXPECT_EQ(format(error_answer("bad \xff byte")), "{\"ok\":false,\"error\":\"bad \xEF\xBF\xBD byte\"}");
}

TEST(ControlAnswers, StateAndMetricsFieldsInOrder) {
  modem::snapshot s;
  s.profile = "ec616s";
  s.uptime_s = 1.25;
  s.booting = true;
  s.cfun = 0;
  s.sim = false;
  s.count.faults = 2;
  EXPECT_EQ(format(state_answer(s)),
            R"({"ok":true,"profile":"ec616s","uptime_s":1.25,"booting":true,"cfun":0,"registration":0,"sim":false,)"
            R"("pdp_active":false,"rssi":99,"ecmt":[],"counters":{"commands":0,"errors":0,"urcs":0,"bytes_in":0,)"
            R"("bytes_out":0,"mqtt_requests":0,"mqtt_events":0,"publishes":0,"publishes_refused":0,"messages":0,"reconnects":0,)"
            R"("faults":2,"lines_too_long":0,"input_overflows":0,"output_dropped_bytes":0}})");
  metrics::modem_metrics m;
  m.connect.record(1500us);
  m.connect.record(3ms);
  m.unmatched = 4;
  m.modems = 2;
  // p50 is the upper bound of the bucket of 1.5 ms: 2^(43/4) us, about 1.722 ms.
  EXPECT_EQ(
      format(metrics_answer(m)),
      R"({"ok":true,"modems":2,"uptime_s":0.0,"attached":0,"connected":0,"counters":{"commands":0,"errors":0,)"
      R"("urcs":0,"bytes_in":0,"bytes_out":0,"mqtt_requests":0,"mqtt_events":0,"publishes":0,"publishes_refused":0,"messages":0,)"
      R"("reconnects":0,"faults":0,"lines_too_long":0,"input_overflows":0,"output_dropped_bytes":0},"latency":{"at_command":{"count":0,"p50_ms":0.0,"p90_ms":0.0,"p99_ms":0.0,)"
      R"("max_ms":0.0,"min_ms":0.0,"mean_ms":0.0},"connect":{"count":2,"p50_ms":1.722,"p90_ms":3.0,)"
      R"("p99_ms":3.0,"max_ms":3.0,"min_ms":1.5,"mean_ms":2.25}},"unmatched":4})");
}

TEST(ControlAnswers, FiredOneOrAList) {
  scenario::action reboot;
  reboot.kind = action_kind::reboot;
  scenario::action lose;
  lose.kind = action_kind::lose_registration;
  lose.stat = 2;
  EXPECT_EQ(format(fired_value(action_request{{reboot}, true})), R"({"action":"reboot"})");
  EXPECT_EQ(format(fired_value(action_request{{reboot, lose}, false})),
            R"([{"action":"reboot"},{"action":"lose_registration","stat":2}])");
  EXPECT_EQ(format(fleet_fired_answer(reboot, {1, 4}, std::nullopt, std::nullopt)),
            R"({"ok":true,"fired":{"action":"reboot"},"count":2,"modems":[1,4]})");
  EXPECT_EQ(format(fleet_fired_answer(reboot, {}, 77, 2500ms)),
            R"({"ok":true,"fired":{"action":"reboot"},"count":0,"modems":[],"seed":77,"stagger":"2500ms"})");
}

TEST(ControlAnswers, HelpGrowsInFleetMode) {
  const auto one = help_answer(false, 1);
  const auto fleet = help_answer(true, 12);
  EXPECT_EQ(one["requests"].size(), 11u);
  EXPECT_EQ(fleet["requests"].size(), 18u);
  EXPECT_EQ(one["requests"].back()["request"], R"({"auth": "TOKEN"})");
  EXPECT_NE(fleet["requests"][10]["does"].get<std::string>().find("(0 to 11)"), std::string::npos);
  EXPECT_EQ(format(one).rfind(R"({"ok":true,"requests":[)", 0), 0u);
}

}  // namespace
}  // namespace nt35e::control

namespace nt35e::control {
namespace {

// ---------------------------------------------------------------------------
// {"auth": TOKEN}: recognised by itself, whatever else the line is

TEST(ControlAuth, RecognisesTheAuthRequest) {
  auto a = parse_auth(R"({"auth": "s3cret-token-0123456789"})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->token, "s3cret-token-0123456789");
  EXPECT_TRUE(a->alone);
  a = parse_auth(R"({"auth": "t", "query": "state"})");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->alone);
  a = parse_auth(R"({"auth": 12345})");  // not a string: an empty token, which never matches
  ASSERT_TRUE(a);
  EXPECT_EQ(a->token, "");
}

TEST(ControlAuth, OtherLinesAreNoAuthRequest) {
  EXPECT_FALSE(parse_auth(R"({"query": "state"})"));
  EXPECT_FALSE(parse_auth(R"(["auth", "t"])"));
  EXPECT_FALSE(parse_auth(R"({"auth": "unterminated)"));
  EXPECT_FALSE(parse_auth("s3cret-token-0123456789"));
  EXPECT_FALSE(parse_auth(R"({"fire": {"action": "inject_urc", "text": "\"auth\""}})"));
}

}  // namespace
}  // namespace nt35e::control
