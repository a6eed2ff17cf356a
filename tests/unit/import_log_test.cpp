// Import of customer logs (issue 5, item 3): every sample log in tests/data/logs/ against
// its expected trace, scenario and messages in tests/data/logs/expected/ (exact), the
// double-CONNACK log reproduced through its scenario, and the bad inputs (unknown format,
// mixed GBK/UTF-8, lines that cannot be placed, clocks that jump), each with its line.
//
// To regenerate the expected files after a deliberate change, run the tests with
// NT35E_UPDATE_EXPECTED=1 and review the diff.

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/import_command.hpp"
#include "at/text.hpp"
#include "scenario/apply.hpp"
#include "scenario/json_loader.hpp"
#include "support/core_harness.hpp"
#include "trace/import_log.hpp"
#include "trace/replayer.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

fs::path logs_dir() { return fs::path(__FILE__).parent_path().parent_path() / "data" / "logs"; }

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  EXPECT_TRUE(f) << "cannot open " << p;
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool updating() {
  const char* u = std::getenv("NT35E_UPDATE_EXPECTED");
  return u && *u && std::string(u) != "0";
}

/// Compares `actual` with the expected file (or writes it when updating).
void expect_file(const std::string& expected_name, const std::string& actual) {
  auto path = logs_dir() / "expected" / expected_name;
  if (updating()) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(path)) << path << " is missing; run with NT35E_UPDATE_EXPECTED=1 to write it";
  EXPECT_EQ(slurp(path), actual) << "differs from " << path;
}

std::string messages_text(const std::vector<import_message>& ms, const std::string& file) {
  std::string out;
  for (const auto& m : ms) out += format(m, file) + "\n";
  return out;
}

struct imported {
  imported_log log;
  scenario_result scenario;
};

imported import_sample(const std::string& file, import_options opts = {}) {
  imported out;
  out.log = import_log(slurp(logs_dir() / file), file, opts);
  if (out.log.ok()) out.scenario = to_scenario(out.log);
  return out;
}

// ---------------------------------------------------------------------------------
// Each sample against its expected outputs

class sample : public ::testing::TestWithParam<std::string> {};

/// "saleae-value.csv" -> "saleae-value"; names without an extension are .log files.
std::string stem_of(const std::string& sample) { return fs::path(sample).stem().string(); }
std::string file_of(const std::string& sample) { return fs::path(sample).has_extension() ? sample : sample + ".log"; }

/// Replays a trace as --replay does: its host lines typed back at their times; the number
/// of recorded lines the replay matched, of how many.
std::pair<std::size_t, std::size_t> replay(const std::string& trace_text) {
  auto parsed = parse(trace_text, "imported.jsonl");
  if (!std::holds_alternative<trace>(parsed)) return {0, 1};
  auto t = std::get<trace>(parsed);
  std::vector<event> host;
  for (const auto& e : t.events)
    if (e.dir == direction::dte_to_module) host.push_back(e);
  modem::time_point now{};
  replayer r(std::move(t), {}, now);
  auto run_to = [&](modem::time_point until) {
    for (int i = 0; i < 100'000; ++i) {
      auto next = r.next_deadline();
      if (!next || *next > until) break;
      now = std::max(now, *next);
      (void)r.on_timer(now);
    }
    now = std::max(now, until);
  };
  for (const auto& h : host) {
    run_to(modem::time_point{} + std::chrono::microseconds(h.t_us));
    (void)r.feed(h.data, now);
  }
  run_to(now + std::chrono::hours(1));
  return {r.matched_lines(), r.script_lines()};
}

