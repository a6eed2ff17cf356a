// Spec §4.4 (network registration and operator commands) through the sans-I/O core, in
// both profiles: every form, every quirk, the URCs and what survives AT+ECRST.

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <tuple>
#include <utility>

#include "at/result.hpp"
#include "explain/explainer.hpp"
#include "modem/profile.hpp"
#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;
using settings = std::initializer_list<std::pair<const char*, const char*>>;

const std::string ok = "\r\nOK\r\n";
std::string line(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }
std::string answer(std::string_view t) { return line(t) + ok; }
std::string cme(int n) { return line("+CME ERROR: " + std::to_string(n)); }
const std::string error = "\r\nERROR\r\n";

modem::profile profile_of(const char* name, settings s = {}) {
  auto p = *modem::builtin_profile(name);
  for (const auto& [k, v] : s) EXPECT_EQ(modem::set_profile_field(p, k, v), "") << k;
  return p;
}

/// Booted, registered, echo off.
struct session : core_harness {
  explicit session(const char* name, settings s = {}) : core_harness(profile_of(name, s)) {
    boot_and_register();
    exchange("ATE0");
  }
  bool compact() const { return modem().prof().style == modem::response_style::compact; }
  /// "+X:<rest>" in compact, "+X: <rest>" spaced.
  std::string styled(std::string_view head, std::string_view rest) const {
    return std::string(head) + (compact() ? ":" : ": ") + std::string(rest);
  }
};

class BothProfiles : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Registration, BothProfiles, ::testing::Values("nt35e", "ec616s"));

// ---- +CREG ---------------------------------------------------------------------------

TEST_P(BothProfiles, CregForms) {
  session h(GetParam());
  const std::string act = h.compact() ? "7" : "9";
  EXPECT_EQ(h.exchange("AT+CREG=?"), answer(h.styled("+CREG", "(0,1,2,3)")));
  EXPECT_EQ(h.exchange("AT+CREG?"), answer(h.styled("+CREG", "0,1")));
  EXPECT_EQ(h.exchange("AT+CREG=1"), ok);
  EXPECT_EQ(h.exchange("AT+CREG?"), answer(h.styled("+CREG", "1,1")));
  // Location quoted in both builds: +CREG has no reference-AT variant.
  EXPECT_EQ(h.exchange("AT+CREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CREG?"), answer(h.styled("+CREG", "2,1,\"5A0B\",\"0C1F2E3D\"," + act)));
  EXPECT_EQ(h.exchange("AT+CREG=3"), ok);
  EXPECT_EQ(h.exchange("AT+CREG?"), answer(h.styled("+CREG", "3,1,\"5A0B\",\"0C1F2E3D\"," + act)))
      << "no reject recorded: no reject fields";
  EXPECT_EQ(h.exchange("AT+CREG=4"), cme(50));
  EXPECT_TRUE(h.logged_reason("param.range"));
  EXPECT_EQ(h.exchange("AT+CREG"), cme(4));
  EXPECT_TRUE(h.logged_reason("form.not_supported"));
  EXPECT_EQ(h.exchange("AT+CREG="), error);
  EXPECT_EQ(h.exchange("AT+CREG=\"1\""), error) << "a quoted number";
  EXPECT_EQ(h.exchange("AT+CREG=1,1"), error) << "an extra parameter";
}

TEST_P(BothProfiles, CregAfterARejectAndWhileSearching) {
  session h(GetParam(), {{"registration", "3"}});
  EXPECT_EQ(h.exchange("AT+CREG=3"), ok);
  EXPECT_EQ(h.exchange("AT+CREG?"), answer(h.styled("+CREG", "3,3,,,,0,11")));
  EXPECT_EQ(h.exchange("AT+CREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CREG?"), answer(h.styled("+CREG", "2,3")));
  EXPECT_EQ(h.exchange("AT+CREG=1"), ok);
  EXPECT_EQ(h.exchange("AT+CFUN=0", ms(400)), ok + line(h.styled("+CREG", "0")));
  EXPECT_EQ(h.exchange("AT+CREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(200)), ok + line(h.styled("+CREG", "2")));
  EXPECT_EQ(h.exchange("AT+CREG?"), answer(h.styled("+CREG", "2,2"))) << "searching: no location";
}

TEST_P(BothProfiles, CregUrcs) {
  session h(GetParam());
  const std::string act = h.compact() ? "7" : "9";
  EXPECT_EQ(h.exchange("AT+CREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CFUN=0", ms(400)), ok + line(h.styled("+CREG", "0")));
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(200)), ok + line(h.styled("+CREG", "2")));
  h.run_for(ms(2000));
  EXPECT_EQ(h.take_output(), line(h.styled("+CREG", "1,\"5A0B\",\"0C1F2E3D\"," + act)));
  EXPECT_EQ(h.exchange("AT+CREG=0"), ok);
  EXPECT_EQ(h.exchange("AT+CFUN=0", ms(400)), ok) << "n 0: no URC";
}

TEST(Registration, CregThreeUrcCarriesTheReject) {
  session h("nt35e", {{"registration", "3"}});
  EXPECT_EQ(h.exchange("AT+CREG=3"), ok);
  EXPECT_EQ(h.exchange("AT+CFUN=0", ms(400)), ok + line("+CREG:0,,,,0,11"));
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(2200)), ok + line("+CREG:2,,,,0,11") + line("+CREG:3,,,,0,11"));
}

