// Explain mode: one plain line per command and URC, English and Chinese, and hints.

#include <gtest/gtest.h>

#include "at/result.hpp"
#include "explain/explainer.hpp"
#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;
using explain::language;
constexpr auto compact = at::response_style::compact;
constexpr auto spaced = at::response_style::spaced;

TEST(Explain, UrcsInBothLanguages) {
  auto en = explain::urc("+ECMTCONN:0,0,5", language::en, compact);
  EXPECT_NE(en.find("not authorized"), std::string::npos) << en;
  EXPECT_NE(en.find("standard Mosquitto"), std::string::npos) << en;
  auto zh = explain::urc("+ECMTCONN: 0,0,5", language::zh, compact);
  EXPECT_NE(zh.find("未授权"), std::string::npos) << zh;
  EXPECT_NE(explain::urc("+ECMTRECV:0,0,\"t\",a,b", language::en, compact).find("NOT quoted"), std::string::npos);
  EXPECT_NE(explain::urc("+ECMTCONN:0,2,2", language::en, compact).find("real CONNACK"), std::string::npos);
  EXPECT_NE(explain::urc("+ECMTSTAT:1,1", language::en, compact).find("subscribe again"), std::string::npos);
  EXPECT_EQ(explain::urc("+UNKNOWN:1", language::en, compact), "");
}

TEST(Explain, HintsForNewcomerMistakes) {
  const auto typo = at::syntax_error("syntax.typographic_quote", "");
  EXPECT_NE(explain::hint(typo, "+ECMTSUB=0,1,”test”,2", language::en, compact).find("smart quotes"),
            std::string::npos);
  const auto early = at::cme_error(3, "state.not_allowed", "");
  EXPECT_NE(explain::hint(early, "+ECMTCONN=0", language::en, compact).find("+ECMTOPEN:<id>,0"), std::string::npos);
  EXPECT_NE(explain::hint(early, "+ECMTPUB=0,0,0,0,\"t\",\"x\"", language::zh, compact).find("+ECMTCONN:<id>,0,0"),
            std::string::npos);
  const auto guard =
      at::syntax_error("guard.expired", "no Ctrl-Z (0x1A) or ESC (0x1B) within the 20 s guard; data mode left");
  EXPECT_NE(explain::hint(guard, "", language::en, compact).find("Ctrl-Z"), std::string::npos);
  const auto slow = at::syntax_error("guard.expired", "AT+CGATT did not reach its final result within its guard timer");
  EXPECT_NE(explain::hint(slow, "+CGATT=1", language::en, compact).find("AT+CGATT and AT+CGACT 70 s"),
            std::string::npos);
  const auto form = at::cme_error(4, "form.not_supported", "AT+CFUN has no execute form");
  EXPECT_NE(explain::hint(form, "+CFUN", language::en, compact).find("=?"), std::string::npos);
}

