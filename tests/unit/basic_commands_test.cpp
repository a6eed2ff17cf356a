// Every form of the basic command set (spec §4), compact and spaced styles.

#include <gtest/gtest.h>

#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;
const std::string ok = "\r\nOK\r\n";
const std::string error = "\r\nERROR\r\n";
const std::string cme3 = "\r\n+CME ERROR: 3\r\n";
const std::string cme4 = "\r\n+CME ERROR: 4\r\n";
const std::string cme50 = "\r\n+CME ERROR: 50\r\n";
std::string info(std::string_view l) { return "\r\n" + std::string(l) + "\r\n" + ok; }

class Basic : public ::testing::Test {
 protected:
  void SetUp() override {
    h.boot_and_register();
    h.exchange("ATE0");
  }
  core_harness h;
};

TEST_F(Basic, Identity) {
  EXPECT_EQ(h.exchange("AT+CGMI"), info("Lierda"));
  EXPECT_EQ(h.exchange("AT+CGMM"), info("NT35E"));
  EXPECT_EQ(h.exchange("AT+CGMR"), info("NT35E-CN_V1.0.5"));
  EXPECT_EQ(h.exchange("AT+CGMI=?"), ok);
  EXPECT_EQ(h.exchange("AT+GSN"), error) << "§4.4.11: AT+GSN does not exist";
  EXPECT_EQ(h.exchange("AT+CGSN=0"), info("866123045678904"));
  EXPECT_EQ(h.exchange("AT+CGSN=1"), info("+CGSN:\"866123045678904\""));
  EXPECT_EQ(h.exchange("AT+CGSN=2"), info("+CGSN:\"8661230456789001\""));
  EXPECT_EQ(h.exchange("AT+CGSN=3"), info("+CGSN:\"01\""));
  EXPECT_EQ(h.exchange("AT+CGSN=4"), cme50);
  EXPECT_EQ(h.exchange("AT+CGSN?"), error) << "read form of an action command";
  EXPECT_EQ(h.exchange("AT+CGMI=1"), error) << "parameter to a parameterless command";
  EXPECT_EQ(h.exchange("AT+CPIN"), cme4) << "a form AT+CPIN does not have";
  EXPECT_EQ(h.exchange("AT+CGSN=?"), info("+CGSN:(0,1,2,3)"));
  EXPECT_EQ(h.exchange("AT+CIMI"), info("460001234567890"));
  EXPECT_EQ(h.exchange("AT+CPIN?"), info("+CPIN:READY"));
  EXPECT_TRUE(modem::luhn_valid(h.modem().prof().imei));
}

TEST_F(Basic, EchoVerboseAndSRegisters) {
  EXPECT_EQ(h.exchange("ATE?"), cme4) << "+ECHO is gone";
  EXPECT_TRUE(h.logged_reason("form.not_supported")) << h.log_text();
  EXPECT_EQ(h.exchange("ATE"), cme4);
  EXPECT_EQ(h.exchange("ATE2"), cme50);
  EXPECT_EQ(h.exchange("ATE9"), cme50);
  EXPECT_EQ(h.exchange("ATQ"), cme4);
  EXPECT_EQ(h.exchange("ATQ?"), cme4);
  EXPECT_EQ(h.exchange("ATQ2"), cme50);
  EXPECT_EQ(h.exchange("ATV"), cme4) << "ATV (chosen) follows ATE and ATQ";
  EXPECT_EQ(h.exchange("ATV2"), cme50);
  EXPECT_EQ(h.exchange("ATI1"), cme50);
  EXPECT_EQ(h.exchange("ATZ1"), cme50);
  EXPECT_EQ(h.exchange("ATS3?"), info("013"));
  EXPECT_EQ(h.exchange("ATS4?"), info("010"));
  EXPECT_EQ(h.exchange("ATS5?"), info("008"));
  EXPECT_EQ(h.exchange("ATS7?"), error);
  EXPECT_EQ(h.exchange("ATS5=128"), cme50);
  EXPECT_EQ(h.exchange("ATS3"), cme4);
  EXPECT_EQ(h.exchange("ATS3=35"), ok);
  h.send("AT+CSQ#");  // '#' now ends a line
  h.run_for(ms(50));
  EXPECT_EQ(h.take_output(), info("+CSQ:23,99"));
  h.send("AT&F#");
  h.run_for(ms(50));
  EXPECT_EQ(h.take_output(), ok);
  EXPECT_EQ(h.exchange("AT"), "AT\r" + ok) << "AT&F restored S3 and echo";
}