TEST_P(BothProfiles, OneEventWritesCeregCregCgregInThatOrder) {
  session h(GetParam(), {{"quirk.cgreg_not_supported", "off"}});
  EXPECT_EQ(h.exchange("AT+CGREG=1;+CREG=1;+CEREG=1"), ok);
  EXPECT_EQ(h.exchange("AT+CFUN=0", ms(400)),
            ok + line(h.styled("+CEREG", "0")) + line(h.styled("+CREG", "0")) + line(h.styled("+CGREG", "0")));
}

// ---- +CGREG --------------------------------------------------------------------------

TEST(Registration, CgregOnNt35e) {
  session h("nt35e");
  EXPECT_EQ(h.exchange("AT+CGREG=?"), answer("+CGREG:(0-2)"));
  EXPECT_EQ(h.exchange("AT+CGREG?"), answer("+CGREG:0,1"));
  EXPECT_EQ(h.exchange("AT+CGREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CGREG?"), answer("+CGREG:2,1,\"5A0B\",\"0C1F2E3D\",7"));
  EXPECT_EQ(h.exchange("AT+CGREG=3"), cme(50));
  EXPECT_EQ(h.exchange("AT+CGREG"), cme(4));
  EXPECT_EQ(h.exchange("AT+CFUN=0", ms(400)), ok + line("+CGREG:0"));
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(2200)), ok + line("+CGREG:2") + line("+CGREG:1,\"5A0B\",\"0C1F2E3D\",7"));
  EXPECT_EQ(h.exchange("AT+CGREG=1"), ok);
  EXPECT_EQ(h.exchange("AT+CFUN=0", ms(400)), ok + line("+CGREG:0"));
}

TEST(Registration, CgregDoesNotExistOnEc616s) {
  session h("ec616s");
  for (const char* form : {"AT+CGREG=?", "AT+CGREG?", "AT+CGREG=1", "AT+CGREG=7", "AT+CGREG"})
    EXPECT_EQ(h.exchange(form), error) << form;
  EXPECT_TRUE(h.logged_reason("syntax.unknown_command"));
  EXPECT_NE(h.log_text().find("quirk.cgreg_not_supported"), std::string::npos) << h.log_text();
  EXPECT_EQ(h.exchange("AT+CMEE=2"), ok);
  EXPECT_EQ(h.exchange("AT+CGREG?"), error) << "unknown command: ERROR whatever AT+CMEE says";
}

TEST(Registration, CgregQuirkSwitchesBothWays) {
  session nt("nt35e", {{"quirk.cgreg_not_supported", "on"}});
  EXPECT_EQ(nt.exchange("AT+CGREG?"), error);
  EXPECT_EQ(nt.exchange("AT+CEREG=1"), ok);
  EXPECT_EQ(nt.exchange("AT+CFUN=0", ms(400)), ok + line("+CEREG:0")) << "no +CGREG URC under the quirk";
  session ec("ec616s", {{"quirk.cgreg_not_supported", "off"}});
  EXPECT_EQ(ec.exchange("AT+CGREG=2"), ok);
  EXPECT_EQ(ec.exchange("AT+CGREG?"), answer("+CGREG: 2,1,\"5A0B\",\"0C1F2E3D\",9"));
}

// ---- +CEREG --------------------------------------------------------------------------

TEST_P(BothProfiles, CeregForms) {
  session h(GetParam());
  EXPECT_EQ(h.exchange("AT+CEREG=?"), answer(h.styled("+CEREG", "(0,1,2,3,4,5)")));
  for (const char* n : {"0", "1", "2", "3", "4", "5"}) EXPECT_EQ(h.exchange(std::string("AT+CEREG=") + n), ok) << n;
  EXPECT_EQ(h.exchange("AT+CEREG=6"), cme(50));
  EXPECT_EQ(h.exchange("AT+CEREG=10"), cme(50));
  EXPECT_EQ(h.exchange("AT+CEREG"), cme(4));
}

TEST_P(BothProfiles, CeregReadsEveryMode) {
  session h(GetParam());
  // nt35e: reference build (unquoted location, reject and PSM fields always there);
  // ec616s: plain build (quoted location, other groups only with a value).
  const char* const nt35e[] = {"+CEREG:0,1",
                               "+CEREG:1,1",
                               "+CEREG:2,1,5A0B,0C1F2E3D,7",
                               "+CEREG:3,1,5A0B,0C1F2E3D,7,,",
                               "+CEREG:4,1,5A0B,0C1F2E3D,7,,,,",
                               "+CEREG:5,1,5A0B,0C1F2E3D,7,,,,"};
  const char* const ec616s[] = {"+CEREG: 0,1",
                                "+CEREG: 1,1",
                                "+CEREG: 2,1,\"5A0B\",\"0C1F2E3D\",9",
                                "+CEREG: 3,1,\"5A0B\",\"0C1F2E3D\",9",
                                "+CEREG: 4,1,\"5A0B\",\"0C1F2E3D\",9",
                                "+CEREG: 5,1,\"5A0B\",\"0C1F2E3D\",9"};
  for (int n = 0; n <= 5; ++n) {
    EXPECT_EQ(h.exchange("AT+CEREG=" + std::to_string(n)), ok);
    EXPECT_EQ(h.exchange("AT+CEREG?"), answer(h.compact() ? nt35e[n] : ec616s[n])) << "n " << n;
  }
}

