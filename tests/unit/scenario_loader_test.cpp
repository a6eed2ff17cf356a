// The scenario format: every bad input of the scenario issue with its exact message,
// round trips of every field and every action and trigger kind, every file in
// scenarios/ loading, and the JSON Schema agreeing with the loader.

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "modem/profile.hpp"
#include "scenario/apply.hpp"
#include "scenario/json_loader.hpp"
#include "scenario/json_locator.hpp"

namespace nt35e::scenario {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// Every diagnostic of loading `text`, formatted, or "ok".
std::string errors(std::string_view text, const std::string& file = "t.json") {
  auto r = load_text(text, file);
  if (auto* ds = std::get_if<std::vector<diagnostic>>(&r)) return format(*ds);
  return "ok";
}

/// The one line of a single diagnostic (without its newline).
std::string error(std::string_view text) {
  auto all = errors(text);
  if (all != "ok" && !all.empty() && all.back() == '\n') all.pop_back();
  return all;
}

scenario load(std::string_view text, const std::string& file = "t.json") {
  auto r = load_text(text, file);
  if (auto* ds = std::get_if<std::vector<diagnostic>>(&r)) {
    ADD_FAILURE() << format(*ds);
    return {};
  }
  return std::get<scenario>(r);
}

/// A rule around one action, for action tests inside a whole file.
std::string with_action(const std::string& action_json, const std::string& trigger = R"("at": "1s")") {
  return R"({"rules": [{)" + trigger + R"(, "then": [)" + action_json + "]}]}";
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---------------------------------------------------------------------------------
// The message format

TEST(ScenarioDiagnostic, FormatIsCompilerStyleAndLeavesOutEmptyParts) {
  EXPECT_EQ(format(diagnostic{"a.json", 7, 15, "/broker/credentials/0/user", "expected a string, got a number"}),
            "a.json:7:15: error: /broker/credentials/0/user: expected a string, got a number");
  EXPECT_EQ(format(diagnostic{"", 0, 0, "/id", "id 9 is out of range: ids go from 0 to 4"}),
            "error: /id: id 9 is out of range: ids go from 0 to 4");
  EXPECT_EQ(format(diagnostic{"a.json", 0, 0, "", "cannot open the file: No such file or directory"}),
            "a.json: error: cannot open the file: No such file or directory");
  EXPECT_EQ(format(std::vector<diagnostic>{{"a", 1, 2, "/", "x"}, {"a", 3, 4, "/b", "y"}}),
            "a:1:2: error: /: x\na:3:4: error: /b: y\n");
}

// ---------------------------------------------------------------------------------
// Times

TEST(ScenarioDuration, AcceptedForms) {
  const std::pair<const char*, duration> cases[] = {
      {"250ms", 250ms}, {"3s", 3s},     {"1.5s", 1500ms}, {"2m", 2min},       {"1h", 1h},
      {"0s", 0ms},      {"0ms", 0ms},   {"0.25s", 250ms}, {"007s", 7s},       {"1.50s", 1500ms},
      {"0.001s", 1ms},  {"168h", 168h}, {"2.5m", 150s},   {"0.0001h", 360ms}, {"100ms", 100ms}};
  for (const auto& [text, want] : cases) {
    std::string why;
    auto d = parse_duration(text, &why);
    ASSERT_TRUE(d.has_value()) << text << ": " << why;
    EXPECT_EQ(*d, want) << text;
  }
}

TEST(ScenarioDuration, RejectedFormsSayWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"250", R"(time "250" has no unit; write "250ms" or "250s")"},
      {"1.5", R"(time "1.5" has no unit; write "1.5ms" or "1.5s")"},
      {"-5s", R"(time "-5s" is negative)"},
      {"-250", R"(time "-250" is negative)"},
      {"100us", R"(time "100us" has an unknown unit "us"; use ms, s, m or h)"},
      {"3S", R"(time "3S" has an unknown unit "S"; use ms, s, m or h)"},
      {"1.5ms", R"(time "1.5ms" is not a whole number of milliseconds)"},
      {"0.0001s", R"(time "0.0001s" is not a whole number of milliseconds)"},
      {"169h", R"(time "169h" is longer than 168h)"},
      {"99999999999999999999s", R"(time "99999999999999999999s" is longer than 168h)"},
      {"", R"(expected a time such as "250ms" or "3s", got "")"},
      {"abc", R"(expected a time such as "250ms" or "3s", got "abc")"},
      {"3 s", R"(expected a time such as "250ms" or "3s", got "3 s")"},
      {".5s", R"(expected a time such as "250ms" or "3s", got ".5s")"},
      {"1.s", R"(expected a time such as "250ms" or "3s", got "1.s")"},
      {"1e3ms", R"(expected a time such as "250ms" or "3s", got "1e3ms")"},
      {"--5s", R"(expected a time such as "250ms" or "3s", got "--5s")"},
  };
  for (const auto& [text, want] : cases) {
    std::string why;
    EXPECT_FALSE(parse_duration(text, &why).has_value()) << text;
    EXPECT_EQ(why, want) << text;
  }
  EXPECT_FALSE(parse_duration("x", nullptr).has_value()) << "no error string is fine";
}

TEST(ScenarioDuration, FormatIsTheShortestExactText) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(3s), "3s");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(2min), "2m");
  EXPECT_EQ(format_duration(1h), "1h");
  for (auto d : {0ms, 1ms, 999ms, 1000ms, 61000ms, 3600000ms, 3660000ms, 604800000ms})
    EXPECT_EQ(parse_duration(format_duration(d), nullptr), d);
}

TEST(ScenarioBadInput, TimesInAFile) {
  EXPECT_EQ(error(R"({"broker": {"delays": {"open": "250"}}})"),
            R"(t.json:1:32: error: /broker/delays/open: time "250" has no unit; write "250ms" or "250s")");
  EXPECT_EQ(error(R"({"broker": {"delays": {"open": 250}}})"),
            R"(t.json:1:32: error: /broker/delays/open: time 250 has no unit; write "250ms" or "250s")");
  EXPECT_EQ(error(R"({"rules": [{"at": "-5s", "then": [{"action": "reboot"}]}]})"),
            R"(t.json:1:19: error: /rules/0/at: time "-5s" is negative)");
  EXPECT_EQ(error(R"({"rules": [{"at": -5, "then": [{"action": "reboot"}]}]})"),
            R"(t.json:1:19: error: /rules/0/at: time -5 is negative)");
  EXPECT_EQ(
      error(R"({"network": {"registration_delay": "2 seconds"}})"),
      R"(t.json:1:36: error: /network/registration_delay: expected a time such as "250ms" or "3s", got "2 seconds")");
  EXPECT_EQ(error(R"({"broker": {"messages": [{"topic": "t", "every": true}]}})"),
            R"(t.json:1:50: error: /broker/messages/0/every: expected a time such as "250ms" or "3s", got a boolean)");
  EXPECT_EQ(error(R"({"rules": [{"at": "1s", "after": "100us", "then": [{"action": "reboot"}]}]})"),
            R"(t.json:1:34: error: /rules/0/after: time "100us" has an unknown unit "us"; use ms, s, m or h)");
}

// ---------------------------------------------------------------------------------
// Broken JSON: one diagnostic at the exact place

TEST(ScenarioBadInput, BrokenJson) {
  EXPECT_EQ(errors(R"({"a": [1,,]})"),
            "t.json:1:10: error: /a/1: invalid JSON: unexpected ','; expected '[', '{', or a literal\n");
  EXPECT_EQ(errors("{\n  \"rules\": [\n    {\"at\": \"1s\", \"then\": [{\"action\": \"reboot\",}]}\n  ]\n}\n"),
            "t.json:3:47: error: /rules/0/then/0: invalid JSON: unexpected '}'; expected string literal\n");
  EXPECT_EQ(errors("{\"name\": \"x\"\n \"profile\": \"nt35e\"}"),
            "t.json:2:2: error: /: invalid JSON: unexpected string literal; expected '}'\n");
  EXPECT_EQ(errors(""),
            "t.json:1:1: error: /: invalid JSON: unexpected end of input; expected '[', '{', or a literal\n");
  EXPECT_EQ(errors("{\"name\": \"x\""), "t.json:1:13: error: /: invalid JSON: unexpected end of input; expected '}'\n");
  EXPECT_EQ(errors(R"({"name": "x"} x)"),
            "t.json:1:15: error: /: invalid JSON: invalid literal; expected end of input\n");
  EXPECT_EQ(errors(R"({"time_scale": tru})"), "t.json:1:16: error: /time_scale: invalid JSON: invalid literal\n");
  EXPECT_EQ(errors(R"({"name": "a\qb"})"),
            "t.json:1:13: error: /name: invalid JSON: invalid string: forbidden character after backslash\n");
  EXPECT_EQ(errors("{name: 1}"), "t.json:1:2: error: /: invalid JSON: invalid literal; expected string literal\n");
  EXPECT_EQ(errors(R"({"time_scale": 1e400})"),
            "t.json:1:16: error: /time_scale: invalid JSON: number 1e400 is too large\n");
  // Comments are not JSON.
  EXPECT_EQ(errors("{\n  // a comment\n}"),
            "t.json:2:3: error: /: invalid JSON: invalid literal; expected string literal\n");
}

TEST(ScenarioBadInput, BrokenJsonColumnsCountCodePoints) {
  // "é" and "→" are one column each (2 and 3 bytes).
  EXPECT_EQ(errors("{\"description\": \"é→\" \"x\"}"),
            "t.json:1:22: error: /: invalid JSON: unexpected string literal; expected '}'\n");
  // A byte-order mark is not a column.
  EXPECT_EQ(errors("\xEF\xBB\xBF{\"name\": 1,}"),
            "t.json:1:12: error: /: invalid JSON: unexpected '}'; expected string literal\n");
}

TEST(ScenarioBadInput, InvalidUtf8IsBrokenJson) {
  EXPECT_EQ(errors("{\"name\": \"\xff\"}"),
            "t.json:1:11: error: /name: invalid JSON: invalid string: ill-formed UTF-8 byte\n");
}

TEST(ScenarioBadInput, DuplicateKeys) {
  EXPECT_EQ(errors("{\"name\": \"a\",\n \"name\": \"b\"}"),
            "t.json:2:2: error: /name: duplicate key \"name\" (first given at line 1, column 2)\n");
}

// ---------------------------------------------------------------------------------
// Wrong types

TEST(ScenarioBadInput, WrongTypes) {
  EXPECT_EQ(error(R"({"broker": {"credentials": [{"user": 5}]}})"),
            "t.json:1:38: error: /broker/credentials/0/user: expected a string, got a number");
  EXPECT_EQ(error("[]"), "t.json:1:1: error: /: expected an object, got an array");
  EXPECT_EQ(error(R"({"name": null})"), "t.json:1:10: error: /name: expected a string, got null");
  EXPECT_EQ(error(R"({"time_scale": "2"})"),
            "t.json:1:16: error: /time_scale: expected a number above 0 and at most 1000 (0.05: twenty times faster), "
            "got a string");
  EXPECT_EQ(
      error(R"({"time_scale": 0})"),
      "t.json:1:16: error: /time_scale: expected a number above 0 and at most 1000 (0.05: twenty times faster), got 0");
  EXPECT_EQ(error(R"({"time_scale": 1001})"),
            "t.json:1:16: error: /time_scale: expected a number above 0 and at most 1000 (0.05: twenty times faster), "
            "got 1001");
  EXPECT_EQ(error(R"({"time_scale": -0.5})"),
            "t.json:1:16: error: /time_scale: expected a number above 0 and at most 1000 (0.05: twenty times faster), "
            "got -0.5");
  EXPECT_EQ(error(R"({"network": []})"), "t.json:1:13: error: /network: expected an object, got an array");
  EXPECT_EQ(error(R"({"network": {"sim": "yes"}})"),
            "t.json:1:21: error: /network/sim: expected true or false, got a string");
  EXPECT_EQ(error(R"({"network": {"rssi": 40}})"),
            "t.json:1:22: error: /network/rssi: expected a whole number from 0 to 31, or 99 (unknown), got 40");
  EXPECT_EQ(error(R"({"network": {"rsrp": 98}})"),
            "t.json:1:22: error: /network/rsrp: expected a whole number from 0 to 97, or 255 (unknown), got 98");
  EXPECT_EQ(error(R"({"rules": {}})"), "t.json:1:11: error: /rules: expected an array, got an object");
  EXPECT_EQ(error(R"({"rules": [[]]})"), "t.json:1:12: error: /rules/0: expected an object, got an array");
  EXPECT_EQ(error(R"({"broker": {"live": 1}})"),
            "t.json:1:21: error: /broker/live: expected true or false, got a number");
  EXPECT_EQ(error(R"({"broker": {"retained": [{"topic": "t", "qos": "1"}]}})"),
            "t.json:1:48: error: /broker/retained/0/qos: expected a whole number from 0 to 2, got a string");
  EXPECT_EQ(error(R"({"broker": {"retained": [{"topic": "t", "qos": 1.5}]}})"),
            "t.json:1:48: error: /broker/retained/0/qos: expected a whole number from 0 to 2, got 1.5");
  EXPECT_EQ(error(R"({"broker": {"connack": 6}})"),
            "t.json:1:24: error: /broker/connack: expected a whole number from 0 to 5, got 6");
  EXPECT_EQ(error(R"({"broker": {"messages": [{"topic": "t", "count": 0}]}})"),
            "t.json:1:50: error: /broker/messages/0/count: expected a whole number from 1 to 1000000, got 0");
  EXPECT_EQ(error(R"({"settings": {"echo": 0}})"),
            "t.json:1:23: error: /settings/echo: expected a string (settings are written as for --set), got a number");
  EXPECT_EQ(error(R"({"rules": [{"at": "1s", "then": {"action": "reboot"}}]})"),
            "t.json:1:33: error: /rules/0/then: expected an array of actions, got an object");
  EXPECT_EQ(error(with_action(R"("reboot")")),
            "t.json:1:34: error: /rules/0/then/0: expected an object with an \"action\", got a string");
  EXPECT_EQ(error(with_action(R"({"action": 7})")),
            "t.json:1:45: error: /rules/0/then/0/action: expected an action name, got a number");
}