TEST_F(Basic, Cmee) {
  EXPECT_EQ(h.exchange("AT+CMEE?"), info("+CMEE:1"));
  EXPECT_EQ(h.exchange("AT+CMEE=?"), info("+CMEE:(0-2)"));
  EXPECT_EQ(h.exchange("AT+CMEE=3"), cme4) << "§2.7: AT+CMEE's own range error is 4";
  EXPECT_EQ(h.exchange("AT+CMEE"), "\r\n+CME ERROR: 100\r\n");
  EXPECT_EQ(h.exchange("AT+CMEE=2"), ok);
  EXPECT_EQ(h.exchange("AT+CGSN=9"), "\r\n+CME ERROR: Incorrect parameters\r\n");
  EXPECT_EQ(h.exchange("AT+CMEE"), "\r\n+CME ERROR: unknown error\r\n");
}

TEST_F(Basic, SignalAndRegistration) {
  EXPECT_EQ(h.exchange("AT+CSQ=?"), info("+CSQ:(0-31,99),(0-7,99)"));
  EXPECT_EQ(h.exchange("AT+CESQ"), info("+CESQ:99,99,255,255,20,46"));
  EXPECT_EQ(h.exchange("AT+CESQ=?"), info("+CESQ:(99),(99),(255),(255),(0-34,255),(0-97,255)"));
  EXPECT_EQ(h.exchange("AT+CSQ?"), error);
  EXPECT_EQ(h.exchange("AT+CEREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"), info("+CEREG:2,1,5A0B,0C1F2E3D,7"));
  EXPECT_EQ(h.exchange("AT+CEREG=6"), cme50);
  EXPECT_EQ(h.exchange("AT+CEREG"), cme4);
  EXPECT_EQ(h.exchange("AT+CEREG=?"), info("+CEREG:(0,1,2,3,4,5)"));
  EXPECT_EQ(h.exchange("AT+CGATT?"), info("+CGATT:1"));
  EXPECT_EQ(h.exchange("AT+CFUN?"), info("+CFUN:1"));
  EXPECT_EQ(h.exchange("AT+CFUN=?"), info("+CFUN:(0,1,4),(0)"));
  EXPECT_EQ(h.exchange("AT+CFUN=2"), cme50);
  EXPECT_EQ(h.exchange("AT+CFUN=3"), cme50);
  EXPECT_EQ(h.exchange("AT+CFUN=5"), cme50);
  EXPECT_EQ(h.exchange("AT+CFUN=1,2"), cme50);
  EXPECT_EQ(h.exchange("AT+CFUN=4,1"), cme50) << "a reset only with fun 1 (chosen)";
  EXPECT_EQ(h.exchange("AT+CFUN"), cme4);
  EXPECT_EQ(h.exchange("AT+CFUN=4", ms(400)), ok + "\r\n+CEREG:0,0000,00000000,7\r\n");
  EXPECT_EQ(h.exchange("AT+CSQ"), info("+CSQ:99,99"));
  EXPECT_EQ(h.exchange("AT+CESQ"), info("+CESQ:99,99,255,255,255,255"));
  EXPECT_EQ(h.exchange("AT+CGPADDR"), info("+CGPADDR:1"));
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"h\",1883"), cme3) << "no PDP";
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(2200)),
            ok + "\r\n+CEREG:2,0000,00000000,7\r\n" + "\r\n+CEREG:1,5A0B,0C1F2E3D,7\r\n");
}