// The texts the explain lines carried before they became a table, byte for byte.
TEST(Explain, TextsAreThoseOfBeforeTheTable) {
  EXPECT_EQ(explain::urc("+ECMTOPEN:0,0", language::en, compact),
            "the network link of MQTT id 0 is open (DNS and TCP done); next: AT+ECMTCONN=0");
  EXPECT_EQ(explain::urc("+ECMTOPEN: 1,-1", language::zh, compact),
            "MQTT 连接 1 打开失败：域名解析或 TCP 连接失败，配置已删除；检查主机名、端口和网络注册（AT+CEREG?）");
  EXPECT_EQ(explain::urc("+ECMTCONN:2,0,0", language::en, compact),
            "MQTT id 2 is connected (CONNACK 0); subscribe and publish now");
  EXPECT_EQ(explain::urc("+ECMTCONN:0,0,4", language::en, compact), "MQTT id 0: bad user name or password");
  EXPECT_EQ(explain::urc("+ECMTCONN:0,0,6", language::zh, compact), "MQTT 连接 0：CONNACK 报文异常或返回码大于 5");
  EXPECT_EQ(explain::urc("+ECMTCONN:0,2", language::en, compact), "MQTT id 0 is connecting or reconnecting");
  EXPECT_EQ(explain::urc("+ECMTCONN:0,1", language::zh, compact), "MQTT 连接 0 状态：未连接（已打开或已配置）");
  EXPECT_EQ(explain::urc("+ECMTSUB:0,7,2,0", language::en, compact),
            "subscription 7 failed (1 = malformed SUBACK, 2 = send failure or timeout)");
  EXPECT_EQ(explain::urc("+ECMTPUB:0,9,0", language::zh, compact), "消息 9 已发出（QoS 0）或已被服务器确认（QoS 1/2）");
  EXPECT_EQ(explain::urc("+ECMTDISC:0,-1", language::en, compact),
            "disconnect failed: the id had only an open link and no MQTT session (a module quirk); the link stays up");
  EXPECT_EQ(explain::urc("+CEREG:5", language::en, compact), "network registration: registered, roaming");
  EXPECT_EQ(explain::urc("+CEREG:0,0000,00000000,7", language::zh, compact),
            "网络注册状态：未注册（射频关闭或无覆盖）");
  EXPECT_EQ(explain::urc("ECRDY", language::en, compact), "the module finished booting and accepts AT commands");

  EXPECT_EQ(explain::command("+ECMTCONN=1,\"c\"", language::en, compact),
            "sends the MQTT CONNECT on id 1; the broker's answer comes as +ECMTCONN:1,0,<code> (0 = accepted)");
  EXPECT_EQ(explain::command("+ecmtopen=3, \"h\",1883", language::zh, compact),
            "打开 MQTT 连接 3 的 TCP 链路；结果稍后以 +ECMTOPEN:3,<结果> 上报");
  EXPECT_EQ(explain::command("+ECMTOPEN=?", language::en, compact), "asks which parameter values the command accepts");
  EXPECT_EQ(explain::command("+CEREG?", language::en, compact),
            "network registration (+CEREG:<n>,<stat>, stat 1 = registered)");
  EXPECT_EQ(explain::command("E0", language::zh, compact),
            "回显：ATE1 回显收到的每个字节，ATE0 关闭（ATE 和 ATE? 不支持，回 CME 4）");
  EXPECT_EQ(explain::command("V1", language::zh, compact), "结果码格式：ATV1 文字（OK），ATV0 数字（0）");
  EXPECT_EQ(explain::command("", language::en, compact), "a basic setting or identification");
  EXPECT_EQ(explain::command("+QMTOPEN=0,\"h\",1883", language::en, compact), "");

  const auto range = at::cme_error(3, "param.range", "parameter 1 (tcpconnectID) is 7; allowed 0-4");
  EXPECT_EQ(explain::hint(range, "+ECMTOPEN=7,\"h\",1", language::en, compact),
            "hint: the id is out of range (0-4 on the NT35E)");
  EXPECT_EQ(explain::hint(at::cme_error(3, "param.range", "parameter 3 (port) is 0"), "+ECMTOPEN=0,\"h\",0",
                          language::en, compact),
            "");
  const auto state = at::cme_error(3, "state.not_allowed", "");
  EXPECT_EQ(explain::hint(state, "+ECMTCLOSE=0", language::zh, compact), "提示：用 AT+ECMTCONN? 查看各连接状态");
  EXPECT_EQ(explain::hint(state, "+ecmtsub=0,1,\"t\",1", language::en, compact),
            "hint: wait for +ECMTCONN:<id>,0,0 before subscribing or publishing");
}

