// Every bad input of the foundation issue: the module's own answer, no crash, state kept.

#include <gtest/gtest.h>

#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;
const std::string ok = "\r\nOK\r\n";
const std::string error = "\r\nERROR\r\n";

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    h.boot_and_register();
    h.exchange("ATE0");
  }
  core_harness h;
};

TEST_F(BadInput, GarbageAndBinaryWithoutAtAreDiscardedSilently) {
  std::string garbage;
  for (int i = 0; i < 256; ++i)
    if (i != '\r' && i != 'A' && i != 'a' && i != 8) garbage.push_back(static_cast<char>(i));
  EXPECT_EQ(h.exchange(garbage), "");
  EXPECT_EQ(h.exchange("AT"), ok) << "still answering";
}

TEST_F(BadInput, NulBytes) {
  EXPECT_EQ(h.exchange(std::string("\0AT", 3)), ok) << "bytes before AT are discarded";
  EXPECT_EQ(h.exchange(std::string("AT\0", 3)), error);
  EXPECT_EQ(h.exchange(std::string("AT+CMEE=\0"
                                   "1",
                                   10)),
            error);
  EXPECT_TRUE(h.logged_reason("syntax.non_ascii") || h.logged_reason("syntax.bad_form")) << h.log_text();
}

TEST_F(BadInput, TenThousandByteLineGetsOneErrorAndTheModuleKeepsWorking) {
  std::string line = "AT+ECMTPUB=0,1,0,0,\"t\",\"" + std::string(10'000, 'x') + "\"";
  EXPECT_EQ(h.exchange(line), error);
  EXPECT_TRUE(h.logged_reason("line.too_long"));
  EXPECT_EQ(h.exchange("AT"), ok);
  EXPECT_EQ(h.exchange("AT+C" + std::string(3068, 'S') + "Q"), error) << "3073 bytes: over the limit";
}

TEST_F(BadInput, ExactlyTheLimitIsParsed) {
  std::string line = "AT+CSQ;" + std::string(3072 - 7, ' ');
  ASSERT_EQ(line.size(), 3072u);
  EXPECT_EQ(h.exchange(line), "\r\n+CSQ:23,99\r\n" + ok);
}

TEST_F(BadInput, LoneLfAndCrLf) {
  EXPECT_EQ(h.exchange("\n"), "");
  h.send("AT\r\n");
  h.run_for(ms(50));
  EXPECT_EQ(h.take_output(), ok);
  h.send("\nAT\r\nAT\r\n");
  h.run_for(ms(50));
  EXPECT_EQ(h.take_output(), ok + ok);
}

TEST_F(BadInput, BackspaceEditsTheLine) {
  EXPECT_EQ(h.exchange("ATX\bI"), "\r\nLierda\r\nNT35E\r\nRevision: NT35E-CN_V1.0.5\r\n" + ok);
  EXPECT_EQ(h.exchange("\b\b\bAT"), ok);
}

TEST_F(BadInput, LowerAndMixedCaseCommands) {
  EXPECT_EQ(h.exchange("at+csq"), "\r\n+CSQ:23,99\r\n" + ok);
  EXPECT_EQ(h.exchange("aT+cGsN"), "\r\n866123045678904\r\n" + ok);
  EXPECT_EQ(h.exchange("At+CmEe?"), "\r\n+CMEE:1\r\n" + ok);
}

TEST_F(BadInput, UnknownCommandsAndTheOtherVendorsFamilies) {
  EXPECT_EQ(h.exchange("AT+FOO"), error);
  EXPECT_EQ(h.exchange("AT+QMTOPEN=0,\"h\",1883"), error);
  EXPECT_EQ(h.exchange("AT+ECMTRECV=0"), error);
  EXPECT_EQ(h.exchange("AT+ICCID"), error);
  EXPECT_EQ(h.exchange("ATX"), error);
  EXPECT_TRUE(h.logged_reason("syntax.unknown_command"));
}

// §2.6 rule 3: out of range is CME 50 for 27.007 commands (AT+CMEE's own is 4, §2.7), CME 3 for ECMT.
TEST_F(BadInput, OutOfRangeNumbersAreCme50AndBadNumbersAreError) {
  EXPECT_EQ(h.exchange("AT+CMEE=3"), "\r\n+CME ERROR: 4\r\n");
  EXPECT_EQ(h.exchange("AT+CEREG=99999999999"), "\r\n+CME ERROR: 50\r\n") << "more than 10 digits";
  EXPECT_EQ(h.exchange("AT+ECMTCLOSE=99999999999"), "\r\n+CME ERROR: 3\r\n") << "ECMT stays 3";
  EXPECT_EQ(h.exchange("AT+CMEE=\"1\""), error) << "quoted number";
  EXPECT_EQ(h.exchange("AT+CMEE=-1"), error) << "sign";
  EXPECT_EQ(h.exchange("AT+CMEE=1 2"), error) << "space inside a number";
  EXPECT_EQ(h.exchange("AT+CMEE=01"), ok) << "leading zeros are fine";
}

TEST_F(BadInput, WrongForms) {
  EXPECT_EQ(h.exchange("AT+CSQ=5"), error);
  EXPECT_EQ(h.exchange("AT+CSQ?"), error);
  EXPECT_EQ(h.exchange("ATI?"), "\r\n+CME ERROR: 4\r\n") << "ATI is not an action command of §4: CME 4";
  EXPECT_EQ(h.exchange("AT+ECMTCFG?"), "\r\n+CME ERROR: 3\r\n") << "ECMT missing forms are CME 3";
  EXPECT_EQ(h.exchange("AT+ECMTCFG"), "\r\n+CME ERROR: 3\r\n");
  EXPECT_EQ(h.exchange("AT+CMEE"), "\r\n+CME ERROR: 100\r\n") << "§2.7 exception";
  EXPECT_EQ(h.exchange("AT+CMEE=1,2"), error) << "too many parameters";
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"h\""), error) << "missing mandatory";
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"h\"x,1883"), error) << "text after a closing quote";
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"h,1883"), error) << "unterminated string";
}