TEST_P(BothProfiles, CeregSearchingAndDenied) {
  session h(GetParam(), {{"registration", "3"}});
  EXPECT_EQ(h.exchange("AT+CEREG=3"), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"), answer(h.compact() ? "+CEREG:3,3,0000,00000000,7,0,11" : "+CEREG: 3,3,,,,0,11"));
  EXPECT_EQ(h.exchange("AT+CEREG=5"), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"), answer(h.compact() ? "+CEREG:5,3,0000,00000000,7,0,11,," : "+CEREG: 5,3,,,,0,11"));
  EXPECT_EQ(h.exchange("AT+CEREG=4"), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"), answer(h.compact() ? "+CEREG:4,3,0000,00000000,7,,,," : "+CEREG: 4,3"))
      << "n 4 shows no reject";
  EXPECT_EQ(h.exchange("AT+CEREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CFUN=0", ms(400)), ok + line(h.compact() ? "+CEREG:0,0000,00000000,7" : "+CEREG: 0"));
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(200)), ok + line(h.compact() ? "+CEREG:2,0000,00000000,7" : "+CEREG: 2"));
  EXPECT_EQ(h.exchange("AT+CEREG?"), answer(h.compact() ? "+CEREG:2,2,0000,00000000,7" : "+CEREG: 2,2"));
}

TEST_P(BothProfiles, CeregShowsGrantedPsmTimers) {
  session h(GetParam());
  EXPECT_EQ(h.exchange("AT+CEREG=4"), ok);
  EXPECT_EQ(h.exchange("AT+CPSMS=1,,,\"01000011\",\"00000101\""),
            ok + line(h.compact() ? "+CEREG:1,5A0B,0C1F2E3D,7,,,00000101,01000011"
                                  : "+CEREG: 1,\"5A0B\",\"0C1F2E3D\",9,,,\"00000101\",\"01000011\""))
      << "a change of granted PSM timers is reported with n 4";
  EXPECT_EQ(h.exchange("AT+CEREG?"), answer(h.compact() ? "+CEREG:4,1,5A0B,0C1F2E3D,7,,,00000101,01000011"
                                                        : "+CEREG: 4,1,\"5A0B\",\"0C1F2E3D\",9,,,\"00000101\","
                                                          "\"01000011\""));
  EXPECT_EQ(h.exchange("AT+CEREG=5"), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"), answer(h.compact() ? "+CEREG:5,1,5A0B,0C1F2E3D,7,,,00000101,01000011"
                                                        : "+CEREG: 5,1,\"5A0B\",\"0C1F2E3D\",9,,,\"00000101\","
                                                          "\"01000011\""));
  EXPECT_EQ(h.exchange("AT+CEREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CPSMS=0"), ok) << "n 2: no URC for PSM";
}

// ---- +COPS ---------------------------------------------------------------------------

TEST_P(BothProfiles, CopsReadAndTest) {
  session h(GetParam());
  const bool c = h.compact();
  EXPECT_EQ(h.exchange("AT+COPS?"), answer(c ? "+COPS:0,2,\"46000\",7" : "+COPS: 0,2,\"46000\",9"));
  h.send("AT+COPS=?\r");
  h.run_for(ms(2990));
  EXPECT_EQ(h.take_output(), "") << "a network scan takes 3000 ms";
  h.run_for(ms(20));
  EXPECT_EQ(h.take_output(), answer(c ? "+COPS:(2,,,\"46000\"),,(0-2),(2)"
                                      : "+COPS: (2,\"CHINA MOBILE\",\"CMCC\",\"46000\",9),,(0-4),(0-2)"));
  EXPECT_EQ(h.exchange("AT+CFUN=0", ms(400)), ok);
  EXPECT_EQ(h.exchange("AT+COPS?"), answer(c ? "+COPS:0" : "+COPS: 0"));
  EXPECT_EQ(h.exchange("AT+COPS=?", ms(3100)), answer(c ? "+COPS:,,(0-2),(2)" : "+COPS: ,,(0-4),(0-2)"));
  EXPECT_EQ(h.exchange("AT+COPS"), cme(4));
}

TEST_P(BothProfiles, CopsSetErrors) {
  session h(GetParam());
  const bool c = h.compact();
  EXPECT_EQ(h.exchange("AT+COPS=0"), ok) << "registered: at once";
  EXPECT_EQ(h.exchange("AT+COPS=0,2"), cme(50));
  EXPECT_EQ(h.exchange("AT+COPS=2,2"), cme(50));
  EXPECT_EQ(h.exchange("AT+COPS=5"), cme(50));
  EXPECT_EQ(h.exchange(c ? "AT+COPS=1,2,\"46000\",9" : "AT+COPS=1,2,\"46000\",7"), cme(50));
  EXPECT_EQ(h.exchange("AT+COPS=1,0,\"CHINA MOBILE\""), cme(4));
  EXPECT_TRUE(h.logged_reason("form.not_supported"));
  EXPECT_EQ(h.exchange("AT+COPS=1,2"), cme(50));
  EXPECT_EQ(h.exchange("AT+COPS=1,2,\"4600012345678901\""), cme(50)) << "oper longer than 15";
  EXPECT_EQ(h.exchange("AT+COPS=1,3,\"46000\""), cme(50)) << "format out of range";
  EXPECT_EQ(h.exchange("AT+COPS=3"), cme(50));
  EXPECT_EQ(h.exchange("AT+COPS=3,0,\"x\""), cme(50));
  h.send("AT+COPS=1,2,\"46001\"\r");
  h.run_for(ms(2990));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(20));
  EXPECT_EQ(h.take_output(), cme(30)) << "a PLMN not present, after 3000 ms";
}

