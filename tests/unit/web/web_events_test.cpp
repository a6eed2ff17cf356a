// The web view's WebSocket messages (web/events), the viewer's bounded queue
// (web/viewer_queue), the feed that makes the messages from a session (web/live_feed) and
// the lessons (web/lesson).

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "web/events.hpp"
#include "web/lesson.hpp"
#include "web/live_feed.hpp"
#include "web/viewer_queue.hpp"

using namespace nt35e;
using nlohmann::json;

namespace {

json parse(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

/// The messages a feed sends one subscriber, parsed.
struct collector {
  std::vector<json> got;
  web::live_feed::sink sink() {
    return [this](const web::live_feed::message& m) { got.push_back(parse(*m)); };
  }
  std::vector<json> of_type(const std::string& type) const {
    std::vector<json> out;
    for (const auto& j : got)
      if (j["type"] == type) out.push_back(j);
    return out;
  }
};

}  // namespace

TEST(WebEvents, LineMessageCarriesDirectionTimeBytesExplanationAndSection) {
  const auto info = web::explain_dte_line("AT+ECMTCONN=0", at::response_style::compact);
  EXPECT_EQ(info.kind, web::line_kind::command);
  const auto j = parse(web::line_message(7, 1520, web::side::dte, "AT+ECMTCONN=0", "AT+ECMTCONN=0\r", info));
  EXPECT_EQ(j["type"], "line");
  EXPECT_EQ(j["seq"], 7);
  EXPECT_EQ(j["t_us"], 1520);
  EXPECT_EQ(j["dir"], "dte");
  EXPECT_EQ(j["kind"], "command");
  EXPECT_EQ(j["text"], "AT+ECMTCONN=0");
  EXPECT_EQ(j["hex"], "41 54 2B 45 43 4D 54 43 4F 4E 4E 3D 30 0D");
  EXPECT_NE(j["explain"]["en"].get<std::string>().find("CONNECT"), std::string::npos);
  EXPECT_FALSE(j["explain"]["zh"].get<std::string>().empty());
  EXPECT_EQ(j["spec"], "§5.4");
}

TEST(WebEvents, RefusedConnackUrcIsAProblemWithItsMeaning) {
  const auto info = web::explain_module_line("+ECMTCONN:0,0,5", false, "", at::response_style::compact);
  EXPECT_EQ(info.kind, web::line_kind::urc);
  EXPECT_NE(info.en.find("not authorized"), std::string::npos) << info.en;
  EXPECT_FALSE(info.zh.empty());
  EXPECT_FALSE(info.problem.empty());
  const auto j = parse(web::line_message(1, 2, web::side::module, "+ECMTCONN:0,0,5", "\r\n+ECMTCONN:0,0,5\r\n", info));
  EXPECT_EQ(j["dir"], "module");
  EXPECT_EQ(j["kind"], "urc");
  EXPECT_NE(j["problem"].get<std::string>(), "");
}

TEST(WebEvents, AnswerToACommandIsExplainedByTheCommandNotAsAUrc) {
  // +CEREG:0,1 to AT+CEREG? is <n>,<stat>: registered, not the URC's "stat 0".
  const auto info = web::explain_module_line("+CEREG:0,1", false, "AT+CEREG?", at::response_style::compact);
  EXPECT_EQ(info.kind, web::line_kind::response);
  EXPECT_NE(info.en.find("the answer to AT+CEREG?"), std::string::npos) << info.en;
  EXPECT_EQ(info.en.find("not registered"), std::string::npos) << info.en;
}

TEST(WebEvents, EchoResultAndPromptAreTold) {
  EXPECT_EQ(web::explain_module_line("AT", true, "AT", at::response_style::compact).kind, web::line_kind::echo);
  const auto ok = web::explain_module_line("OK", false, "AT", at::response_style::compact);
  EXPECT_EQ(ok.kind, web::line_kind::result);
  EXPECT_FALSE(ok.en.empty());
  EXPECT_EQ(web::explain_module_line("> ", false, "AT+ECMTPUB=0,0,0,0,\"t\"", at::response_style::compact).kind,
            web::line_kind::prompt);
  const auto cme = web::explain_module_line("+CME ERROR: 3", false, "AT+ECMTCONN=0", at::response_style::compact);
  EXPECT_EQ(cme.kind, web::line_kind::result);
  EXPECT_FALSE(cme.problem.empty());
}

TEST(WebEvents, MqttPacketsAreNamedWithTheirCodes) {
  auto connect = parse(web::mqtt_message(3, 10, mqtt::any_request{mqtt::request::connect{0, "h", 1883, {}, {}}}));
  EXPECT_EQ(connect["type"], "mqtt");
  EXPECT_EQ(connect["dir"], "to_broker");
  EXPECT_EQ(connect["packet"], "CONNECT");
  EXPECT_EQ(connect["id"], 0);
  auto connack = parse(web::mqtt_message(4, 11, mqtt::any_event{mqtt::event::connack{0, 5}}));
  EXPECT_EQ(connack["dir"], "from_broker");
  EXPECT_EQ(connack["packet"], "CONNACK");
  EXPECT_EQ(connack["code"], 5);
  EXPECT_NE(connack["problem"], "");
  EXPECT_EQ(parse(web::mqtt_message(5, 12, mqtt::any_request{mqtt::request::subscribe{0, 1, "t", 1}}))["packet"],
            "SUBSCRIBE");
  EXPECT_EQ(parse(web::mqtt_message(6, 13, mqtt::any_request{mqtt::request::publish{0, 2, 1, false, "t", "p"}}))["qos"],
            1);
  EXPECT_EQ(parse(web::mqtt_message(7, 14, mqtt::any_event{mqtt::event::published{0, 2, 0}}))["packet"], "PUBACK");
  EXPECT_EQ(parse(web::mqtt_message(8, 15, mqtt::any_request{mqtt::request::disconnect{0}}))["packet"], "DISCONNECT");
  EXPECT_EQ(parse(web::mqtt_message(9, 16, mqtt::any_event{mqtt::event::link_lost{0, "reset"}}))["packet"],
            "LINK LOST");
}

TEST(WebEvents, StateMessageHasRegistrationSignalIdentityAndLinks) {
  modem::snapshot s;
  s.profile = "nt35e";
  s.registration = 1;
  s.rssi = 20;
  s.ecmt.push_back({0, "CONNECTED", "broker", 1883, {}});
  const auto j = parse(web::state_message(s, "866123045678904"));
  EXPECT_EQ(j["type"], "state");
  EXPECT_EQ(j["registration"], 1);
  EXPECT_EQ(j["rssi"], 20);
  EXPECT_EQ(j["imei"], "866123045678904");
  EXPECT_EQ(j["ecmt"][0]["state"], "CONNECTED");
  // The page draws the spec's state machine from this list: every state the snapshot names.
  const auto states = web::ecmt_states();
  EXPECT_NE(std::find(states.begin(), states.end(), "CONNECTED"), states.end());
  EXPECT_NE(std::find(states.begin(), states.end(), "RECONNECTING"), states.end());
}

TEST(WebEvents, FindingCarriesTheRuleExplanationInBothLanguages) {
  oracle::finding f;
  f.rule = "NT35E-ECMT-CONN-BEFORE-OPEN";
  f.spec = "§5.4";
  f.t_us = 99;
  f.detail = "no +ECMTOPEN:0,0 opened the link";
  f.lines.push_back({99, true, "AT+ECMTCONN=0"});
  const auto j = parse(web::finding_message(f));
  EXPECT_EQ(j["type"], "finding");
  EXPECT_EQ(j["rule"], f.rule);
  EXPECT_EQ(j["level"], "error");
  EXPECT_FALSE(j["explain"]["en"].get<std::string>().empty());
  EXPECT_FALSE(j["explain"]["zh"].get<std::string>().empty());
  EXPECT_EQ(j["lines"][0]["dte"], true);
}

TEST(WebEvents, InvalidUtf8NeverBreaksTheJson) {
  const auto info = web::explain_dte_line("\xff\xfe", at::response_style::compact);
  const auto j = parse(web::line_message(1, 0, web::side::dte, "\xff\xfe", "\xff\xfe", info));
  EXPECT_EQ(j["hex"], "FF FE");
  EXPECT_EQ(j["kind"], "data");
}

TEST(WebViewerQueue, DropsTheOldestAndMarksWhere) {
  web::viewer_queue q(3);
  for (int i = 0; i < 5; ++i) q.push(std::make_shared<const std::string>(std::to_string(i)));
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.dropped_total(), 2u);
  auto marker = [](std::uint64_t n) { return web::dropped_message(n); };
  auto first = q.pop(marker);
  ASSERT_TRUE(first);
  EXPECT_EQ(parse(**first)["type"], "dropped");
  EXPECT_EQ(parse(**first)["count"], 2);
  EXPECT_EQ(**q.pop(marker), "2");
  EXPECT_EQ(**q.pop(marker), "3");
  EXPECT_EQ(**q.pop(marker), "4");
  EXPECT_FALSE(q.pop(marker));
  EXPECT_TRUE(q.empty());
}