TEST_F(BadInput, OneByteAtATime) {
  for (char c : std::string("AT+CSQ\r")) {
    h.send(std::string(1, c));
    h.run_for(ms(1));
  }
  h.run_for(ms(50));
  EXPECT_EQ(h.take_output(), "\r\n+CSQ:23,99\r\n" + ok);
}

TEST_F(BadInput, ManyCommandsInOneWriteAreAnsweredInOrder) {
  h.send("AT\rAT+CSQ\rATI\rAT+FOO\rAT+CGMI\r");
  h.run_for(ms(200));
  EXPECT_EQ(h.take_output(), ok + "\r\n+CSQ:23,99\r\n" + ok + "\r\nLierda\r\nNT35E\r\nRevision: NT35E-CN_V1.0.5\r\n" +
                                 ok + error + "\r\nLierda\r\n" + ok);
}

TEST_F(BadInput, InputOverflowWhileBusyGivesOneError) {
  h.send("AT+CGATT=0\r");  // answers at once: detach
  h.run_for(ms(50));
  h.take_output();
  h.send("AT+CGATT=1\r");  // busy for 1.5 s
  h.send(std::string(5000, 'x'));
  h.run_for(ms(2000));
  EXPECT_EQ(h.take_output(), ok + error);
  EXPECT_TRUE(h.logged_reason("input.overflow"));
  EXPECT_EQ(h.exchange("AT"), ok);
}

TEST_F(BadInput, ConcatenationStopsAtTheFirstError) {
  EXPECT_EQ(h.exchange("AT+CMEE=2;+CSQ"), "\r\n+CSQ:23,99\r\n" + ok);
  EXPECT_EQ(h.exchange("ATE0V1"), ok);
  EXPECT_EQ(h.exchange("AT+CSQ;+FOO;+CGMI"), "\r\n+CSQ:23,99\r\n" + error);
  EXPECT_EQ(h.exchange("AT+CMEE=1;+CMEE?"), "\r\n+CMEE:1\r\n" + ok);
}

TEST_F(BadInput, RepeatWithAslash) {
  EXPECT_EQ(h.exchange("AT+CSQ"), "\r\n+CSQ:23,99\r\n" + ok);
  h.send("A/");
  h.run_for(ms(50));
  EXPECT_EQ(h.take_output(), "\r\n+CSQ:23,99\r\n" + ok);
}

TEST_F(BadInput, UrcsWaitForAPartialLineButNotForever) {
  h.exchange("AT+CEREG=1");
  h.exchange("AT+CFUN=0", ms(400));
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(1400)), ok + "\r\n+CEREG:2\r\n");  // registered 2000 ms after the OK
  h.send("AT+CS");
  h.run_for(ms(800));  // the +CEREG:1 URC falls due here, while the line is partial
  EXPECT_EQ(h.take_output(), "");
  h.send("Q\r");
  h.run_for(ms(50));
  EXPECT_EQ(h.take_output(), "\r\n+CSQ:23,99\r\n" + ok + "\r\n+CEREG:1\r\n") << "held URC follows the final result";

  h.exchange("AT+CFUN=0", ms(400));
  h.exchange("AT+CFUN=1", ms(1400));
  h.send("AT+CS");     // and then the DTE goes quiet
  h.run_for(ms(599));  // URC due at +600 ms, partial line is 600 ms old: still held
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(1000));
  EXPECT_EQ(h.take_output(), "\r\n+CEREG:1\r\n") << "a stale partial line stops holding URCs after 1 s";
}

TEST(Quiet, Atq1SuppressesResultsAndUrcs) {
  core_harness h;
  h.boot_and_register();
  h.exchange("ATE0");
  EXPECT_EQ(h.exchange("ATQ1"), "");
  EXPECT_EQ(h.exchange("AT+CSQ"), "\r\n+CSQ:23,99\r\n");
  EXPECT_EQ(h.exchange("AT+FOO"), "");
  EXPECT_EQ(h.exchange("ATQ0"), "\r\nOK\r\n");
}

TEST(Verbose, Atv0NumericCodes) {
  core_harness h;
  h.boot_and_register();
  h.exchange("ATE0");
  EXPECT_EQ(h.exchange("ATV0"), "0\r");
  EXPECT_EQ(h.exchange("AT+CSQ"), "+CSQ:23,99\r\n0\r");
  EXPECT_EQ(h.exchange("AT+FOO"), "4\r");
  EXPECT_EQ(h.exchange("AT+CMEE=5"), "+CME ERROR: 4\r\n");
  EXPECT_EQ(h.exchange("ATV1"), "\r\nOK\r\n");
}

TEST(Echo, EchoesEveryByteIncludingS3AndBackspace) {
  core_harness h;
  h.boot_and_register();
  EXPECT_EQ(h.exchange("ATX\bI"), "ATX\bI\r\r\nLierda\r\nNT35E\r\nRevision: NT35E-CN_V1.0.5\r\n\r\nOK\r\n");
}

TEST(Boot, InputBeforeTheBannerIsDiscarded) {
  core_harness h;
  h.send("AT\r");
  h.run_for(std::chrono::milliseconds(1600));
  EXPECT_EQ(h.take_output(), "\r\nECRDY\r\n");
}

}  // namespace
}  // namespace nt35e::test
