// The inputs that broke the simulator (issue 13, item 0; tests/data/reliability/README.md),
// each on the layer that failed: the importer's time arithmetic and its scenario, the
// scripted broker's bursts, the scenario diagnostics' cost, a NUL inside a quoted AT
// string, and QoS 1 publishes in flight when the link is lost. The real binary gets the
// same files in tests/e2e/reliability_e2e_test.cpp.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario/json_loader.hpp"
#include "scenario/scripted_broker.hpp"
#include "support/core_harness.hpp"
#include "trace/import_log.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::test {
namespace {

namespace fs = std::filesystem;
using ms = std::chrono::milliseconds;
const std::string ok = "\r\nOK\r\n";
std::string urc(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

std::string input(const std::string& name) {
  const auto path = fs::path(__FILE__).parent_path().parent_path() / "data" / "reliability" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string messages_of(const std::vector<trace::import_message>& ms) {
  std::string out;
  for (const auto& m : ms) out += std::to_string(m.line) + ": " + m.text + "\n";
  return out;
}

}  // namespace

// 02: a time-only stamp followed by a dated one was read as a 54-year gap, and the import
// reported success on a scenario the simulator then rejected.
TEST(ReliabilityImport, ATimeOnlyStampThenADateIsOneSecondNotFiftyFourYears) {
  auto log = trace::import_log(input("02_import_scenario_rejected_by_loader.log"), "02.log");
  ASSERT_TRUE(log.ok()) << messages_of(log.messages);
  ASSERT_EQ(log.lines.size(), 4u);
  EXPECT_EQ(log.lines[0].t_us, 0);
  EXPECT_EQ(log.lines[2].t_us, 12'000);
  EXPECT_EQ(log.lines[3].t_us, 1'000'000) << "[10:15:01.000] ... [2024-05-01_10:15:02:000]";
  EXPECT_EQ(log.started, "2024-05-01T10:15:01.000") << "the start is counted back from the first date";
  auto sc = trace::to_scenario(log);
  EXPECT_EQ(sc.invalid, "") << sc.json;
  EXPECT_TRUE(std::holds_alternative<scenario::scenario>(scenario::load_text(sc.json, "02.json"))) << sc.json;
}

// A time-only stamp later in the day than the date that follows belongs to the day before.
TEST(ReliabilityImport, ATimeOnlyStampBeforeMidnightJoinsTheNextDate) {
  auto log = trace::import_log("[23:59:59.000]AT\n[23:59:59.010]OK\n[2024-05-02_00:00:01:000]+ECMTSTAT:0,1\n", "m.log");
  ASSERT_EQ(log.lines.size(), 3u) << messages_of(log.messages);
  EXPECT_EQ(log.lines[2].t_us, 2'000'000);
  EXPECT_EQ(log.started, "2024-05-01T23:59:59.000");
}

// 03b: dates jumping by centuries overflowed the importer's time arithmetic (UBSan); now a
// date more than a scenario's longest wait away from the line before is not read, with a
// warning, and what the import makes loads.
TEST(ReliabilityImport, ADateJumpingCenturiesIsAWarningNotAnOverflow) {
  auto log = trace::import_log(input("03b_import_ub_time_overflow.log"), "03b.log");
  ASSERT_TRUE(log.ok()) << messages_of(log.messages);
  const auto text = messages_of(log.messages);
  EXPECT_NE(text.find("the date jumps from 2024-05-01T23:59:59.105 to 2420-05-01T10:15:49.721, more than 168h away "
                      "from the line before; the stamp is not read"),
            std::string::npos)
      << text;
  // The log spans a day and a midnight: within two days, not centuries.
  for (const auto& l : log.lines) EXPECT_LE(l.t_us, 2 * 86'400'000'000LL) << l.line << ": " << l.text;
  auto sc = trace::to_scenario(log);
  EXPECT_EQ(sc.invalid, "") << sc.json;
  EXPECT_TRUE(std::holds_alternative<trace::trace>(trace::parse(trace::to_trace(log), "03b.jsonl")));
}

// The importer never hands over a scenario the loader refuses: a wait longer than a
// scenario can give (here 8 days between a command and its URC) is cut to the longest,
// with a warning.
TEST(ReliabilityImport, AWaitLongerThanAScenarioGivesIsCutWithAWarning) {
  auto log = trace::import_log(
      "[2024-05-01_10:00:00:000]AT+CSQ\n[2024-05-01_10:00:00:010]+CSQ:23,99\n[2024-05-01_10:00:00:012]OK\n"
      "[2024-05-05_10:00:00:000]+ECMTSTAT:0,1\n[2024-05-09_10:00:00:000]+ECMTSTAT:0,1\n",
      "long.log");
  auto sc = trace::to_scenario(log);
  EXPECT_EQ(sc.invalid, "") << sc.json;
  EXPECT_NE(sc.json.find("\"after\": \"168h\""), std::string::npos) << sc.json;
  EXPECT_NE(messages_of(sc.messages).find("a scenario waits at most 168h, so its rule waits that long"),
            std::string::npos)
      << messages_of(sc.messages);
}

// 04: count x every overflowed int (100 x 168h); the burst is now made one message at a
// time, each `every` after the one before.
TEST(ReliabilityBursts, ALongBurstKeepsItsTimesWithoutOverflow) {
  auto loaded = scenario::load_text(input("04_scenario_burst_int_overflow.json"), "04.json");
  ASSERT_TRUE(std::holds_alternative<scenario::scenario>(loaded))
      << scenario::format(std::get<std::vector<scenario::diagnostic>>(loaded));
  scenario::scripted_broker b(std::get<scenario::scenario>(loaded).broker);
  auto first = b.start();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].delay_ms, 1000);
  auto pub = std::get<scenario::scripted_broker::broker_publish>(first[0].what);
  EXPECT_EQ(pub.payload, "m1");
  const int week_ms = 168 * 3600 * 1000;
  for (int n = 2; n <= 100; ++n) {
    auto next = b.publish_now(pub);
    ASSERT_EQ(next.size(), 1u) << "no subscriber: only the burst's next message, message " << n;
    EXPECT_EQ(next[0].delay_ms, week_ms);
    pub = std::get<scenario::scripted_broker::broker_publish>(next[0].what);
    EXPECT_EQ(pub.payload, "m" + std::to_string(n));
  }
  EXPECT_TRUE(b.publish_now(pub).empty()) << "100 messages, then nothing";
}

// 06: 4 x 1,000,000 messages were built up front (18 s, 1 GB): start() now makes one each.
TEST(ReliabilityBursts, AMillionMessageBurstStartsWithOneEvent) {
  auto loaded = scenario::load_text(input("06_scenario_burst_1GB_rss.json"), "06.json");
  ASSERT_TRUE(std::holds_alternative<scenario::scenario>(loaded));
  scenario::scripted_broker b(std::get<scenario::scenario>(loaded).broker);
  EXPECT_EQ(b.start().size(), 4u);
}

// The scripted broker's deliveries of a burst on the core, on its manual clock: a
// subscriber gets message n at at + (n-1) x every.
TEST(ReliabilityBursts, BurstMessagesArriveOnTimeThroughTheCore) {
  scenario::scenario world;
  scenario::timed_message m;
  m.at = ms(8000);
  m.msg = {"t", "n{n}", 0};
  m.count = 3;
  m.every = ms(2000);
  world.broker.messages.push_back(m);
  core_harness h(*modem::builtin_profile("nt35e"), true, world);
  h.boot_and_register();
  h.exchange("ATE0");
  ASSERT_EQ(h.exchange("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", ms(1500)), ok + urc("+ECMTOPEN:0,0"));
  ASSERT_EQ(h.exchange("AT+ECMTCONN=0", ms(300)), ok + urc("+ECMTCONN:0,0,0"));
  ASSERT_EQ(h.exchange("AT+ECMTSUB=0,1,\"t\",0", ms(500)), ok + urc("+ECMTSUB:0,1,0,1"));
  // Power-on was at 0; about 6.4 s have passed. The messages are due at 8, 10 and 12 s.
  h.run_for(ms(1500));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(500));
  EXPECT_EQ(h.take_output(), urc("+ECMTRECV:0,0,\"t\",n1"));
  h.run_for(ms(2000));
  EXPECT_EQ(h.take_output(), urc("+ECMTRECV:0,0,\"t\",n2"));
  h.run_for(ms(10000));
  EXPECT_EQ(h.take_output(), urc("+ECMTRECV:0,0,\"t\",n3"));
}

// 07: 32k bad rules on one line took 7 s: every diagnostic counted its column from the
// line's start. Now the cost is linear; the cap of 20 diagnostics says how many more.
TEST(ReliabilityDiagnostics, ThirtyTwoThousandBadRulesAreReportedInLinearTime) {
  const auto text = input("07_scenario_quadratic_diagnostics_93KB.json");
  const auto start = std::chrono::steady_clock::now();
  auto loaded = scenario::load_text(text, "07.json");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(std::holds_alternative<std::vector<scenario::diagnostic>>(loaded));
  const auto& d = std::get<std::vector<scenario::diagnostic>>(loaded);
  ASSERT_EQ(d.size(), scenario::max_diagnostics);
  EXPECT_EQ(scenario::format(d[0]), "07.json:1:25: error: /rules/0: expected an object, got a number");
  EXPECT_EQ(scenario::format(d[1]), "07.json:1:28: error: /rules/1: expected an object, got a number");
  EXPECT_EQ(d.back().message, "31981 more errors not shown");
  // 0.3 s optimised; the bound is generous for the Debug ASan build on a loaded machine,
  // where the quadratic version took far longer than its 7-13 s optimised.
  EXPECT_LT(std::chrono::duration_cast<ms>(took).count(), 5000);
}

// Columns count code points (UTF-8 sequences), also far along one long line.
TEST(ReliabilityDiagnostics, ColumnsCountCodePointsOnALongLine) {
  std::string text = "{\"name\": \"";
  for (int i = 0; i < 1000; ++i) text += "\xC3\xA9";  // é, 2 bytes, 1 column
  text += "\", \"rules\": 5}";
  auto loaded = scenario::load_text(text, "u.json");
  ASSERT_TRUE(std::holds_alternative<std::vector<scenario::diagnostic>>(loaded));
  EXPECT_EQ(scenario::format(std::get<std::vector<scenario::diagnostic>>(loaded)),
            "u.json:1:1023: error: /rules: expected an array, got a number\n");
}

// 08: a NUL inside a quoted string was taken as content: "127.0.0.1\0.evil" connected to
// 127.0.0.1. The module reads a line as a C string, so the NUL ends it and the quote is
// never closed: ERROR, with a reason naming the byte and where it is.
TEST(ReliabilityAt, ANulInsideAQuotedStringIsRefused) {
  core_harness h;
  h.boot_and_register();
  h.exchange("ATE0");
  auto line = input("08_at_nul_in_host.txt");
  line.replace(line.find("PORT"), 4, "1883");
  h.take_output();
  h.send(line);
  h.run_for(ms(1500));
  EXPECT_EQ(h.take_output(), "\r\nERROR\r\n");
  EXPECT_TRUE(h.take_requests().empty()) << "nothing is opened";
  EXPECT_NE(h.log_text().find("-> ERROR: parameter 2 contains byte 0x00 (NUL) at byte 24; the "
                              "module reads a line as a C string, so the NUL ends it and the quote opened at byte 14 "
                              "is never closed"),
            std::string::npos)
      << h.log_text();
  // Other bytes between the quotes stay content (spec §2.6 rule 4).
  EXPECT_EQ(h.exchange("AT+ECMTCFG=\"keepalive\",0,60"), ok);
}

// Also seen: QoS 1 publishes in flight when the link is lost got OK and then never a
// URC. Spec §5.8.3: a missing acknowledgement gives nothing on nt35e (quirk
// no_ack_timeout, FW H); the host learns of the loss from +ECMTSTAT (§7.4). With the
// quirk off, result 2 after pkt_timeout, whether or not the link came back.
TEST(ReliabilityEcmt, AQos1PublishInFlightWhenTheLinkIsLost) {
  for (bool no_ack_timeout : {true, false}) {
    auto p = *modem::builtin_profile("nt35e");
    p.quirk.no_ack_timeout = no_ack_timeout;
    core_harness h(p, false);
    h.boot_and_register();
    h.exchange("ATE0");
    h.exchange("AT+ECMTCFG=\"timeout\",0,2");
    h.exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1100));
    h.event(mqtt::event::opened{0, true, ""});
    h.exchange("AT+ECMTCONN=0");
    h.event(mqtt::event::connack{0, 0});
    h.take_output();
    EXPECT_EQ(h.exchange("AT+ECMTPUB=0,7,1,0,\"t\",\"x\""), ok);
    h.event(mqtt::event::link_lost{0, "broker killed"});
    h.run_for(ms(100));  // noticed at the next receive-loop pass (§8)
    EXPECT_EQ(h.take_output(), urc("+ECMTSTAT:0,1"));
    h.run_for(ms(3000));
    EXPECT_EQ(h.take_output(), no_ack_timeout ? "" : urc("+ECMTPUB:0,7,2")) << "no_ack_timeout " << no_ack_timeout;
  }
}

}  // namespace nt35e::test