TEST(Explain, NewCommandsAndUrcsAreExplainedToo) {
  EXPECT_NE(explain::command("+COPS=0", language::en, compact).find("automatic"), std::string::npos);
  EXPECT_NE(explain::command("+CMGF?", language::zh, compact).find("短信"), std::string::npos);
  EXPECT_NE(explain::command("S3?", language::en, compact).find("S-register"), std::string::npos);
  EXPECT_NE(explain::command("+ECMTCONN?", language::en, compact).find("state of every MQTT id"), std::string::npos);
  EXPECT_EQ(explain::urc("+ECPING:SUCC, dest: 10.0.0.1, RTT: 60 ms", language::en, compact),
            "an echo reply came back (dest: 10.0.0.1, RTT: 60 ms)");
  EXPECT_NE(explain::urc("+ECPING:ERROR, cause: 5", language::en, compact).find("cause: 5"), std::string::npos);
  EXPECT_NE(explain::urc("+ECPING:SEND FAIL: 3, dest: 10.0.0.1", language::en, compact).find("could not be sent"),
            std::string::npos);
  EXPECT_NE(explain::urc("+CREG:3", language::zh, compact).find("注册被拒绝"), std::string::npos);
}

TEST(Explain, LookupsForTheReportAndTheOracle) {
  const auto* open = explain::find_command("+ecmtopen", at::form::write);
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->spec, "§5.2");
  EXPECT_EQ(explain::fill(open->en, {"4"}),
            "opens the TCP link of MQTT id 4; the result comes later as +ECMTOPEN:4,<result>");
  EXPECT_EQ(explain::find_command("+ECMTOPEN", at::form::execute), nullptr);
  EXPECT_EQ(explain::find_command("+CSQ", at::form::test), explain::find_command("+NOPE", at::form::test));
  EXPECT_EQ(explain::find_command("S5", at::form::read), explain::find_command("S", at::form::read));
  EXPECT_EQ(explain::find_command_entries("+CREG").size(), 2u);

  const auto* connack = explain::find_urc("+ECMTCONN", {"0", "0", "5"});
  ASSERT_NE(connack, nullptr);
  EXPECT_NE(connack->en.find("not authorized"), std::string::npos);
  EXPECT_EQ(explain::find_urc("+ECMTCONN", {"0"}), nullptr);
  EXPECT_EQ(explain::find_urc("+NOPE", {}), nullptr);

  EXPECT_EQ(explain::find_result(at::final_result::ok)->en, "the command succeeded");
  EXPECT_NE(explain::find_result(at::final_result::cme_error)->en.find("AT+CMEE"), std::string::npos);
  const auto* cme50 = explain::find_cme(50);
  ASSERT_NE(cme50, nullptr);
  EXPECT_EQ(at::cme_text(cme50->code), "Incorrect parameters");
  EXPECT_EQ(explain::find_cme(31), nullptr);
  ASSERT_NE(explain::find_cms(303), nullptr);
  EXPECT_EQ(at::cms_text(explain::find_cms(303)->code), "operation not supported");
  EXPECT_NE(explain::find_socket_error("parameter error"), nullptr);
  EXPECT_EQ(explain::find_socket_error("NO SUCH"), nullptr);
  EXPECT_NE(explain::find_hint("guard.expired", "", ""), nullptr);
  EXPECT_EQ(explain::find_hint("param.empty", "+ECMTCONN", ""), nullptr);

  EXPECT_EQ(explain::fill("{1}-{2}-{3}", {"a", "b"}), "a-b-");
  EXPECT_EQ(explain::fill("{x} {0} {", {"a"}), "{x} {0} {");
}

