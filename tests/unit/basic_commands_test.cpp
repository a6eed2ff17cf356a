// Every form of the basic command set (spec §4), compact and spaced styles.

#include <gtest/gtest.h>

#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;
const std::string ok = "\r\nOK\r\n";
const std::string error = "\r\nERROR\r\n";
const std::string cme3 = "\r\n+CME ERROR: 3\r\n";
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
  EXPECT_EQ(h.exchange("AT+GSN"), info("866123045678904"));
  EXPECT_EQ(h.exchange("AT+CGSN=0"), info("866123045678904"));
  EXPECT_EQ(h.exchange("AT+CGSN=1"), info("+CGSN:\"866123045678904\""));
  EXPECT_EQ(h.exchange("AT+CGSN=2"), info("+CGSN:\"8661230456789001\""));
  EXPECT_EQ(h.exchange("AT+CGSN=3"), info("+CGSN:\"01\""));
  EXPECT_EQ(h.exchange("AT+CGSN=4"), cme3);
  EXPECT_EQ(h.exchange("AT+CGSN=?"), info("+CGSN:(0,1,2,3)"));
  EXPECT_EQ(h.exchange("AT+CIMI"), info("460001234567890"));
  EXPECT_EQ(h.exchange("AT+CPIN?"), info("+CPIN:READY"));
  EXPECT_TRUE(modem::luhn_valid(h.modem().prof().imei));
}

TEST_F(Basic, EchoVerboseAndSRegisters) {
  EXPECT_EQ(h.exchange("ATE?"), info("+ECHO:0"));
  EXPECT_EQ(h.exchange("ATE2"), error);
  EXPECT_EQ(h.exchange("ATS3?"), info("013"));
  EXPECT_EQ(h.exchange("ATS4?"), info("010"));
  EXPECT_EQ(h.exchange("ATS5?"), info("008"));
  EXPECT_EQ(h.exchange("ATS7?"), error);
  EXPECT_EQ(h.exchange("ATS5=128"), cme3);
  EXPECT_EQ(h.exchange("ATS3=35"), ok);
  h.send("AT+CSQ#");  // '#' now ends a line
  h.run_for(ms(50));
  EXPECT_EQ(h.take_output(), info("+CSQ:23,99"));
  h.send("AT&F#");
  h.run_for(ms(50));
  EXPECT_EQ(h.take_output(), ok);
  EXPECT_EQ(h.exchange("ATE?"), "ATE?\r" + info("+ECHO:1")) << "AT&F restored S3 and echo";
}

TEST_F(Basic, Cmee) {
  EXPECT_EQ(h.exchange("AT+CMEE?"), info("+CMEE:1"));
  EXPECT_EQ(h.exchange("AT+CMEE=?"), info("+CMEE:(0-2)"));
  EXPECT_EQ(h.exchange("AT+CMEE=2"), ok);
  EXPECT_EQ(h.exchange("AT+CGSN=9"), "\r\n+CME ERROR: operation not allowed\r\n");
}

TEST_F(Basic, SignalAndRegistration) {
  EXPECT_EQ(h.exchange("AT+CSQ=?"), info("+CSQ:(0-31,99),(0-7,99)"));
  EXPECT_EQ(h.exchange("AT+CESQ"), info("+CESQ:99,99,255,255,20,46"));
  EXPECT_EQ(h.exchange("AT+CEREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"), info("+CEREG:2,1,5A0B,0C1F2E3D,7"));
  EXPECT_EQ(h.exchange("AT+CEREG=3"), cme3);
  EXPECT_EQ(h.exchange("AT+CEREG=?"), info("+CEREG:(0-2)"));
  EXPECT_EQ(h.exchange("AT+CGATT?"), info("+CGATT:1"));
  EXPECT_EQ(h.exchange("AT+CFUN?"), info("+CFUN:1"));
  EXPECT_EQ(h.exchange("AT+CFUN=?"), info("+CFUN:(0,1,4),(0)"));
  EXPECT_EQ(h.exchange("AT+CFUN=2"), cme3);
  EXPECT_EQ(h.exchange("AT+CFUN=4", ms(400)), ok + "\r\n+CEREG:0\r\n");
  EXPECT_EQ(h.exchange("AT+CSQ"), info("+CSQ:99,99"));
  EXPECT_EQ(h.exchange("AT+CESQ"), info("+CESQ:99,99,255,255,255,255"));
  EXPECT_EQ(h.exchange("AT+CGPADDR"), info("+CGPADDR:1"));
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"h\",1883"), cme3) << "no PDP";
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(2200)), ok + "\r\n+CEREG:2\r\n" + "\r\n+CEREG:1,5A0B,0C1F2E3D,7\r\n");
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
  EXPECT_EQ(h.exchange("AT+CGATT=2"), cme3);
}

TEST_F(Basic, PdpContexts) {
  EXPECT_EQ(h.exchange("AT+CGPADDR"), info("+CGPADDR:1,10.128.45.67"));
  EXPECT_EQ(h.exchange("AT+CGPADDR=1"), info("+CGPADDR:1,10.128.45.67"));
  EXPECT_EQ(h.exchange("AT+CGPADDR=2"), cme3);
  EXPECT_EQ(h.exchange("AT+CGDCONT?"), info("+CGDCONT:1,\"IP\",\"\",\"10.128.45.67\",0,0"));
  EXPECT_EQ(h.exchange("AT+CGDCONT=2,\"IPV4V6\",\"cmnet\""), ok);
  EXPECT_EQ(h.exchange("AT+CGDCONT?"),
            "\r\n+CGDCONT:1,\"IP\",\"\",\"10.128.45.67\",0,0\r\n+CGDCONT:2,\"IPV4V6\",\"cmnet\",\"\",0,0\r\n" + ok);
  EXPECT_EQ(h.exchange("AT+CGDCONT=3,\"X25\""), cme3);
  EXPECT_EQ(h.exchange("AT+CGDCONT=16,\"IP\""), cme3);
  EXPECT_EQ(h.exchange("AT+CGDCONT=1"), cme3) << "cid 1 is active";
  EXPECT_EQ(h.exchange("AT+CGDCONT=2"), ok);
  EXPECT_EQ(h.exchange("AT+CGDCONT=?"), info("+CGDCONT:(1-15),(\"IP\",\"IPV6\",\"IPV4V6\")"));
}

TEST_F(Basic, Clock) {
  EXPECT_EQ(h.exchange("AT+CCLK=\"24/10/30,08:15:42+32\""), ok);
  auto out = h.exchange("AT+CCLK?");
  EXPECT_EQ(out.substr(0, 24), "\r\n+CCLK:24/10/30,08:15:4") << out;
  EXPECT_EQ(h.exchange("AT+CCLK=\"24/13/30,08:15:42+32\""), cme3);
}

TEST_F(Basic, ClacListsTheTable) {
  auto out = h.exchange("AT+CLAC");
  EXPECT_NE(out.find("\r\nAT+ECMTPUB\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nAT+CGSN\r\n"), std::string::npos);
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
  EXPECT_EQ(h.exchange("AT+CMEE=5"), cme3) << "CME keeps its space in both styles";
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