TEST_P(BothProfiles, CopsManualSelection) {
  session h(GetParam());
  const bool c = h.compact();
  EXPECT_EQ(h.exchange(c ? "AT+COPS=1,2,\"46000\",7" : "AT+COPS=1,2,\"46000\",9"), ok);
  EXPECT_EQ(h.exchange("AT+COPS?"), answer(c ? "+COPS:1,2,\"46000\",7" : "+COPS: 1,2,\"46000\",9"));
  EXPECT_EQ(h.exchange("AT+COPS=1,2,\"46000\""), ok);
}

TEST_P(BothProfiles, CopsTwoDeregistersUntilAskedAgain) {
  session h(GetParam());
  const bool c = h.compact();
  EXPECT_EQ(h.exchange("AT+CEREG=1"), ok);
  h.send("AT+COPS=2\r");
  h.run_for(ms(299));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(100));
  EXPECT_EQ(h.take_output(), ok + line(c ? "+CEREG:0" : "+CEREG: 0"));
  EXPECT_EQ(h.exchange("AT+COPS?"), answer(c ? "+COPS:2" : "+COPS: 2"));
  EXPECT_EQ(h.exchange("AT+CGATT?"), answer(c ? "+CGATT:0" : "+CGATT: 0"));
  h.run_for(ms(10000));
  EXPECT_EQ(h.take_output(), "") << "stays deregistered";
  h.send("AT+COPS=0\r");
  h.run_for(ms(1990));
  EXPECT_EQ(h.take_output(), "") << "OK after registration";
  h.run_for(ms(100));
  // Searching began at once, but URCs wait for the final result (§6.2 rule 3).
  EXPECT_EQ(h.take_output(), ok + line(c ? "+CEREG:2" : "+CEREG: 2") + line(c ? "+CEREG:1" : "+CEREG: 1"));
  EXPECT_EQ(h.exchange("AT+COPS?"), answer(c ? "+COPS:0,2,\"46000\",7" : "+COPS: 0,2,\"46000\",9"));
}

TEST(Registration, CopsTwoEndsWithCfunOne) {
  session h("nt35e");
  EXPECT_EQ(h.exchange("AT+COPS=2", ms(400)), ok);
  EXPECT_EQ(h.exchange("AT+CFUN=1", ms(2200)), ok);
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS:0,2,\"46000\",7"));
  EXPECT_EQ(h.exchange("AT+COPS=2", ms(400)), ok);
  EXPECT_EQ(h.exchange("AT+CGATT=1", ms(2000)), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"), answer("+CEREG:0,1"));
}

TEST(Registration, CopsFormatIsLockedOnNt35e) {
  session h("nt35e");
  EXPECT_EQ(h.exchange("AT+COPS=3,0"), cme(50));
  EXPECT_TRUE(h.logged_reason("param.locked"));
  EXPECT_NE(h.log_text().find("AT+COPS mode 3 needs a test SIM in this build"), std::string::npos);
  EXPECT_EQ(h.exchange("AT+COPS=3,2"), cme(50));
  EXPECT_EQ(h.exchange("AT+COPS=4,2,\"46000\""), cme(50));
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS:0,2,\"46000\",7"));
}

TEST(Registration, CopsTestSimUnlocksModesThreeAndFour) {
  session h("nt35e", {{"imsi", "001010123456789"}});
  EXPECT_EQ(h.exchange("AT+COPS=3,0"), ok);
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS:0,2,\"46000\",7")) << "the reference build reports numeric";
  EXPECT_EQ(h.exchange("AT+COPS=4,2,\"46000\""), ok);
}

TEST(Registration, CopsFormatOnEc616s) {
  session h("ec616s", {{"operator_long", "TEST NET"}, {"operator_short", "TN"}, {"plmn", "00101"}});
  EXPECT_EQ(h.exchange("AT+COPS=3,0"), ok);
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS: 0,0,\"TEST NET\",9"));
  EXPECT_EQ(h.exchange("AT+COPS=3,1"), ok);
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS: 0,1,\"TN\",9"));
  EXPECT_EQ(h.exchange("AT+COPS=3,2"), ok);
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS: 0,2,\"00101\",9"));
  EXPECT_EQ(h.exchange("AT+COPS=4,2,\"00101\""), ok);
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS: 4,2,\"00101\",9"));
  EXPECT_EQ(h.exchange("AT+COPS=4,2,\"46001\"", ms(3100)), ok) << "manual fails, automatic takes over";
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS: 0,2,\"00101\",9"));
}

TEST(Registration, GammuNetworkinfoSequence) {
  // What gammu's networkinfo sends (libgammu/phone/at/atgen.c), on the default profile.
  session h("nt35e");
  EXPECT_EQ(h.exchange("AT+CREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CREG?"), answer("+CREG:2,1,\"5A0B\",\"0C1F2E3D\",7"));
  EXPECT_EQ(h.exchange("AT+COPS=3,2"), cme(50));
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS:0,2,\"46000\",7"));
  EXPECT_EQ(h.exchange("AT+COPS=3,0"), cme(50));
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS:0,2,\"46000\",7"));
  EXPECT_EQ(h.exchange("AT+CGREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CGREG?"), answer("+CGREG:2,1,\"5A0B\",\"0C1F2E3D\",7"));
  EXPECT_EQ(h.exchange("AT+CEREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"), answer("+CEREG:2,1,5A0B,0C1F2E3D,7"));
}

// ---- +CGACT --------------------------------------------------------------------------