TEST(Explain, ExamplesComeInTheStyleGiven) {
  // A URC's text names the URC that follows (§7.4): +ECMTCONN:{1},0,0.
  EXPECT_EQ(explain::urc("+ECMTSTAT: 0,1", language::en, spaced).find("+ECMTCONN:0,0,0"), std::string::npos);
  EXPECT_NE(explain::urc("+ECMTSTAT: 0,1", language::en, spaced).find("(+ECMTCONN: 0,0,0)"), std::string::npos);
  EXPECT_NE(explain::urc("+ECMTSTAT:0,1", language::en, compact).find("(+ECMTCONN:0,0,0)"), std::string::npos);
  EXPECT_EQ(explain::command("+ECMTOPEN=0,\"h\",1883", language::en, spaced),
            "opens the TCP link of MQTT id 0; the result comes later as +ECMTOPEN: 0,<result>");
  EXPECT_EQ(explain::command("+ECMTOPEN=0,\"h\",1883", language::en, compact),
            "opens the TCP link of MQTT id 0; the result comes later as +ECMTOPEN:0,<result>");
  EXPECT_EQ(explain::command("+CPIN?", language::zh, spaced), "SIM 卡状态（+CPIN: READY 表示可用，CME 10 表示没插卡）");
  at::failure early;
  early.is_cme = true;
  early.code = 3;
  early.reason = "state.not_allowed";
  early.sentence = "id 0 is OPENING";
  EXPECT_EQ(explain::hint(early, "+ECMTCONN=0", language::en, spaced),
            "hint: wait for +ECMTOPEN: <id>,0 before AT+ECMTCONN");
  at::failure no_pdp;
  no_pdp.is_cme = true;
  no_pdp.code = 3;
  no_pdp.reason = "net.no_pdp";
  EXPECT_EQ(explain::hint(no_pdp, "+ECMTOPEN=0,\"h\",1", language::en, compact),
            "hint: the network is not registered yet; wait for +CEREG:1 or check AT+CGATT?");
  EXPECT_EQ(explain::hint(no_pdp, "+ECMTOPEN=0,\"h\",1", language::en, spaced),
            "hint: the network is not registered yet; wait for +CEREG: 1 or check AT+CGATT?");
}

TEST(Explain, StyledExamplesTouchOnlyResponseExamples) {
  EXPECT_EQ(at::styled_examples("wait for +CEREG: 1 or check AT+CGATT? (+CME ERROR: 3)", compact),
            "wait for +CEREG:1 or check AT+CGATT? (+CME ERROR: 3)");
  EXPECT_EQ(at::styled_examples("+ECMTOPEN:0,0 then +ECMTCONN:0,0,0; AT+CSQ: 1+2:3", spaced),
            "+ECMTOPEN: 0,0 then +ECMTCONN: 0,0,0; AT+CSQ: 1+2:3");
  EXPECT_EQ(at::styled_examples("+CSQ:", spaced), "+CSQ: ");
}

/// The explain records of one session that opens id 0 and then publishes too early.
std::string explain_records(const char* profile) {
  auto p = *modem::builtin_profile(profile);
  p.explain = "en";
  core_harness h(p);
  h.boot_and_register();
  h.exchange("ATE0");
  h.exchange("AT+ECMTCONN=0");
  h.exchange("AT+ECMTOPEN=0,\"h\",1883", ms(1500));
  std::string all;
  for (const auto& l : h.logs())
    if (l.reason == "explain" || l.level == modem::log_level::warn) all += l.text + "\n";
  return all;
}

TEST(Explain, TheInterpreterExplainsInTheProfilesStyle) {
  auto nt35e = explain_records("nt35e");
  EXPECT_NE(nt35e.find("the result comes later as +ECMTOPEN:0,<result>"), std::string::npos) << nt35e;
  EXPECT_NE(nt35e.find("hint: wait for +ECMTOPEN:<id>,0 before AT+ECMTCONN"), std::string::npos) << nt35e;
  EXPECT_NE(nt35e.find("(wait for +ECMTOPEN:0,0)"), std::string::npos) << nt35e;
  auto ec616s = explain_records("ec616s");
  EXPECT_NE(ec616s.find("the result comes later as +ECMTOPEN: 0,<result>"), std::string::npos) << ec616s;
  EXPECT_NE(ec616s.find("hint: wait for +ECMTOPEN: <id>,0 before AT+ECMTCONN"), std::string::npos) << ec616s;
  EXPECT_NE(ec616s.find("(wait for +ECMTOPEN: 0,0)"), std::string::npos) << ec616s;
  EXPECT_NE(ec616s.find("+ECMTOPEN: 0,0 — "), std::string::npos) << ec616s;
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