TEST(WebLiveFeed, CutsLinesTellsEchoAndKeepsHistoryForLateViewers) {
  boost::asio::io_context ioc;
  web::live_feed::settings s;
  s.origin = modem::clock::now();
  web::live_feed feed(ioc.get_executor(), s, nullptr);
  collector early;
  feed.subscribe(early.sink());
  const auto t = s.origin + std::chrono::milliseconds(5);
  feed.dte_in("AT+CEREG?", t);
  feed.dte_in("\r", t);  // a line split over two chunks
  feed.dte_out("AT+CEREG?\r\r\n+CEREG:0,1\r\n\r\nOK\r\n", t);
  feed.request(mqtt::any_request{mqtt::request::connect{0, "h", 1883, {}, {}}}, t);
  feed.event(mqtt::any_event{mqtt::event::connack{0, 5}}, t);
  const auto lines = early.of_type("line");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["kind"], "command");
  EXPECT_EQ(lines[0]["t_us"], 5000);
  EXPECT_EQ(lines[1]["kind"], "echo");
  EXPECT_EQ(lines[1]["hex"], "41 54 2B 43 45 52 45 47 3F 0D");  // the echo ends at its CR
  EXPECT_EQ(lines[2]["kind"], "response");
  EXPECT_EQ(lines[2]["hex"], "0D 0A 2B 43 45 52 45 47 3A 30 2C 31 0D 0A");  // framed CR LF … CR LF
  EXPECT_EQ(lines[3]["kind"], "result");
  EXPECT_EQ(early.of_type("mqtt").size(), 2u);
  // A viewer that comes later sees the same history, in order.
  collector late;
  feed.subscribe(late.sink());
  EXPECT_EQ(late.of_type("line").size(), 4u);
  EXPECT_EQ(late.of_type("mqtt").back()["code"], 5);
  // The recording reads back as a trace.
  EXPECT_NE(feed.trace_text().find("AT+CEREG?"), std::string::npos);
}