TEST_P(BothProfiles, CgactForms) {
  session h(GetParam());
  const bool c = h.compact();
  EXPECT_EQ(h.exchange("AT+CGACT=?"), answer(h.styled("+CGACT", "(0,1)")));
  EXPECT_EQ(h.exchange("AT+CGACT?"), answer(h.styled("+CGACT", "1,1")));
  EXPECT_EQ(h.exchange("AT+CGACT=1,1"), ok) << "already active";
  EXPECT_EQ(h.exchange("AT+CGACT=1,5"), cme(50)) << "in range, not defined";
  EXPECT_EQ(h.exchange("AT+CGACT=2"), cme(50));
  EXPECT_EQ(h.exchange("AT+CGACT=1,11"), cme(50));
  EXPECT_EQ(h.exchange("AT+CGACT"), cme(4));
  // Deactivating cid 1: PDP goes, registration stays.
  h.send("AT+CGACT=0,1\r");
  h.run_for(ms(299));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(2));
  EXPECT_EQ(h.take_output(), ok);
  EXPECT_EQ(h.exchange("AT+CGACT?"), answer(h.styled("+CGACT", "1,0")));
  EXPECT_EQ(h.exchange("AT+CGATT?"), answer(h.styled("+CGATT", "1")));
  EXPECT_EQ(h.exchange("AT+CEREG?"), answer(h.styled("+CEREG", "0,1")));
  EXPECT_FALSE(h.modem().pdp_active);
  h.send("AT+CGACT=1,1\r");
  h.run_for(ms(999));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(2));
  EXPECT_EQ(h.take_output(), ok);
  EXPECT_TRUE(h.modem().pdp_active);
  EXPECT_EQ(h.exchange("AT+CGDCONT=2,\"IP\",\"test\""), ok);
  EXPECT_EQ(h.exchange("AT+CGACT=1,2", ms(1100)), cme(127));
  (void)c;
}

TEST(Registration, CgactDeactivationDropsMqttLinks) {
  session h("nt35e");
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0,\"broker\",1883", ms(1500)), ok + line("+ECMTOPEN:0,0"));
  EXPECT_EQ(h.exchange("AT+ECMTCONN=0,\"c\"", ms(500)), ok + line("+ECMTCONN:0,0,0"));
  EXPECT_EQ(h.exchange("AT+CGACT=0,1", ms(400)), ok + line("+ECMTSTAT:0,1"));
}

// ---- +CEER, +CNUM --------------------------------------------------------------------

TEST_P(BothProfiles, CeerForms) {
  session h(GetParam());
  EXPECT_EQ(h.exchange("AT+CEER"), ok) << "no EMM cause recorded";
  EXPECT_EQ(h.exchange("AT+CEER=?"), ok);
  EXPECT_EQ(h.exchange("AT+CEER?"), error);
  EXPECT_EQ(h.exchange("AT+CEER=1"), error);
  EXPECT_EQ(h.exchange("AT+CEER="), cme(4));
  session r(GetParam(), {{"registration", "3"}});
  EXPECT_EQ(r.exchange("AT+CEER"), answer(r.styled("+CEER", "EMM_CAUSE_PLMN_NOT_ALLOWED")));
  session other(GetParam(), {{"registration", "3"}, {"reject_cause", "13"}});
  EXPECT_EQ(other.exchange("AT+CEER"),
            answer(other.styled("+CEER", "EMM_CAUSE_ROAMING_NOT_ALLOWED_IN_THIS_TRACKING_AREA")));
  session unknown(GetParam(), {{"registration", "3"}, {"reject_cause", "99"}});
  EXPECT_EQ(unknown.exchange("AT+CEER"), answer(unknown.styled("+CEER", "INVALID_EMM_CAUSE")));
}

TEST_P(BothProfiles, CnumForms) {
  session empty(GetParam());
  EXPECT_EQ(empty.exchange("AT+CNUM"), ok);
  EXPECT_EQ(empty.exchange("AT+CNUM=?"), ok);
  EXPECT_EQ(empty.exchange("AT+CNUM?"), error);
  EXPECT_EQ(empty.exchange("AT+CNUM=1"), error);
  session h(GetParam(), {{"msisdn", "13912345678"}});
  // A continuation piece: one CRLF between the number and OK (§2.3).
  EXPECT_EQ(h.exchange("AT+CNUM"), "\r\n" + h.styled("+CNUM", "\"\",\"13912345678\",129") + "\r\nOK\r\n");
  session intl(GetParam(), {{"msisdn", "+8613912345678"}});
  EXPECT_EQ(intl.exchange("AT+CNUM"), "\r\n" + intl.styled("+CNUM", "\"\",\"+8613912345678\",145") + ok);
  session nosim(GetParam(), {{"msisdn", "13912345678"}, {"sim", "absent"}});
  EXPECT_EQ(nosim.exchange("AT+CNUM"), cme(10));
}

TEST(Registration, CnumUnderAtv0IsPlainInformationText) {
  session h("nt35e", {{"msisdn", "13912345678"}});
  EXPECT_EQ(h.exchange("ATV0"), "0\r");
  EXPECT_EQ(h.exchange("AT+CNUM"), "+CNUM:\"\",\"13912345678\",129\r\n0\r");
}

// ---- +CMGF and +CMS ERROR --------------------------------------------------------------