// §4 (chosen): AT+CFUN=1,1 answers OK and reboots as AT+ECRST does, 100 ms later.
TEST_F(Basic, CfunOneOneReboots) {
  h.send("AT+CFUN=1,1\r");
  h.run_for(ms(5));
  EXPECT_EQ(h.take_output(), ok);
  h.run_for(ms(1590));
  EXPECT_EQ(h.take_output(), "") << "silent while rebooting";
  h.run_for(ms(10));
  EXPECT_EQ(h.take_output(), "\r\nECRDY\r\n");
  EXPECT_EQ(h.modem().reboots, 1);
}

TEST_F(Basic, AttachAndDetach) {
  EXPECT_EQ(h.exchange("AT+CGATT=0"), ok);
  EXPECT_EQ(h.exchange("AT+CGATT?"), info("+CGATT:0"));
  h.send("AT+CGATT=1\r");
  h.run_for(ms(1499));
  EXPECT_EQ(h.take_output(), "") << "OK when attach completes";
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), ok);
  EXPECT_EQ(h.exchange("AT+CGATT?"), info("+CGATT:1"));
  EXPECT_EQ(h.exchange("AT+CGATT=2"), cme50);
  EXPECT_EQ(h.exchange("AT+CGATT"), cme4);
}

TEST_F(Basic, PdpContexts) {
  EXPECT_EQ(h.exchange("AT+CGPADDR"), info("+CGPADDR:1,10.128.45.67"));
  EXPECT_EQ(h.exchange("AT+CGPADDR=1"), info("+CGPADDR:1,10.128.45.67"));
  EXPECT_EQ(h.exchange("AT+CGPADDR=2"), cme50) << "in range, not defined (chosen)";
  EXPECT_EQ(h.exchange("AT+CGPADDR=11"), cme50);
  EXPECT_EQ(h.exchange("AT+CGPADDR?"), error);
  EXPECT_EQ(h.exchange("AT+CGPADDR=?"), info("+CGPADDR:(1)"));
  EXPECT_EQ(h.exchange("AT+CGDCONT?"), info("+CGDCONT:1,\"IP\",,\"10.128.45.67\"")) << "empty APN unquoted";
  EXPECT_EQ(h.exchange("AT+CGDCONT=2,\"IPV4V6\",\"cmnet\""), ok);
  EXPECT_EQ(h.exchange("AT+CGDCONT=0,\"Non-IP\""), ok);
  EXPECT_EQ(h.exchange("AT+CGDCONT=10,\"IPV6\",\"\""), ok);
  EXPECT_EQ(h.exchange("AT+CGDCONT?"),
            "\r\n+CGDCONT:0,\"Non-IP\"\r\n+CGDCONT:1,\"IP\",,\"10.128.45.67\"\r\n+CGDCONT:2,\"IPV4V6\",\"cmnet\"\r\n"
            "+CGDCONT:10,\"IPV6\"\r\n" +
                ok)
      << "one piece per cid, trailing empty fields cut";
  EXPECT_EQ(h.exchange("AT+CGDCONT=3,\"X25\""), cme50);
  EXPECT_EQ(h.exchange("AT+CGDCONT=3,\"IP\",\"" + std::string(100, 'a') + "\""), cme50) << "APN over 99";
  EXPECT_EQ(h.exchange("AT+CGDCONT=11,\"IP\""), cme4) << "§2.7: cid out of range is 4";
  EXPECT_EQ(h.exchange("AT+CGDCONT=1"), cme3) << "cid 1 is active";
  EXPECT_EQ(h.exchange("AT+CGDCONT=2"), ok);
  EXPECT_EQ(h.exchange("AT+CGDCONT=?"),
            "\r\n+CGDCONT:(0-10),\"IP\",,,,,(0),(0,2),(0),(0),(0,1),(0),(0,1),(0),(0)\r\n"
            "+CGDCONT:(0-10),\"IPV6\",,,,,(0),(0,2),(0),(0),(0,1),(0),(0),(0),(0)\r\n"
            "+CGDCONT:(0-10),\"IPV4V6\",,,,,(0),(0,2),(0),(0),(0,1),(0),(0,1),(0),(0)\r\n"
            "+CGDCONT:(0-10),\"Non-IP\",,,,,(0),(0,2),(0),(0),(0,1),(0),(0),(0),(0,1)\r\n" +
                ok);
}