TEST_P(sample, imports_to_the_expected_trace_scenario_and_messages) {
  const std::string file = file_of(GetParam());
  const std::string stem = stem_of(file);
  auto r = import_sample(file);
  ASSERT_TRUE(r.log.ok()) << messages_text(r.log.messages, file);
  auto trace_text = to_trace(r.log);
  expect_file(stem + ".trace.jsonl", trace_text);
  expect_file(stem + ".scenario.json", r.scenario.json);
  auto all = r.log.messages;
  all.insert(all.end(), r.scenario.messages.begin(), r.scenario.messages.end());
  expect_file(stem + ".messages.txt", messages_text(all, file));

  // The trace is valid input for the trace tools, with one event per placed line.
  auto parsed = parse(trace_text, stem + ".trace.jsonl");
  ASSERT_TRUE(std::holds_alternative<trace>(parsed)) << std::get<load_error>(parsed).message;
  EXPECT_EQ(std::get<trace>(parsed).events.size(), r.log.lines.size());

  // The scenario loads (the loader checks more than the schema).
  auto loaded = scenario::load_text(r.scenario.json, stem + ".scenario.json");
  ASSERT_TRUE(std::holds_alternative<scenario::scenario>(loaded))
      << scenario::format(std::get<std::vector<scenario::diagnostic>>(loaded)) << r.scenario.json;

  // And the simulator then writes every module line of the log.
  EXPECT_EQ(r.scenario.reproduced, r.scenario.module_lines) << messages_text(r.scenario.messages, stem);

  // The trace replays: typing its host lines back, the replayer plays every recorded line.
  auto [matched, lines] = replay(trace_text);
  EXPECT_EQ(matched, lines) << "of the recorded host lines of " << file;
}