TEST(WebLiveFeed, MasksThePasswordOfEcmtconn) {
  boost::asio::io_context ioc;
  web::live_feed::settings s;
  web::live_feed feed(ioc.get_executor(), s, nullptr);
  collector c;
  feed.subscribe(c.sink());
  feed.dte_in("AT+ECMTCONN=0,\"dev\",\"user\",\"secret\"\r", modem::clock::now());
  const auto lines = c.of_type("line");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["text"].get<std::string>().find("secret"), std::string::npos);
  EXPECT_EQ(lines[0]["hex"].get<std::string>().find("73 65 63 72 65 74"), std::string::npos);
  EXPECT_EQ(feed.trace_text().find("secret"), std::string::npos);
}

// ---- lessons (web/lesson)

namespace {

web::lesson first_contact() {
  auto loaded = web::load_lesson(std::string(NT35E_LESSONS_DIR) + "/first-contact.json");
  EXPECT_TRUE(std::holds_alternative<web::lesson>(loaded)) << std::get<std::string>(loaded);
  return std::get<web::lesson>(loaded);
}

}  // namespace

TEST(WebLessons, EveryLessonLoadsIsNamedAfterItsFileAndPlaysAScenarioThatExists) {
  std::vector<std::string> errors;
  const auto all = web::load_lessons(NT35E_LESSONS_DIR, errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_GE(all.size(), 5u);
  for (const auto& l : all) {
    EXPECT_TRUE(std::filesystem::exists(std::string(NT35E_LESSONS_DIR) + "/" + l.name + ".json")) << l.name;
    if (!l.scenario.empty()) {
      EXPECT_TRUE(std::filesystem::exists(std::string(NT35E_SCENARIOS_DIR) + "/" + l.scenario)) << l.scenario;
    }
    EXPECT_FALSE(l.title.zh.empty());
    for (const auto& s : l.steps) EXPECT_FALSE(s.say.zh.empty()) << l.name;
  }
  const auto list = json::parse(web::lessons_json(all));
  EXPECT_EQ(list.size(), all.size());
  EXPECT_TRUE(list[0].contains("title"));
}

TEST(WebLessons, ABadLessonFileIsOneSentenceWithItsJsonPath) {
  const auto dir = std::filesystem::temp_directory_path() / "nt35e-lesson-test";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "bad.json") << text;
    auto r = web::load_lesson((dir / "bad.json").string());
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string("loaded");
  };
  EXPECT_NE(write("{").find("not a JSON object"), std::string::npos);
  EXPECT_NE(write(R"({"name":"x","title":{"en":"a"},"steps":[]})").find("$.title"), std::string::npos);
  EXPECT_NE(write(R"({"name":"x","title":{"en":"a","zh":"b"},"steps":[]})").find("$.steps"), std::string::npos);
  EXPECT_NE(write(R"({"name":"x","title":{"en":"a","zh":"b"},"steps":[{"say":{"en":"a","zh":"b"},"see":"OK"}],)"
                  R"("done":{"en":"a","zh":"b"}})")
                .find("$.steps[0].send is missing"),
            std::string::npos);
  EXPECT_NE(write(R"({"name":"x","titel":1})").find("$.titel is not a lesson field"), std::string::npos);
  EXPECT_NE(web::load_lesson((dir / "none.json").string()).index(), 0u);
  std::filesystem::remove_all(dir);
}

