// The oracle on a live session (io/oracle_watch, issue 15): it passes every call on to the
// next observer, judges the bytes, prints each finding once in explain mode (English or
// Chinese) as it is found, a deadline's finding from its one-second tick too, and gives
// the verdict so far at any time.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <boost/asio/io_context.hpp>

#include "explain/explanations.hpp"
#include "io/oracle_watch.hpp"
#include "support/pipe_sink.hpp"

namespace nt35e::io {
namespace {

using namespace std::chrono_literals;

using test::pipe_sink;

/// The next observer: what reached it.
struct recording_observer final : session_observer {
  std::string in, out;
  std::uint64_t commands = 0;
  void on_input(std::string_view bytes, modem::time_point) override { in += bytes; }
  void on_output(std::string_view bytes, modem::time_point) override { out += bytes; }
  void on_commands(std::uint64_t started, modem::time_point) override { commands = started; }
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

struct watch_fixture : ::testing::Test {
  boost::asio::io_context ioc;
  pipe_sink sink;
  logger log{log_level::info, sink.fd()};
  recording_observer next;

  oracle_watch::settings with(std::string explain, oracle::config rules = {}) {
    return {std::move(rules), oracle::fail_on::error, "nt35e", std::move(explain), {}};
  }
};

TEST_F(watch_fixture, ExplainModePrintsEachFindingOnceAsItIsFound) {
  oracle_watch w(ioc.get_executor(), with("en"), std::chrono::steady_clock::now(), &next, log);
  const auto t0 = std::chrono::steady_clock::now();
  w.on_input("AT+CSQ\r", t0 + 10ms);  // before ECRDY
  const auto* e = explain::find_rule("NT35E-AT-BEFORE-ECRDY");
  ASSERT_NE(e, nullptr);
  const auto first = sink.take();
  EXPECT_NE(first.find("[info] oracle: error NT35E-AT-BEFORE-ECRDY (§4.2, §8) at 0.0"), std::string::npos) << first;
  EXPECT_NE(first.find(" s: the command was sent before the module's ECRDY — why: " + std::string(e->en) + "\n"),
            std::string::npos)
      << first;
  // Nothing new: nothing printed; the next observer saw every byte.
  w.on_output("\r\nECRDY\r\n", t0 + 1500ms);
  w.on_commands(1, t0 + 1500ms);
  EXPECT_EQ(sink.take(), "");
  EXPECT_EQ(next.in, "AT+CSQ\r");
  EXPECT_EQ(next.out, "\r\nECRDY\r\n");
  EXPECT_EQ(next.commands, 1u);
  // The verdict so far holds it, named and with its spec section.
  const auto v = w.verdict(t0 + 2s);
  ASSERT_EQ(v.modems.size(), 1u);
  EXPECT_EQ(v.modems[0].name, "nt35e");
  ASSERT_EQ(v.modems[0].findings.size(), 1u);
  EXPECT_EQ(v.modems[0].findings[0].spec, "§4.2, §8");
  EXPECT_TRUE(v.failed());
  EXPECT_EQ(sink.take(), "");  // reading the verdict prints nothing twice
}

TEST_F(watch_fixture, ChineseExplainModeQuotesTheChineseText) {
  oracle_watch w(ioc.get_executor(), with("zh"), std::chrono::steady_clock::now(), nullptr, log);
  w.on_input("AT\r", std::chrono::steady_clock::now());
  const auto* e = explain::find_rule("NT35E-AT-BEFORE-ECRDY");
  ASSERT_NE(e, nullptr);
  const auto text = sink.take();
  EXPECT_NE(text.find(" — 原因：" + std::string(e->zh) + "\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("why:"), std::string::npos);
}

TEST_F(watch_fixture, WithoutExplainNothingIsPrintedButTheVerdictCounts) {
  oracle_watch w(ioc.get_executor(), with(""), std::chrono::steady_clock::now(), &next, log);
  w.on_input("AT\r", std::chrono::steady_clock::now());
  w.start();  // no tick without explain mode: nothing to run
  EXPECT_EQ(ioc.run_for(50ms), 0u);
  EXPECT_EQ(sink.take(), "");
  EXPECT_EQ(w.verdict().modems.at(0).findings.size(), 1u);
}

/// A driver that opened and connected id 0, then stays silent after +ECMTSTAT.
void lose_the_link(oracle_watch& w, modem::time_point t) {
  w.on_output("\r\nECRDY\r\n", t);
  w.on_input("AT+ECMTOPEN=0,\"h\",1883\r", t + 200ms);
  w.on_output("AT+ECMTOPEN=0,\"h\",1883\r\r\nOK\r\n", t + 201ms);
  w.on_output("\r\n+ECMTOPEN:0,0\r\n", t + 250ms);
  w.on_input("AT+ECMTCONN=0\r", t + 400ms);
  w.on_output("AT+ECMTCONN=0\r\r\nOK\r\n", t + 401ms);
  w.on_output("\r\n+ECMTCONN:0,0,0\r\n", t + 450ms);
  w.on_output("\r\n+ECMTSTAT:0,1\r\n", t + 500ms);
}

TEST_F(watch_fixture, ADeadlineFindingShowsWhenItsTimeRunsOut) {
  oracle::config rules;
  ASSERT_EQ(oracle::set_threshold(rules, "NT35E-ECMT-NO-RECOVERY.within_s=0.2"), "");
  oracle_watch w(ioc.get_executor(), with("en", rules), std::chrono::steady_clock::now(), nullptr, log);
  lose_the_link(w, std::chrono::steady_clock::now());
  EXPECT_EQ(sink.take(), "");
  // No byte brings it: the one-second tick does (bounded: at most 1.5 s of the loop).
  w.start();
  std::string text;
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (text.find("NT35E-ECMT-NO-RECOVERY") == std::string::npos && std::chrono::steady_clock::now() < until) {
    ioc.run_for(100ms);
    text += sink.take();
  }
  EXPECT_EQ(count(text, "oracle: error NT35E-ECMT-NO-RECOVERY (§7.4)"), 1u) << text;
  w.stop();
  ioc.restart();
  EXPECT_EQ(ioc.run_for(50ms), 1u);  // only the cancelled wait completes: the tick has ended
  EXPECT_EQ(sink.take(), "");
}

TEST_F(watch_fixture, AVerdictReadLaterChecksTheDeadlinesUpToThen) {
  oracle_watch w(ioc.get_executor(), with("en"), std::chrono::steady_clock::now(), nullptr, log);
  const auto t0 = std::chrono::steady_clock::now();
  lose_the_link(w, t0);
  EXPECT_TRUE(w.verdict(t0 + 30s).modems.at(0).findings.empty());
  const auto late = w.verdict(t0 + 61s);
  ASSERT_EQ(late.modems.at(0).findings.size(), 1u);
  EXPECT_EQ(late.modems[0].findings[0].rule, "NT35E-ECMT-NO-RECOVERY");
  EXPECT_EQ(count(sink.take(), "oracle: error NT35E-ECMT-NO-RECOVERY"), 1u);
}

TEST(OracleWatch, ExplainLineWithoutAnExplanation) {
  oracle::finding f;
  f.rule = "NT35E-NO-SUCH-RULE";
  f.level = oracle::severity::warning;
  f.t_us = 1'234'567;
  f.detail = "what happened";
  EXPECT_EQ(oracle_watch::explain_line(f, explain::language::en),
            "warning NT35E-NO-SUCH-RULE at 1.235 s: what happened");
}

}  // namespace
}  // namespace nt35e::io
