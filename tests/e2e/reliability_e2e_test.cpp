// End-to-end, the reliability issue (13, item 0): every input of
// tests/data/reliability/ (found 2026-12, README there) fed to the real binary the way
// a user would, each answered with a clear, positioned error or correct behaviour,
// never a crash, undefined behaviour or unbounded cost.

#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "support/sim_process.hpp"

#ifndef NT35E_RELIABILITY_DIR
#error "NT35E_RELIABILITY_DIR must name tests/data/reliability"
#endif

namespace nt35e::test {
namespace {

namespace fs = std::filesystem;

std::string input(const std::string& name) { return std::string(NT35E_RELIABILITY_DIR) + "/" + name; }

fs::path scratch(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("nt35e-reliability-e2e-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

/// Lines of `text` (without their '\n').
std::size_t line_count(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

/// Peak resident memory of a process, in kB (VmHWM), or -1.
long peak_rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

// 01: a number beyond a double in a trace was not a JSON syntax error, so it passed the
// handler: `report` aborted (134) and --replay printed nlohmann's own message.
TEST(Reliability, NumberOverflowInATraceIsAPositionedError) {
  const auto file = input("01_report_abort_number_overflow.jsonl");
  auto report = run_sim({"report", "-o", scratch("01.html").string(), file});
  EXPECT_EQ(report.status, 1) << report.err;
  EXPECT_NE(report.err.find("01_report_abort_number_overflow.jsonl:2: "), std::string::npos) << report.err;
  EXPECT_NE(report.err.find("the number 1e99999, which is too large"), std::string::npos) << report.err;
  EXPECT_EQ(report.err.find("json.exception"), std::string::npos) << report.err;
  EXPECT_EQ(line_count(report.err), 1u) << report.err;

  auto replay = run_sim({"--replay", file});
  EXPECT_EQ(replay.status, 2) << replay.err;
  EXPECT_NE(replay.err.find("01_report_abort_number_overflow.jsonl:2: "), std::string::npos) << replay.err;
  EXPECT_EQ(replay.err.find("json.exception"), std::string::npos) << replay.err;
}

// 05: t = 9e18 µs fits in 64 bits but not in the replay clock (nanoseconds): the
// double-to-integer conversion was undefined and the event played at once.
TEST(Reliability, TraceTimeBeyondTheClockIsAPositionedError) {
  const auto file = input("05_replay_huge_t_float_overflow.jsonl");
  auto replay = run_sim({"--replay", file});
  EXPECT_EQ(replay.status, 2) << replay.err;
  EXPECT_NE(replay.err.find("05_replay_huge_t_float_overflow.jsonl:2: \"t\" is 9000000000000000000"), std::string::npos)
      << replay.err;
  auto report = run_sim({"report", "-o", scratch("05.html").string(), file});
  EXPECT_EQ(report.status, 1) << report.err;
  EXPECT_NE(report.err.find(":2: \"t\" is 9000000000000000000"), std::string::npos) << report.err;
}

// 02: import said it succeeded, then the simulator rejected its scenario (a time-only stamp
// before a dated one was a 54-year wait). Now the scenario loads.
TEST(Reliability, AnImportedScenarioIsOneTheSimulatorAccepts) {
  const auto out = scratch("02.json");
  auto imported =
      run_sim({"import", "--to", "scenario", "-o", out.string(), input("02_import_scenario_rejected_by_loader.log")});
  ASSERT_EQ(imported.status, 0) << imported.err;
  auto checked = run_sim({"--check-scenario", out.string()});
  EXPECT_EQ(checked.status, 0) << checked.err;
  sim_process sim({"--tcp", "0", "--scenario", out.string()});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
}

// 03b: dates jumping by centuries overflowed the importer's arithmetic. Now the garbled
// stamp is a warning with its line, and the trace made loads.
TEST(Reliability, AnImportWithDatesJumpingCenturiesWarnsAndMakesAValidTrace) {
  const auto out = scratch("03b.jsonl");
  auto imported = run_sim({"import", "-o", out.string(), input("03b_import_ub_time_overflow.log")});
  ASSERT_EQ(imported.status, 0) << imported.err;
  EXPECT_NE(imported.err.find(":37: warning: the date jumps from 2024-05-01T23:59:59.105 to 2420-05-01T10:15:49.721"),
            std::string::npos)
      << imported.err;
  auto report = run_sim({"report", "-o", scratch("03b.html").string(), out.string()});
  EXPECT_EQ(report.status, 0) << report.err;
  auto scenario = run_sim(
      {"import", "--to", "scenario", "-o", scratch("03b.json").string(), input("03b_import_ub_time_overflow.log")});
  EXPECT_EQ(scenario.status, 0) << scenario.err;
}

// 04: count x every overflowed int in the scripted broker after the check accepted the
// file. The check and the run use one loader; the broker makes the burst one at a time.
TEST(Reliability, ABurstOfAHundredWeeksIsCheckedAndRuns) {
  const auto file = input("04_scenario_burst_int_overflow.json");
  auto checked = run_sim({"--check-scenario", file});
  EXPECT_EQ(checked.status, 0) << checked.err;
  sim_process sim({"--tcp", "0", "--scenario", file});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  auto dte = dte_client::connect_tcp(sim.tcp_port());
  ASSERT_NE(dte.read_until("ECRDY\r\n", 6s).find("ECRDY"), std::string::npos) << sim.diagnostics();
  ASSERT_TRUE(dte.send("AT\r"));
  EXPECT_NE(dte.read_until("OK\r\n").find("OK\r\n"), std::string::npos) << sim.diagnostics();
}

// 06: four bursts of a million messages were built before start: 18 s and 1 GB. Now the
// simulator is ready at once, in little memory, answers, and stops promptly.
TEST(Reliability, FourMillionScriptedMessagesStartAtOnceInLittleMemory) {
  const auto start = std::chrono::steady_clock::now();
  sim_process sim({"--tcp", "0", "--scenario", input("06_scenario_burst_1GB_rss.json")});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  const auto ready_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ready_ms, 3000) << "before the fix: 18 s";
  auto dte = dte_client::connect_tcp(sim.tcp_port());
  ASSERT_NE(dte.read_until("ECRDY\r\n", 6s).find("ECRDY"), std::string::npos) << sim.diagnostics();
  ASSERT_TRUE(dte.send("AT\r"));
  EXPECT_NE(dte.read_until("OK\r\n").find("OK\r\n"), std::string::npos) << sim.diagnostics();
  const long kb = peak_rss_kb(sim.pid());
  EXPECT_GT(kb, 0);
  EXPECT_LT(kb, 200 * 1024) << "peak RSS " << kb << " kB; before the fix about 1.07 GB";
  EXPECT_EQ(sim.stop(), 0) << sim.diagnostics();
}

// 07: 32k bad rules took 7 s to report (each column counted from the line's start). Now
// the check answers at once with 20 lines, the last saying how many more there are.
TEST(Reliability, ThirtyTwoThousandBadRulesAreCheckedAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  auto checked = run_sim({"--check-scenario", input("07_scenario_quadratic_diagnostics_93KB.json")});
  const auto took_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(checked.status, 2) << checked.err;
  EXPECT_EQ(line_count(checked.err), 20u) << checked.err;
  EXPECT_NE(checked.err.find("07_scenario_quadratic_diagnostics_93KB.json:1:25: error: /rules/0: expected an object, "
                             "got a number\n"),
            std::string::npos)
      << checked.err;
  EXPECT_NE(checked.err.find("error: 31981 more errors not shown\n"), std::string::npos) << checked.err;
  EXPECT_LT(took_ms, 3000) << "before the fix: 7 s";
}

// 08: "127.0.0.1\0.evil" connected to 127.0.0.1 and the log showed the NUL as a space.
// Now the module answers ERROR (the NUL ends the line it reads as a C string, leaving
// the quote open), and the log shows the byte escaped.
TEST(Reliability, ANulInAQuotedHostIsRefusedAndLoggedEscaped) {
  sim_process sim({"--tcp", "0", "--log-level", "debug"});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  auto dte = dte_client::connect_tcp(sim.tcp_port());
  dte.read_until("ECRDY\r\n", 6s);
  ASSERT_TRUE(dte.send("ATE0\r"));
  dte.read_until("OK\r\n");
  std::ifstream in(input("08_at_nul_in_host.txt"), std::ios::binary);
  std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  line.replace(line.find("PORT"), 4, "1883");
  ASSERT_NE(line.find('\0'), std::string::npos);
  ASSERT_TRUE(dte.send(line));
  EXPECT_EQ(dte.read_until("ERROR\r\n", 3s), "\r\nERROR\r\n") << sim.diagnostics();
  ASSERT_TRUE(sim.wait_stderr("parameter 2 contains byte 0x00 (NUL) at byte 24")) << sim.diagnostics();
  const auto log = sim.stderr_text();
  EXPECT_EQ(log.find('\0'), std::string::npos) << "no raw NUL in the log";
  EXPECT_NE(log.find("127.0.0.1\\x00.evil"), std::string::npos) << log;
}

}  // namespace nt35e::test