TEST_P(BothProfiles, CmgfForms) {
  session h(GetParam());
  EXPECT_EQ(h.exchange("AT+CMGF?"), answer(h.styled("+CMGF", "1")));
  EXPECT_EQ(h.exchange("AT+CMGF=?"), answer(h.styled("+CMGF", "(0-1)")));
  EXPECT_EQ(h.exchange("AT+CMGF=0"), ok);
  EXPECT_EQ(h.exchange("AT+CMGF?"), answer(h.styled("+CMGF", "0")));
  EXPECT_EQ(h.exchange("AT+CMGF=2"), line("+CMS ERROR: 303")) << "keeps its space in compact style";
  EXPECT_TRUE(h.logged_reason("param.range"));
  EXPECT_EQ(h.exchange("AT+CMGF"), line("+CMS ERROR: 303"));
  EXPECT_EQ(h.exchange("AT+CMEE=2"), ok);
  EXPECT_EQ(h.exchange("AT+CMGF=2"), line("+CMS ERROR: operation not supported"));
  EXPECT_EQ(h.exchange("AT+CMEE=0"), ok);
  EXPECT_EQ(h.exchange("AT+CMGF=2"), error);
  EXPECT_EQ(h.exchange("AT+CMEE=1"), ok);
  EXPECT_EQ(h.exchange("ATV0"), "0\r");
  EXPECT_EQ(h.exchange("AT+CMGF=2"), "+CMS ERROR: 303\r\n") << "textual under ATV0, as +CME ERROR";
}

TEST(Registration, CmgfProfileDefault) {
  session h("nt35e", {{"cmgf", "0"}});
  EXPECT_EQ(h.exchange("AT+CMGF?"), answer("+CMGF:0"));
}

// ---- +CPSMS --------------------------------------------------------------------------

TEST_P(BothProfiles, CpsmsForms) {
  session h(GetParam());
  const bool c = h.compact();
  EXPECT_EQ(h.exchange("AT+CPSMS=?"),
            answer(c ? "+CPSMS:(0,1,2),,,(00000000-11111111),(00000000-11111111)"
                     : "+CPSMS: (0-2),,,(\"00000000\"-\"11111111\"),(\"00000000\"-\"11111111\")"));
  EXPECT_EQ(h.exchange("AT+CPSMS?"), answer(h.styled("+CPSMS", "0")));
  EXPECT_EQ(h.exchange("AT+CPSMS=1,,,\"01000011\",\"00000101\""), ok);
  EXPECT_EQ(h.exchange("AT+CPSMS?"),
            answer(c ? "+CPSMS:1,,,01000011,00000101" : "+CPSMS: 1,,,\"01000011\",\"00000101\""));
  EXPECT_EQ(h.exchange("AT+CPSMS=1"), ok);
  EXPECT_EQ(h.exchange("AT+CPSMS?"), answer(h.styled("+CPSMS", "1")));
  EXPECT_EQ(h.exchange("AT+CPSMS=1,,,\"01000011\""), ok);
  EXPECT_EQ(h.exchange("AT+CPSMS?"), answer(c ? "+CPSMS:1,,,01000011" : "+CPSMS: 1,,,\"01000011\""));
  EXPECT_EQ(h.exchange("AT+CPSMS=2"), ok);
  EXPECT_EQ(h.exchange("AT+CPSMS?"), answer(h.styled("+CPSMS", "0")));
  EXPECT_EQ(h.exchange("AT+CPSMS=3"), cme(50));
  EXPECT_EQ(h.exchange("AT+CPSMS=1,\"00000001\""), cme(50));
  EXPECT_EQ(h.exchange("AT+CPSMS=1,,\"00000001\""), cme(50));
  EXPECT_EQ(h.exchange("AT+CPSMS=1,,,\"0100001\""), cme(50));
  EXPECT_EQ(h.exchange("AT+CPSMS=1,,,\"0100001x\""), cme(50));
  EXPECT_EQ(h.exchange("AT+CPSMS=1,,,\"01000011\",\"0000010\""), cme(50));
  EXPECT_EQ(h.exchange("AT+CPSMS"), cme(4));
}

// ---- +CEDRXS -------------------------------------------------------------------------

TEST_P(BothProfiles, CedrxsForms) {
  session h(GetParam());
  const std::string act = h.compact() ? "4" : "5";
  const std::string other = h.compact() ? "5" : "4";
  EXPECT_EQ(h.exchange("AT+CEDRXS=?"), answer(h.styled("+CEDRXS", "(0,1,2,3),(" + act + "),(\"0000\"-\"1111\")")));
  EXPECT_EQ(h.exchange("AT+CEDRXS?"), answer(h.styled("+CEDRXS", act + ",\"0000\"")));
  EXPECT_EQ(h.exchange("AT+CEDRXS=1," + act + ",\"0101\""), ok);
  EXPECT_EQ(h.exchange("AT+CEDRXS?"), answer(h.styled("+CEDRXS", act + ",\"0101\"")));
  EXPECT_FALSE(h.modem().set.edrx.report);
  EXPECT_EQ(h.exchange("AT+CEDRXS=2," + act + ",\"0101\""), ok);
  EXPECT_TRUE(h.modem().set.edrx.report) << "+CEDRXP reporting on";
  EXPECT_EQ(h.exchange("AT+CEDRXS=1," + act + ",\"01\""), ok);
  EXPECT_EQ(h.exchange("AT+CEDRXS?"), answer(h.styled("+CEDRXS", act + ",\"0001\""))) << "left-padded";
  EXPECT_FALSE(h.modem().set.edrx.report);
  EXPECT_EQ(h.exchange("AT+CEDRXS=0"), ok);
  EXPECT_EQ(h.exchange("AT+CEDRXS?"), answer(h.styled("+CEDRXS", act + ",\"0000\"")));
  EXPECT_EQ(h.exchange("AT+CEDRXS=1," + act + ",\"1111\""), ok);
  EXPECT_EQ(h.exchange("AT+CEDRXS=3"), ok);
  EXPECT_EQ(h.exchange("AT+CEDRXS?"), answer(h.styled("+CEDRXS", act + ",\"0000\"")));
  EXPECT_EQ(h.exchange("AT+CEDRXS=4"), cme(50));
  EXPECT_EQ(h.exchange("AT+CEDRXS=1,6"), cme(50));
  EXPECT_EQ(h.exchange("AT+CEDRXS=1," + other + ",\"0101\""), cme(50));
  EXPECT_EQ(h.exchange("AT+CEDRXS=1," + act + ",\"01011\""), cme(50));
  EXPECT_EQ(h.exchange("AT+CEDRXS=1," + act + ",\"0102\""), cme(50));
  EXPECT_EQ(h.exchange("AT+CEDRXS"), cme(4));
  h.run_for(ms(5000));
  EXPECT_EQ(h.take_output(), "") << "the simulated network grants no eDRX: no +CEDRXP";
}