TEST(ScenarioBadInput, WholeNumbersMayBeWrittenWithAZeroFraction) {
  auto s = load(R"({"broker": {"retained": [{"topic": "t", "qos": 2.0}]}})");
  ASSERT_EQ(s.broker.retained.size(), 1u);
  EXPECT_EQ(s.broker.retained[0].qos, 2);
}

// ---------------------------------------------------------------------------------
// Unknown keys, with "did you mean"

TEST(ScenarioBadInput, UnknownKeys) {
  EXPECT_EQ(error(R"({"broker": {"conack": 5}})"),
            R"(t.json:1:13: error: /broker/conack: unknown key "conack"; did you mean "connack"?)");
  EXPECT_EQ(error(R"({"Name": "x"})"), R"(t.json:1:2: error: /Name: unknown key "Name"; did you mean "name"?)");
  EXPECT_EQ(error(R"({"rule": []})"), R"(t.json:1:2: error: /rule: unknown key "rule"; did you mean "rules"?)");
  EXPECT_EQ(
      error(R"({"network": {"registration_dly": "1s"}})"),
      R"(t.json:1:14: error: /network/registration_dly: unknown key "registration_dly"; did you mean "registration_delay"?)");
  EXPECT_EQ(
      error(R"({"broker": {"delays": {"pubck": "1s"}}})"),
      R"(t.json:1:24: error: /broker/delays/pubck: unknown key "pubck"; expected one of: open, open_tls, connack, ack, delivery)");
  EXPECT_EQ(
      error(R"({"colour": "red"})"),
      R"(t.json:1:2: error: /colour: unknown key "colour"; expected one of: $schema, name, description, profile, settings, time_scale, uart, network, broker, rules, modems, fleet_events, oracle, expect)");
  EXPECT_EQ(error(R"({"rules": [{"on_comand": "+X", "then": [{"action": "reboot"}]}]})"),
            R"(t.json:1:13: error: /rules/0/on_comand: unknown key "on_comand"; did you mean "on_command"?)")
      << "the misspelt trigger is the one message (no \"needs a trigger\" too)";
  EXPECT_EQ(error(R"({"rules": [{"at": "1s", "thne": [{"action": "reboot"}]}]})"),
            R"(t.json:1:25: error: /rules/0/thne: unknown key "thne"; did you mean "then"?)");
  EXPECT_EQ(error(R"({"rules": [{"at": "1s"}]})"), R"(t.json:1:12: error: /rules/0: missing required key "then")");
}

TEST(ScenarioBadInput, UnknownKeysInActions) {
  EXPECT_EQ(error(with_action(R"({"action": "drop_link", "code": 5})")),
            R"(t.json:1:58: error: /rules/0/then/0/code: "code" does not apply to drop_link (its fields: id))");
  EXPECT_EQ(error(with_action(R"({"action": "reboot", "id": 0})")),
            R"(t.json:1:55: error: /rules/0/then/0/id: "id" does not apply to reboot (it takes no fields))");
  EXPECT_EQ(error(with_action(R"({"action": "refuse_connect", "cod": 5})")),
            R"(t.json:1:63: error: /rules/0/then/0/cod: unknown key "cod"; did you mean "code"?)")
      << "a typo of a required key is one message";
  EXPECT_EQ(error(with_action(R"({"action": "deliver", "topic": "t", "qso": 1})")),
            R"(t.json:1:70: error: /rules/0/then/0/qso: unknown key "qso"; did you mean "qos"?)");
  EXPECT_EQ(error(with_action(R"({"action": "drop_link", "zzz": 5})")),
            R"(t.json:1:58: error: /rules/0/then/0/zzz: unknown key "zzz"; expected one of: action, id)");
  EXPECT_EQ(error(with_action(R"({"id": 0})")),
            R"(t.json:1:34: error: /rules/0/then/0: missing required key "action")");
  EXPECT_EQ(error(with_action(R"({"acton": "reboot"})")),
            R"(t.json:1:35: error: /rules/0/then/0/acton: unknown key "acton"; did you mean "action"?)");
}

// ---------------------------------------------------------------------------------
// Actions: names, required fields, values

TEST(ScenarioBadInput, UnknownActionNames) {
  EXPECT_EQ(error(with_action(R"({"action": "drop_links"})")),
            R"(t.json:1:45: error: /rules/0/then/0/action: unknown action "drop_links"; did you mean "drop_link"?)");
  EXPECT_EQ(
      error(with_action(R"({"action": "explode"})")),
      R"(t.json:1:45: error: /rules/0/then/0/action: unknown action "explode"; expected one of: )" + [] {
        std::string all;
        for (const auto& n : action_names()) all += (all.empty() ? "" : ", ") + n;
        return all;
      }());
}

