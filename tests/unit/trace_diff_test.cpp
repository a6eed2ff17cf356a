// Two sessions compared on the protocol (issue 17, item 5): the steps of a trace, what is
// normalised, the alignment and the first divergence, and both views.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/trace_events.hpp"
#include "trace/trace_diff.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {
namespace {

using test::trace_event;

constexpr auto in = direction::dte_to_module;
constexpr auto out = direction::module_to_dte;

/// A session: each pair is a command and the module's answer (echo on), `t0` ms apart.
trace session(const std::vector<std::pair<std::string, std::string>>& exchanges, std::int64_t step_ms = 100) {
  trace t;
  std::int64_t now = 0;
  for (const auto& [command, answer] : exchanges) {
    if (!command.empty()) t.events.push_back(trace_event(now, in, command + "\r"));
    now += 1;
    t.events.push_back(trace_event(now, out, (command.empty() ? "" : command + "\r") + answer));
    now += step_ms;
  }
  return t;
}

std::vector<std::string> keys(const std::vector<step>& steps) {
  std::vector<std::string> out;
  for (const auto& s : steps) out.push_back((s.from == step::side::dte ? "dte " : "mod ") + s.key);
  return out;
}

TEST(trace_diff, steps_drop_echo_mqtt_and_notes_and_keep_the_lines_in_order) {
  auto t = session({{"AT", "\r\nOK\r\n"}, {"AT+CGSN", "\r\n866123045678904\r\n\r\nOK\r\n"}});
  t.events.insert(t.events.begin() + 2, trace_event(50, direction::state, "a note"));
  t.events.push_back(trace_event(400, direction::module_to_net, "connect id 0"));
  t.events.push_back(trace_event(410, out, "\r\n+ECMTOPEN:0,0\r\n"));
  EXPECT_EQ(keys(steps_of(t)), (std::vector<std::string>{"dte AT", "mod OK", "dte AT+CGSN", "mod 866123045678904",
                                                         "mod OK", "mod +ECMTOPEN:0,0"}));
}

TEST(trace_diff, message_ids_clock_and_ping_time_are_masked) {
  EXPECT_EQ(normalised("AT+ECMTPUB=0,17,1,0,\"t\",\"x\""), "AT+ECMTPUB=0,*,1,0,\"t\",\"x\"");
  EXPECT_EQ(normalised("at+ecmtsub=0,3,\"t\",1"), "at+ecmtsub=0,*,\"t\",1");
  EXPECT_EQ(normalised("AT+ECMTUNS=0,4,\"t\""), "AT+ECMTUNS=0,*,\"t\"");
  EXPECT_EQ(normalised("+ECMTPUB:0,17,0"), "+ECMTPUB:0,*,0");
  EXPECT_EQ(normalised("+ECMTSUB: 0,3,0,1"), "+ECMTSUB: 0,*,0,1");
  EXPECT_EQ(normalised("+ECMTRECV:0,5,\"t\",hello"), "+ECMTRECV:0,*,\"t\",hello");
  EXPECT_EQ(normalised("+CCLK:\"26/12/03,10:15:02+32\""), "+CCLK:*");
  EXPECT_EQ(normalised("AT+CCLK=\"26/12/03,10:15:02+32\""), "AT+CCLK=*");
  EXPECT_EQ(normalised("+ECPING:SUCC, dest: 1.2.3.4, RTT: 61 ms"), "+ECPING:SUCC, dest: 1.2.3.4, RTT: * ms");
  // What means something stays: the result codes, the topic, the payload.
  EXPECT_EQ(normalised("+ECMTCONN:0,0,5"), "+ECMTCONN:0,0,5");
  EXPECT_EQ(normalised("+ECMTPUB:0"), "+ECMTPUB:0");
  EXPECT_EQ(normalised("AT+CGSN"), "AT+CGSN");
}

TEST(trace_diff, identical_sessions_at_other_times_and_ids_are_the_same) {
  auto a = session({{"AT", "\r\nOK\r\n"}, {"AT+ECMTPUB=0,1,1,0,\"t\",\"x\"", "\r\nOK\r\n\r\n+ECMTPUB:0,1,0\r\n"}}, 100);
  auto b = session({{"AT", "\r\nOK\r\n"}, {"AT+ECMTPUB=0,9,1,0,\"t\",\"x\"", "\r\nOK\r\n\r\n+ECMTPUB:0,9,0\r\n"}}, 900);
  const auto sa = steps_of(a), sb = steps_of(b);
  const auto d = diff_steps(sa, sb);
  EXPECT_TRUE(d.same());
  EXPECT_EQ(d.first, d.entries.size());
  EXPECT_EQ(d.entries.size(), sa.size());
  const auto text = render_diff_text({"a.jsonl", "b.jsonl"}, sa, sb, d, false);
  EXPECT_NE(text.find("same: the two sessions take the same 5 protocol steps"), std::string::npos) << text;
}

TEST(trace_diff, first_divergence_is_the_first_step_that_differs_and_the_rest_realigns) {
  // v1 gets the CONNACK; v2's broker refuses it and v2 retries once, then both go on alike.
  auto a = session({{"AT", "\r\nOK\r\n"},
                    {"AT+ECMTCONN=0", "\r\nOK\r\n\r\n+ECMTCONN:0,0,0\r\n"},
                    {"AT+ECMTSUB=0,1,\"t\",1", "\r\nOK\r\n"},
                    {"AT+CSQ", "\r\n+CSQ:20,99\r\n\r\nOK\r\n"}});
  auto b = session({{"AT", "\r\nOK\r\n"},
                    {"AT+ECMTCONN=0", "\r\nOK\r\n\r\n+ECMTCONN:0,0,5\r\n"},
                    {"AT+ECMTCONN=0", "\r\nOK\r\n\r\n+ECMTCONN:0,0,0\r\n"},
                    {"AT+ECMTSUB=0,2,\"t\",1", "\r\nOK\r\n"},
                    {"AT+CSQ", "\r\n+CSQ:20,99\r\n\r\nOK\r\n"}});
  const auto sa = steps_of(a), sb = steps_of(b);
  const auto d = diff_steps(sa, sb);
  ASSERT_FALSE(d.same());
  // Steps: 1 AT, 2 OK, 3 AT+ECMTCONN=0, 4 OK, 5 +ECMTCONN:0,0,0 (A) / +ECMTCONN:0,0,5 (B).
  const auto& first = d.entries[d.first];
  EXPECT_NE(first.what, diff_entry::kind::same);
  EXPECT_EQ(first.what == diff_entry::kind::only_a ? first.a : first.b, 4u);
  EXPECT_EQ(d.only_a, 0u);
  EXPECT_EQ(d.only_b, 3u);  // +ECMTCONN:0,0,5, then AT+ECMTCONN=0 and OK again
  EXPECT_EQ(d.hunks, 1u);
  // After the hunk every step of A is matched, in order.
  std::size_t matched = 0;
  for (const auto& e : d.entries) matched += e.what == diff_entry::kind::same;
  EXPECT_EQ(matched, sa.size());

  const auto text = render_diff_text({"v1.jsonl", "v2.jsonl"}, sa, sb, d, false);
  EXPECT_NE(text.find("first divergence: A at step 5 (t=0.102 s), B at step 5 (t=0.102 s)"), std::string::npos) << text;
  EXPECT_NE(text.find("+     5  mod  +ECMTCONN:0,0,5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("   4  4  mod  OK\n"), std::string::npos) << text;  // context before
  EXPECT_NE(text.find("differ: 1 place, 0 steps only in A, 3 steps only in B"), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);  // plain when not a terminal
  const auto coloured = render_diff_text({"v1.jsonl", "v2.jsonl"}, sa, sb, d, true);
  EXPECT_NE(coloured.find("\x1b[32m+"), std::string::npos);

  const auto html = render_diff_html({"v1.jsonl", "v2.jsonl"}, sa, sb, d);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<tr class=\"added first\" id=\"first\">"), std::string::npos);
  EXPECT_NE(html.find("+ECMTCONN:0,0,5"), std::string::npos);
  EXPECT_NE(html.find("--badbg"), std::string::npos);  // the report's styles
  EXPECT_EQ(html.find("http"), std::string::npos);     // self-contained
}

TEST(trace_diff, a_changed_line_is_one_gone_and_one_added_and_text_is_escaped_in_html) {
  auto a = session({{"AT", "\r\nOK\r\n"}, {"AT+ECMTSUB=0,1,\"test\",2", "\r\nOK\r\n"}});
  auto b = session({{"AT", "\r\nOK\r\n"}, {"AT+ECMTSUB=0,1,”test”,2", "\r\nERROR\r\n"}});
  const auto sa = steps_of(a), sb = steps_of(b);
  const auto d = diff_steps(sa, sb);
  EXPECT_EQ(d.only_a, 2u);
  EXPECT_EQ(d.only_b, 2u);
  EXPECT_EQ(d.entries[d.first].what, diff_entry::kind::only_a);
  EXPECT_EQ(d.entries[d.first].a, 2u);
  const auto html = render_diff_html({"<a>", "b"}, sa, sb, d);
  EXPECT_NE(html.find("&lt;a&gt; vs b"), std::string::npos);
  EXPECT_NE(html.find("AT+ECMTSUB=0,1,&quot;test&quot;,2"), std::string::npos);
}

TEST(trace_diff, one_empty_side_and_one_ended_early) {
  const auto a = steps_of(session({{"AT", "\r\nOK\r\n"}, {"ATI", "\r\nLierda\r\n\r\nOK\r\n"}}));
  const auto b = steps_of(session({{"AT", "\r\nOK\r\n"}}));
  auto d = diff_steps(a, b);
  EXPECT_EQ(d.only_a, 3u);
  EXPECT_EQ(d.entries[d.first].a, 2u);
  auto text = render_diff_text({"a", "b"}, a, b, d, false);
  EXPECT_NE(text.find("B at its end (after step 2)"), std::string::npos) << text;
  d = diff_steps({}, b);
  EXPECT_EQ(d.only_b, 2u);
  text = render_diff_text({"a", "b"}, {}, b, d, false);
  EXPECT_NE(text.find("A at its start (no steps)"), std::string::npos) << text;
  EXPECT_TRUE(diff_steps({}, {}).same());
}

TEST(trace_diff, long_sessions_align_in_one_hunk) {
  std::vector<std::pair<std::string, std::string>> ea, eb;
  for (int i = 0; i < 3000; ++i) {
    ea.emplace_back("AT+CSQ", "\r\n+CSQ:20,99\r\n\r\nOK\r\n");
    eb.emplace_back("AT+CSQ", "\r\n+CSQ:20,99\r\n\r\nOK\r\n");
    if (i == 1500) eb.emplace_back("AT+CEREG?", "\r\n+CEREG:0,1\r\n\r\nOK\r\n");
  }
  const auto sa = steps_of(session(ea, 1)), sb = steps_of(session(eb, 1));
  const auto d = diff_steps(sa, sb);
  EXPECT_EQ(d.hunks, 1u);
  EXPECT_EQ(d.only_b, 3u);  // AT+CEREG?, +CEREG:0,1 and one OK
  EXPECT_EQ(d.only_a, 0u);
}

// Sessions of 12,000 commands that differ in 4,000 places (an answer every third command):
// each place is found and realigned after (the alignment used to give up past 2,000 edits
// and call the whole middle replaced).
TEST(trace_diff, thousands_of_places_each_realign) {
  std::vector<std::pair<std::string, std::string>> ea, eb;
  for (int i = 0; i < 12'000; ++i) {
    ea.emplace_back("AT+CSQ", "\r\n+CSQ:20,99\r\n\r\nOK\r\n");
    eb.emplace_back("AT+CSQ", i % 3 == 1 ? "\r\n+CSQ:31,99\r\n\r\nOK\r\n" : "\r\n+CSQ:20,99\r\n\r\nOK\r\n");
  }
  const auto sa = steps_of(session(ea, 1)), sb = steps_of(session(eb, 1));
  const auto d = diff_steps(sa, sb);
  EXPECT_EQ(d.hunks, 4000u);
  EXPECT_EQ(d.only_a, 4000u);
  EXPECT_EQ(d.only_b, 4000u);
  EXPECT_EQ(d.entries[d.first].a, 4u) << "command 1's answer, after AT+CSQ, +CSQ, OK and AT+CSQ";
}

TEST(trace_diff, a_session_replaced_throughout_is_one_place_and_the_first_divergence_holds) {
  std::vector<std::pair<std::string, std::string>> ea, eb;
  ea.emplace_back("AT", "\r\nOK\r\n");
  eb.emplace_back("AT", "\r\nOK\r\n");
  for (int i = 0; i < 1500; ++i) {
    ea.emplace_back("AT+A" + std::to_string(i), "\r\nOK\r\n");
    eb.emplace_back("AT+B" + std::to_string(i), "\r\nERROR\r\n");
  }
  const auto sa = steps_of(session(ea, 1)), sb = steps_of(session(eb, 1));
  const auto d = diff_steps(sa, sb);
  EXPECT_EQ(d.entries[d.first].a, 2u);
  EXPECT_EQ(d.only_a + d.only_b, 6000u);
  // The terminal shows the head of that place, not 6000 lines.
  const auto text = render_diff_text({"a", "b"}, sa, sb, d, false);
  EXPECT_NE(text.find("  … 5980 more steps differ here\n"), std::string::npos) << text.substr(0, 2000);
  EXPECT_LT(std::count(text.begin(), text.end(), '\n'), 30);
}

}  // namespace
}  // namespace nt35e::trace