// ---- persistence, AT&F ---------------------------------------------------------------

TEST_P(BothProfiles, NvmSettingsSurviveAReboot) {
  session h(GetParam());
  EXPECT_EQ(h.exchange("AT+CREG=2;+CEREG=3;+CMGF=0;+CPSMS=1,,,\"01000011\",\"00000101\";+CEDRXS=2"), ok);
  if (std::string(GetParam()) == "nt35e") {
    EXPECT_EQ(h.exchange("AT+CGREG=1"), ok);
  }
  EXPECT_EQ(h.exchange("AT+ECRST"), ok);
  h.run_for(ms(4000));
  h.take_output();
  const auto& s = h.modem().set;
  EXPECT_EQ(s.creg_n, 2);
  EXPECT_EQ(s.cereg_n, 3);
  EXPECT_EQ(s.cmgf, 0);
  EXPECT_EQ(s.psm.mode, 1);
  EXPECT_TRUE(s.edrx.report);
  if (std::string(GetParam()) == "nt35e") {
    EXPECT_EQ(s.cgreg_n, 1);
  }
  EXPECT_EQ(h.exchange("AT+CMGF?"), answer(h.styled("+CMGF", "0")));
}

TEST(Registration, ReportModesBackToProfileOnAmpF) {
  session h("nt35e", {{"creg", "1"}});
  EXPECT_EQ(h.exchange("AT+CREG=3;+CGREG=2;+CEREG=4"), ok);
  EXPECT_EQ(h.exchange("AT&F"), ok);
  EXPECT_EQ(h.modem().set.creg_n, 1);
  EXPECT_EQ(h.modem().set.cgreg_n, 0);
  EXPECT_EQ(h.modem().set.cereg_n, 0);
}

TEST(Registration, RejectAndOperatorSelectionEndAtReboot) {
  session h("nt35e");
  EXPECT_EQ(h.exchange("AT+COPS=2", ms(400)), ok);
  EXPECT_EQ(h.exchange("AT+ECRST"), ok);
  h.run_for(ms(4000));
  h.take_output();
  EXPECT_EQ(h.exchange("AT+COPS?"), answer("+COPS:0,2,\"46000\",7")) << "COPS mode is not NVM (chosen)";
}

// ---- scenario network events -----------------------------------------------------------

TEST(Registration, ScenarioRegistrationLossEmitsEveryReport) {
  session h("nt35e");
  EXPECT_EQ(h.exchange("AT+CREG=2;+CGREG=1;+CEREG=2"), ok);
  scenario::action lose;
  lose.kind = scenario::action_kind::lose_registration;
  lose.stat = 2;
  h.fire(lose);
  h.run_for(ms(10));
  EXPECT_EQ(h.take_output(), line("+CEREG:2,0000,00000000,7") + line("+CREG:2") + line("+CGREG:2"));
}

// ---- §4.4.11: commands the firmware does not have ---------------------------------------

TEST_P(BothProfiles, ProbedCommandsAnswerError) {
  session h(GetParam());
  EXPECT_EQ(h.exchange("AT+CMEE=2"), ok);
  for (const char* cmd : {"AT+GCAP",    "AT+CLAC",
                          "AT+GMI",     "AT+GMM",
                          "AT+GMR",     "AT+CPAS",
                          "AT+CIND=?",  "AT+CMER=3,0,0,1",
                          "AT+CSCS?",   "AT+CSCS=\"GSM\"",
                          "AT+CBC",     "AT+CCID",
                          "AT+ICCID",   "AT+QCCID",
                          "AT+COPN",    "AT+CPOL?",
                          "AT+CPLS?",   "AT+CENG?",
                          "AT+CLTS=1",  "AT+CGCLASS?",
                          "AT+CGSMS?",  "ATD10086;",
                          "ATA",        "ATH",
                          "AT+CHUP",    "AT+CLCC",
                          "AT+CLIP=1",  "AT+CRC=1",
                          "AT+CUSD=1",  "AT+CPMS?",
                          "AT+CNMI?",   "AT+CMGR=1",
                          "AT+CMGL=4",  "AT+CMGD=1",
                          "AT+CMGW",    "AT+CSDH=1",
                          "AT+CSAS",    "AT&W",
                          "AT&C1",      "AT&D2",
                          "AT&K0",      "ATX4",
                          "AT+IFC=0,0", "AT+CMUX=0"}) {
    EXPECT_EQ(h.exchange(cmd), error) << cmd;
  }
  EXPECT_TRUE(h.logged_reason("syntax.unknown_command"));
  EXPECT_NE(h.log_text().find("AT+CLAC is not implemented by this firmware"), std::string::npos) << h.log_text();
}