TEST(ScenarioBadInput, ActionFields) {
  EXPECT_EQ(error(with_action(R"({"action": "refuse_connect"})")),
            R"(t.json:1:34: error: /rules/0/then/0: missing required key "code" for refuse_connect)");
  EXPECT_EQ(error(with_action(R"({"action": "refuse_connect", "code": 0})")),
            R"(t.json:1:71: error: /rules/0/then/0/code: expected a whole number from 1 to 5, got 0)");
  EXPECT_EQ(error(with_action(R"({"action": "deliver", "payload": "x"})")),
            R"(t.json:1:34: error: /rules/0/then/0: missing required key "topic" for deliver)");
  EXPECT_EQ(
      error(with_action(R"({"action": "deliver", "topic": "a/#"})")),
      R"(t.json:1:65: error: /rules/0/then/0/topic: topic "a/#" contains a wildcard; a message's topic cannot contain "+" or "#")");
  EXPECT_EQ(error(with_action(R"({"action": "deliver", "topic": ""})")),
            R"(t.json:1:65: error: /rules/0/then/0/topic: expected a topic, got an empty string)");
  EXPECT_EQ(
      error(with_action(R"({"action": "lose_registration", "stat": 1})")),
      R"(t.json:1:74: error: /rules/0/then/0/stat: expected 0 (not registered), 2 (searching) or 3 (denied), got 1)");
  EXPECT_EQ(error(with_action(R"({"action": "lose_registration"})")),
            R"(t.json:1:34: error: /rules/0/then/0: missing required key "stat" for lose_registration)");
  EXPECT_EQ(
      error(with_action(R"({"action": "set_signal"})")),
      R"(t.json:1:34: error: /rules/0/then/0: set_signal needs at least one of "rssi", "ber", "rsrq" and "rsrp")");
  EXPECT_EQ(
      error(with_action(R"({"action": "set_signal", "rssi": 32})")),
      R"(t.json:1:67: error: /rules/0/then/0/rssi: expected a whole number from 0 to 31, or 99 (unknown), got 32)");
  EXPECT_EQ(error(with_action(R"({"action": "send_bytes"})")),
            R"(t.json:1:34: error: /rules/0/then/0: missing required key "text" or "hex" for send_bytes)");
  EXPECT_EQ(error(with_action(R"({"action": "send_bytes", "text": "a", "hex": "61"})")),
            R"(t.json:1:72: error: /rules/0/then/0/hex: send_bytes takes "text" or "hex", not both)");
  EXPECT_EQ(
      error(with_action(R"({"action": "send_bytes", "hex": "0d0a f"})")),
      R"(t.json:1:66: error: /rules/0/then/0/hex: expected bytes as pairs of hex digits such as "0d0a ff", got "0d0a f")");
  EXPECT_EQ(error(with_action(R"({"action": "truncate_response", "keep": -1})", R"("on_command": "+CSQ")")),
            R"(t.json:1:84: error: /rules/0/then/0/keep: expected a whole number from 0 to 1000000, got -1)");
  EXPECT_EQ(error(with_action(R"({"action": "delay_response"})", R"("on_command": "+CSQ")")),
            R"(t.json:1:44: error: /rules/0/then/0: missing required key "by" for delay_response)");
  EXPECT_EQ(error(R"({"rules": [{"at": "1s", "then": []}]})"),
            "t.json:1:33: error: /rules/0/then: expected at least one action, got an empty array");
}

TEST(ScenarioBadInput, ResponseActionsNeedACommandRule) {
  EXPECT_EQ(error(with_action(R"({"action": "never_answer"})")),
            "t.json:1:45: error: /rules/0/then/0/action: never_answer changes the answer to a command, so it needs an "
            "on_command or on_command_regex rule");
  EXPECT_EQ(error(with_action(R"({"action": "replace_response", "text": "x"})", R"("on_urc": "+CEREG:*")")),
            "t.json:1:55: error: /rules/0/then/0/action: replace_response changes the answer to a command, so it needs "
            "an on_command or on_command_regex rule");
  EXPECT_EQ(error(with_action(R"({"action": "delay_response", "by": "1s"})", R"("on_command": "+CSQ", "after": "1s")")),
            "t.json:1:35: error: /rules/0/after: delay_response changes the answer to the command that fired the rule, "
            "so the rule cannot have \"after\" (delay_response delays the answer)");
  EXPECT_EQ(errors(with_action(R"({"action": "never_answer"})", R"("on_command_regex": "^\\+CSQ", "after": "0s")")),
            "ok");
}

// ---------------------------------------------------------------------------------
// Triggers and patterns

TEST(ScenarioBadInput, PatternsThatCannotCompile) {
  EXPECT_EQ(
      error(with_action(R"({"action": "reboot"})", R"("on_command_regex": "(")")),
      R"(t.json:1:33: error: /rules/0/on_command_regex: regex "(" does not compile: Mismatched '(' and ')' in regular expression)");
  EXPECT_EQ(
      error(with_action(R"({"action": "reboot"})", R"("on_urc_regex": "[a")")),
      R"(t.json:1:29: error: /rules/0/on_urc_regex: regex "[a" does not compile: Unexpected character within '[...]' in regular expression)");
  EXPECT_EQ(
      error(with_action(R"({"action": "reboot"})", R"("on_publish": "a/#/b")")),
      R"(t.json:1:27: error: /rules/0/on_publish: topic filter "a/#/b" is invalid: "#" must be a whole level and the last one)");
  EXPECT_EQ(error(with_action(R"({"action": "reboot"})", R"("on_publish": "a/b+")")),
            R"(t.json:1:27: error: /rules/0/on_publish: topic filter "a/b+" is invalid: "+" must be a whole level)");
  EXPECT_EQ(error(with_action(R"({"action": "reboot"})", R"("on_publish": "")")),
            R"(t.json:1:27: error: /rules/0/on_publish: expected a topic filter, got an empty string)");
  EXPECT_EQ(
      error(R"({"broker": {"replies": [{"on_publish": "#/x", "topic": "r"}]}})"),
      R"(t.json:1:40: error: /broker/replies/0/on_publish: topic filter "#/x" is invalid: "#" must be a whole level and the last one)");
  EXPECT_EQ(
      error(with_action(R"({"action": "reboot"})", R"("on_command": "AT+ECMTCONN=*")")),
      R"(t.json:1:27: error: /rules/0/on_command: on_command matches the text after "AT": write "+ECMTCONN=*", not "AT+ECMTCONN=*")");
  EXPECT_EQ(error(with_action(R"({"action": "reboot"})", R"("on_mqtt": "conack")")),
            R"(t.json:1:24: error: /rules/0/on_mqtt: unknown MQTT event "conack"; did you mean "connack"?)");
  EXPECT_EQ(
      error(with_action(R"({"action": "reboot"})", R"("on_mqtt": "boom")")),
      R"(t.json:1:24: error: /rules/0/on_mqtt: unknown MQTT event "boom"; expected one of: opened, connack, connect_failed, suback, unsuback, published, message, link_lost)");
}

TEST(ScenarioBadInput, ExactlyOneTrigger) {
  EXPECT_EQ(error(R"({"rules": [{"then": [{"action": "reboot"}]}]})"),
            "t.json:1:12: error: /rules/0: a rule needs a trigger: one of at, on_command, on_command_regex, on_urc, "
            "on_urc_regex, on_mqtt, on_publish");
  EXPECT_EQ(error(with_action(R"({"action": "reboot"})", R"("on_urc": "+CEREG:*", "at": "1s")")),
            R"(t.json:1:35: error: /rules/0/at: a rule has exactly one trigger, but this one has on_urc and at)");
  EXPECT_EQ(error(with_action(R"({"action": "reboot"})", R"("at": "1s", "occurrence": 2)")),
            R"(t.json:1:25: error: /rules/0/occurrence: "occurrence" does not apply to an "at" rule)");
  EXPECT_EQ(error(with_action(R"({"action": "reboot"})", R"("on_command": "+CSQ", "occurrence": 0)")),
            R"(t.json:1:49: error: /rules/0/occurrence: expected a whole number of at least 1, got 0)");
  EXPECT_EQ(error(with_action(R"({"action": "reboot"})", R"("on_command": "+CSQ", "id": 0)")),
            R"(t.json:1:35: error: /rules/0/id: "id" applies only to on_mqtt and on_publish rules)");
}

// ---------------------------------------------------------------------------------
// Ids, profiles, settings

TEST(ScenarioBadInput, IdsOutOfRange) {
  EXPECT_EQ(error(with_action(R"({"action": "drop_link", "id": 5})")),
            "t.json:1:64: error: /rules/0/then/0/id: id 5 is out of range: profile nt35e has ids 0 to 4");
  EXPECT_EQ(error(with_action(R"({"action": "drop_link", "id": -1})")),
            "t.json:1:64: error: /rules/0/then/0/id: id -1 is out of range: profile nt35e has ids 0 to 4");
  EXPECT_EQ(error(with_action(R"({"action": "drop_link", "id": "0"})")),
            "t.json:1:64: error: /rules/0/then/0/id: expected an ECMT id (a whole number from 0 to 4), got a string");
  EXPECT_EQ(
      error(R"({"profile": "ec616s", "rules": [{"on_mqtt": "connack", "id": 1, "then": [{"action": "reboot"}]}]})"),
      "t.json:1:62: error: /rules/0/id: id 1 is out of range: profile ec616s has only id 0");
  EXPECT_EQ(
      error(
          R"({"profile": "ec616s", "rules": [{"at": "1s", "then": [{"action": "deliver", "id": 1, "topic": "t"}]}]})"),
      "t.json:1:83: error: /rules/0/then/0/id: id 1 is out of range: profile ec616s has only id 0");
  EXPECT_EQ(
      error(
          R"({"settings": {"max_id": "1"}, "rules": [{"on_publish": "#", "id": 2, "then": [{"action": "reboot"}]}]})"),
      "t.json:1:67: error: /rules/0/id: id 2 is out of range: setting max_id gives ids 0 to 1");
  EXPECT_EQ(
      errors(
          R"({"profile": "ec616s", "rules": [{"on_mqtt": "connack", "id": 0, "then": [{"action": "drop_link", "id": 0}]}]})"),
      "ok");
}

TEST(ScenarioBadInput, ProfilesAndSettings) {
  EXPECT_EQ(error(R"({"profile": "nt36e"})"),
            R"(t.json:1:13: error: /profile: unknown profile "nt36e"; did you mean "nt35e"?)");
  EXPECT_EQ(error(R"({"profile": "bg96"})"),
            R"(t.json:1:13: error: /profile: unknown profile "bg96"; expected one of: nt35e, ec616s)");
  EXPECT_EQ(error(R"({"settings": {"ecoh": "1"}})"),
            R"(t.json:1:15: error: /settings/ecoh: unknown setting "ecoh"; did you mean "echo"?)");
  EXPECT_EQ(error(R"({"settings": {"xyzzy": "1"}})"),
            R"(t.json:1:15: error: /settings/xyzzy: unknown setting "xyzzy"; known: )" + modem::profile_field_names());
  EXPECT_EQ(error(R"({"settings": {"echo": "2"}})"),
            R"(t.json:1:23: error: /settings/echo: echo expects 0 or 1, got "2")");
  EXPECT_EQ(error(R"({"settings": {"imei": "866123045678900"}})"),
            R"(t.json:1:23: error: /settings/imei: imei "866123045678900" fails the Luhn check a real IMEI passes)");
  // Unmasking secrets is the choice of whoever runs the simulator, not of a scenario file.
  EXPECT_EQ(
      error(R"({"settings": {"show_secrets": "1"}})"),
      R"(t.json:1:31: error: /settings/show_secrets: show_secrets cannot be set by a scenario; give --show-secrets on the command line)");
  EXPECT_NE(error(R"({"modems": [{"select": "1", "settings": {"show_secrets": "on"}}]})")
                .find("/modems/0/settings/show_secrets: show_secrets cannot be set by a scenario"),
            std::string::npos);
  EXPECT_EQ(
      error(R"({"settings": {"quirk.disc_in_opened_fails": "maybe"}})"),
      R"(t.json:1:45: error: /settings/quirk.disc_in_opened_fails: quirk.disc_in_opened_fails expects on or off, got "maybe")");
}

TEST(ScenarioBadInput, BrokerHostsAndMessages) {
  EXPECT_EQ(error(R"({"broker": {"map_host": {"test.mosquitto.org": "127.0.0.1"}}})"),
            R"(t.json:1:48: error: /broker/map_host/test.mosquitto.org: the target needs a port (ADDR:PORT))");
  EXPECT_EQ(
      error(R"({"broker": {"map_host": {"a::b": "127.0.0.1:1883"}}})"),
      R"(t.json:1:26: error: /broker/map_host/a::b: an IPv6 address in the mapped host must be written in brackets, e.g. [::1]:1883)");
  EXPECT_EQ(error(R"({"broker": {"map_host": {"h": 1883}}})"),
            R"(t.json:1:31: error: /broker/map_host/h: expected "ADDR:PORT", got a number)");
  EXPECT_EQ(
      error(R"({"broker": {"unreachable": ["10.0.0.9:99999"]}})"),
      R"(t.json:1:29: error: /broker/unreachable/0: expected "HOST" or "HOST:PORT" with a port from 1 to 65535, got "10.0.0.9:99999")");
  EXPECT_EQ(error(R"({"broker": {"unresolvable": [""]}})"),
            R"(t.json:1:30: error: /broker/unresolvable/0: expected a host name, got an empty string)");
  EXPECT_EQ(error(R"({"broker": {"messages": [{"payload": "x"}]}})"),
            R"(t.json:1:26: error: /broker/messages/0: missing required key "topic")");
  EXPECT_EQ(error(R"({"broker": {"credentials": [{"password": "p"}]}})"),
            R"(t.json:1:29: error: /broker/credentials/0: missing required key "user")");
  EXPECT_EQ(error(R"({"broker": {"replies": [{"topic": "r"}]}})"),
            R"(t.json:1:25: error: /broker/replies/0: missing required key "on_publish")");
}

// ---------------------------------------------------------------------------------
// Several problems: all reported, in document order, at most max_diagnostics

TEST(ScenarioBadInput, SeveralProblemsComeInDocumentOrder) {
  const std::string text = R"({
  "broker": {"credentials": [{"user": 5}], "conack": 5},
  "profile": "nt35e",
  "rules": [
    {"on_command": "+ECMTCONN=*", "occurrence": 3, "then": [{"action": "refuse_connect", "code": 9}]},
    {"at": "10", "then": [{"action": "drop_link", "id": 7}]}
  ]
})";
  EXPECT_EQ(errors(text, "auth.json"),
            "auth.json:2:39: error: /broker/credentials/0/user: expected a string, got a number\n"
            "auth.json:2:44: error: /broker/conack: unknown key \"conack\"; did you mean \"connack\"?\n"
            "auth.json:5:98: error: /rules/0/then/0/code: expected a whole number from 1 to 5, got 9\n"
            "auth.json:6:12: error: /rules/1/at: time \"10\" has no unit; write \"10ms\" or \"10s\"\n"
            "auth.json:6:57: error: /rules/1/then/0/id: id 7 is out of range: profile nt35e has ids 0 to 4\n");
}

TEST(ScenarioBadInput, AtMostTwentyDiagnostics) {
  std::string text = "{";
  for (int i = 0; i < 30; ++i) text += (i ? ",\n" : "\n") + std::string("\"k") + std::to_string(100 + i) + "\": 1";
  text += "\n}";
  auto r = load_text(text, "many.json");
  ASSERT_TRUE(std::holds_alternative<std::vector<diagnostic>>(r));
  const auto& ds = std::get<std::vector<diagnostic>>(r);
  ASSERT_EQ(ds.size(), max_diagnostics);
  EXPECT_EQ(format(ds.front()),
            "many.json:2:1: error: /k100: unknown key \"k100\"; expected one of: $schema, name, description, profile, "
            "settings, time_scale, uart, network, broker, rules, modems, fleet_events, oracle, expect");
  EXPECT_EQ(ds[18].line, 20);
  EXPECT_EQ(format(ds.back()), "many.json: error: 11 more errors not shown");
}

TEST(ScenarioBadInput, Files) {
  EXPECT_EQ(format(std::get<std::vector<diagnostic>>(load_file("/nonexistent/x.json"))),
            "/nonexistent/x.json: error: cannot open the file: No such file or directory\n");
  EXPECT_EQ(format(std::get<std::vector<diagnostic>>(load_file(NT35E_SCENARIOS_DIR))),
            std::string(NT35E_SCENARIOS_DIR) + ": error: is a directory, not a scenario file\n");
}

// ---------------------------------------------------------------------------------
// The control channel's single actions

TEST(ScenarioActionJson, DiagnosticsCarryThePathPrefix) {
  auto d = std::get<diagnostic>(action_from_json(json::parse(R"({"action":"drop_link","id":9})"), ""));
  EXPECT_EQ(format(d), "error: /id: id 9 is out of range: ids go from 0 to 4");
  d = std::get<diagnostic>(action_from_json(json::parse(R"({"action":"drop_link","id":1})"), "", 0));
  EXPECT_EQ(format(d), "error: /id: id 1 is out of range: only id 0 exists");
  d = std::get<diagnostic>(action_from_json(json::parse(R"({"action":"refuse_connect"})"), "/fire"));
  EXPECT_EQ(format(d), "error: /fire: missing required key \"code\" for refuse_connect");
  d = std::get<diagnostic>(action_from_json(json::parse(R"({"action":"dorp_link"})"), ""));
  EXPECT_EQ(format(d), "error: /action: unknown action \"dorp_link\"; did you mean \"drop_link\"?");
  d = std::get<diagnostic>(action_from_json(json::parse("42"), ""));
  EXPECT_EQ(format(d), "error: /: expected an object with an \"action\", got a number");
  // Response actions are fine here: the control channel decides what they mean.
  EXPECT_TRUE(std::holds_alternative<action>(action_from_json(json::parse(R"({"action":"never_answer"})"), "")));
}

// ---------------------------------------------------------------------------------
// Round trips: every action kind, every trigger kind, every field

const char* const every_trigger_text = R"({"rules": [
    {"at": "10s", "then": [{"action": "drop_link", "id": 0}]},
    {"on_command": "+ECMTCONN=*", "occurrence": 3, "then": [{"action": "refuse_connect", "code": 5}]},
    {"on_command_regex": "^\\+ECMTPUB=0,\\d+,1", "after": "50ms", "then": [{"action": "drop_link", "id": 0}]},
    {"on_urc": "+ECMTSTAT:*", "then": [{"action": "reboot"}]},
    {"on_urc_regex": "^\\+CEREG:[23]$", "occurrence": 1, "then": [{"action": "reboot"}]},
    {"name": "on connack", "on_mqtt": "connack", "id": 0, "then": [{"action": "reboot"}]},
    {"on_publish": "sensors/#", "id": 4, "then": [{"action": "deliver", "id": 0, "topic": "ack", "payload": "ok"}]}
  ]})";

const char* const every_field_text = R"({
    "$schema": "./scenario.schema.json",
    "name": "everything",
    "description": "All the fields — with a non-ASCII character",
    "profile": "nt35e",
    "settings": {"quirk.disc_in_opened_fails": "off", "echo": "0", "imei": "866123045678904"},
    "time_scale": 0.05,
    "network": {"registration": "roaming", "registration_delay": "2.5s", "rssi": 10, "ber": 3, "rsrq": 12, "rsrp": 40, "sim": false},
    "broker": {
      "live": true,
      "map_host": {"test.mosquitto.org": "127.0.0.1:1883", "broker.example.com:8883": "[::1]:8883"},
      "credentials": [{"client_id": "dev01", "user": "u", "password": "p"}, {"user": "v"}],
      "allow_anonymous": false,
      "connack": 5,
      "unresolvable": ["bad.example"],
      "unreachable": ["10.0.0.9:1883", "10.0.0.10"],
      "delays": {"open": "1s", "connack": "2s", "ack": "10ms", "delivery": "0s"},
      "retained": [{"topic": "t", "payload": "p", "qos": 1}],
      "replies": [{"on_publish": "cmd/+", "topic": "resp", "payload": "ok", "qos": 2, "after": "250ms"}],
      "messages": [{"at": "10s", "topic": "burst", "payload": "msg {n}", "qos": 1, "count": 1000, "every": "1ms"}]
    },
    "rules": [{"name": "drop at 10 s", "at": "10s", "then": [{"action": "drop_link", "id": 0}]}]
  })";

const char* const every_override_text = R"({
    "broker": {"credentials": [{"user": "u", "password": "right"}], "allow_anonymous": false},
    "rules": [{"on_command": "+CGMI", "then": [{"action": "replace_response", "text": "\r\nBASE\r\n\r\nOK\r\n"}]}],
    "modems": [
      {"select": "0-9, 15", "settings": {"csq": "5", "echo": "0"}, "network": {"rssi": 7, "registration_delay": "1s"},
       "rules": [{"at": "10s", "then": [{"action": "drop_link"}]}]},
      {"select": [20, 21], "broker": {"credentials": [{"user": "u", "password": "other"}]}, "replace_rules": true},
      {"select": "30", "rules": [{"on_urc": "+CEREG:*", "then": [{"action": "reboot"}]}], "replace_rules": false}
    ]
  })";

struct action_case {
  const char* json_text;  ///< the canonical form (what to_json writes)
  std::function<void(const action&)> check;
};

std::vector<action_case> action_cases() {
  return {
      {R"({"action":"replace_response","text":"\r\n+CME ERROR: 3\r\n"})",
       [](const action& a) { EXPECT_EQ(a.text, "\r\n+CME ERROR: 3\r\n"); }},
      {R"({"action":"delay_response","by":"2500ms"})", [](const action& a) { EXPECT_EQ(a.by, 2500ms); }},
      {R"({"action":"never_answer"})", [](const action&) {}},
      {R"({"action":"truncate_response","keep":7})", [](const action& a) { EXPECT_EQ(a.keep, 7u); }},
      {R"({"action":"refuse_connect","code":5,"id":0})",
       [](const action& a) {
         EXPECT_EQ(a.code, 5);
         EXPECT_EQ(a.id, 0);
       }},
      {R"({"action":"refuse_connect","code":1})", [](const action& a) { EXPECT_FALSE(a.id.has_value()); }},
      {R"({"action":"dns_failure","id":1})", [](const action& a) { EXPECT_EQ(a.id, 1); }},
      {R"({"action":"tcp_open_failure","id":4})", [](const action& a) { EXPECT_EQ(a.id, 4); }},
      {R"({"action":"drop_link","id":0})", [](const action& a) { EXPECT_EQ(a.id, 0); }},
      {R"({"action":"drop_link"})", [](const action& a) { EXPECT_FALSE(a.id.has_value()); }},
      {R"({"action":"stop_pings","id":2})", [](const action& a) { EXPECT_EQ(a.id, 2); }},
      {R"({"action":"resume_pings","id":2})", [](const action& a) { EXPECT_EQ(a.id, 2); }},
      {R"({"action":"deliver","id":3,"payload":"{\"on\":true}","qos":2,"retain":true,"topic":"cmd/dev01"})",
       [](const action& a) {
         EXPECT_EQ(a.id, 3);
         EXPECT_EQ(a.topic, "cmd/dev01");
         EXPECT_EQ(a.payload, R"({"on":true})");
         EXPECT_EQ(a.qos, 2);
         EXPECT_TRUE(a.retain);
       }},
      {R"({"action":"connfail_then_connack","id":0})", [](const action& a) { EXPECT_EQ(a.id, 0); }},
      {R"({"action":"inject_urc","text":"+ECMTSTAT:0,1"})",
       [](const action& a) { EXPECT_EQ(a.text, "+ECMTSTAT:0,1"); }},
      {R"({"action":"duplicate_next_urc","pattern":"+ECMTCONN:*"})",
       [](const action& a) { EXPECT_EQ(a.text, "+ECMTCONN:*"); }},
      {R"({"action":"duplicate_next_urc"})", [](const action& a) { EXPECT_EQ(a.text, ""); }},
      {R"({"action":"send_bytes","text":"\r\n+ECMTRE\u001a\u0000"})",
       [](const action& a) { EXPECT_EQ(a.text, std::string("\r\n+ECMTRE\x1a\0", 11)); }},
      {R"({"action":"send_bytes","hex":"0d 0a ff fe"})", [](const action& a) { EXPECT_EQ(a.text, "\r\n\xff\xfe"); }},
      {R"({"action":"line_noise","for":"2s","mode":"drop","percent":30})",
       [](const action& a) {
         EXPECT_EQ(a.window, std::chrono::seconds(2));
         EXPECT_TRUE(a.drop);
         EXPECT_EQ(a.percent, 30);
       }},
      {R"({"action":"broker_down","for":"10s"})", [](const action& a) { EXPECT_EQ(a.window, 10s); }},
      {R"({"action":"slow_network","for":"30s","by":"1500ms"})",
       [](const action& a) {
         EXPECT_EQ(a.window, 30s);
         EXPECT_EQ(a.by, 1500ms);
       }},
      {R"({"action":"lose_registration","stat":2})", [](const action& a) { EXPECT_EQ(a.stat, 2); }},
      {R"({"action":"regain_registration","by":"3s"})", [](const action& a) { EXPECT_EQ(a.by, 3s); }},
      {R"({"action":"set_signal","ber":0,"rsrp":255,"rsrq":34,"rssi":99})",
       [](const action& a) {
         EXPECT_EQ(a.rssi, 99);
         EXPECT_EQ(a.ber, 0);
         EXPECT_EQ(a.rsrq, 34);
         EXPECT_EQ(a.rsrp, 255);
       }},
      {R"({"action":"set_signal","rssi":5})", [](const action& a) { EXPECT_FALSE(a.ber.has_value()); }},
      {R"({"action":"remove_sim"})", [](const action&) {}},
      {R"({"action":"insert_sim"})", [](const action&) {}},
      {R"({"action":"reboot"})", [](const action&) {}},
  };
}

TEST(ScenarioRoundTrip, EveryActionKind) {
  const auto cases = action_cases();
  std::set<std::string> seen;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json_text);
    const auto j = json::parse(c.json_text);
    auto r = action_from_json(j, "");
    ASSERT_TRUE(std::holds_alternative<action>(r)) << format(std::get<diagnostic>(r));
    const auto& a = std::get<action>(r);
    EXPECT_EQ(to_string(a.kind), j["action"].get<std::string>());
    c.check(a);
    EXPECT_EQ(to_json(a), j) << "to_json writes the canonical form back";
    seen.insert(to_string(a.kind));
    // The same action inside a scenario file, under a rule that allows it.
    auto s = load(with_action(c.json_text, R"("on_command": "+CSQ")"));
    ASSERT_EQ(s.rules.size(), 1u);
    ASSERT_EQ(s.rules[0].then.size(), 1u);
    EXPECT_EQ(to_json(s.rules[0].then[0]), j);
  }
  const auto names = action_names();
  EXPECT_EQ(seen, std::set<std::string>(names.begin(), names.end())) << "a case for every action";
}

TEST(ScenarioRoundTrip, DefaultsOfActionFields) {
  auto a = std::get<action>(action_from_json(json::parse(R"({"action":"deliver","topic":"t"})"), ""));
  EXPECT_EQ(a.payload, "");
  EXPECT_EQ(a.qos, 0);
  EXPECT_FALSE(a.retain);
  EXPECT_FALSE(a.id.has_value());
  a = std::get<action>(action_from_json(json::parse(R"({"action":"regain_registration"})"), ""));
  EXPECT_EQ(a.by, 0ms);
  EXPECT_EQ(to_json(a), json::parse(R"({"action":"regain_registration","by":"0s"})"));
}

TEST(ScenarioRoundTrip, EveryTriggerKind) {
  auto s = load(every_trigger_text);
  ASSERT_EQ(s.rules.size(), 7u);
  const auto& r = s.rules;
  EXPECT_EQ(r[0].name, "rule 0");
  EXPECT_EQ(r[0].when.kind, trigger_kind::at);
  EXPECT_EQ(r[0].when.at, 10s);
  EXPECT_EQ(r[1].when.kind, trigger_kind::command);
  EXPECT_EQ(r[1].when.pattern, "+ECMTCONN=*");
  EXPECT_FALSE(r[1].when.regex);
  EXPECT_EQ(r[1].when.occurrence, 3);
  EXPECT_EQ(r[2].when.kind, trigger_kind::command);
  EXPECT_EQ(r[2].when.pattern, "^\\+ECMTPUB=0,\\d+,1");
  EXPECT_TRUE(r[2].when.regex);
  EXPECT_EQ(r[2].after, 50ms);
  EXPECT_EQ(r[3].when.kind, trigger_kind::urc);
  EXPECT_FALSE(r[3].when.regex);
  EXPECT_EQ(r[3].when.occurrence, 0);
  EXPECT_EQ(r[4].when.kind, trigger_kind::urc);
  EXPECT_TRUE(r[4].when.regex);
  EXPECT_EQ(r[5].name, "on connack");
  EXPECT_EQ(r[5].when.kind, trigger_kind::mqtt_event);
  EXPECT_EQ(r[5].when.pattern, "connack");
  EXPECT_EQ(r[5].when.id, 0);
  EXPECT_EQ(r[6].when.kind, trigger_kind::publish);
  EXPECT_EQ(r[6].when.pattern, "sensors/#");
  EXPECT_EQ(r[6].when.id, 4);
  EXPECT_EQ(r[6].then[0].payload, "ok");

  auto again = load(to_json(s).dump(), "t.json");
  EXPECT_EQ(to_json(again), to_json(s));
  for (const auto& event : mqtt_event_names())
    EXPECT_EQ(errors(with_action(R"({"action": "reboot"})", R"("on_mqtt": ")" + event + "\"")), "ok") << event;
}