TEST_F(Basic, ClockRefusesWritesOnNt35e) {
  // The harness's UTC origin is 0: local time at +32 quarter hours is 08:00 on 1 January 1970.
  auto out = h.exchange("AT+CCLK?");
  EXPECT_EQ(out.substr(0, 20), "\r\n+CCLK:\"1970/01/01,") << "quoted, four-digit year: " << out;
  EXPECT_NE(out.find("+32\"\r\n" + ok), std::string::npos) << out;
  EXPECT_EQ(h.exchange("AT+CCLK=\"2025/01/02,03:04:05+32\""), cme3) << "automatic time-zone update is on";
  EXPECT_TRUE(h.logged_reason("state.not_allowed")) << h.log_text();
  EXPECT_EQ(h.exchange("AT+CCLK=\"24/10/30,08:15:42+32\""), cme3) << "two-digit year: malformed";
  EXPECT_EQ(h.exchange("AT+CCLK=?"), ok);
  EXPECT_EQ(h.exchange("AT+CCLK"), cme4);
}

TEST(Ec616s, ClockWritesAndReadsQuoted) {
  core_harness h(*modem::builtin_profile("ec616s"));
  h.boot_and_register();
  EXPECT_EQ(h.exchange("AT+CCLK=\"2025/01/02,03:04:05+32\""), ok);
  auto out = h.exchange("AT+CCLK?");
  EXPECT_EQ(out.substr(0, 28), "\r\n+CCLK: \"2025/01/02,03:04:0") << out;
  EXPECT_EQ(h.exchange("AT+CCLK=\"1999/01/02,03:04:05+32\""), cme3) << "year outside 2000-2099";
  EXPECT_EQ(h.exchange("AT+CCLK=\"2025/13/02,03:04:05+32\""), cme3);
}

TEST_F(Basic, RebootKeepsNvmAndResetsVolatile) {
  h.exchange("AT+CMEE=2");
  h.exchange("ATV0");
  h.send("AT+ECRST\r");
  h.run_for(ms(5));
  EXPECT_EQ(h.take_output(), "0\r");
  h.send("AT\r");  // ignored while rebooting
  h.run_for(ms(1599));
  EXPECT_EQ(h.take_output(), "\r\nECRDY\r\n");
  EXPECT_EQ(h.exchange("AT+CMEE?"), info("+CMEE:2")) << "CMEE is NVM, ATV back to 1, ATE0 kept";
}

// §3.1: ATQ is NVM now; S3-S5 are not.
TEST_F(Basic, RebootKeepsQuietAndResetsSRegisters) {
  EXPECT_EQ(h.exchange("ATS3=35"), ok);
  h.send("AT+ECRST#");
  h.run_for(ms(5));
  EXPECT_EQ(h.take_output(), ok);
  h.run_for(ms(1600));
  EXPECT_EQ(h.take_output(), "\r\nECRDY\r\n");
  EXPECT_EQ(h.exchange("ATS3?"), info("013")) << "S3 back to 13: CR ends the line again";
  EXPECT_EQ(h.exchange("ATQ1"), "");
  h.send("AT+ECRST\r");
  h.run_for(ms(1700));
  EXPECT_EQ(h.take_output(), "") << "ATQ1 survives the reboot: no OK and no ECRDY";
  EXPECT_EQ(h.exchange("AT+CSQ"), "\r\n+CSQ:99,99\r\n") << "information text still comes, no OK";
  EXPECT_TRUE(h.modem().set.quiet);
}

TEST_F(Basic, AmpFRestoresDefaults) {
  h.exchange("AT+CMEE=0");
  EXPECT_EQ(h.exchange("AT&F"), ok);
  EXPECT_EQ(h.exchange("AT+CMEE?"), "AT+CMEE?\r" + info("+CMEE:1"));
}

