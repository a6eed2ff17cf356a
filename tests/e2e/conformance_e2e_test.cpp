// Spec appendix A.1, A.2, A.13 (first line) and A.14 against the real binary on its
// default backend, over a real PTY and a real TCP socket, byte for byte; and the same
// under --profile ec616s, whose bytes follow from the spec's rules (echo off at power-on,
// its identity, one space after the first colon, final results never styled).

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "support/sim_process.hpp"

namespace nt35e::test {
namespace {

const std::string ok = "\r\nOK\r\n";
std::string line(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

/// Sends a line, returns what came back up to `until`.
using command_fn = std::function<std::string(const std::string&, std::string_view)>;

/// A.14: the same bytes in both profiles (final results are never styled, §2.5).
void expect_a14(const command_fn& cmd) {
  EXPECT_EQ(cmd("AT+CMEE=2", ok), ok);
  EXPECT_EQ(cmd("AT+ECMTDISC=3", "allowed\r\n"), "\r\n+CME ERROR: operation not allowed\r\n");
  EXPECT_EQ(cmd("AT+CMEE=0", ok), ok);
  EXPECT_EQ(cmd("AT+ECMTDISC=3", "ERROR\r\n"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CMEE=1", ok), ok);
  EXPECT_EQ(cmd("AT+ECMTDISC=7", "ERROR: 3\r\n"), "\r\n+CME ERROR: 3\r\n");
}

class Conformance : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    bool pty = GetParam();
    link_ = std::filesystem::temp_directory_path() / ("nt35e-conf-" + std::to_string(::getpid()));
    std::vector<std::string> args =
        pty ? std::vector<std::string>{"--pty", link_.string()} : std::vector<std::string>{"--tcp", "0"};
    sim_ = std::make_unique<sim_process>(args);
    ASSERT_TRUE(sim_->wait_ready()) << sim_->diagnostics();
    started_ = std::chrono::steady_clock::now();
    dte_ = std::make_unique<dte_client>(pty ? dte_client::open_pty(sim_->pty_link())
                                            : dte_client::connect_tcp(sim_->tcp_port()));
  }
  std::string cmd(const std::string& l, std::string_view until) {
    EXPECT_TRUE(dte_->send(l + "\r"));
    return dte_->read_until(until, 5s);
  }
  std::filesystem::path link_;
  std::unique_ptr<sim_process> sim_;
  std::unique_ptr<dte_client> dte_;
  std::chrono::steady_clock::time_point started_;
};

TEST_P(Conformance, A1_A2_A13_A14) {
  // A.1: the banner about 1500 ms after power-on, then echo.
  EXPECT_EQ(dte_->read_until("ECRDY\r\n", 6s), line("ECRDY"));
  auto waited = std::chrono::steady_clock::now() - started_;
  EXPECT_GE(waited, 1300ms) << "the banner must not come early";
  EXPECT_EQ(cmd("AT", ok), "AT\r" + ok);
  EXPECT_EQ(cmd("ATE0", ok), "ATE0\r" + ok);
  EXPECT_EQ(cmd("AT", ok), ok);
  // A.2 (registration completes 2 s after the banner).
  EXPECT_EQ(cmd("ATI", ok), "\r\nLierda\r\nNT35E\r\nRevision: NT35E-CN_V1.0.5\r\n" + ok);
  EXPECT_EQ(cmd("AT+CGSN", ok), line("866123045678904") + ok);
  EXPECT_EQ(cmd("AT+ECICCID", ok), line("+ECICCID:89860020123456789012") + ok);
  std::string cereg;
  for (int i = 0; i < 60 && cereg != line("+CEREG:0,1") + ok; ++i) {
    cereg = cmd("AT+CEREG?", ok);
    if (cereg != line("+CEREG:0,1") + ok) dte_->read_for(100ms);
  }
  EXPECT_EQ(cereg, line("+CEREG:0,1") + ok);
  EXPECT_EQ(cmd("AT+CSQ", ok), line("+CSQ:23,99") + ok);
  // A.13, first line.
  EXPECT_EQ(cmd("AT+ECMTSUB=0,1,\xE2\x80\x9Dtest\xE2\x80\x9D,2", "ERROR\r\n"), "\r\nERROR\r\n");
  EXPECT_TRUE(sim_->wait_stderr("syntax.typographic_quote")) << sim_->diagnostics();
  EXPECT_TRUE(sim_->wait_stderr("U+201D RIGHT DOUBLE QUOTATION MARK (E2 80 9D) at byte 15")) << sim_->diagnostics();
  // A.14.
  expect_a14([this](const std::string& l, std::string_view until) { return cmd(l, until); });
}

TEST_P(Conformance, BadInputOverTheRealLine) {
  ASSERT_EQ(dte_->read_until("ECRDY\r\n", 6s), line("ECRDY"));
  cmd("ATE0", ok);
  // 10,000 bytes in one line: one ERROR, then the module keeps working.
  EXPECT_EQ(cmd("AT+CSQ=" + std::string(10'000, '9'), "ERROR\r\n"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT", ok), ok);
  // Binary garbage and NULs without AT are discarded silently.
  std::string garbage;
  for (int i = 0; i < 256; ++i)
    if (i != '\r' && i != 'A' && i != 'a' && i != 0x1D) garbage.push_back(static_cast<char>(i));
  ASSERT_TRUE(dte_->send(garbage + "\r"));
  EXPECT_EQ(dte_->read_for(300ms), "");
  // Many commands in one write, answered in order; then one byte at a time.
  ASSERT_TRUE(dte_->send("AT\rAT+CGMI\rAT+FOO\r"));
  EXPECT_EQ(dte_->read_until("ERROR\r\n", 3s), ok + line("Lierda") + ok + "\r\nERROR\r\n");
  for (char c : std::string("at+cgmm\r")) ASSERT_TRUE(dte_->send(std::string(1, c)));
  EXPECT_EQ(dte_->read_until(ok, 3s), line("NT35E") + ok);
  EXPECT_EQ(cmd("AT+CSQ=5", "ERROR\r\n"), "\r\nERROR\r\n");
}

TEST(ConformanceEc616s, A1_A2_A14) {
  sim_process sim({"--tcp", "0", "--profile", "ec616s"});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  auto dte = dte_client::connect_tcp(sim.tcp_port());
  auto cmd = [&](const std::string& l, std::string_view until) {
    EXPECT_TRUE(dte.send(l + "\r"));
    return dte.read_until(until, 5s);
  };
  EXPECT_EQ(dte.read_until("ECRDY\r\n", 6s), line("ECRDY"));
  EXPECT_EQ(cmd("AT", ok), ok) << "echo is off at power-on";
  EXPECT_EQ(cmd("ATE0", ok), ok);
  EXPECT_EQ(cmd("ATI", ok), line("Eigencomm EC616S_SW_V1.0") + ok);
  EXPECT_EQ(cmd("AT+CGSN", ok), line("869524041234567") + ok);
  EXPECT_EQ(cmd("AT+ECICCID", ok), line("+ECICCID: 89860020123456789012") + ok);
  std::string cereg;
  for (int i = 0; i < 60 && cereg != line("+CEREG: 0,1") + ok; ++i) {
    cereg = cmd("AT+CEREG?", ok);
    if (cereg != line("+CEREG: 0,1") + ok) dte.read_for(100ms);
  }
  EXPECT_EQ(cereg, line("+CEREG: 0,1") + ok);
  EXPECT_EQ(cmd("AT+CSQ", ok), line("+CSQ: 23,99") + ok);
  expect_a14(cmd);
}

// Spec §4.4.1/§4.4.4 (A.16, A.18) on the real binary: what gammu's networkinfo asks first.
TEST_P(Conformance, RegistrationAndOperatorQueries) {
  EXPECT_EQ(dte_->read_until("ECRDY\r\n", 6s), line("ECRDY"));
  EXPECT_EQ(cmd("ATE0", ok), "ATE0\r" + ok);
  std::string creg;
  for (int i = 0; i < 60 && creg != line("+CREG:0,1") + ok; ++i) {
    creg = cmd("AT+CREG?", ok);
    if (creg != line("+CREG:0,1") + ok) dte_->read_for(100ms);
  }
  EXPECT_EQ(creg, line("+CREG:0,1") + ok) << "registered about 2 s after the banner";
  EXPECT_EQ(cmd("AT+CREG=2", ok), ok);
  EXPECT_EQ(cmd("AT+CREG?", ok), line("+CREG:2,1,\"5A0B\",\"0C1F2E3D\",7") + ok);
  EXPECT_EQ(cmd("AT+COPS=3,2", "\r\n+CME ERROR: 50\r\n"), "\r\n+CME ERROR: 50\r\n") << "locked on nt35e";
  EXPECT_EQ(cmd("AT+COPS?", ok), line("+COPS:0,2,\"46000\",7") + ok);
  EXPECT_EQ(cmd("AT+CGREG?", ok), line("+CGREG:0,1") + ok);
  EXPECT_EQ(cmd("AT+CEREG=2", ok), ok);
  EXPECT_EQ(cmd("AT+CEREG?", ok), line("+CEREG:2,1,5A0B,0C1F2E3D,7") + ok);
}

INSTANTIATE_TEST_SUITE_P(Lines, Conformance, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? std::string("Pty") : std::string("Tcp"); });

}  // namespace
}  // namespace nt35e::test