TEST(ScenarioRoundTrip, EveryField) {
  const auto s = load(every_field_text, "dir/everything.json");
  EXPECT_EQ(s.file, "dir/everything.json");
  EXPECT_EQ(s.name, "everything");
  EXPECT_EQ(s.description, "All the fields — with a non-ASCII character");
  EXPECT_EQ(s.profile, "nt35e");
  const std::vector<std::pair<std::string, std::string>> settings = {
      {"quirk.disc_in_opened_fails", "off"}, {"echo", "0"}, {"imei", "866123045678904"}};
  EXPECT_EQ(s.settings, settings) << "settings keep the file's order";
  EXPECT_DOUBLE_EQ(s.time_scale, 0.05);
  EXPECT_EQ(s.network.registration, 5);
  EXPECT_EQ(s.network.registration_delay, 2500ms);
  EXPECT_EQ(s.network.rssi, 10);
  EXPECT_EQ(s.network.ber, 3);
  EXPECT_EQ(s.network.rsrq, 12);
  EXPECT_EQ(s.network.rsrp, 40);
  EXPECT_FALSE(s.network.sim);
  const auto& b = s.broker;
  EXPECT_TRUE(b.live);
  const std::vector<std::pair<std::string, std::string>> map = {{"test.mosquitto.org", "127.0.0.1:1883"},
                                                                {"broker.example.com:8883", "[::1]:8883"}};
  EXPECT_EQ(b.map_host, map);
  ASSERT_EQ(b.credentials.size(), 2u);
  EXPECT_EQ(b.credentials[0].client_id, "dev01");
  EXPECT_EQ(b.credentials[0].user, "u");
  EXPECT_EQ(b.credentials[0].password, "p");
  EXPECT_FALSE(b.credentials[1].client_id.has_value());
  EXPECT_EQ(b.credentials[1].password, "");
  EXPECT_FALSE(b.allow_anonymous);
  EXPECT_EQ(b.connack_code, 5);
  EXPECT_EQ(b.unresolvable, std::vector<std::string>{"bad.example"});
  EXPECT_EQ(b.unreachable, (std::vector<std::string>{"10.0.0.9:1883", "10.0.0.10"}));
  EXPECT_EQ(b.open_delay, 1s);
  EXPECT_EQ(b.connack_delay, 2s);
  EXPECT_EQ(b.ack_delay, 10ms);
  EXPECT_EQ(b.delivery_delay, 0ms);
  ASSERT_EQ(b.retained.size(), 1u);
  EXPECT_EQ(b.retained[0].topic, "t");
  EXPECT_EQ(b.retained[0].payload, "p");
  EXPECT_EQ(b.retained[0].qos, 1);
  ASSERT_EQ(b.replies.size(), 1u);
  EXPECT_EQ(b.replies[0].filter, "cmd/+");
  EXPECT_EQ(b.replies[0].respond.topic, "resp");
  EXPECT_EQ(b.replies[0].respond.payload, "ok");
  EXPECT_EQ(b.replies[0].respond.qos, 2);
  EXPECT_EQ(b.replies[0].after, 250ms);
  ASSERT_EQ(b.messages.size(), 1u);
  EXPECT_EQ(b.messages[0].at, 10s);
  EXPECT_EQ(b.messages[0].msg.topic, "burst");
  EXPECT_EQ(b.messages[0].msg.payload, "msg {n}");
  EXPECT_EQ(b.messages[0].msg.qos, 1);
  EXPECT_EQ(b.messages[0].count, 1000);
  EXPECT_EQ(b.messages[0].every, 1ms);
  ASSERT_EQ(s.rules.size(), 1u);
  EXPECT_EQ(s.rules[0].name, "drop at 10 s");

  // Written out and read back: the same scenario.
  const auto written = to_json(s);
  const auto again = load(written.dump(2), "dir/everything.json");
  EXPECT_EQ(to_json(again), written);
  EXPECT_EQ(again.settings.size(), 3u);
  EXPECT_EQ(again.broker.map_host.size(), 2u);
}