TEST(Registration, HintsForLockedAndAbsentCommands) {
  using explain::language;
  auto locked = at::cme_error(50, "param.locked", "AT+COPS mode 3 needs a test SIM in this build");
  EXPECT_NE(explain::hint(locked, "+COPS=3,0", language::en, at::response_style::compact).find("numeric format 2"),
            std::string::npos);
  auto cgreg = at::syntax_error("syntax.unknown_command", "AT+CGREG is compiled but not registered");
  EXPECT_NE(explain::hint(cgreg, "+CGREG?", language::zh, at::response_style::compact).find("AT+CEREG?"),
            std::string::npos);
  auto clac = at::syntax_error("syntax.unknown_command", "AT+CLAC is not implemented by this firmware; it answers");
  EXPECT_NE(explain::hint(clac, "+CLAC", language::en, at::response_style::compact).find("probe"), std::string::npos);
  auto qmt = at::syntax_error("syntax.unknown_command", "AT+QMTOPEN is not a command of this module");
  EXPECT_NE(explain::hint(qmt, "+QMTOPEN=0", language::en, at::response_style::compact).find("AT+ECMT"),
            std::string::npos);
}

// ---- profile fields ------------------------------------------------------------------

TEST(Registration, NewProfileFieldsAreOverridableOneByOne) {
  auto p = *modem::builtin_profile("nt35e");
  EXPECT_EQ(p.reject_cause, 11);
  EXPECT_EQ(p.plmn, "46000");
  EXPECT_EQ(p.operator_long, "CHINA MOBILE");
  EXPECT_EQ(p.operator_short, "CMCC");
  EXPECT_EQ(p.msisdn, "");
  EXPECT_EQ(p.edrx_act_type, 4);
  EXPECT_EQ(p.creg_n, 0);
  EXPECT_EQ(p.cgreg_n, 0);
  EXPECT_EQ(p.cmgf, 1);
  EXPECT_FALSE(p.quirk.cgreg_not_supported);
  auto e = *modem::builtin_profile("ec616s");
  EXPECT_EQ(e.edrx_act_type, 5);
  EXPECT_TRUE(e.quirk.cgreg_not_supported);
  // Each new field by its --set name: a good value is taken, a bad one refused with a sentence.
  const std::tuple<const char*, const char*, const char*> fields[] = {{"reject_cause", "15", "256"},
                                                                      {"plmn", "46011", "4601"},
                                                                      {"operator_long", "CHINA TELECOM", nullptr},
                                                                      {"operator_short", "CT", nullptr},
                                                                      {"msisdn", "+8613912345678", "139-1234"},
                                                                      {"edrx_act_type", "5", "6"},
                                                                      {"creg", "3", "4"},
                                                                      {"cgreg", "2", "3"},
                                                                      {"cereg", "5", "6"},
                                                                      {"cmgf", "0", "2"},
                                                                      {"quirk.cgreg_not_supported", "on", "maybe"},
                                                                      {"timing.cops_test", "100", "-1"},
                                                                      {"timing.cops_off_ok", "1", "x"},
                                                                      {"timing.cops_not_found", "2", "x"},
                                                                      {"timing.cgact_on_ok", "3", "x"},
                                                                      {"timing.cgact_off_ok", "4", "x"}};
  for (const auto& [name, good, bad] : fields) {
    EXPECT_EQ(modem::set_profile_field(p, name, good), "") << name;
    if (bad) {
      EXPECT_NE(modem::set_profile_field(p, name, bad), "") << name << "=" << bad;
    }
  }
  EXPECT_EQ(p.reject_cause, 15);
  EXPECT_EQ(p.plmn, "46011");
  EXPECT_EQ(p.operator_long, "CHINA TELECOM");
  EXPECT_EQ(p.operator_short, "CT");
  EXPECT_EQ(p.msisdn, "+8613912345678");
  EXPECT_EQ(p.edrx_act_type, 5);
  EXPECT_EQ(p.creg_n, 3);
  EXPECT_EQ(p.cgreg_n, 2);
  EXPECT_EQ(p.cereg_n, 5);
  EXPECT_EQ(p.cmgf, 0);
  EXPECT_TRUE(p.quirk.cgreg_not_supported);
  EXPECT_EQ(p.timing.cops_test, 100);
  EXPECT_EQ(p.timing.cgact_off_ok, 4);
}

TEST(Registration, ProfileReportModesApplyAtPowerOn) {
  core_harness h(profile_of("nt35e", {{"creg", "1"}, {"cgreg", "2"}, {"cereg", "1"}}));
  h.run_for(ms(1500));
  EXPECT_EQ(h.take_output(), line("ECRDY") + line("+CEREG:2") + line("+CREG:2") + line("+CGREG:2"));
  h.run_for(ms(2000));
  EXPECT_EQ(h.take_output(), line("+CEREG:1") + line("+CREG:1") + line("+CGREG:1,\"5A0B\",\"0C1F2E3D\",7"));
}

}  // namespace
}  // namespace nt35e::test
