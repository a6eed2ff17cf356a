// Spec appendix A.1, A.2, A.13 and A.14 through the sans-I/O core, byte for byte, in both
// profiles. The appendix shows nt35e; the ec616s bytes are derived from the spec's rules
// (§3.1: echo off at power-on, its identity; §2.5: one space after the first colon of
// every information piece; final results are never styled; ids 0 only, so ECMTDISC=3 is
// out of range there, which is CME 3 as well).

#include <gtest/gtest.h>

#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;

class Conformance : public ::testing::TestWithParam<const char*> {
 protected:
  Conformance() : h(*modem::builtin_profile(GetParam())) {}
  bool nt35e() const { return std::string_view(GetParam()) == "nt35e"; }
  /// The profile's bytes: nt35e's as the appendix shows them, or ec616s's.
  std::string pick(std::string_view compact, std::string_view spaced) const {
    return std::string(nt35e() ? compact : spaced);
  }
  void boot_echo_off() {
    h.boot_and_register();
    h.exchange("ATE0");
  }
  core_harness h;
};

TEST_P(Conformance, A1_PowerOnAndEcho) {
  h.run_for(ms(1499));
  EXPECT_EQ(h.take_output(), "") << "nothing before the banner";
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), "\r\nECRDY\r\n");
  EXPECT_EQ(h.exchange("AT"), pick("AT\r\r\nOK\r\n", "\r\nOK\r\n")) << "ATE at power-on: nt35e 1, ec616s 0";
  EXPECT_EQ(h.exchange("ATE0"), pick("ATE0\r\r\nOK\r\n", "\r\nOK\r\n"));
  EXPECT_EQ(h.exchange("AT"), "\r\nOK\r\n");
}

TEST_P(Conformance, A2_IdentityAndNetwork) {
  boot_echo_off();
  EXPECT_EQ(h.exchange("ATI"), pick("\r\nLierda\r\nNT35E\r\nRevision: NT35E-CN_V1.0.5\r\n\r\nOK\r\n",
                                    "\r\nEigencomm EC616S_SW_V1.0\r\n\r\nOK\r\n"));
  EXPECT_EQ(h.exchange("AT+CGSN"), pick("\r\n866123045678904\r\n\r\nOK\r\n", "\r\n869524041234567\r\n\r\nOK\r\n"));
  EXPECT_EQ(h.exchange("AT+ECICCID"), pick("\r\n+ECICCID:89860020123456789012\r\n\r\nOK\r\n",
                                           "\r\n+ECICCID: 89860020123456789012\r\n\r\nOK\r\n"));
  EXPECT_EQ(h.exchange("AT+CSQ"), pick("\r\n+CSQ:23,99\r\n\r\nOK\r\n", "\r\n+CSQ: 23,99\r\n\r\nOK\r\n"));
  EXPECT_EQ(h.exchange("AT+CEREG?"), pick("\r\n+CEREG:0,1\r\n\r\nOK\r\n", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"));
}

TEST_P(Conformance, A13_TypographicQuotesAndFullWidthComma) {
  boot_echo_off();
  EXPECT_EQ(h.exchange("AT+ECMTSUB=0,1,\xE2\x80\x9Dtest\xE2\x80\x9D,2"), "\r\nERROR\r\n");
  EXPECT_TRUE(h.logged_reason("syntax.typographic_quote")) << h.log_text();
  EXPECT_NE(h.log_text().find("parameter 3 begins with U+201D RIGHT DOUBLE QUOTATION MARK (E2 80 9D) at byte 15"),
            std::string::npos)
      << h.log_text();
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0\xEF\xBC\x8C\"test.mosquitto.org\",1883"), "\r\nERROR\r\n");
  EXPECT_TRUE(h.logged_reason("syntax.fullwidth_punct")) << h.log_text();
}

TEST_P(Conformance, A14_CmeeRendering) {
  boot_echo_off();
  EXPECT_EQ(h.exchange("AT+CMEE=2"), "\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT+ECMTDISC=3"), "\r\n+CME ERROR: operation not allowed\r\n");
  EXPECT_EQ(h.exchange("AT+CMEE=0"), "\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT+ECMTDISC=3"), "\r\nERROR\r\n");
  EXPECT_EQ(h.exchange("AT+CMEE=1"), "\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT+ECMTDISC=7"), "\r\n+CME ERROR: 3\r\n") << "space kept in both styles";
}

INSTANTIATE_TEST_SUITE_P(Profiles, Conformance, ::testing::Values("nt35e", "ec616s"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace nt35e::test