TEST(ScenarioRoundTrip, DefaultsOfAnEmptyScenario) {
  const auto s = load("{}", "some/dir/quiet.json");
  EXPECT_EQ(s.name, "quiet") << "the name defaults to the file's stem";
  scenario defaults;
  defaults.name = "quiet";
  EXPECT_EQ(to_json(s), to_json(defaults));
  EXPECT_EQ(s.broker.open_delay, 300ms);
  EXPECT_EQ(s.broker.replies.size(), 0u);
  const auto reply = load(R"({"broker": {"replies": [{"on_publish": "a", "topic": "b"}],
                                         "messages": [{"topic": "m"}]}})");
  EXPECT_EQ(reply.broker.replies[0].after, 100ms);
  EXPECT_EQ(reply.broker.replies[0].respond.qos, 0);
  EXPECT_EQ(reply.broker.messages[0].at, 0ms);
  EXPECT_EQ(reply.broker.messages[0].count, 1);
  EXPECT_EQ(reply.broker.messages[0].every, 0ms);
}

TEST(ScenarioRoundTrip, RegistrationNames) {
  const std::pair<const char*, int> names[] = {
      {"home", 1}, {"roaming", 5}, {"searching", 2}, {"denied", 3}, {"none", 0}};
  for (const auto& [name, stat] : names) {
    auto s = load(std::string(R"({"network": {"registration": ")") + name + "\"}}");
    EXPECT_EQ(s.network.registration, stat) << name;
    EXPECT_EQ(to_json(s)["network"]["registration"], name);
  }
  EXPECT_EQ(error(R"({"network": {"registration": "homee"}})"),
            R"(t.json:1:30: error: /network/registration: unknown registration "homee"; did you mean "home"?)");
}

// ---------------------------------------------------------------------------------
// Per-modem overrides ("modems")

/// The ranges of the one override in `text`.
std::vector<index_range> selection(const std::string& select_json) {
  auto s = load(R"({"modems": [{"select": )" + select_json + "}]}");
  if (s.modems.size() != 1) return {};
  return s.modems[0].select;
}

TEST(ScenarioOverrides, SelectionStringAndArrayForms) {
  using v = std::vector<index_range>;
  EXPECT_EQ(selection(R"("0-9,15")"), (v{{0, 9}, {15, 15}}));
  EXPECT_EQ(selection(R"("7")"), (v{{7, 7}}));
  EXPECT_EQ(selection(R"(" 3 - 5 , 007,999999")"), (v{{3, 5}, {7, 7}, {999999, 999999}}));
  EXPECT_EQ(selection(R"("4-4")"), (v{{4, 4}}));
  EXPECT_EQ(selection("[2, 0, 5.0]"), (v{{2, 2}, {0, 0}, {5, 5}}));
  EXPECT_EQ(selection("[999999]"), (v{{999999, 999999}}));
}

TEST(ScenarioOverrides, BadSelections) {
  const auto bad = [](const std::string& select_json) {
    return error(R"({"modems": [{"select": )" + select_json + "}]}");
  };
  // The value starts at column 24.
  EXPECT_EQ(bad(R"("3-1")"),
            R"(t.json:1:24: error: /modems/0/select: "3-1" is not a range (the start is above the end))");
  EXPECT_EQ(bad(R"("0-9, 12 -5")"),
            R"(t.json:1:24: error: /modems/0/select: "12 -5" is not a range (the start is above the end))");
  for (const char* syntax : {R"("")", R"("1,,2")", R"("1,")", R"("a")", R"("-3")", R"("3-")", R"("1-2-3")", R"("1 2")",
                             R"("0x10")", R"("1;2")"})
    EXPECT_EQ(bad(syntax), std::string(R"(t.json:1:24: error: /modems/0/select: expected indices such as "0-9,15" )") +
                               "(N or A-B, separated by commas), got " + syntax)
        << syntax;
  EXPECT_EQ(bad(R"("1000000")"),
            R"(t.json:1:24: error: /modems/0/select: index 1000000 is above 999999, the highest fleet index)");
  EXPECT_EQ(
      bad(R"("5-00099999999999999999999")"),
      R"(t.json:1:24: error: /modems/0/select: index 99999999999999999999 is above 999999, the highest fleet index)");
  EXPECT_EQ(bad("[]"), R"(t.json:1:24: error: /modems/0/select: expected at least one index, got an empty array)");
  EXPECT_EQ(
      bad("[1, -1]"),
      R"(t.json:1:28: error: /modems/0/select/1: expected a fleet index (a whole number from 0 to 999999), got -1)");
  EXPECT_EQ(
      bad("[1.5]"),
      R"(t.json:1:25: error: /modems/0/select/0: expected a fleet index (a whole number from 0 to 999999), got 1.5)");
  EXPECT_EQ(
      bad(R"(["1"])"),
      R"(t.json:1:25: error: /modems/0/select/0: expected a fleet index (a whole number from 0 to 999999), got a string)");
  EXPECT_EQ(bad("[1000000]"),
            R"(t.json:1:25: error: /modems/0/select/0: index 1000000 is above 999999, the highest fleet index)");
  EXPECT_EQ(
      bad("5"),
      R"(t.json:1:24: error: /modems/0/select: expected indices: a string such as "0-9,15" or an array of whole numbers, got a number)");
}

TEST(ScenarioOverrides, BadOverrides) {
  EXPECT_EQ(error(R"({"modems": {}})"),
            R"(t.json:1:12: error: /modems: expected an array of overrides, got an object)");
  EXPECT_EQ(error(R"({"modems": [5]})"), R"(t.json:1:13: error: /modems/0: expected an object, got a number)");
  EXPECT_EQ(error(R"({"modems": [{"network": {"rssi": 5}}]})"),
            R"(t.json:1:13: error: /modems/0: missing required key "select")");
  EXPECT_EQ(error(R"({"modems": [{"selct": "1"}]})"),
            R"(t.json:1:14: error: /modems/0/selct: unknown key "selct"; did you mean "select"?)")
      << "the misspelt key is the one message";
  EXPECT_EQ(
      error(R"({"modems": [{"select": "1", "profile": "ec616s"}]})"),
      R"(t.json:1:29: error: /modems/0/profile: unknown key "profile"; expected one of: select, settings, network, broker, rules, replace_rules)");
  EXPECT_EQ(
      error(R"({"modems": [{"select": "1", "modems": []}]})"),
      R"(t.json:1:29: error: /modems/0/modems: unknown key "modems"; expected one of: select, settings, network, broker, rules, replace_rules)");
  EXPECT_EQ(error(R"({"modems": [{"select": "1", "network": "weak"}]})"),
            R"(t.json:1:40: error: /modems/0/network: expected an object, got a string)");
  EXPECT_EQ(
      error(R"({"modems": [{"select": "1", "settings": []}]})"),
      R"(t.json:1:41: error: /modems/0/settings: expected an object of setting names and string values, got an array)");
  EXPECT_EQ(error(R"({"modems": [{"select": "1", "rules": {}}]})"),
            R"(t.json:1:38: error: /modems/0/rules: expected an array of rules, got an object)");
  EXPECT_EQ(error(R"({"modems": [{"select": "1", "replace_rules": "yes"}]})"),
            R"(t.json:1:46: error: /modems/0/replace_rules: expected true or false, got a string)");
}

TEST(ScenarioOverrides, ProblemsInsideAnOverrideAreWhereTheOverrideHasThem) {
  const std::string text =
      "{\n"
      "  \"broker\": {\"credentials\": [{\"user\": \"u\", \"password\": \"p\"}]},\n"
      "  \"rules\": [{\"at\": \"1s\", \"then\": [{\"action\": \"reboot\"}]}],\n"
      "  \"modems\": [\n"
      "    {\"select\": \"0\", \"network\": {\"rsi\": 5}},\n"
      "    {\"select\": \"1\", \"broker\": {\"credentials\": [{\"user\": 5}]}},\n"
      "    {\"select\": \"2\", \"settings\": {\"echo\": \"2\"}, \"rules\": [{\"at\": \"10\", \"then\": [{\"action\": "
      "\"reboot\"}]}]},\n"
      "    {\"select\": \"3\", \"replace_rules\": true, \"rules\": [{\"at\": \"1s\", \"then\": [{\"action\": "
      "\"drop_links\"}]}]}\n"
      "  ]\n"
      "}\n";
  EXPECT_EQ(errors(text, "fleet.json"),
            "fleet.json:5:33: error: /modems/0/network/rsi: unknown key \"rsi\"; did you mean \"rssi\"?\n"
            "fleet.json:6:57: error: /modems/1/broker/credentials/0/user: expected a string, got a number\n"
            "fleet.json:7:42: error: /modems/2/settings/echo: echo expects 0 or 1, got \"2\"\n"
            "fleet.json:7:65: error: /modems/2/rules/0/at: time \"10\" has no unit; write \"10ms\" or \"10s\"\n"
            "fleet.json:8:87: error: /modems/3/rules/0/then/0/action: unknown action \"drop_links\"; did you mean "
            "\"drop_link\"?\n");
}

TEST(ScenarioOverrides, TheScenariosOwnProblemsAreReportedOnce) {
  EXPECT_EQ(
      errors(R"({"network": {"rssi": 40}, "modems": [{"select": "1"}, {"select": "2", "network": {"sim": false}}]})"),
      "t.json:1:22: error: /network/rssi: expected a whole number from 0 to 31, or 99 (unknown), got 40\n");
  // Given by the override instead, the scenario's bad value is not in its world (but is still an error).
  EXPECT_EQ(
      errors(R"({"network": {"rssi": 40}, "modems": [{"select": "1", "network": {"rssi": 41}}]})"),
      "t.json:1:22: error: /network/rssi: expected a whole number from 0 to 31, or 99 (unknown), got 40\n"
      "t.json:1:74: error: /modems/0/network/rssi: expected a whole number from 0 to 31, or 99 (unknown), got 41\n");
}