INSTANTIATE_TEST_SUITE_P(logs, sample,
                         ::testing::Values("plain", "timestamped", "sscom", "annotated", "hex", "double-connack",
                                           "mixed-encoding", "clock-jumps", "teraterm", "teraterm-plain", "putty",
                                           "minicom", "picocom", "qcom", "saleae-value.csv", "saleae-two-channels.csv"),
                         [](const auto& info) {
                           std::string n = stem_of(info.param);
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(import_log, detects_each_format_and_says_which) {
  // Every sample, old and new, against the format it must be detected as: a new format
  // must not take an old one's logs, nor the other way round.
  const std::pair<const char*, log_format> samples[] = {
      {"plain.log", log_format::plain},
      {"timestamped.log", log_format::timestamped},
      {"double-connack.log", log_format::timestamped},  // a stamp on every line reads as timestamped
      {"sscom.log", log_format::sscom},
      {"mixed-encoding.log", log_format::sscom},
      {"hex.log", log_format::hex},
      {"annotated.log", log_format::plain},
      {"clock-jumps.log", log_format::timestamped},
      {"teraterm.log", log_format::teraterm},
      {"teraterm-plain.log", log_format::plain},  // nothing in it names Tera Term
      {"putty.log", log_format::putty},
      {"minicom.log", log_format::minicom},
      {"picocom.log", log_format::plain},  // picocom writes the bytes alone
      {"qcom.log", log_format::qcom},
      {"saleae-value.csv", log_format::csv},
      {"saleae-two-channels.csv", log_format::csv},
  };
  for (const auto& [file, f] : samples) EXPECT_EQ(to_string(import_sample(file).log.format), to_string(f)) << file;
  EXPECT_FALSE(import_sample("unknown-format.log").log.ok());
  EXPECT_EQ(describe(log_format::teraterm, false), "Tera Term log with timestamps");
  EXPECT_EQ(describe(log_format::csv, false), "logic analyser UART export as CSV");
  auto a = import_sample("annotated.log");
  EXPECT_EQ(a.log.format, log_format::plain);
  EXPECT_TRUE(a.log.annotated);
  EXPECT_EQ(describe(a.log.format, a.log.annotated), "plain transcript with comments");
  EXPECT_FALSE(import_sample("plain.log").log.annotated);
}

// ---------------------------------------------------------------------------------
// The double-CONNACK trace, from a log file in one command

TEST(import_log, double_connack_log_becomes_the_connfail_then_connack_rule) {
  auto r = import_sample("double-connack.log");
  auto j = json::parse(r.scenario.json);
  EXPECT_EQ(j["rules"], json::parse(R"([{"on_command": "+ECMTCONN=*", "occurrence": 1,
                                         "then": [{"action": "connfail_then_connack", "id": 0}]}])"));
}

TEST(import_log, double_connack_scenario_reproduces_the_trace_in_the_simulator) {
  auto r = import_sample("double-connack.log");
  auto loaded = scenario::load_text(r.scenario.json, "dc.json");
  ASSERT_TRUE(std::holds_alternative<scenario::scenario>(loaded));
  const auto& world = std::get<scenario::scenario>(loaded);
  auto profile = *modem::builtin_profile("nt35e");
  ASSERT_EQ(scenario::apply(world, profile), "");
  test::core_harness h(profile, true, world);
  h.boot_and_register();
  h.exchange("ATE0");
  EXPECT_NE(
      h.exchange("AT+ECMTOPEN=0,\"broker.example.com\",1883", std::chrono::milliseconds(3000)).find("+ECMTOPEN:0,0"),
      std::string::npos);
  auto out = h.exchange("AT+ECMTCONN=0,\"dev01\"", std::chrono::milliseconds(3000));
  EXPECT_EQ(out, "\r\nOK\r\n\r\n+ECMTCONN:0,2,2\r\n\r\n+ECMTCONN:0,0,0\r\n");
  // Only the first CONNECT: a second connection is standard again.
  h.exchange("AT+ECMTDISC=0", std::chrono::milliseconds(500));
  h.exchange("AT+ECMTOPEN=0,\"broker.example.com\",1883", std::chrono::milliseconds(3000));
  EXPECT_EQ(h.exchange("AT+ECMTCONN=0,\"dev01\"", std::chrono::milliseconds(3000)),
            "\r\nOK\r\n\r\n+ECMTCONN:0,0,0\r\n");
}

TEST(import_log, import_subcommand_writes_the_scenario_file) {
  auto dir = fs::temp_directory_path() / ("nt35e-import-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto out = (dir / "dc.json").string();
  auto log = (logs_dir() / "double-connack.log").string();
  std::vector<std::string> args = {"import", "--to", "scenario", "-o", out, log};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  testing::internal::CaptureStderr();
  int rc = app::import_main(static_cast<int>(argv.size()), argv.data());
  auto err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("double-connack.log: read as timestamped lines (detected)"), std::string::npos) << err;
  EXPECT_NE(err.find("scenario with 1 rule; with it the simulator writes 13 of the log's 13 module lines"),
            std::string::npos)
      << err;
  EXPECT_EQ(slurp(out), slurp(logs_dir() / "expected" / "double-connack.scenario.json"));
  fs::remove_all(dir);
}

// A file of lines that cannot be placed (a binary file given by mistake made 78,000 such
// messages): the first 20 of a level are shown, then how many more and where;
// --all-messages shows every one.
TEST(import_log, import_subcommand_shows_twenty_messages_of_a_level_then_how_many_more) {
  auto dir = fs::temp_directory_path() / ("nt35e-import-many-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto log = (dir / "blob.bin").string();
  {
    std::ofstream f(log, std::ios::binary);
    f << "AT\r\nOK\r\n";
    for (int i = 0; i < 100; ++i) f << "\x80\x80 line " << i << "\r\n";
  }
  auto run = [&](std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    testing::internal::CaptureStderr();
    const int rc = app::import_main(static_cast<int>(argv.size()), argv.data());
    return std::pair{rc, testing::internal::GetCapturedStderr()};
  };
  auto errors = [](const std::string& err) {
    std::size_t n = 0;
    for (auto at = err.find("cannot place"); at != std::string::npos; at = err.find("cannot place", at + 1)) ++n;
    return n;
  };
  const auto out = (dir / "out.jsonl").string();
  const auto [rc, err] = run({"import", "--format", "plain", "-o", out, log});
  EXPECT_EQ(rc, 0) << err;
  EXPECT_EQ(errors(err), 20u) << err;
  EXPECT_NE(err.find("blob.bin: 80 more errors about single lines (lines 23-102) not shown; --all-messages shows "
                     "every one\n"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("blob.bin: read as plain transcript"), std::string::npos) << err;

  const auto [rc_all, err_all] = run({"import", "--format", "plain", "--all-messages", "-o", out, log});
  EXPECT_EQ(rc_all, 0) << err_all;
  EXPECT_EQ(errors(err_all), 100u);
  EXPECT_EQ(err_all.find("not shown"), std::string::npos);
  fs::remove_all(dir);
}

// ---------------------------------------------------------------------------------
// Bad input

TEST(import_log, unknown_format_is_one_message_naming_the_formats_tried) {
  auto r = import_sample("unknown-format.log");
  EXPECT_FALSE(r.log.ok());
  expect_file("unknown-format.messages.txt", messages_text(r.log.messages, "unknown-format.log"));
  ASSERT_EQ(r.log.messages.size(), 1u);
  const auto& m = r.log.messages[0];
  EXPECT_EQ(m.level, message_level::error);
  for (auto word :
       {"plain", "timestamped", "sscom", "annotated", "hex", "teraterm", "putty", "minicom", "qcom", "csv", "--format"})
    EXPECT_NE(m.text.find(word), std::string::npos) << word << " not in: " << m.text;

  std::string a0 = "import", a1 = (logs_dir() / "unknown-format.log").string();
  char* argv[] = {a0.data(), a1.data()};
  testing::internal::CaptureStderr();
  testing::internal::CaptureStdout();
  EXPECT_EQ(app::import_main(2, argv), 1);
  auto err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(err.rfind("unknown-format.log: error: cannot tell the format of the log: tried plain", 0), 0u) << err;
}

TEST(import_log, mixed_gbk_and_utf8_lines_are_each_read_and_named) {
  auto r = import_sample("mixed-encoding.log");
  ASSERT_TRUE(r.log.ok());
  auto text = messages_text(r.log.messages, "m.log");
  EXPECT_NE(text.find("m.log:1: note: lines 1 to 11 are not valid UTF-8, read as GBK\n"), std::string::npos) << text;
  EXPECT_NE(text.find("m.log:13: error: neither UTF-8 nor GBK: byte 0xFF at byte 47 is invalid in both; the line is "
                      "left out\n"),
            std::string::npos)
      << text;
  // Line 12 is UTF-8 (pasted from another tool) and keeps its Chinese payload.
  bool found = false;
  for (const auto& l : r.log.lines)
    if (l.line == 12) {
      EXPECT_EQ(l.text, "+ECMTRECV:0,0,\"cmd/dev01\",温度 25℃");
      EXPECT_EQ(l.role, line_role::urc);
      found = true;
    }
  EXPECT_TRUE(found);
  // A single GBK line gets the one-line note.
  auto single = import_log(
      "[10:00:00.000]\xb7\xa2\xa1\xfa\xa1\xf3"
      "AT\r\n[10:00:00.010]\xca\xd5\xa1\xfb\xa1\xf4"
      "OK\r\n",
      "s.log");
  EXPECT_EQ(messages_text(single.messages, "s.log"), "s.log:1: note: lines 1 to 2 are not valid UTF-8, read as GBK\n");
  auto only_second = import_log("[10:00:00.000]发→◇AT\n[10:00:00.010]\xca\xd5\xa1\xfb\xa1\xf4OK\n", "s.log");
  EXPECT_EQ(messages_text(only_second.messages, "s.log"), "s.log:2: note: not valid UTF-8, read as GBK\n");
  ASSERT_EQ(only_second.lines.size(), 2u);
  EXPECT_EQ(only_second.lines[1].role, line_role::response);
}

TEST(import_log, lines_that_cannot_be_placed_are_reported_not_dropped) {
  auto r = import_log("AT\nOK\n--- session 2 ---\nAT+CSQ\n+CSQ:23,99\nOK\nhello world\n", "p.log");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(messages_text(r.messages, "p.log"),
            "p.log:3: error: cannot place \"--- session 2 ---\": it is not an AT command, and no command is waiting "
            "for an answer here\n"
            "p.log:7: error: cannot place \"hello world\": it is not an AT command, and no command is waiting for an "
            "answer here\n");
  EXPECT_EQ(r.lines.size(), 5u);
  // Forced to a format that does not fit: every line is named, and nothing is placed.
  auto forced = import_log("AT\nOK\n", "p.log", {log_format::hex});
  EXPECT_FALSE(forced.ok());
  EXPECT_EQ(messages_text(forced.messages, "p.log"),
            "p.log:1: error: cannot place \"AT\": not hex bytes\n"
            "p.log:2: error: cannot place \"OK\": not hex bytes\n"
            "p.log: error: no line of the log could be placed as a command or a module output (read as hex dump)\n");
}

TEST(import_log, clock_jumps_are_named_with_their_lines) {
  auto r = import_sample("clock-jumps.log");
  auto text = messages_text(r.log.messages, "c.log");
  EXPECT_NE(text.find("c.log:5: note: the clock passes midnight here; counted as the next day"), std::string::npos);
  EXPECT_NE(text.find("c.log:7: warning: time 00:00:00.190 is earlier than the line before (00:00:00.205)"),
            std::string::npos)
      << text;
  // Times never go back in the trace.
  std::int64_t last = -1;
  for (const auto& l : r.log.lines) {
    EXPECT_GE(l.t_us, last);
    last = l.t_us;
  }
}

TEST(import_log, empty_log_and_a_trace_given_as_a_log) {
  EXPECT_EQ(messages_text(import_log("", "e.log").messages, "e.log"), "e.log: error: the log is empty\n");
  EXPECT_EQ(messages_text(import_log("\n  \n", "e.log").messages, "e.log"), "e.log: error: the log is empty\n");
  auto t = import_log("{\"trace\":\"nt35e-sim\",\"version\":1}\n", "t.jsonl");
  EXPECT_FALSE(t.ok());
  EXPECT_NE(messages_text(t.messages, "t.jsonl").find("t.jsonl:1: error: this is already an nt35e-sim trace"),
            std::string::npos);
}

TEST(import_log, usage_errors_exit_2_with_one_sentence) {
  auto run = [](std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    testing::internal::CaptureStderr();
    int rc = app::import_main(static_cast<int>(argv.size()), argv.data());
    return std::pair{rc, testing::internal::GetCapturedStderr()};
  };
  EXPECT_EQ(run({"import", "--fromat", "x.log"}),
            (std::pair{2, std::string("nt35e-sim import: unknown option --fromat; try --help\n")}));
  EXPECT_EQ(run({"import", "--format", "excel", "x.log"}),
            (std::pair{2, std::string("nt35e-sim import: --format expects auto, plain, timestamped, sscom, annotated, "
                                      "hex, teraterm, putty, minicom, qcom or csv (picocom is minicom), got "
                                      "\"excel\"; try --help\n")}));
  EXPECT_EQ(
      run({"import", "--to", "html", "x.log"}),
      (std::pair{2, std::string("nt35e-sim import: --to expects trace or scenario, got \"html\"; try --help\n")}));
  EXPECT_EQ(run({"import"}),
            (std::pair{2, std::string("nt35e-sim import: give the log file to import; try --help\n")}));
  auto missing = run({"import", "/nonexistent/x.log"});
  EXPECT_EQ(missing.first, 1);
  EXPECT_EQ(missing.second, "/nonexistent/x.log: error: cannot open the file: No such file or directory\n");
}

// ---------------------------------------------------------------------------------
// Pieces

TEST(import_log, stamps_in_both_styles) {
  bool dated = false;
  auto a = detail::parse_stamp("2024-05-01_10:15:02:123", &dated);
  ASSERT_TRUE(a);
  EXPECT_TRUE(dated);
  auto b = detail::parse_stamp("10:15:02.123", &dated);
  ASSERT_TRUE(b);
  EXPECT_FALSE(dated);
  EXPECT_EQ(*b, ((10 * 60 + 15) * 60 + 2) * 1'000'000LL + 123'000);
  EXPECT_EQ(*a % 86'400'000'000LL, *b);
  EXPECT_EQ(*detail::parse_stamp("2024-05-01 10:15:02.123456"), *a + 456);
  EXPECT_EQ(*detail::parse_stamp("9:05:07"), ((9 * 60 + 5) * 60 + 7) * 1'000'000LL);
  EXPECT_FALSE(detail::parse_stamp("10:15"));
  EXPECT_FALSE(detail::parse_stamp("25:00:00.000"));
  EXPECT_FALSE(detail::parse_stamp("10:15:02.12x"));
  EXPECT_FALSE(detail::parse_stamp("INFO"));
}

TEST(import_log, encodings) {
  EXPECT_TRUE(at::valid_utf8("AT+CSQ"));
  EXPECT_TRUE(at::valid_utf8("发→◇"));
  std::size_t bad = 0;
  EXPECT_FALSE(at::valid_utf8("ab\xb7\xa2", &bad));
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(at::valid_utf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(at::valid_utf8("\xc0\xaf"));      // overlong
  EXPECT_EQ(detail::gbk_to_utf8("\xb7\xa2\xa1\xfa\xa1\xf3\xca\xd5\xa1\xfb\xa1\xf4\xa1\xf5"), "发→◇收←◆□");
  EXPECT_FALSE(detail::gbk_to_utf8("\xff\xfe"));
}

TEST(import_log, comments_outside_quotes_only) {
  auto r = import_log(
      "AT+ECMTSUB=0,1,\"sensors/#\",1   # wildcard\nOK  // fine\n+ECMTSUB:0,1,0,1 ← subscribed\n"
      "+ECMTRECV:0,1,\"sensors/t\",a # b\n",
      "a.log");
  ASSERT_TRUE(r.annotated);
  std::vector<std::string> texts;
  for (const auto& l : r.lines) texts.push_back(std::string(to_string(l.role)) + " " + l.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"command AT+ECMTSUB=0,1,\"sensors/#\",1", "comment wildcard",
                                             "response OK", "comment fine", "urc +ECMTSUB:0,1,0,1",
                                             "comment subscribed", "urc +ECMTRECV:0,1,\"sensors/t\",a # b"}));
}

// Every differing answer costs a run of the whole log; past the limit the import stops
// comparing, says at which line, and the answers after it stay the simulator's.
TEST(import_log, too_many_differing_answers_stop_at_a_named_line) {
  std::string text = "ECRDY\n";
  for (int i = 0; i < 6; ++i) text += "AT+ECMTCFG=\"keepalive\",0," + std::to_string(60 + i) + "\nERROR\n";
  const auto log = import_log(text, "p.log", {log_format::plain});
  ASSERT_TRUE(log.ok());
  const auto all = to_scenario(log);
  EXPECT_EQ(all.json.find("stopped comparing"), std::string::npos);
  EXPECT_EQ(messages_text(all.messages, "p.log").find("stopped comparing"), std::string::npos);

  const auto capped = to_scenario(log, nullptr, {.max_differences = 4});
  const auto said = messages_text(capped.messages, "p.log");
  EXPECT_NE(said.find("p.log:10: warning: stopped comparing answers here, after 4 differences: from this line on the "
                      "scenario keeps the simulator's answers (split the log to import the rest)"),
            std::string::npos)
      << said;
  auto rules = [](const std::string& json) {
    std::size_t n = 0;
    for (auto at = json.find("replace_response"); at != std::string::npos; at = json.find("replace_response", at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(rules(all.json), 6u);
  EXPECT_EQ(rules(capped.json), 4u);

  // A long log reaches the bound on commands run again first: 6 commands, 20 re-runs, 3 rounds.
  const auto long_log = to_scenario(log, nullptr, {.max_rerun_commands = 20});
  const auto long_said = messages_text(long_log.messages, "p.log");
  EXPECT_NE(long_said.find("p.log:8: warning: stopped comparing answers here, after 3 differences, each of which runs "
                           "the log's 6 commands again (a longer search would take minutes): from this line on the "
                           "scenario keeps the simulator's answers (split the log to import the rest)"),
            std::string::npos)
      << long_said;
  EXPECT_EQ(rules(long_log.json), 3u);
}

TEST(import_log, plain_transcript_times_are_made_up_and_echo_recognised) {
  auto r = import_log("AT\nAT\nOK\nAT+ECMTOPEN=0,\"h\",1883\nOK\n+ECMTOPEN:0,0\n", "p.log");
  ASSERT_EQ(r.lines.size(), 6u);
  EXPECT_FALSE(r.timed);
  EXPECT_EQ(r.lines[1].role, line_role::echo);
  std::vector<std::int64_t> t;
  for (const auto& l : r.lines) t.push_back(l.t_us);
  EXPECT_EQ(t, (std::vector<std::int64_t>{0, 0, 5'000, 105'000, 110'000, 410'000}));
}

TEST(import_log, transcript_prompt_with_payload_on_the_same_line) {
  auto r = import_log("AT+ECMTPUB=0,1,1,0,\"t\"\n> {\"t\":21.5}\nOK\n+ECMTPUB:0,1,0\n", "p.log");
  std::vector<std::string> texts;
  for (const auto& l : r.lines) texts.push_back(std::string(to_string(l.role)) + " " + l.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"command AT+ECMTPUB=0,1,1,0,\"t\"", "response >", "data {\"t\":21.5}",
                                             "response OK", "urc +ECMTPUB:0,1,0"}));
  auto tr = to_trace(r);
  EXPECT_NE(tr.find(R"({"t":105000,"dir":"dte>mod","data":"{\"t\":21.5}\u001a"})"), std::string::npos) << tr;
}

TEST(import_log, passwords_are_masked_in_the_trace_and_the_scenario) {
  auto r = import_sample("annotated.log");
  auto tr = to_trace(r.log);
  EXPECT_EQ(tr.find("s3cret"), std::string::npos);
  EXPECT_EQ(r.scenario.json.find("s3cret"), std::string::npos);
  EXPECT_NE(tr.find(R"(AT+ECMTCONN=0,\"acme-3\",\"acme\",\"******\"\r)"), std::string::npos);
}

// ---------------------------------------------------------------------------------
// The terminal programs' and analysers' logs

/// "role text" of each placed line.
std::vector<std::string> roles_of(const imported_log& log) {
  std::vector<std::string> out;
  for (const auto& l : log.lines) out.push_back(std::string(to_string(l.role)) + " " + l.text);
  return out;
}

TEST(import_log, forcing_a_terminal_format_reads_its_plain_logs_the_same) {
  // Tera Term without timestamps and picocom are plain transcripts: --format says whose.
  for (auto [file, f] : {std::pair{"teraterm-plain.log", log_format::teraterm},
                         std::pair{"picocom.log", log_format::minicom}, std::pair{"putty.log", log_format::plain}}) {
    auto detected = import_sample(file);
    auto forced = import_sample(file, {f});
    EXPECT_EQ(forced.log.format, f) << file;
    if (f == log_format::plain) {
      // PuTTY's header is no AT traffic: read as plain, it is named, and the rest is the same.
      EXPECT_NE(messages_text(forced.log.messages, file).find("putty.log:1: error: cannot place \"=~=~=~"),
                std::string::npos)
          << messages_text(forced.log.messages, file);
    } else {
      EXPECT_EQ(roles_of(forced.log), roles_of(detected.log)) << file;
    }
  }
  EXPECT_EQ(log_format_from_string("picocom"), log_format::minicom);
  EXPECT_EQ(log_format_from_string("Tera Term"), std::nullopt);
}

TEST(import_log, teraterm_stamps_give_the_date_and_the_milliseconds) {
  bool dated = false;
  auto t = detail::parse_stamp("Thu Dec 03 10:15:02.123 2026", &dated);
  ASSERT_TRUE(t);
  EXPECT_TRUE(dated);
  EXPECT_EQ(*t, *detail::parse_stamp("2026-12-03 10:15:02.123"));
  EXPECT_EQ(*detail::parse_stamp("Mon Jan  5 09:00:00.000 2026"), *detail::parse_stamp("2026-01-05 09:00:00"));
  EXPECT_FALSE(detail::parse_stamp("Thu Foo 03 10:15:02.123 2026"));
  EXPECT_FALSE(detail::parse_stamp("Thu Dec 03 10:15:02.123"));
  EXPECT_FALSE(detail::parse_stamp("Thu Dec 32 10:15:02.123 2026"));
  auto r = import_sample("teraterm.log");
  EXPECT_EQ(r.log.started, "2026-12-03T10:15:01.512");
  ASSERT_GE(r.log.lines.size(), 3u);
  EXPECT_EQ(r.log.lines[1].role, line_role::command);
  EXPECT_EQ(r.log.lines[1].t_us, 2'701'000);
}

TEST(import_log, putty_header_gives_the_start_and_each_appended_session_is_noted) {
  auto r = import_sample("putty.log");
  ASSERT_TRUE(r.log.ok());
  EXPECT_EQ(r.log.started, "2026-12-03T10:20:00.000");
  EXPECT_FALSE(r.log.timed);
  const auto text = messages_text(r.log.messages, "putty.log");
  EXPECT_NE(text.find("note: PuTTY started another session log here; read on as one session"), std::string::npos)
      << text;
  for (const auto& l : r.log.lines) EXPECT_EQ(l.text.find("PuTTY log"), std::string::npos) << l.text;
}

TEST(import_log, qcom_chunk_lines_take_the_chunk_stamp) {
  auto r = import_log(
      "[2026-12-03_10:30:04:224]AT+CSQ\r\n\r\n+CSQ:23,99\r\n\r\nOK\r\n"
      "[2026-12-03_10:30:05:516]\r\n+ECMTOPEN:0,0\r\n",
      "q.log");
  EXPECT_EQ(r.format, log_format::qcom);
  EXPECT_EQ(roles_of(r),
            (std::vector<std::string>{"command AT+CSQ", "response +CSQ:23,99", "response OK", "urc +ECMTOPEN:0,0"}));
  std::vector<std::int64_t> t;
  for (const auto& l : r.lines) t.push_back(l.t_us);
  EXPECT_EQ(t, (std::vector<std::int64_t>{0, 0, 0, 1'292'000}));
}

TEST(import_log, analyser_exports_each_shape_and_the_channel_that_answers_is_the_module) {
  // Saleae Logic 1 with all analysers in one file, ASCII radix (the comma shown as ',').
  auto one = import_log(
      "Time [s],Analyzer Name,Decoded Protocol Result\n"
      "0.000000,MCU,'A'\n0.000087,MCU,'T'\n0.000174,MCU,'+'\n0.000261,MCU,'X'\n0.000348,MCU,'='\n"
      "0.000435,MCU,'1'\n0.000522,MCU,','\n0.000609,MCU,'2'\n0.000696,MCU,'\\r'\n"
      "0.004210,Modem,'\\r'\n0.004297,Modem,'\\n'\n0.004384,Modem,'O'\n0.004471,Modem,'K'\n"
      "0.004558,Modem,'\\r'\n0.004645,Modem,'\\n'\n",
      "l1.csv");
  EXPECT_EQ(one.format, log_format::csv);
  EXPECT_EQ(roles_of(one), (std::vector<std::string>{"command AT+X=1,2", "response OK"}));
  EXPECT_NE(messages_text(one.messages, "l1.csv")
                .find("l1.csv:11: note: channel \"Modem\" is the module's (it answers OK and ERROR), \"MCU\" the "
                      "host's"),
            std::string::npos)
      << messages_text(one.messages, "l1.csv");
  EXPECT_EQ(one.lines[1].t_us, 4'384) << "the time of its first byte that is not a line end";
  ASSERT_EQ(one.lines[0].bytes, "AT+X=1,2\r");

  // The two-channel sample: the RX channel answers, so it is the module's.
  auto two = import_sample("saleae-two-channels.csv");
  EXPECT_NE(messages_text(two.log.messages, "t.csv").find("channel \"RX\" is the module's"), std::string::npos);
  for (const auto& l : two.log.lines)
    if (l.text.starts_with("AT")) {
      EXPECT_TRUE(l.role == line_role::command || l.role == line_role::echo) << l.text;
    }
}

TEST(import_log, analyser_export_rows_that_cannot_be_read_are_named) {
  auto r = import_log(
      "Time [s],Value,Parity Error,Framing Error\n"
      "0.0,0x41,,\n"
      "0.1,0x54,,\n"
      "zero,0x0D,,\n"
      "0.2,0x1G,,\n"
      "0.3\n"
      "0.4,0x0D,,Error\n"
      "0.5,0x0D,,\n"
      "0.6,0x0A,,\n"
      "0.7,'O',,\n"
      "0.8,'K',,\n"
      "0.9,13,,\n"
      "1.0,0b00001010,,\n",
      "b.csv");
  EXPECT_EQ(messages_text(r.messages, "b.csv"),
            "b.csv:4: error: cannot read the time \"zero\" (seconds such as 0.000087, or an ISO 8601 time); the row is "
            "left out\n"
            "b.csv:5: error: cannot read the byte \"0x1G\" (write it 0x41, 65, 'A' or '\\r'); the row is left out\n"
            "b.csv:6: error: cannot read row \"0.3\": 1 columns, the header names 4; the row is left out\n"
            "b.csv:7: warning: the analyser marks byte \\r with \"Framing Error\" \"Error\"; the byte is kept\n");
  EXPECT_EQ(roles_of(r), (std::vector<std::string>{"command AT", "response OK"}));
  // A first line that names no byte column is not an analyser export.
  auto not_csv = import_log("Time [s],Temperature\n0.0,21.5\n", "t.csv", {log_format::csv});
  EXPECT_FALSE(not_csv.ok());
  EXPECT_NE(messages_text(not_csv.messages, "t.csv")
                .find("t.csv:1: error: the first line \"Time [s],Temperature\" names no time and value columns"),
            std::string::npos)
      << messages_text(not_csv.messages, "t.csv");
}

}  // namespace
}  // namespace nt35e::trace
