// Spec appendix A.1, A.2, A.13 and A.14 through the sans-I/O core, byte for byte.

#include <gtest/gtest.h>

#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;

TEST(ConformanceA1, PowerOnAndEcho) {
  core_harness h;
  h.run_for(ms(1499));
  EXPECT_EQ(h.take_output(), "") << "nothing before the banner";
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), "\r\nECRDY\r\n");
  EXPECT_EQ(h.exchange("AT"), "AT\r\r\nOK\r\n");
  EXPECT_EQ(h.exchange("ATE0"), "ATE0\r\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT"), "\r\nOK\r\n");
}

TEST(ConformanceA2, IdentityAndNetwork) {
  core_harness h;
  h.boot_and_register();
  h.exchange("ATE0");
  EXPECT_EQ(h.exchange("ATI"), "\r\nLierda\r\nNT35E\r\nRevision: NT35E-CN_V1.0.5\r\n\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT+CGSN"), "\r\n866123045678904\r\n\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT+ECICCID"), "\r\n+ECICCID:89860020123456789012\r\n\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT+CSQ"), "\r\n+CSQ:23,99\r\n\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT+CEREG?"), "\r\n+CEREG:0,1\r\n\r\nOK\r\n");
}

TEST(ConformanceA13, TypographicQuotesAndFullWidthComma) {
  core_harness h;
  h.boot_and_register();
  h.exchange("ATE0");
  EXPECT_EQ(h.exchange("AT+ECMTSUB=0,1,\xE2\x80\x9Dtest\xE2\x80\x9D,2"), "\r\nERROR\r\n");
  EXPECT_TRUE(h.logged_reason("syntax.typographic_quote")) << h.log_text();
  EXPECT_NE(h.log_text().find("parameter 3 begins with U+201D RIGHT DOUBLE QUOTATION MARK (E2 80 9D) at byte 15"),
            std::string::npos)
      << h.log_text();
  EXPECT_EQ(h.exchange("AT+ECMTOPEN=0\xEF\xBC\x8C\"test.mosquitto.org\",1883"), "\r\nERROR\r\n");
  EXPECT_TRUE(h.logged_reason("syntax.fullwidth_punct")) << h.log_text();
}

TEST(ConformanceA14, CmeeRendering) {
  core_harness h;
  h.boot_and_register();
  h.exchange("ATE0");
  EXPECT_EQ(h.exchange("AT+CMEE=2"), "\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT+ECMTDISC=3"), "\r\n+CME ERROR: operation not allowed\r\n");
  EXPECT_EQ(h.exchange("AT+CMEE=0"), "\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT+ECMTDISC=3"), "\r\nERROR\r\n");
  EXPECT_EQ(h.exchange("AT+CMEE=1"), "\r\nOK\r\n");
  EXPECT_EQ(h.exchange("AT+ECMTDISC=7"), "\r\n+CME ERROR: 3\r\n");
}

}  // namespace
}  // namespace nt35e::test