TEST(ScenarioOverrides, AnOverridesSettingsApplyToTheWholeWorld) {
  // max_id 1 for modem 5: the scenario's rule with id 3 does not fit its world, and the
  // override's own rule is checked against its max_id.
  const std::string text = R"({"rules": [{"at": "1s", "then": [{"action": "drop_link", "id": 3}]}],
 "modems": [{"select": "5", "settings": {"max_id": "1"}, "rules": [{"at": "2s", "then": [{"action": "drop_link", "id": 2}]}]}]})";
  EXPECT_EQ(
      errors(text),
      "t.json:1:64: error: /rules/0/then/0/id: id 3 is out of range: setting max_id gives ids 0 to 1 (with the "
      "override "
      "/modems/0)\n"
      "t.json:2:120: error: /modems/0/rules/0/then/0/id: id 2 is out of range: setting max_id gives ids 0 to 1\n");
  // ...and an ec616s scenario's modems may get more ids.
  EXPECT_EQ(errors(R"({"profile": "ec616s", "modems": [{"select": "1", "settings": {"max_id": "2"},
                      "rules": [{"at": "2s", "then": [{"action": "drop_link", "id": 2}]}]}]})"),
            "ok");
}

TEST(ScenarioOverrides, OverlappingSelectionsNameBothOverrides) {
  EXPECT_EQ(
      errors(R"({"modems": [{"select": "0-9"}, {"select": [12, 5]}, {"select": "10-20"}, {"select": "30,31"}]})"),
      "t.json:1:43: error: /modems/1/select: index 5 is also selected by /modems/0; a modem may be chosen by one "
      "override only\n"
      "t.json:1:64: error: /modems/2/select: index 12 is also selected by /modems/1; a modem may be chosen by one "
      "override only\n");
  EXPECT_EQ(errors(R"({"modems": [{"select": "1-3,2"}]})"), "ok") << "one override may name an index twice";
}

TEST(ScenarioOverrides, NetworkAndBrokerAreMergedPerKey) {
  const auto s = load(R"({
    "network": {"registration": "roaming", "rssi": 10, "sim": false},
    "broker": {"credentials": [{"user": "u", "password": "right"}], "allow_anonymous": false,
               "delays": {"open": "1s", "connack": "2s"}},
    "modems": [
      {"select": "1", "network": {"rssi": 5, "ber": 3}, "broker": {"delays": {"ack": "10ms"}, "connack": 4}},
      {"select": "2", "broker": {"credentials": [{"user": "u", "password": "other"}]}}
    ]})");
  ASSERT_EQ(s.modems.size(), 2u);
  ASSERT_TRUE(s.modems[0].world && s.modems[1].world);
  const auto& one = *s.modems[0].world;
  EXPECT_EQ(one.network.registration, 5) << "kept";
  EXPECT_EQ(one.network.rssi, 5) << "replaced";
  EXPECT_EQ(one.network.ber, 3) << "added";
  EXPECT_FALSE(one.network.sim) << "kept";
  ASSERT_EQ(one.broker.credentials.size(), 1u);
  EXPECT_EQ(one.broker.credentials[0].password, "right");
  EXPECT_FALSE(one.broker.allow_anonymous);
  EXPECT_EQ(one.broker.connack_code, 4);
  EXPECT_EQ(one.broker.ack_delay, 10ms);
  EXPECT_EQ(one.broker.open_delay, 300ms) << "\"delays\" is one key: replaced as a whole";
  EXPECT_EQ(one.broker.connack_delay, 300ms);
  const auto& two = *s.modems[1].world;
  ASSERT_EQ(two.broker.credentials.size(), 1u);
  EXPECT_EQ(two.broker.credentials[0].password, "other");
  EXPECT_FALSE(two.broker.allow_anonymous);
  EXPECT_EQ(two.broker.open_delay, 1s);
  EXPECT_EQ(two.network.rssi, 10);
  // The scenario itself is unchanged.
  EXPECT_EQ(s.network.rssi, 10);
  EXPECT_FALSE(s.network.ber.has_value());
  EXPECT_EQ(s.broker.credentials[0].password, "right");
  EXPECT_EQ(s.broker.open_delay, 1s);
  EXPECT_TRUE(one.modems.empty() && two.modems.empty()) << "a world has no overrides of its own";
}

TEST(ScenarioOverrides, RulesAreAppendedOrReplaced) {
  const auto s = load(R"({
    "rules": [{"name": "a", "at": "1s", "then": [{"action": "reboot"}]},
              {"at": "2s", "then": [{"action": "remove_sim"}]}],
    "modems": [
      {"select": "0", "rules": [{"at": "3s", "then": [{"action": "insert_sim"}]}]},
      {"select": "1", "replace_rules": true, "rules": [{"name": "only", "at": "4s", "then": [{"action": "reboot"}]}]},
      {"select": "2", "replace_rules": true},
      {"select": "3", "network": {"rssi": 1}},
      {"select": "4", "replace_rules": false, "rules": []}
    ]})");
  ASSERT_EQ(s.modems.size(), 5u);
  const auto names = [&](std::size_t i) {
    std::vector<std::string> out;
    for (const auto& r : s.modems[i].world->rules) out.push_back(r.name);
    return out;
  };
  using v = std::vector<std::string>;
  EXPECT_EQ(names(0), (v{"a", "rule 1", "rule 2"}));
  EXPECT_EQ(s.modems[0].world->rules[2].when.at, 3s);
  EXPECT_EQ(names(1), (v{"only"}));
  EXPECT_EQ(names(2), v{}) << "replace_rules without rules: no rules";
  EXPECT_EQ(names(3), (v{"a", "rule 1"}));
  EXPECT_EQ(names(4), (v{"a", "rule 1"}));
  EXPECT_EQ(s.rules.size(), 2u);
  // Without rules of its own, the scenario's rules are those the override appends to.
  const auto t = load(R"({"modems": [{"select": "0", "rules": [{"at": "3s", "then": [{"action": "reboot"}]}]}]})");
  ASSERT_EQ(t.modems.size(), 1u);
  EXPECT_EQ(t.modems[0].world->rules.size(), 1u);
  EXPECT_EQ(error(R"({"modems": [{"select": "0", "rules": [{"at": "3s"}]}]})"),
            R"(t.json:1:39: error: /modems/0/rules/0: missing required key "then")");
}

TEST(ScenarioOverrides, SettingsComeLastInTheirWorld) {
  // "modems" before "settings" in the file: the override's settings still come after
  // the scenario's, and replace the same setting.
  const auto s = load(R"({
    "modems": [{"select": "3", "settings": {"csq": "5", "timing.boot": "50"}}],
    "settings": {"echo": "0", "csq": "20", "cmee": "2"},
    "network": {"rssi": 9}})");
  ASSERT_EQ(s.modems.size(), 1u);
  using v = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(s.settings, (v{{"echo", "0"}, {"csq", "20"}, {"cmee", "2"}}));
  const auto& o = s.modems[0];
  EXPECT_EQ(o.world->settings, (v{{"echo", "0"}, {"cmee", "2"}, {"csq", "5"}, {"timing.boot", "50"}}));
  EXPECT_EQ(o.settings, (v{{"csq", "5"}, {"timing.boot", "50"}})) << "the override's own, applied again after --set";
  EXPECT_EQ(o.world->network.rssi, 9);
  // Folded into a profile, the world's network still comes after its settings (as at
  // the top level); the app applies o.settings once more, last.
  modem::profile p;
  ASSERT_EQ(apply(*o.world, p), "");
  EXPECT_EQ(p.csq_rssi, 9);
  EXPECT_EQ(p.timing.boot, 50);
  EXPECT_EQ(p.cmee, 2);
  for (const auto& [name, value] : o.settings) ASSERT_EQ(modem::set_profile_field(p, name, value), "");
  EXPECT_EQ(p.csq_rssi, 5);
}

TEST(ScenarioOverrides, WorldForFindsTheModemsOverride) {
  const auto s = load(R"({"rules": [{"at": "1s", "then": [{"action": "reboot"}]}],
    "modems": [{"select": "0-9,15", "network": {"rssi": 1}}, {"select": [10, 200], "network": {"rssi": 2}}]})");
  ASSERT_EQ(s.modems.size(), 2u);
  EXPECT_EQ(s.modems[0].path, "/modems/0");
  EXPECT_EQ(s.modems[1].path, "/modems/1");
  const auto rssi = [&](std::uint64_t index) { return s.world_for(index).network.rssi.value_or(-1); };
  EXPECT_EQ(rssi(0), 1);
  EXPECT_EQ(rssi(9), 1);
  EXPECT_EQ(rssi(15), 1);
  EXPECT_EQ(rssi(10), 2);
  EXPECT_EQ(rssi(200), 2);
  EXPECT_EQ(rssi(11), -1);
  EXPECT_EQ(&s.world_for(11), &s) << "a modem no override selects plays the scenario itself";
  EXPECT_EQ(&s.world_for(999999), &s);
  EXPECT_EQ(s.override_for(15), &s.modems[0]);
  EXPECT_EQ(s.override_for(200), &s.modems[1]);
  EXPECT_EQ(s.override_for(16), nullptr);
  EXPECT_EQ(s.world_for(3).rules.size(), 1u);
  EXPECT_TRUE(s.modems[0].selects_any(5, 5));
  EXPECT_TRUE(s.modems[0].selects_any(12, 20));
  EXPECT_FALSE(s.modems[0].selects_any(16, 99));
  EXPECT_TRUE(s.modems[1].selects_any(100, 300));
  EXPECT_FALSE(s.modems[1].selects_any(11, 199));
  // Without overrides every index plays the scenario.
  const scenario none;
  EXPECT_EQ(&none.world_for(0), &none);
}

TEST(ScenarioOverrides, RoundTripThroughToJson) {
  const auto s = load(every_override_text, "fleet.json");
  ASSERT_EQ(s.modems.size(), 3u);
  const auto written = to_json(s);
  ASSERT_EQ(written["modems"].size(), 3u);
  EXPECT_EQ(written["modems"][1], json::parse(R"({"select": [20, 21], "replace_rules": true,
            "broker": {"credentials": [{"user": "u", "password": "other"}]}})"));
  const auto again = load(written.dump(2), "fleet.json");
  EXPECT_EQ(to_json(again), written);
  ASSERT_EQ(again.modems.size(), s.modems.size());
  for (std::size_t i = 0; i < s.modems.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(again.modems[i].path, s.modems[i].path);
    EXPECT_EQ(again.modems[i].select, s.modems[i].select);
    EXPECT_EQ(again.modems[i].settings, s.modems[i].settings);
    EXPECT_EQ(to_json(*again.modems[i].world), to_json(*s.modems[i].world));
  }
  EXPECT_EQ(s.modems[0].world->rules.size(), 2u);
  EXPECT_EQ(s.modems[1].world->rules.size(), 0u);
  EXPECT_EQ(s.modems[2].world->rules.size(), 2u);
  EXPECT_EQ(s.modems[1].world->broker.credentials[0].password, "other");
  EXPECT_EQ(to_json(load("{}"))["modems"], json::array());
}

// ---------------------------------------------------------------------------------
// Fleet events ("fleet_events")

/// The issue's two examples and a select, in a file with rules and an override.
const char* const every_fleet_event_text = R"({
  "rules": [{"at": "1s", "then": [{"action": "reboot"}]}],
  "modems": [{"select": "3", "network": {"rssi": 4}}],
  "fleet_events": [
    { "at": "10s", "fire": {"action": "drop_link", "id": 0}, "fraction": 0.3, "seed": 7 },
    { "at": "20s", "fire": "reboot", "stagger": "5s" },
    { "at": "30s", "fire": {"action": "set_signal", "rssi": 5}, "select": "0-9,15" },
    { "at": "1.5s", "fire": {"action": "inject_urc", "text": "+X"}, "select": [4, 2], "fraction": 1, "stagger": "250ms" }
  ]
})";