TEST(Ec616s, SpacedStyleAndProfile) {
  core_harness h(*modem::builtin_profile("ec616s"));
  h.boot_and_register();
  EXPECT_EQ(h.exchange("AT+CSQ"), info("+CSQ: 23,99")) << "echo off by default on ec616s";
  EXPECT_EQ(h.exchange("ATI"), info("Eigencomm EC616S_SW_V1.0"));
  EXPECT_EQ(h.exchange("AT+CEREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"), info("+CEREG: 2,1,\"5A0B\",\"0C1F2E3D\",9"));
  EXPECT_EQ(h.exchange("AT+CGPADDR=1"), info("+CGPADDR: 1,\"10.128.45.67\""));
  EXPECT_EQ(h.exchange("AT&F"), "\r\n&F: EXEC not support now\r\n" + ok);
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=1,\"h\",1883"), cme3) << "only id 0";
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=?"), info("+ECMTOPEN: (0),<host_name>,<port>"));
  EXPECT_EQ(h.exchange("AT+CMEE=5"), cme4) << "CME keeps its space in both styles";
  EXPECT_EQ(h.exchange("AT+CGSN=5"), cme50);
}

TEST(Nt35e, AmpFQuirkTextIsCompacted) {
  auto p = *modem::builtin_profile("nt35e");
  p.quirk.ampf_not_supported = true;
  core_harness h(p);
  h.boot_and_register();
  h.exchange("ATE0");
  EXPECT_EQ(h.exchange("AT&F"), "\r\n&F:EXEC not support now\r\n" + ok) << "§2.5: any first colon is compacted";
}

TEST(Profile, OverridesAreCheckedOneByOne) {
  auto p = *modem::builtin_profile("nt35e");
  EXPECT_EQ(modem::set_profile_field(p, "style", "spaced"), "");
  EXPECT_EQ(p.style, at::response_style::spaced);
  EXPECT_EQ(modem::set_profile_field(p, "imei", "866123045678904"), "");
  EXPECT_NE(modem::set_profile_field(p, "imei", "866123045678905"), "") << "Luhn";
  EXPECT_NE(modem::set_profile_field(p, "echo", "maybe"), "");
  EXPECT_NE(modem::set_profile_field(p, "nope", "1"), "");
  EXPECT_EQ(modem::set_profile_field(p, "quirk.disc_in_opened_fails", "off"), "");
  EXPECT_FALSE(p.quirk.disc_in_opened_fails);
  EXPECT_EQ(modem::set_profile_field(p, "timing.boot", "200ms"), "");
  EXPECT_EQ(p.timing.boot, 200);
  EXPECT_FALSE(modem::builtin_profile("nt26k"));
}

// With no answer delay the whole answer comes back from the call that carried the
// command: the I/O layer then writes it at once instead of waiting for a timer.
TEST(ZeroDelay, AnswersComeBackFromTheSameFeedCall) {
  auto p = *modem::builtin_profile("nt35e");
  p.timing.basic_result = 0;
  core_harness h(p);
  h.boot_and_register();
  h.send("ATE0\r");
  EXPECT_EQ(h.take_output(), "ATE0\r" + ok);
  h.send("AT+CSQ\rAT\r");
  EXPECT_EQ(h.take_output(), info("+CSQ:23,99") + ok) << "two lines in one chunk, both answered";
  h.send("AT+CSQ\r");
  EXPECT_EQ(h.take_output(), info("+CSQ:23,99"));

  core_harness slow;  // the profile's 5 ms: nothing until the timer
  slow.boot_and_register();
  slow.send("AT+CSQ\r");
  EXPECT_EQ(slow.take_output(), "AT+CSQ\r");
  slow.run_for(ms(5));
  EXPECT_EQ(slow.take_output(), info("+CSQ:23,99"));
}

TEST(NoSim, SimCommandsAnswerCme10) {
  auto p = *modem::builtin_profile("nt35e");
  p.sim_present = false;
  core_harness h(p);
  h.run_for(ms(5000));
  h.exchange("ATE0");
  EXPECT_EQ(h.exchange("AT+CPIN?"), "\r\n+CME ERROR: 10\r\n");
  EXPECT_EQ(h.exchange("AT+CIMI"), "\r\n+CME ERROR: 10\r\n");
  EXPECT_EQ(h.exchange("AT+CEREG?"), info("+CEREG:0,0")) << "never registers";
}

}  // namespace
}  // namespace nt35e::test
