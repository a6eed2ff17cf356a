// End-to-end, the trace issue: record a session with the real binary, replay it
// against the same driver script byte for byte, go off script, import a customer
// log into a scenario and reproduce it, render the report, and explain mode.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "support/sim_process.hpp"

#ifndef NT35E_TEST_DATA_DIR
#error "NT35E_TEST_DATA_DIR must name tests/data"
#endif

namespace nt35e::test {
namespace {

namespace fs = std::filesystem;
const std::string ok = "\r\nOK\r\n";
std::string urc(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

fs::path scratch(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("nt35e-trace-e2e-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The driver: a fixed script; returns everything the module wrote.
std::string drive(sim_process& sim) {
  auto dte = dte_client::connect_tcp(sim.tcp_port());
  std::string all = dte.read_until("ECRDY\r\n", 6s);
  auto step = [&](const std::string& line, std::string_view until) {
    EXPECT_TRUE(dte.send(line + "\r"));
    all += dte.read_until(until, 5s);
  };
  step("ATE0", ok);
  step("ATI", ok);
  for (int i = 0; i < 60; ++i) {
    EXPECT_TRUE(dte.send("AT+CEREG?\r"));
    auto got = dte.read_until(ok, 5s);
    all += got;
    if (got.find("+CEREG:0,1") != std::string::npos) break;
    dte.read_for(100ms);
  }
  step("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", urc("+ECMTOPEN:0,0"));
  step("AT+ECMTCONN=0,\"dev\",\"user\",\"pass\"", urc("+ECMTCONN:0,0,0"));
  step("AT+ECMTSUB=0,1,\"test\",1", urc("+ECMTSUB:0,1,0,1"));
  step("AT+ECMTPUB=0,0,0,0,\"test\",\"hello\"", urc("+ECMTRECV:0,1,\"test\",hello"));
  step("AT+ECMTDISC=0", urc("+ECMTDISC:0,0"));
  return all;
}

TEST(Trace, RecordedSessionReplaysByteIdentically) {
  auto file = scratch("session.jsonl");
  std::string live, replayed;
  {
    sim_process sim({"--tcp", "0", "--record", file.string()});
    ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
    live = drive(sim);
  }
  auto recorded = read_file(file);
  EXPECT_EQ(recorded.find("\"pass\""), std::string::npos) << "passwords are masked in the recording";
  EXPECT_NE(recorded.find("\"dir\":\"mod>net\""), std::string::npos) << "MQTT requests are recorded";
  {
    sim_process sim({"--tcp", "0", "--replay", file.string()});
    ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
    replayed = drive(sim);
    EXPECT_EQ(sim.stderr_text().find("replay.off_script"), std::string::npos) << sim.diagnostics();
  }
  EXPECT_EQ(printable(replayed), printable(live));
}

TEST(Trace, OffScriptHostGetsErrorOrAHandover) {
  auto file = scratch("short.jsonl");
  {
    sim_process sim({"--tcp", "0", "--record", file.string()});
    ASSERT_TRUE(sim.wait_ready());
    auto dte = dte_client::connect_tcp(sim.tcp_port());
    dte.read_until("ECRDY\r\n", 6s);
    dte.send("ATE0\r");
    dte.read_until(ok, 3s);
    dte.send("AT+CGMI\r");
    dte.read_until(ok, 3s);
  }
  {
    sim_process sim({"--tcp", "0", "--replay", file.string(), "--off-script", "error"});
    ASSERT_TRUE(sim.wait_ready());
    auto dte = dte_client::connect_tcp(sim.tcp_port());
    dte.read_until("ECRDY\r\n", 6s);
    dte.send("ATE0\r");
    EXPECT_EQ(dte.read_until(ok, 3s), "ATE0\r" + ok);
    dte.send("AT+CGMM\r");
    EXPECT_EQ(dte.read_until("ERROR\r\n", 3s), "\r\nERROR\r\n");
    EXPECT_TRUE(sim.wait_stderr("expected AT+CGMI")) << sim.diagnostics();
  }
  {
    sim_process sim({"--tcp", "0", "--replay", file.string(), "--off-script", "handover"});
    ASSERT_TRUE(sim.wait_ready());
    auto dte = dte_client::connect_tcp(sim.tcp_port());
    dte.read_until("ECRDY\r\n", 6s);
    dte.send("ATE0\r");
    dte.read_until(ok, 3s);
    dte.send("AT+CGMM\r");
    auto got = dte.read_until(ok, 5s);
    // The module takes over at once, without a second boot, with its power-on
    // settings: echo is on again (the trace's ATE0 is not carried over).
    EXPECT_EQ(got, "AT+CGMM\r\r\nNT35E\r\n" + ok) << sim.diagnostics();
  }
}

TEST(Trace, BadTraceFilesAreOneClearMessage) {
  auto broken = scratch("broken.jsonl");
  std::ofstream(broken)
      << "{\"trace\":\"nt35e-sim\",\"version\":1,\"profile\":\"nt35e\"}\n{\"t\":5,\"dir\":\"mod>dte\",\"da";
  auto r = run_sim({"--replay", broken.string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(":2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cut off"), std::string::npos) << r.err;
  auto unwritable = run_sim({"--tcp", "0", "--record", "/nonexistent-dir/x.jsonl"});
  EXPECT_EQ(unwritable.status, 2) << unwritable.err;
  EXPECT_NE(unwritable.err.find("/nonexistent-dir/x.jsonl"), std::string::npos) << unwritable.err;
}

TEST(Trace, DoubleConnackLogBecomesAScenarioInOneCommand) {
  auto out = scratch("dc.json");
  auto imported = run_sim({"import", "--to", "scenario", "-o", out.string(),
                           std::string(NT35E_TEST_DATA_DIR) + "/logs/double-connack.log"});
  ASSERT_EQ(imported.status, 0) << imported.err;
  sim_process sim({"--scenario", out.string(), "--tcp", "0", "--time-scale", "0.25"});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  auto dte = dte_client::connect_tcp(sim.tcp_port());
  dte.read_until("ECRDY\r\n", 6s);
  dte.send("ATE0\r");
  dte.read_until(ok, 3s);
  for (int i = 0; i < 60; ++i) {
    dte.send("AT+CGATT?\r");
    if (dte.read_until(ok, 3s).find("+CGATT:1") != std::string::npos) break;
    dte.read_for(50ms);
  }
  dte.send("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883\r");
  EXPECT_EQ(dte.read_until(urc("+ECMTOPEN:0,0"), 5s), ok + urc("+ECMTOPEN:0,0"));
  dte.send("AT+ECMTCONN=0,\"dev01\"\r");
  EXPECT_EQ(dte.read_until(urc("+ECMTCONN:0,0,0"), 5s), ok + urc("+ECMTCONN:0,2,2") + urc("+ECMTCONN:0,0,0"));
}

TEST(Trace, ReportIsOneSelfContainedHtmlFile) {
  auto html = scratch("report.html");
  auto r = run_sim({"report", "-o", html.string(), std::string(NT35E_TEST_DATA_DIR) + "/traces/seed-flow.jsonl"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto page = read_file(html);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("+ECMTCONN"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
}

// --diff (issue 17, item 5): driver v2 types a typographic quote in its first subscribe,
// gets ERROR and subscribes again (another msgID, slower timing throughout); the rest of
// the session is v1's. The diff finds step 10 and realigns after the two extra steps.
TEST(Trace, DiffFindsWhereTwoDriversPartWays) {
  const std::string dir = std::string(NT35E_TEST_DATA_DIR) + "/traces/diff/";
  auto html = scratch("diff.html");
  auto r = run_sim({"report", "--diff", "-o", html.string(), dir + "driver-v1.jsonl", dir + "driver-v2.jsonl"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.out.find("first divergence: A at step 10 (t=4.500 s), B at step 10 (t=7.650 s)\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("+    10  dte  AT+ECMTSUB=0,2,\u201dtest\u201d,2\n+    11  mod  ERROR\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("   9  9  mod  +ECMTCONN:0,0,0\n"), std::string::npos) << r.out;            // context before
  EXPECT_NE(r.out.find("  10 12  dte  AT+ECMTSUB=0,1,\"test\",2\n"), std::string::npos) << r.out;  // realigned
  EXPECT_NE(r.out.find("differ: 1 place, 0 steps only in A, 2 steps only in B\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);  // plain: stdout is not a terminal
  auto page = read_file(html);
  EXPECT_NE(page.find("<tr class=\"added first\" id=\"first\">"), std::string::npos);
  EXPECT_EQ(page.find("http"), std::string::npos);
}

TEST(Trace, DiffOfTheSameSessionIsSame) {
  const std::string v1 = std::string(NT35E_TEST_DATA_DIR) + "/traces/diff/driver-v1.jsonl";
  auto r = run_sim({"report", "--diff", v1, v1});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("same: the two sessions take the same 19 protocol steps"), std::string::npos) << r.out;
  // A version 1 trace and its version 2 twin hold the same session.
  const std::string traces = std::string(NT35E_TEST_DATA_DIR) + "/traces/";
  r = run_sim({"report", "--diff", traces + "seed-flow.jsonl", traces + "seed-flow.jsonl"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST(Trace, DiffOfBadFilesIsOneSentenceAndStatus2) {
  const std::string traces = std::string(NT35E_TEST_DATA_DIR) + "/traces/";
  const std::string v1 = traces + "diff/driver-v1.jsonl";
  auto r = run_sim({"report", "--diff", v1, traces + "bad/truncated.jsonl"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("truncated.jsonl:6: line 6 is cut off"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  r = run_sim({"report", "--diff", traces + "no-such.jsonl", v1});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no-such.jsonl: cannot open the trace"), std::string::npos) << r.err;
  r = run_sim({"report", "--diff", v1});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--diff compares two traces: give A and B, got 1"), std::string::npos) << r.err;
  r = run_sim({"report", "--diff", v1, v1, "--verdict", scratch("v.xml").string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--diff writes no verdict"), std::string::npos) << r.err;
  r = run_sim({"report", "--diff", "-o", "/nonexistent-dir/diff.html", v1, v1});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("/nonexistent-dir/diff.html"), std::string::npos) << r.err;
}

TEST(Trace, ExplainModeTeachesInBothLanguages) {
  for (const char* lang : {"--explain", "--explain=zh"}) {
    sim_process sim({"--tcp", "0", lang, "--set", "timing.boot=0", "--set", "timing.registration=0"});
    ASSERT_TRUE(sim.wait_ready());
    auto dte = dte_client::connect_tcp(sim.tcp_port());
    dte.read_until("ECRDY\r\n", 3s);
    dte.send("AT+ECMTSUB=0,1,\xE2\x80\x9Dtest\xE2\x80\x9D,2\r");
    dte.read_until("ERROR\r\n", 3s);
    if (std::string(lang) == "--explain")
      EXPECT_TRUE(sim.wait_stderr("hint: a typographic quote")) << sim.diagnostics();
    else
      EXPECT_TRUE(sim.wait_stderr("提示：这里用了中文/排版引号")) << sim.diagnostics();
  }
}

}  // namespace
}  // namespace nt35e::test