TEST(ScenarioFleetEvents, Forms) {
  const auto s = load(every_fleet_event_text);
  ASSERT_EQ(s.fleet_events.size(), 4u);
  const auto& e = s.fleet_events;
  EXPECT_EQ(e[0].at, 10s);
  EXPECT_EQ(e[0].fire.kind, action_kind::drop_link);
  EXPECT_EQ(e[0].fire.id, 0);
  EXPECT_TRUE(e[0].select.empty()) << "every modem";
  EXPECT_EQ(e[0].fraction, 0.3);
  EXPECT_EQ(e[0].seed, 7u);
  EXPECT_EQ(e[0].stagger, 0ms);
  EXPECT_EQ(e[1].at, 20s);
  EXPECT_EQ(e[1].fire.kind, action_kind::reboot) << "a bare action name";
  EXPECT_FALSE(e[1].fraction.has_value());
  EXPECT_FALSE(e[1].seed.has_value());
  EXPECT_EQ(e[1].stagger, 5s);
  EXPECT_EQ(e[2].fire.kind, action_kind::set_signal);
  EXPECT_EQ(e[2].fire.rssi, 5);
  EXPECT_EQ(e[2].select, (std::vector<index_range>{{0, 9}, {15, 15}}));
  EXPECT_EQ(e[3].at, 1500ms);
  EXPECT_EQ(e[3].select, (std::vector<index_range>{{4, 4}, {2, 2}}));
  EXPECT_EQ(e[3].fraction, 1.0);
  EXPECT_EQ(e[3].stagger, 250ms);
  // The fleet's, not a world's: the rules and the override are as without them.
  EXPECT_EQ(s.rules.size(), 1u);
  ASSERT_EQ(s.modems.size(), 1u);
  EXPECT_TRUE(s.modems[0].world->fleet_events.empty());
  EXPECT_EQ(s.modems[0].world->network.rssi, 4);
  EXPECT_TRUE(load("{}").fleet_events.empty());
  EXPECT_EQ(
      load(R"({"fleet_events": [{"at": "0s", "fire": "remove_sim", "fraction": 0.5, "seed": 18446744073709551615}]})")
          .fleet_events[0]
          .seed,
      18446744073709551615ull)
      << "any 64-bit seed";
  EXPECT_EQ(
      load(R"({"fleet_events": [{"at": "0s", "fire": "reboot", "fraction": 0.5, "seed": 3.0}]})").fleet_events[0].seed,
      3u);
}

TEST(ScenarioFleetEvents, RoundTripThroughToJson) {
  const auto s = load(every_fleet_event_text, "fleet.json");
  const auto written = to_json(s);
  EXPECT_EQ(written["fleet_events"], json::parse(R"([
    {"at": "10s", "fire": {"action": "drop_link", "id": 0}, "fraction": 0.3, "seed": 7},
    {"at": "20s", "fire": {"action": "reboot"}, "stagger": "5s"},
    {"at": "30s", "fire": {"action": "set_signal", "rssi": 5}, "select": "0-9,15"},
    {"at": "1500ms", "fire": {"action": "inject_urc", "text": "+X"}, "select": "4,2", "fraction": 1.0, "stagger": "250ms"}
  ])"));
  const auto again = load(written.dump(2), "fleet.json");
  EXPECT_EQ(to_json(again), written);
  ASSERT_EQ(again.fleet_events.size(), s.fleet_events.size());
  for (std::size_t i = 0; i < s.fleet_events.size(); ++i) {
    SCOPED_TRACE(i);
    const auto &a = again.fleet_events[i], &b = s.fleet_events[i];
    EXPECT_EQ(a.at, b.at);
    EXPECT_EQ(to_json(a.fire), to_json(b.fire));
    EXPECT_EQ(a.select, b.select);
    EXPECT_EQ(a.fraction, b.fraction);
    EXPECT_EQ(a.seed, b.seed);
    EXPECT_EQ(a.stagger, b.stagger);
  }
  EXPECT_EQ(to_json(load("{}"))["fleet_events"], json::array());
}

TEST(ScenarioFleetEvents, ProblemsSayWhereAndWhy) {
  const std::string text =
      "{\"fleet_events\": [\n"
      "  {\"at\": \"10s\", \"fire\": {\"action\": \"drop_link\", \"id\": 7}, \"fraction\": 1.5},\n"
      "  {\"at\": \"20\", \"fire\": \"reboots\", \"stager\": \"5s\"},\n"
      "  {\"fire\": {\"action\": \"never_answer\"}, \"seed\": 3},\n"
      "  {\"at\": \"1s\", \"fire\": \"refuse_connect\", \"select\": \"3-1\"},\n"
      "  {\"at\": \"1s\", \"fire\": 5, \"fraction\": 0, \"seed\": -1},\n"
      "  {\"at\": \"1s\", \"fire\": \"set_signal\", \"fraction\": \"half\", \"seed\": 2.5},\n"
      "  {\"at\": \"1s\"},\n"
      "  5\n"
      "],\n"
      "\"modems\": [{\"select\": \"1\", \"fleet_events\": []}]}\n";
  EXPECT_EQ(errors(text, "fleet.json"),
            "fleet.json:2:55: error: /fleet_events/0/fire/id: id 7 is out of range: profile nt35e has ids 0 to 4\n"
            "fleet.json:2:71: error: /fleet_events/0/fraction: expected a number above 0 and at most 1 (0.3: 30 % "
            "of the selected modems), got 1.5\n"
            "fleet.json:3:10: error: /fleet_events/1/at: time \"20\" has no unit; write \"20ms\" or \"20s\"\n"
            "fleet.json:3:24: error: /fleet_events/1/fire: unknown action \"reboots\"; did you mean \"reboot\"?\n"
            "fleet.json:3:35: error: /fleet_events/1/stager: unknown key \"stager\"; did you mean \"stagger\"?\n"
            "fleet.json:4:3: error: /fleet_events/2: missing required key \"at\"\n"
            "fleet.json:4:23: error: /fleet_events/2/fire/action: never_answer changes the answer to a command, so it "
            "cannot be a fleet event (use a rule with on_command)\n"
            "fleet.json:4:40: error: /fleet_events/2/seed: \"seed\" goes with \"fraction\" (it seeds the random "
            "choice of modems)\n"
            "fleet.json:5:24: error: /fleet_events/3/fire: missing required key \"code\" for refuse_connect\n"
            "fleet.json:5:52: error: /fleet_events/3/select: \"3-1\" is not a range (the start is above the end)\n"
            "fleet.json:6:24: error: /fleet_events/4/fire: expected an action such as {\"action\": \"drop_link\", "
            "\"id\": 0} or an action name, got a number\n"
            "fleet.json:6:39: error: /fleet_events/4/fraction: expected a number above 0 and at most 1 (0.3: 30 % "
            "of the selected modems), got 0\n"
            "fleet.json:6:50: error: /fleet_events/4/seed: expected a whole number of 0 or more, got -1\n"
            "fleet.json:7:24: error: /fleet_events/5/fire: set_signal needs at least one of \"rssi\", \"ber\", "
            "\"rsrq\" and \"rsrp\"\n"
            "fleet.json:7:50: error: /fleet_events/5/fraction: expected a number above 0 and at most 1 (0.3: 30 % "
            "of the selected modems), got a string\n"
            "fleet.json:7:66: error: /fleet_events/5/seed: expected a whole number of 0 or more, got 2.5\n"
            "fleet.json:8:3: error: /fleet_events/6: missing required key \"fire\"\n"
            "fleet.json:9:3: error: /fleet_events/7: expected an object, got a number\n"
            "fleet.json:11:28: error: /modems/0/fleet_events: fleet events are for the whole fleet: give "
            "\"fleet_events\" at the top level of the scenario, not in an override\n");
  EXPECT_EQ(error(R"({"fleet_events": {}})"), "t.json:1:18: error: /fleet_events: expected an array, got an object");
  EXPECT_EQ(error(R"({"fleet_events": [{"at": "1s", "fire": "reboot", "fraktion": 0.5}]})"),
            R"(t.json:1:50: error: /fleet_events/0/fraktion: unknown key "fraktion"; did you mean "fraction"?)");
  EXPECT_EQ(error(R"({"fleet_event": []})"),
            R"(t.json:1:2: error: /fleet_event: unknown key "fleet_event"; did you mean "fleet_events"?)");
  // Ids against the scenario's profile, as in its rules.
  EXPECT_EQ(error(R"({"profile": "ec616s", "fleet_events": [{"at": "1s", "fire": {"action": "drop_link", "id": 1}}]})"),
            R"(t.json:1:91: error: /fleet_events/0/fire/id: id 1 is out of range: profile ec616s has only id 0)");
  // The four response actions only make sense in a command rule: said at once, before
  // any missing field.
  for (const std::string a : {"replace_response", "delay_response", "never_answer", "truncate_response"}) {
    EXPECT_EQ(error("{\"fleet_events\": [{\"at\": \"1s\", \"fire\": {\"action\": \"" + a + "\"}}]}"),
              "t.json:1:51: error: /fleet_events/0/fire/action: " + a +
                  " changes the answer to a command, so it cannot be a fleet event (use a rule with on_command)");
    EXPECT_EQ(error("{\"fleet_events\": [{\"at\": \"1s\", \"fire\": \"" + a + "\"}]}"),
              "t.json:1:40: error: /fleet_events/0/fire: " + a +
                  " changes the answer to a command, so it cannot be a fleet event (use a rule with on_command)");
  }
}

// ---------------------------------------------------------------------------------
// The locator

TEST(ScenarioLocator, PositionsOfKeysAndValues) {
  const std::string text = "{\n  \"a/b\": {\"x~y\": [10, \"é\", {\"k\": true}]},\n\t\"é\": 1\n}";
  json_locator loc(text);
  EXPECT_TRUE(loc.complete());
  EXPECT_EQ(loc.value(""), (text_position{1, 1}));
  EXPECT_EQ(loc.key("/a~1b"), (text_position{2, 3}));
  EXPECT_EQ(loc.value("/a~1b"), (text_position{2, 10}));
  EXPECT_EQ(loc.key("/a~1b/x~0y"), (text_position{2, 11}));
  EXPECT_EQ(loc.value("/a~1b/x~0y/0"), (text_position{2, 19}));
  EXPECT_EQ(loc.value("/a~1b/x~0y/1"), (text_position{2, 23}));
  EXPECT_EQ(loc.key("/a~1b/x~0y/2/k"), (text_position{2, 29})) << "\"é\" before it is three columns";
  EXPECT_EQ(loc.value("/a~1b/x~0y/2/k"), (text_position{2, 34}));
  EXPECT_EQ(loc.key("/é"), (text_position{3, 2})) << "a tab is one column";
  EXPECT_EQ(loc.value("/é"), (text_position{3, 7}));
  EXPECT_FALSE(loc.value("/nope").known());
  EXPECT_EQ(loc.nearest("/a~1b/x~0y/9/z"), (text_position{2, 18}));
  EXPECT_EQ(escape_pointer_token("a/b~c"), "a~1b~0c");
}

TEST(ScenarioLocator, PointerAtASyntaxError) {
  const std::string text = R"({"a": [1, {"b": x}], "c": 2})";
  json_locator loc(text);
  EXPECT_FALSE(loc.complete());
  EXPECT_EQ(loc.pointer_at(text.find('x')), "/a/1/b");
  EXPECT_EQ(loc.pointer_at(text.find("\"b\"") + 1), "/a/1");
  EXPECT_EQ(loc.pointer_at(0), "");
}

TEST(ScenarioLocator, DeepNestingDoesNotOverflow) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  json_locator loc(deep);
  EXPECT_FALSE(loc.complete());
  EXPECT_EQ(error(deep), "t.json:1:1: error: /: expected an object, got an array");
}

// ---------------------------------------------------------------------------------
// The files in scenarios/

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(NT35E_SCENARIOS_DIR))
    if (e.is_regular_file() && e.path().extension() == ".json" && e.path().filename() != "scenario.schema.json")
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ScenarioFiles, EveryScenarioLoads) {
  const auto files = scenario_files();
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    auto r = load_file(f.string());
    if (auto* ds = std::get_if<std::vector<diagnostic>>(&r)) {
      ADD_FAILURE() << format(*ds);
    } else {
      EXPECT_EQ(std::get<scenario>(r).file, f.string());
    }
  }
}

TEST(ScenarioFiles, DefaultIsTheDefaults) {
  auto r = load_file(std::string(NT35E_SCENARIOS_DIR) + "/default.json");
  ASSERT_TRUE(std::holds_alternative<scenario>(r)) << format(std::get<std::vector<diagnostic>>(r));
  const auto& s = std::get<scenario>(r);
  EXPECT_EQ(s.name, "default");
  EXPECT_TRUE(s.rules.empty());
  EXPECT_FALSE(s.broker.live);
  EXPECT_TRUE(s.broker.credentials.empty());
  scenario defaults;
  defaults.name = s.name;
  defaults.description = s.description;
  EXPECT_EQ(to_json(s), to_json(defaults));
}