TEST(WebLessons, TrackerFollowsTheStepsAndSaysWhatWentWrong) {
  web::lesson_tracker t(first_contact());
  auto status = [&] { return json::parse(t.message()); };
  EXPECT_EQ(status()["status"], "running");
  EXPECT_EQ(status()["step"], 0);
  // A wrong command: the step stays, and says what it asked for.
  t.on_line(web::side::dte, "AT+CSQ", web::line_kind::command);
  t.on_line(web::side::module, "OK", web::line_kind::result);
  EXPECT_EQ(t.step(), 0u);
  EXPECT_NE(status()["why"]["en"].get<std::string>().find("asks for AT"), std::string::npos);
  t.on_line(web::side::dte, "at", web::line_kind::command);  // case does not matter
  t.on_line(web::side::module, "at", web::line_kind::echo);
  t.on_line(web::side::module, "OK", web::line_kind::result);
  EXPECT_EQ(t.step(), 1u);
  EXPECT_EQ(status()["why"]["en"], "");
  t.on_line(web::side::dte, "ATE0", web::line_kind::command);
  t.on_line(web::side::module, "OK", web::line_kind::result);
  // An error result: what it means, and the step may be tried again.
  t.on_line(web::side::dte, "AT+CPIN?", web::line_kind::command);
  t.on_line(web::side::module, "+CME ERROR: 10", web::line_kind::result);
  EXPECT_EQ(t.step(), 2u);
  EXPECT_NE(status()["why"]["en"].get<std::string>().find("+CME ERROR: 10"), std::string::npos);
  t.on_line(web::side::dte, "AT+CPIN?", web::line_kind::command);
  t.on_line(web::side::module, "+CPIN:READY", web::line_kind::response);
  t.on_line(web::side::dte, "AT+CEREG?", web::line_kind::command);
  t.on_line(web::side::module, "+CEREG:0,2", web::line_kind::response);  // searching: not yet
  EXPECT_EQ(t.step(), 3u);
  t.on_line(web::side::module, "+CEREG:0,1", web::line_kind::urc);
  EXPECT_TRUE(t.passed());
  EXPECT_EQ(status()["status"], "passed");
  EXPECT_FALSE(status()["say"]["zh"].get<std::string>().empty());
}

