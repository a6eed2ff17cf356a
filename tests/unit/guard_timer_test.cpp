// Guard timers (spec §2.9): a command whose final result is not due within its guard
// answers ERROR at the guard (explain guard.expired), on the manual clock.

#include <gtest/gtest.h>

#include "commands/registry.hpp"
#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;
const std::string ok = "\r\nOK\r\n";
const std::string error = "\r\nERROR\r\n";

void boot(core_harness& h) {
  h.boot_and_register();
  h.exchange("ATE0");
}

TEST(GuardTimer, EveryCommandHasTheSpecsGuard) {
  const modem::timings t;
  EXPECT_EQ(commands::guard_ms("+ECMTPUB", t), 20000);
  EXPECT_EQ(commands::guard_ms("+CFUN", t), 25000);
  EXPECT_EQ(commands::guard_ms("+CPIN", t), 25000);
  EXPECT_EQ(commands::guard_ms("+CGATT", t), 70000);
  EXPECT_EQ(commands::guard_ms("+CGACT", t), 70000);
  EXPECT_EQ(commands::guard_ms("+COPS", t), 305000);
  EXPECT_EQ(commands::guard_ms("+ECMTOPEN", t), 5000) << "every other command, ECMT included";
  EXPECT_EQ(commands::guard_ms("+CSQ", t), 5000);
  EXPECT_EQ(commands::guard_ms("E", t), 5000);
}

TEST(GuardTimer, AnAnswerDueAfterTheGuardIsErrorAtTheGuard) {
  auto p = *modem::builtin_profile("nt35e");
  ASSERT_EQ(modem::set_profile_field(p, "timing.first_open_ok", "6000"), "");
  core_harness h(p);
  boot(h);
  h.send("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883\r");
  h.run_for(ms(4999));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), error) << "5 s guard of every other command";
  h.run_for(ms(1300));
  EXPECT_EQ(h.take_output(), "\r\n+ECMTOPEN:0,0\r\n")
      << "the open starts when its OK was due (A.3) and goes on (chosen)";
  EXPECT_TRUE(h.logged_reason("guard.expired")) << h.log_text();
  EXPECT_EQ(h.exchange("AT"), ok) << "the module goes on";
}

TEST(GuardTimer, AttachHasSeventySeconds) {
  auto p = *modem::builtin_profile("nt35e");
  ASSERT_EQ(modem::set_profile_field(p, "timing.cgatt_ok", "80000"), "");
  core_harness h(p);
  boot(h);
  EXPECT_EQ(h.exchange("AT+CGATT=0"), ok);
  h.send("AT+CGATT=1\r");
  h.run_for(ms(69999));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), error);
  EXPECT_TRUE(h.logged_reason("guard.expired"));
}

TEST(GuardTimer, ProfileOverridesTheGuard) {
  auto p = *modem::builtin_profile("nt35e");
  ASSERT_EQ(modem::set_profile_field(p, "timing.guard_cgatt", "1000"), "");
  core_harness h(p);
  boot(h);
  EXPECT_EQ(h.exchange("AT+CGATT=0"), ok);
  EXPECT_EQ(h.exchange("AT+CGATT=1", ms(1000)), error) << "CGATT=1 takes 1500 ms, its guard is now 1000";
  ASSERT_EQ(modem::set_profile_field(p, "timing.guard", "1"), "");
  core_harness h2(p);
  boot(h2);
  EXPECT_EQ(h2.exchange("AT+CSQ"), error) << "5 ms answer, 1 ms guard";
}

TEST(GuardTimer, AnswersWithinTheGuardAreUnchanged) {
  core_harness h;
  boot(h);
  EXPECT_EQ(h.exchange("AT+CGATT=0"), ok);
  EXPECT_EQ(h.exchange("AT+CGATT=1", ms(1500)), ok);
  EXPECT_FALSE(h.logged_reason("guard.expired"));
}

}  // namespace
}  // namespace nt35e::test
