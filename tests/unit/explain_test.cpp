// Explain mode: one plain line per command and URC, English and Chinese, and hints.

#include <gtest/gtest.h>

#include "explain/explainer.hpp"
#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;
using explain::language;

TEST(Explain, UrcsInBothLanguages) {
  auto en = explain::urc("+ECMTCONN:0,0,5", language::en);
  EXPECT_NE(en.find("not authorized"), std::string::npos) << en;
  EXPECT_NE(en.find("standard Mosquitto"), std::string::npos) << en;
  auto zh = explain::urc("+ECMTCONN: 0,0,5", language::zh);
  EXPECT_NE(zh.find("未授权"), std::string::npos) << zh;
  EXPECT_NE(explain::urc("+ECMTRECV:0,0,\"t\",a,b", language::en).find("NOT quoted"), std::string::npos);
  EXPECT_NE(explain::urc("+ECMTCONN:0,2,2", language::en).find("real CONNACK"), std::string::npos);
  EXPECT_NE(explain::urc("+ECMTSTAT:1,1", language::en).find("subscribe again"), std::string::npos);
  EXPECT_EQ(explain::urc("+UNKNOWN:1", language::en), "");
}

TEST(Explain, HintsForNewcomerMistakes) {
  at::failure typo{false, 0, "syntax.typographic_quote", ""};
  EXPECT_NE(explain::hint(typo, "+ECMTSUB=0,1,”test”,2", language::en).find("smart quotes"), std::string::npos);
  at::failure early{true, 3, "state.not_allowed", ""};
  EXPECT_NE(explain::hint(early, "+ECMTCONN=0", language::en).find("+ECMTOPEN:<id>,0"), std::string::npos);
  EXPECT_NE(explain::hint(early, "+ECMTPUB=0,0,0,0,\"t\",\"x\"", language::zh).find("+ECMTCONN:<id>,0,0"),
            std::string::npos);
  at::failure guard{false, 0, "guard.expired", ""};
  EXPECT_NE(explain::hint(guard, "", language::en).find("Ctrl-Z"), std::string::npos);
}

TEST(Explain, TheInterpreterEmitsExplainRecords) {
  auto p = *modem::builtin_profile("nt35e");
  p.explain = "en";
  core_harness h(p);
  h.boot_and_register();
  h.exchange("ATE0");
  h.exchange("AT+ECMTOPEN=0,\"h\",1883", ms(1500));
  h.exchange("AT+ECMTPUB=0,0,0,0,\"t\",\"x\"");
  int explains = 0;
  std::string all;
  for (const auto& l : h.logs())
    if (l.reason == "explain") {
      ++explains;
      all += l.text + "\n";
    }
  EXPECT_NE(all.find("opens the TCP link of MQTT id 0"), std::string::npos) << all;
  EXPECT_NE(all.find("+ECMTOPEN:0,0 — the network link of MQTT id 0 is open"), std::string::npos) << all;
  EXPECT_NE(all.find("hint: wait for +ECMTCONN:<id>,0,0"), std::string::npos) << all;
  core_harness quiet;
  quiet.boot_and_register();
  quiet.exchange("AT+CSQ");
  for (const auto& l : quiet.logs()) EXPECT_NE(l.reason, "explain") << "off by default";
}

}  // namespace
}  // namespace nt35e::test
