// AT+ECPING on the real binary over a real PTY, with the library scenario
// ping-lossy-host.json (250 ms round trips, every 4th request lost, one name that does
// not resolve): the exact URC lines, and their times roughly as the scenario sets them.

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/sim_process.hpp"

#ifndef NT35E_SCENARIOS_DIR
#error "NT35E_SCENARIOS_DIR must name the scenarios/ folder"
#endif

namespace nt35e::test {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

const std::string ok = "\r\nOK\r\n";
std::string urc(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

class PingOverPty : public ::testing::Test {
 protected:
  void SetUp() override {
    link_ = (fs::temp_directory_path() / ("nt35e-ping-" + std::to_string(::getpid()))).string();
    sim_ = std::make_unique<sim_process>(std::vector<std::string>{
        "--scenario", std::string(NT35E_SCENARIOS_DIR) + "/ping-lossy-host.json", "--pty", link_});
    ASSERT_TRUE(sim_->wait_ready()) << sim_->diagnostics();
    dte_ = std::make_unique<dte_client>(dte_client::open_pty(link_));
    ASSERT_EQ(dte_->read_until("ECRDY\r\n", 6s), urc("ECRDY")) << sim_->diagnostics();
    ASSERT_TRUE(dte_->send("ATE0\r"));
    ASSERT_EQ(dte_->read_until(ok), "ATE0\r" + ok);
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(dte_->send("AT+CGATT?\r"));
      if (dte_->read_until(ok) == urc("+CGATT:1") + ok) return;
      dte_->read_for(50ms);
    }
    FAIL() << "never registered\n" << sim_->diagnostics();
  }
  void TearDown() override {
    if (HasFailure() && sim_) std::cerr << sim_->diagnostics() << "\n";
  }
  /// Reads up to and including `line` (framed as a URC); the time it took since `from`.
  std::pair<std::string, long long> next(std::string_view line, clock_type::time_point from,
                                         milliseconds timeout = 5s) {
    auto got = dte_->read_until(urc(line), timeout);
    return {got, std::chrono::duration_cast<milliseconds>(clock_type::now() - from).count()};
  }

  std::string link_;
  std::unique_ptr<sim_process> sim_;
  std::unique_ptr<dte_client> dte_;
};

TEST_F(PingOverPty, LossyHostRepliesTimesOutAndSummarises) {
  const auto t0 = clock_type::now();
  ASSERT_TRUE(dte_->send("AT+ECPING=\"iot.example.com\",4,32,600\r"));
  EXPECT_EQ(dte_->read_until(ok), ok);
  const std::string succ = "+ECPING:SUCC, dest: 203.0.113.9, RTT: 250 ms";
  // Requests at 0, 1, 2 and 3 s; the 4th is lost and times out 600 ms later.
  const long long due[] = {250, 1250, 2250};
  for (long long d : due) {
    auto [got, at] = next(succ, t0);
    EXPECT_EQ(got, urc(succ)) << printable(got);
    EXPECT_GE(at, d - 10) << "a reply came before its round trip";
    EXPECT_LE(at, d + 400) << "a reply came far too late";
  }
  const std::string fail = "+ECPING:FAIL, dest: 203.0.113.9, time out: 600 ms";
  auto [got, at] = next(fail, t0);
  EXPECT_EQ(got, urc(fail)) << printable(got);
  EXPECT_GE(at, 3600 - 10);
  EXPECT_LE(at, 3600 + 500);
  const std::string stats =
      "+ECPING:dest: 203.0.113.9, 4 packets transmittted, 3 received, 25 % packet loss\r rtt min/avg/max = 250 / "
      "250 / 250 ms";
  auto summary = dte_->read_until(urc(stats), 2s);
  EXPECT_EQ(summary, urc("+ECPING:DONE") + urc(stats)) << printable(summary);
  // Nothing more follows.
  EXPECT_EQ(dte_->read_for(1200ms), "");
  EXPECT_TRUE(sim_->wait_stderr("AT+ECPING is simulated", 1s)) << sim_->diagnostics();
}

TEST_F(PingOverPty, UnresolvableHostAndSocketErrors) {
  const auto t0 = clock_type::now();
  ASSERT_TRUE(dte_->send("AT+ECPING=\"gone.example\"\r"));
  EXPECT_EQ(dte_->read_until(ok), ok);
  auto [got, at] = next("+ECPING:ERROR, cause: 5", t0);
  EXPECT_EQ(got, urc("+ECPING:ERROR, cause: 5")) << printable(got);
  EXPECT_GE(at, 290);
  EXPECT_LE(at, 900);
  // +SOCKET ERROR whatever AT+CMEE says.
  ASSERT_TRUE(dte_->send("AT+CMEE=0\r"));
  EXPECT_EQ(dte_->read_until(ok), ok);
  ASSERT_TRUE(dte_->send("AT+ECPING=\"iot.example.com\",0\r"));
  EXPECT_EQ(dte_->read_until("ERROR\r\n", 2s), "\r\n+SOCKET ERROR: PARAMETER ERROR\r\n");
  ASSERT_TRUE(dte_->send("AT+ECPING=0\r"));
  EXPECT_EQ(dte_->read_until("SUPPORT\r\n", 2s), "\r\n+SOCKET ERROR: OPERATION NO SUPPORT\r\n");
}

}  // namespace
}  // namespace nt35e::test