// ---------------------------------------------------------------------------------
// The schema agrees with the loader

class ScenarioSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto text = read(fs::path(NT35E_SCENARIOS_DIR) / "scenario.schema.json");
    ASSERT_FALSE(text.empty());
    ASSERT_NO_THROW(schema = json::parse(text)) << "scenario.schema.json is valid JSON";
  }
  static std::set<std::string> keys_of(const json& object_schema) {
    std::set<std::string> out;
    for (const auto& [k, v] : object_schema.at("properties").items()) out.insert(k);
    return out;
  }
  static std::set<std::string> set_of(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }
  json schema;
};

TEST_F(ScenarioSchema, IsDraft202012AndClosed) {
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(schema["additionalProperties"], false);
  // "action" and "expectation" only dispatch on their name or kind to the closed
  // action_<name> and expect_<kind> definitions.
  for (const auto& [name, def] : schema["$defs"].items())
    if (name != "action" && name != "expectation" && def.value("type", "") == "object" && def.contains("properties")) {
      EXPECT_EQ(def.value("additionalProperties", json(true)), false) << name << " must reject unknown keys";
    }
}

TEST_F(ScenarioSchema, ListsEveryActionWithTheLoadersFields) {
  const auto names = action_names();
  const auto& enum_names = schema["$defs"]["action"]["properties"]["action"]["enum"];
  EXPECT_EQ(enum_names.get<std::vector<std::string>>(), names) << "the action enum is action_names(), in order";
  std::set<std::string> dispatched;
  for (const auto& branch : schema["$defs"]["action"]["allOf"])
    dispatched.insert(branch["if"]["properties"]["action"]["const"].get<std::string>());
  EXPECT_EQ(dispatched, set_of(names));
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const auto kind = action_from_string(name);
    ASSERT_TRUE(kind.has_value());
    const auto& def = schema["$defs"]["action_" + name];
    ASSERT_TRUE(def.is_object()) << "$defs/action_" << name;
    EXPECT_EQ(def["properties"]["action"]["const"], name);
    auto want = set_of(action_keys(*kind));
    want.insert("action");
    EXPECT_EQ(keys_of(def), want);
    EXPECT_EQ(set_of(def.value("required", std::vector<std::string>{})), set_of(action_required_keys(*kind)));
    EXPECT_EQ(def["additionalProperties"], false);
  }
}

TEST_F(ScenarioSchema, ListsEveryExpectationKindWithTheLoadersFields) {
  const auto names = expect_kind_names();
  EXPECT_EQ(schema["$defs"]["expectation"]["properties"]["kind"]["enum"].get<std::vector<std::string>>(), names);
  std::set<std::string> dispatched;
  for (const auto& branch : schema["$defs"]["expectation"]["allOf"])
    dispatched.insert(branch["if"]["properties"]["kind"]["const"].get<std::string>());
  EXPECT_EQ(dispatched, set_of(names));
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const auto kind = expect_kind_from_string(name);
    ASSERT_TRUE(kind.has_value());
    const auto& def = schema["$defs"]["expect_" + name];
    ASSERT_TRUE(def.is_object()) << "$defs/expect_" << name;
    EXPECT_EQ(def["properties"]["kind"]["const"], name);
    auto want = set_of(expect_keys(*kind));
    want.insert({"name", "kind"});
    EXPECT_EQ(keys_of(def), want);
    EXPECT_EQ(set_of(def.value("required", std::vector<std::string>{})), set_of(expect_required_keys(*kind)));
    EXPECT_EQ(def["additionalProperties"], false);
  }
}

TEST_F(ScenarioSchema, ObjectsHaveTheLoadersKeys) {
  EXPECT_EQ(keys_of(schema), set_of(known_keys("scenario")));
  for (const char* where : {"network", "broker", "ping", "ping_host", "delays", "credential", "retained", "reply",
                            "message", "rule", "modem_override", "fleet_event", "oracle"})
    EXPECT_EQ(keys_of(schema["$defs"][where]), set_of(known_keys(where))) << where;
  EXPECT_EQ(schema["$defs"]["rule"]["properties"]["on_mqtt"]["enum"].get<std::vector<std::string>>(),
            mqtt_event_names());
  for (const auto& p : schema["properties"]["profile"]["enum"])
    EXPECT_TRUE(modem::builtin_profile(p.get<std::string>()).has_value()) << p;
  std::vector<std::string> settings;
  std::string names = modem::profile_field_names();
  for (std::size_t start = 0; start < names.size();) {
    auto comma = names.find(", ", start);
    if (comma == std::string::npos) comma = names.size();
    settings.push_back(names.substr(start, comma - start));
    start = comma + 2;
  }
  // A command-line choice only (--show-secrets): the loader refuses it in a scenario.
  std::erase(settings, "show_secrets");
  EXPECT_EQ(set_of(schema["properties"]["settings"]["propertyNames"]["enum"].get<std::vector<std::string>>()),
            set_of(settings))
      << "scenarios/scenario.schema.json: properties/settings/propertyNames/enum must list "
         "modem::profile_field_names()";
  std::set<std::string> triggers;
  for (const auto& alt : schema["$defs"]["rule"]["oneOf"]) triggers.insert(alt["required"][0].get<std::string>());
  EXPECT_EQ(triggers, (std::set<std::string>{"at", "on_command", "on_command_regex", "on_urc", "on_urc_regex",
                                             "on_mqtt", "on_publish"}));
}

/// With python3-jsonschema installed, the schema itself is validated against its
/// meta-schema, every scenario file against the schema, and a few bad inputs must be
/// rejected by both the schema and the loader.
TEST_F(ScenarioSchema, ValidatesTheFilesWherePythonJsonschemaIsInstalled) {
  if (std::system("python3 -c 'import jsonschema' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3-jsonschema is not installed";
  const fs::path dir = fs::temp_directory_path() / ("nt35e-schema-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::vector<std::string> bad = {
      R"({"broker": {"conack": 5}})",
      R"({"broker": {"delays": {"open": "250"}}})",
      R"({"rules": [{"at": "-5s", "then": [{"action": "reboot"}]}]})",
      R"({"rules": [{"at": "1s", "then": [{"action": "drop_links"}]}]})",
      R"({"rules": [{"at": "1s", "then": [{"action": "drop_link", "id": 5}]}]})",
      R"({"rules": [{"at": "1s", "then": [{"action": "drop_link", "code": 5}]}]})",
      R"({"rules": [{"at": "1s", "on_urc": "x", "then": [{"action": "reboot"}]}]})",
      R"({"rules": [{"then": [{"action": "reboot"}]}]})",
      R"({"rules": [{"at": "1s", "then": [{"action": "never_answer"}]}]})",
      R"({"rules": [{"on_command": "+CSQ", "after": "1s", "then": [{"action": "never_answer"}]}]})",
      R"({"rules": [{"at": "1s", "occurrence": 2, "then": [{"action": "reboot"}]}]})",
      R"({"rules": [{"on_command": "+CSQ", "id": 1, "then": [{"action": "reboot"}]}]})",
      R"({"rules": [{"on_publish": "a/#/b", "then": [{"action": "reboot"}]}]})",
      R"({"rules": [{"at": "1s", "then": [{"action": "send_bytes", "text": "a", "hex": "61"}]}]})",
      R"({"rules": [{"at": "1s", "then": [{"action": "set_signal"}]}]})",
      R"({"broker": {"credentials": [{"user": 5}]}})",
      R"({"profile": "nt36e"})",
      R"({"settings": {"ecoh": "1"}})",
      R"({"time_scale": 0})",
      R"({"modems": [{"settings": {"csq": "5"}}]})",
      R"({"modems": [{"select": "3-", "settings": {"csq": "5"}}]})",
      R"({"modems": [{"select": [], "rules": []}]})",
      R"({"modems": [{"select": [1000000]}]})",
      R"({"modems": [{"select": "1", "network": {"rsi": 5}}]})",
      R"({"modems": [{"select": "1", "settings": {"ecoh": "1"}}]})",
      R"({"modems": [{"select": "1", "modems": []}]})",
      R"({"modems": [{"select": "1", "fleet_events": []}]})",
      R"({"fleet_events": [{"fire": "reboot"}]})",
      R"({"fleet_events": [{"at": "1s"}]})",
      R"({"fleet_events": [{"at": "1s", "fire": "reboots"}]})",
      R"({"fleet_events": [{"at": "1s", "fire": {"action": "drop_link", "code": 5}}]})",
      R"({"fleet_events": [{"at": "1s", "fire": "never_answer"}]})",
      R"({"fleet_events": [{"at": "1s", "fire": {"action": "replace_response", "text": "x"}}]})",
      R"({"fleet_events": [{"at": "1s", "fire": "reboot", "seed": 3}]})",
      R"({"fleet_events": [{"at": "1s", "fire": "reboot", "fraction": 0}]})",
      R"({"fleet_events": [{"at": "1s", "fire": "reboot", "fraction": 1.5}]})",
      R"({"fleet_events": [{"at": "1s", "fire": "reboot", "fraction": 0.5, "seed": -1}]})",
      R"({"fleet_events": [{"at": "1s", "fire": "reboot", "select": "3-"}]})",
      R"({"fleet_events": [{"at": "1s", "fire": "reboot", "stagger": "5"}]})",
      R"({"fleet_events": [{"at": "1s", "fire": "reboot", "stager": "5s"}]})",
      R"({"expect": [{"within": "5s"}]})",
      R"({"expect": [{"kind": "reconect", "within": "5s"}]})",
      R"({"expect": [{"kind": "connect"}]})",
      R"({"expect": [{"kind": "connect", "within": "0s"}]})",
      R"({"expect": [{"kind": "connect", "within": "5s", "every": "1s"}]})",
      R"({"expect": [{"kind": "reconnect", "within": "5s", "after_loss": 1, "after_loss_at": "1s"}]})",
      R"({"expect": [{"kind": "reconnect", "within": "5s", "subscribe": []}]})",
      R"({"expect": [{"kind": "publish", "topic": "a/#/b", "every": "1s"}]})",
      R"({"expect": [{"kind": "never_publish", "topic": "a", "qos": 3}]})",
  };
  std::vector<std::string> good = {every_trigger_text, every_field_text, every_override_text, every_fleet_event_text,
                                   R"({"expect": [{"name": "n", "kind": "reconnect", "after_loss": 1, "within": "30s",
                                                   "subscribe": ["a/#", "b"], "resubscribe": true},
                                                  {"kind": "reconnect", "after_loss_at": "1s", "within": "2s",
                                                   "subscribe": "c/+"},
                                                  {"kind": "connect", "within": "20s"},
                                                  {"kind": "subscribe", "topic": "x", "within": "5s"},
                                                  {"kind": "publish", "topic": "tele/+", "every": "1m"},
                                                  {"kind": "never_publish", "topic": "alarm/#", "qos": 0},
                                                  {"kind": "back_off", "at_least": "10s"}]})"};
  for (const auto& c : action_cases()) good.push_back(with_action(c.json_text, R"("on_command": "+CSQ")"));
  for (std::size_t i = 0; i < good.size(); ++i) {
    EXPECT_EQ(errors(good[i]), "ok") << good[i];
    std::ofstream(dir / ("good" + std::to_string(i) + ".json")) << good[i];
  }
  std::string list;
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const auto p = dir / ("bad" + std::to_string(i) + ".json");
    std::ofstream(p) << bad[i];
    list += " " + p.string();
    EXPECT_NE(errors(bad[i]), "ok") << bad[i];
  }
  const auto script = dir / "check.py";
  std::ofstream(script) << R"(import json, sys, glob, os
import jsonschema
d = sys.argv[1]
schema = json.load(open(os.path.join(d, "scenario.schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
files = sorted(glob.glob(os.path.join(d, "*.json"))) + sorted(glob.glob(os.path.join(sys.argv[2], "good*.json")))
for f in files:
    if f.endswith("scenario.schema.json"): continue
    for e in v.iter_errors(json.load(open(f))):
        print("valid file rejected:", f, e.message); bad += 1
for f in sys.argv[3:]:
    if v.is_valid(json.load(open(f))):
        print("bad input accepted:", open(f).read()); bad += 1
sys.exit(1 if bad else 0)
)";
  const auto out = dir / "out.txt";
  const int rc = std::system(("python3 " + script.string() + " " + NT35E_SCENARIOS_DIR + " " + dir.string() + list +
                              " >" + out.string() + " 2>&1")
                                 .c_str());
  EXPECT_EQ(rc, 0) << read(out);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nt35e::scenario