TEST(WebLessons, AFindingOfTheOracleIsWhatWentWrong) {
  web::lesson_tracker t(first_contact());
  oracle::finding f;
  f.rule = "NT35E-ECMT-CONN-BEFORE-OPEN";
  f.spec = "§5.4";
  f.detail = "no +ECMTOPEN:0,0 opened the link";
  t.on_finding(f);
  const auto j = json::parse(t.message());
  EXPECT_NE(j["why"]["en"].get<std::string>().find("NT35E-ECMT-CONN-BEFORE-OPEN"), std::string::npos);
  EXPECT_FALSE(j["why"]["zh"].get<std::string>().empty());
}

namespace {

/// A one-step lesson that also expects the scenario's "resubscribed".
web::lesson expecting_lesson() {
  web::lesson l;
  l.name = "x";
  l.steps.push_back({{"send AT", "发送 AT"}, "AT", "OK"});
  l.expect = {"resubscribed"};
  l.done = {"done", "完成"};
  return l;
}

oracle::expectation_result result(oracle::outcome o) {
  oracle::expectation_result r;
  r.name = "resubscribed";
  r.asks = "subscribes to cmd/# again within 30 s of a reconnect";
  r.result = o;
  r.detail = o == oracle::outcome::unmet ? "no AT+ECMTSUB to cmd/# within 30 s" : "";
  return r;
}

}  // namespace

TEST(WebLessons, AnExpectedDutyMustBeMetTooAndAnUnmetOneFailsTheLesson) {
  web::lesson_tracker t(expecting_lesson());
  auto status = [&] { return json::parse(t.message()); };
  t.on_line(web::side::dte, "AT", web::line_kind::command);
  t.on_line(web::side::module, "OK", web::line_kind::result);
  EXPECT_TRUE(t.steps_done());
  EXPECT_FALSE(t.passed()) << "the steps alone do not pass it";
  t.on_expectations({result(oracle::outcome::not_triggered)});
  EXPECT_EQ(status()["status"], "running");
  EXPECT_NE(status()["say"]["en"].get<std::string>().find("subscribes to cmd/# again"), std::string::npos)
      << "the page says what is still expected";
  t.on_expectations({result(oracle::outcome::met)});
  EXPECT_TRUE(t.passed());
  EXPECT_EQ(status()["status"], "passed");

  web::lesson_tracker u(expecting_lesson());
  u.on_expectations({result(oracle::outcome::unmet)});
  EXPECT_TRUE(u.failed());
  EXPECT_FALSE(u.passed());
  const auto m = json::parse(u.message());
  EXPECT_EQ(m["status"], "failed");
  EXPECT_NE(m["why"]["en"].get<std::string>().find("no AT+ECMTSUB to cmd/# within 30 s"), std::string::npos);
  EXPECT_FALSE(m["why"]["zh"].get<std::string>().empty());
  // Failed stays failed: a later line does not move it on.
  u.on_line(web::side::dte, "AT", web::line_kind::command);
  u.on_line(web::side::module, "OK", web::line_kind::result);
  EXPECT_FALSE(u.passed());
}

TEST(WebLessons, EveryExpectationALessonNamesIsStatedByItsScenario) {
  std::vector<std::string> errors;
  for (const auto& l : web::load_lessons(NT35E_LESSONS_DIR, errors)) {
    if (l.expect.empty()) continue;
    std::ifstream in(std::string(NT35E_SCENARIOS_DIR) + "/" + l.scenario);
    const auto scenario = json::parse(in, nullptr, false);
    ASSERT_TRUE(scenario.is_object()) << l.scenario;
    for (const auto& x : l.expect) {
      bool stated = false;
      for (const auto& e : scenario.value("expect", json::array())) stated = stated || e.value("name", "") == x;
      EXPECT_TRUE(stated) << l.name << " expects \"" << x << "\", which " << l.scenario << " does not state";
    }
  }
}
