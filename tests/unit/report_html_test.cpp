// Session report (issue 5, item 5): the HTML is produced for the sample traces, is
// self-contained (no external resources), escapes what it shows, and pairs each command
// with its result and URCs with the right delays and highlights.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "app/report_command.hpp"
#include "explain/explainer.hpp"
#include "explain/explanations.hpp"
#include "support/trace_events.hpp"
#include "trace/report_html.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {
namespace {

namespace fs = std::filesystem;

fs::path expected_dir() { return fs::path(__FILE__).parent_path().parent_path() / "data" / "logs" / "expected"; }

trace load_sample(const std::string& stem) {
  auto r = load((expected_dir() / (stem + ".trace.jsonl")).string());
  if (auto* e = std::get_if<load_error>(&r)) ADD_FAILURE() << e->message;
  return std::get<trace>(r);
}

using test::trace_event;

constexpr auto in = direction::dte_to_module;
constexpr auto out = direction::module_to_dte;

/// No reference to anything outside the file.
void expect_self_contained(const std::string& html) {
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("//"), std::string::npos);  // no protocol-relative URLs either
  std::regex url(R"(url\((?!#))");
  EXPECT_FALSE(std::regex_search(html, url));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

TEST(report_html, every_sample_trace_gives_a_self_contained_report) {
  for (auto stem :
       {"plain", "timestamped", "sscom", "annotated", "hex", "double-connack", "mixed-encoding", "clock-jumps"}) {
    SCOPED_TRACE(stem);
    auto t = load_sample(stem);
    auto html = render_report(t, {std::string(stem) + ".trace.jsonl"});
    expect_self_contained(html);
    EXPECT_NE(html.find("<svg"), std::string::npos);
    EXPECT_NE(html.find("Host (DTE)"), std::string::npos);
    EXPECT_NE(html.find("NT35E"), std::string::npos);
    EXPECT_NE(html.find("Broker"), std::string::npos);
    // Every command of the trace is on a timeline row and an arrow.
    auto ms = messages_of(t);
    for (const auto& m : ms) {
      if (m.what == message::kind::command) {
        EXPECT_NE(html.find(html_escape(m.label)), std::string::npos) << m.label;
      }
    }
  }
}

TEST(report_html, double_connack_row_shows_both_urcs_with_their_delays) {
  auto t = load_sample("double-connack");
  auto rows = timeline_of(messages_of(t));
  const timeline_row* conn = nullptr;
  for (const auto& r : rows)
    if (r.command.starts_with("AT+ECMTCONN")) conn = &r;
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->result, "OK");
  EXPECT_EQ(conn->result_delay_us, 1000);
  ASSERT_EQ(conn->reports.size(), 2u);
  EXPECT_EQ(conn->reports[0].text, "+ECMTCONN:0,2,2");
  EXPECT_EQ(conn->reports[0].delay_us, 302'000);
  EXPECT_TRUE(conn->reports[0].problem);
  EXPECT_EQ(conn->reports[1].text, "+ECMTCONN:0,0,0");
  EXPECT_EQ(conn->reports[1].delay_us, 616'000);
  EXPECT_FALSE(conn->reports[1].problem);
  EXPECT_TRUE(conn->problem);
  EXPECT_EQ(conn->why, "+ECMTCONN:0,2,2: CONNECT could not be sent");

  auto html = render_report(t);
  EXPECT_NE(html.find("<code>AT+ECMTCONN=0,&quot;dev01&quot;</code>"), std::string::npos);
  EXPECT_NE(html.find("<code class=\"bad-text\">+ECMTCONN:0,2,2</code> <span class=\"delay\">after 302 ms</span>"),
            std::string::npos);
  EXPECT_NE(html.find("<code>+ECMTCONN:0,0,0</code> <span class=\"delay\">after 616 ms</span>"), std::string::npos);
  EXPECT_NE(html.find("1 place where the session went wrong"), std::string::npos);
  // The open took 1 s (first_open_delay) and its URC 1.32 s from the command.
  EXPECT_NE(html.find("<code>OK</code> <span class=\"delay\">after 1.00 s</span>"), std::string::npos);
  EXPECT_NE(html.find("<code>+ECMTOPEN:0,0</code> <span class=\"delay\">after 1.32 s</span>"), std::string::npos);
  // The 45 s pause before the CONNECT is marked in the diagram.
  EXPECT_NE(html.find("… 44.48 s later …"), std::string::npos);
}

TEST(report_html, refused_connect_with_delays_as_in_the_issue) {
  trace t;
  t.events = {trace_event(0, in, "AT+ECMTCONN=0\r"), trace_event(1, out, "\r\nOK\r\n"),
              trace_event(313, out, "\r\n+ECMTCONN:0,0,5\r\n"), trace_event(400, in, "AT+ECMTSUB=0,1,\"t\",1\r"),
              trace_event(401, out, "\r\n+CME ERROR: 3\r\n")};
  auto html = render_report(t);
  expect_self_contained(html);
  EXPECT_NE(html.find("<code>AT+ECMTCONN=0</code></td><td><span class=\"arrow\">→</span><code>OK</code> "
                      "<span class=\"delay\">after 1 ms</span>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<code class=\"bad-text\">+ECMTCONN:0,0,5</code> <span class=\"delay\">after 313 ms</span> "
                      "<span class=\"why\">refused: not authorised</span>"),
            std::string::npos);
  EXPECT_NE(html.find("<code class=\"bad-text\">+CME ERROR: 3</code>"), std::string::npos);
  EXPECT_NE(html.find("2 places where the session went wrong"), std::string::npos);
  EXPECT_NE(html.find("<tr id=\"r0\" class=\"bad\">"), std::string::npos);
  EXPECT_NE(html.find("<tr id=\"r1\" class=\"bad\">"), std::string::npos);
}

TEST(report_html, lines_are_explained_from_the_explanation_table) {
  trace t;
  t.events = {trace_event(0, in, "AT+ECMTCONN=0\r"), trace_event(1, out, "\r\nOK\r\n"),
              trace_event(313, out, "\r\n+ECMTCONN:0,0,5\r\n"), trace_event(400, in, "AT+ECMTSUB=0,1,\"t\",1\r"),
              trace_event(401, out, "\r\n+CME ERROR: 3\r\n")};
  auto html = render_report(t);
  // The same texts as --explain, from the one table (explain/), escaped for HTML.
  const auto refused = explain::urc("+ECMTCONN:0,0,5", explain::language::en, at::response_style::compact);
  ASSERT_FALSE(refused.empty());
  EXPECT_NE(html.find("<span class=\"why\">refused: not authorised</span> <span class=\"explain\">" +
                      html_escape(refused) + "</span>"),
            std::string::npos)
      << html;
  const auto* cme3 = explain::find_cme(3);
  ASSERT_NE(cme3, nullptr);
  EXPECT_NE(html.find("<span class=\"explain\">" + html_escape(std::string(cme3->text.en)) + "</span>"),
            std::string::npos);
  const auto conn = explain::command("+ECMTCONN=0", explain::language::en, at::response_style::compact);
  ASSERT_FALSE(conn.empty());
  EXPECT_NE(html.find("<td class=\"cmd\" title=\"" + html_escape(conn) + "\"><code>AT+ECMTCONN=0</code>"),
            std::string::npos);
}

TEST(report_html, everything_from_the_trace_is_escaped) {
  trace t;
  t.head.started = "<now>";
  t.events = {trace_event(0, in, "AT+ECMTPUB=0,0,0,0,\"t\",<script>alert('x')</script> & \"q\"\r"),
              trace_event(5, out, "\r\nOK\r\n"), trace_event(6, out, "\r\n+ECMTRECV:0,0,\"t\",</svg><b>&amp;\r\n"),
              trace_event(7, direction::state, "", "note with <tags> & \"quotes\"")};
  auto html = render_report(t, {"<title>"});
  expect_self_contained(html);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("</svg><b>"), std::string::npos);
  EXPECT_EQ(html.find("<tags>"), std::string::npos);
  EXPECT_EQ(html.find("<now>"), std::string::npos);
  EXPECT_EQ(html.find("— <title>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"), std::string::npos);
  EXPECT_NE(html.find("&lt;/svg&gt;&lt;b&gt;&amp;amp;"), std::string::npos);
  EXPECT_NE(html.find("note with &lt;tags&gt; &amp; &quot;quotes&quot;"), std::string::npos);
  EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST(report_html, bytes_in_any_chunks_become_lines_with_the_echo_recognised) {
  trace t;
  // Typed byte by byte, echoed byte by byte, then the answer.
  t.events = {
      trace_event(0, in, "A"), trace_event(0, out, "A"), trace_event(1, in, "T"), trace_event(1, out, "T"),
      trace_event(2, in, "\r"), trace_event(2, out, "\r"), trace_event(3, out, "\r\nO"), trace_event(4, out, "K\r\n"),
      // data mode
      trace_event(10, in, "AT+ECMTPUB=0,1,1,0,\"t\"\r"), trace_event(11, out, "AT+ECMTPUB=0,1,1,0,\"t\"\r\r\n> "),
      trace_event(12, in, "hi\x1a"), trace_event(12, out, "hi"), trace_event(13, out, "\r\nOK\r\n"),
      trace_event(200, out, "\r\n+ECMTPUB:0,1,0\r\n")};
  auto ms = messages_of(t);
  std::vector<std::string> got;
  for (const auto& m : ms) {
    const char* k = m.what == message::kind::command ? "cmd"
                    : m.what == message::kind::data  ? "data"
                    : m.what == message::kind::echo  ? "echo"
                                                     : "mod";
    got.push_back(std::string(k) + " " + m.label);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"cmd AT", "echo AT", "mod OK", "cmd AT+ECMTPUB=0,1,1,0,\"t\"",
                                           "echo AT+ECMTPUB=0,1,1,0,\"t\"", "mod >", "data hi ^Z", "echo hi", "mod OK",
                                           "mod +ECMTPUB:0,1,0"}));
  auto rows = timeline_of(ms);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].result, "OK");
  EXPECT_EQ(rows[0].result_delay_us, 2000);
  EXPECT_EQ(rows[1].info, (std::vector<std::string>{"> (data prompt)"}));
  EXPECT_EQ(rows[1].result, "OK");
  ASSERT_EQ(rows[1].reports.size(), 1u);
  EXPECT_EQ(rows[1].reports[0].delay_us, 190'000);
}

TEST(report_html, unsolicited_urcs_mqtt_and_link_loss) {
  trace t;
  event req = trace_event(0, direction::module_to_net, "connect id 0 127.0.0.1:1883 client_id=\"\"");
  req.id = 0;
  t.events = {trace_event(0, in, "AT+ECMTCONN=0\r"),
              trace_event(1, out, "\r\nOK\r\n"),
              req,
              trace_event(300, direction::net_to_module, "CONNACK id 0 code 0"),
              trace_event(301, out, "\r\n+ECMTCONN:0,0,0\r\n"),
              trace_event(5000, direction::net_to_module, "link lost id 0: peer closed"),
              trace_event(5100, out, "\r\n+ECMTSTAT:0,1\r\n"),
              trace_event(6400, out, "\r\n+ECMTCONN:0,0,0\r\n"),
              trace_event(7000, out, "\r\n+ECMTRECV:0,0,\"t\",hello\r\n")};
  auto ms = messages_of(t);
  int net = 0, bad_net = 0;
  for (const auto& m : ms)
    if (m.what == message::kind::request || m.what == message::kind::event) {
      ++net;
      bad_net += m.problem;
    }
  EXPECT_EQ(net, 3);
  EXPECT_EQ(bad_net, 1);
  auto rows = timeline_of(ms);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].reports.size(), 1u);  // the reconnect does not report on the old command
  EXPECT_TRUE(rows[1].command.empty());
  EXPECT_EQ(rows[1].reports[0].text, "+ECMTSTAT:0,1");
  EXPECT_TRUE(rows[1].problem);
  ASSERT_EQ(rows[1].reports.size(), 2u);  // ... but on the +ECMTSTAT
  EXPECT_EQ(rows[1].reports[1].delay_us, 1'300'000);
  EXPECT_FALSE(rows[2].problem);
  auto html = render_report(t);
  EXPECT_NE(html.find("link lost id 0: peer closed"), std::string::npos);
  EXPECT_NE(html.find("(reconnected)"), std::string::npos);
  EXPECT_NE(html.find("… 4.70 s later …"), std::string::npos);
}

TEST(report_html, commands_never_answered_are_problems) {
  trace t;
  t.events = {trace_event(0, in, "AT+ECMTPUB=0,1,1,0,\"t\"\r"), trace_event(5, out, "\r\n> "),
              trace_event(20000, in, "AT\r"), trace_event(20001, out, "\r\nERROR\r\n")};
  auto rows = timeline_of(messages_of(t));
  ASSERT_EQ(rows.size(), 1u);  // "AT" was taken as payload: still in data mode
  EXPECT_EQ(rows[0].result, "ERROR");
  trace u;
  u.events = {trace_event(0, in, "AT+CSQ\r"), trace_event(100, in, "AT\r"), trace_event(105, out, "\r\nOK\r\n")};
  auto r2 = timeline_of(messages_of(u));
  ASSERT_EQ(r2.size(), 2u);
  EXPECT_TRUE(r2[0].problem);
  EXPECT_EQ(r2[0].why, "no answer");
  EXPECT_NE(render_report(u).find("no answer"), std::string::npos);
}

TEST(report_html, delays_read_well) {
  EXPECT_EQ(format_delay(0), "0 ms");
  EXPECT_EQ(format_delay(40), "0.1 ms");
  EXPECT_EQ(format_delay(400), "0.4 ms");
  EXPECT_EQ(format_delay(1000), "1 ms");
  EXPECT_EQ(format_delay(312'400), "312 ms");
  EXPECT_EQ(format_delay(6'260'000), "6.26 s");
  EXPECT_EQ(format_delay(125'000'000), "2 min 5 s");
}

TEST(report_html, problems_are_named) {
  EXPECT_EQ(problem_of("OK"), "");
  EXPECT_EQ(problem_of("ERROR"), "ERROR");
  EXPECT_EQ(problem_of("+CME ERROR: 3"), "+CME ERROR: 3");
  EXPECT_EQ(problem_of("+ECMTOPEN:0,-1"), "open failed");
  EXPECT_EQ(problem_of("+ECMTOPEN: 0,0"), "");
  EXPECT_EQ(problem_of("+ECMTCONN:0,0,5"), "refused: not authorised");
  EXPECT_EQ(problem_of("+ECMTCONN: 0,0,4"), "refused: bad user name or password");
  EXPECT_EQ(problem_of("+ECMTCONN:0,2,2"), "CONNECT could not be sent");
  EXPECT_EQ(problem_of("+ECMTSTAT:0,1"), "link lost");
  EXPECT_EQ(problem_of("+ECMTSUB:0,1,2,0"), "not sent or not acknowledged");
  EXPECT_EQ(problem_of("+ECMTPUB:0,1,0"), "");
  EXPECT_EQ(problem_of("+ECMTDISC:0,-1"), "failed");
}

// ---- the oracle's verdict on the page (issue 15, part 3)

/// A booted module answering AT; `early` adds a command before ECRDY (one finding).
trace boot_trace(bool early) {
  trace t;
  t.head.profile = "nt35e";
  if (early) t.events.push_back(trace_event(10, in, "AT+CSQ\r"));
  for (auto e : {trace_event(1500, out, "\r\nECRDY\r\n"), trace_event(2000, in, "AT\r"),
                 trace_event(2001, out, "AT\r\r\nOK\r\n"), trace_event(2500, in, "AT+CGSN=1\r"),
                 trace_event(2502, out, "AT+CGSN=1\r\r\n+CGSN:866123045678904\r\n\r\nOK\r\n")})
    t.events.push_back(e);
  return t;
}

TEST(report_html, verdict_findings_are_marked_at_their_lines) {
  const auto t = boot_trace(true);
  const auto v = app::trace_verdict(t, {}, oracle::fail_on::error);
  ASSERT_EQ(v.modems.size(), 1u);
  ASSERT_EQ(v.modems[0].findings.size(), 1u);
  const auto& f = v.modems[0].findings[0];
  ASSERT_EQ(f.rule, "NT35E-AT-BEFORE-ECRDY");
  // The finding sits on the command that broke the rule: message 0, AT+CSQ at 10 ms.
  const auto ms = messages_of(t);
  ASSERT_EQ(ms[0].label, "AT+CSQ");
  EXPECT_EQ(finding_messages(f, ms), (std::vector<std::size_t>{0, 0}));

  const auto html = render_report(t, {"early.jsonl", &v});
  expect_self_contained(html);
  // On the diagram: a numbered badge on the line (between its arrow and the next one) and,
  // under it, the box with the rule id, severity, spec section and both explanations.
  const auto line = html.find("<g id=\"m0\""), next = html.find("<g id=\"m1\"");
  const auto badge = html.find("<a href=\"#f1\"><g class=\"badge error\">");
  const auto box = html.find("<g id=\"fm1\" class=\"finding error\">");
  ASSERT_NE(line, std::string::npos);
  ASSERT_NE(badge, std::string::npos) << html;
  ASSERT_NE(box, std::string::npos) << html;
  EXPECT_LT(line, badge);
  EXPECT_LT(badge, box);
  EXPECT_LT(box, next);
  const auto* e = explain::find_rule("NT35E-AT-BEFORE-ECRDY");
  ASSERT_NE(e, nullptr);
  const auto box_text = html.substr(box, html.find("</g>", box) - box);
  EXPECT_NE(box_text.find("1 error NT35E-AT-BEFORE-ECRDY (§4.2, §8) at 0.010 s: the command was sent before the "
                          "module&#39;s ECRDY"),
            std::string::npos)
      << box_text;
  EXPECT_NE(box_text.find(html_escape(std::string(e->en).substr(0, 60))), std::string::npos) << box_text;
  EXPECT_NE(box_text.find(html_escape(std::string(e->zh).substr(0, 30))), std::string::npos) << box_text;
  // The verdict section: failed, the finding in full with its proving line, the coverage.
  const auto section = html.find("<h2 id=\"verdict\">Verdict on the driver</h2>");
  ASSERT_NE(section, std::string::npos);
  EXPECT_NE(html.find("<div class=\"verdict bad\">Failed: 1 error, 0 warnings (strict mode, fails on error;", section),
            std::string::npos);
  EXPECT_NE(html.find("<li id=\"f1\" class=\"error\"><a href=\"#fm1\">0.010 s</a>", section), std::string::npos);
  EXPECT_NE(html.find(html_escape(std::string(e->en)), section), std::string::npos);
  EXPECT_NE(html.find(html_escape(std::string(e->zh)), section), std::string::npos);
  EXPECT_NE(html.find("0.010 s DTE&gt; </span><code>AT+CSQ</code>", section), std::string::npos);
  EXPECT_NE(html.find("<tr><td><code>NT35E-AT-BEFORE-ECRDY</code></td><td>error</td><td>§4.2, §8</td><td "
                      "class=\"broken\">broken: 1 finding</td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"idle\">not exercised</td>"), std::string::npos);
  EXPECT_NE(html.find("<p>Rule coverage: "), std::string::npos);
  EXPECT_LT(section, html.find("<h2 id=\"timeline\">"));
}

TEST(report_html, a_clean_trace_has_a_passing_verdict_and_no_marker) {
  const auto t = boot_trace(false);
  const auto v = app::trace_verdict(t, {}, oracle::fail_on::error);
  ASSERT_TRUE(v.modems.at(0).findings.empty());
  const auto html = render_report(t, {"clean.jsonl", &v});
  expect_self_contained(html);
  EXPECT_NE(html.find("<div class=\"verdict good\">Passed: no finding;"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"kept\">exercised, kept</td>"), std::string::npos);  // BEFORE-ECRDY, at least
  EXPECT_EQ(html.find("class=\"badge"), std::string::npos);
  EXPECT_EQ(html.find("class=\"finding"), std::string::npos);
  EXPECT_EQ(html.find("<ol class=\"findings\">"), std::string::npos);
  // Without a verdict (the library's report), no section at all.
  EXPECT_EQ(render_report(t).find("id=\"verdict\""), std::string::npos);
}

TEST(report_html, switched_off_rules_and_warnings_read_as_such) {
  // A lower-case command: a warning that passes at --verdict-fail-on error.
  trace t = boot_trace(false);
  t.events.push_back(trace_event(3000, in, "at+csq\r"));
  t.events.push_back(trace_event(3001, out, "at+csq\r\r\n+CSQ:23,99\r\n\r\nOK\r\n"));
  oracle::config c;
  ASSERT_EQ(oracle::set_rule(c, "NT35E-AT-PAUSE=off"), "");
  const auto v = app::trace_verdict(t, c, oracle::fail_on::error);
  ASSERT_EQ(v.modems.at(0).findings.size(), 1u);
  const auto html = render_report(t, {"lower.jsonl", &v});
  EXPECT_NE(html.find("<div class=\"verdict warn\">Passed: 0 errors, 1 warning"), std::string::npos);
  EXPECT_NE(html.find("<g class=\"badge warning\">"), std::string::npos);
  EXPECT_NE(html.find("<g id=\"fm1\" class=\"finding warning\">"), std::string::npos);
  EXPECT_NE(html.find("<tr><td><code>NT35E-AT-PAUSE</code></td><td>warning</td><td>§2.1</td><td "
                      "class=\"off\">off</td></tr>"),
            std::string::npos);
}

TEST(report_html, an_unmet_expectation_fails_the_verdict_section) {
  const auto t = boot_trace(false);
  auto v = app::trace_verdict(t, {}, oracle::fail_on::error);
  oracle::expectation_result e;
  e.name = "resubscribe";
  e.kind = "resubscribe";
  e.asks = "subscribes to cmd/# again within 30 s of a reconnect";
  e.result = oracle::outcome::unmet;
  e.t_us = 2'400'000;
  e.detail = "no AT+ECMTSUB to cmd/# came";
  e.lines.push_back({2'000'000, true, "AT"});
  v.modems.at(0).expectations.push_back(e);
  ASSERT_TRUE(v.failed());
  const auto html = render_report(t, {"expect.jsonl", &v});
  expect_self_contained(html);
  EXPECT_NE(html.find("<div class=\"verdict bad\">Failed: 0 errors, 0 warnings, 1 unmet expectation (strict mode"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<h3>Expectations</h3>"), std::string::npos);
  EXPECT_NE(
      html.find("<tr id=\"e1\"><td>E1 <code>resubscribe</code></td><td>subscribes to cmd/# again within 30 s of a "
                "reconnect</td><td class=\"broken\">unmet at 2.400 s</td><td>no AT+ECMTSUB to cmd/# came<br>"),
      std::string::npos)
      << html;
  EXPECT_EQ(html.find("class=\"badge"), std::string::npos);  // no finding to mark on the diagram
  // The expectation's proving line carries its tag, red since unmet, linked to its row.
  const auto tag = html.find("<a href=\"#e1\"><g class=\"tag broken\"><title>E1 unmet at 2.400 s: resubscribe");
  ASSERT_NE(tag, std::string::npos) << html;
  EXPECT_EQ(html.find("<a href=\"#e1\">", tag + 1), std::string::npos);  // on one line only
  EXPECT_NE(html.find("E tags: the lines that prove an expectation"), std::string::npos);
}

TEST(report_html, a_met_expectation_is_tagged_green_and_one_without_lines_not_at_all) {
  const auto t = boot_trace(false);
  auto v = app::trace_verdict(t, {}, oracle::fail_on::error);
  oracle::expectation_result met;
  met.name = "connects";
  met.asks = "connects within 20 s";
  met.result = oracle::outcome::met;
  met.t_us = 2'000'000;
  met.lines.push_back({2'000'000, true, "AT"});
  oracle::expectation_result idle;
  idle.name = "reconnects";
  idle.asks = "reconnects after a loss";
  v.modems.at(0).expectations = {met, idle};
  const auto html = render_report(t, {"expect.jsonl", &v});
  EXPECT_NE(html.find("<g class=\"tag kept\"><title>E1 met at 2.000 s: connects"), std::string::npos) << html;
  EXPECT_EQ(html.find("<a href=\"#e2\">"), std::string::npos);  // not triggered, nothing proves it
  EXPECT_NE(html.find("<tr id=\"e2\"><td>E2 <code>reconnects</code>"), std::string::npos);
  EXPECT_NE(html.find("class=\"idle\">not triggered"), std::string::npos);
}

TEST(report_html, every_sample_trace_with_its_verdict_stays_self_contained) {
  for (auto stem :
       {"plain", "timestamped", "sscom", "annotated", "hex", "double-connack", "mixed-encoding", "clock-jumps"}) {
    SCOPED_TRACE(stem);
    auto t = load_sample(stem);
    const auto v = app::trace_verdict(t, {}, oracle::fail_on::error);
    auto html = render_report(t, {stem, &v});
    expect_self_contained(html);
    EXPECT_NE(html.find("<h2 id=\"verdict\">"), std::string::npos);
    std::size_t n = 0;
    for (const auto& m : v.modems) n += m.findings.size();
    // Every finding has its box, and nothing more.
    for (std::size_t k = 1; k <= n; ++k)
      EXPECT_NE(html.find("<g id=\"fm" + std::to_string(k) + "\""), std::string::npos) << k;
    EXPECT_EQ(html.find("<g id=\"fm" + std::to_string(n + 1) + "\""), std::string::npos);
  }
}

TEST(report_html, report_subcommand) {
  auto dir = fs::temp_directory_path() / ("nt35e-report-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(expected_dir() / "double-connack.trace.jsonl", dir / "dc.jsonl");
  std::string a0 = "report", a1 = (dir / "dc.jsonl").string();
  char* argv[] = {a0.data(), a1.data()};
  testing::internal::CaptureStderr();
  EXPECT_EQ(app::report_main(2, argv), 0);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "wrote " + (dir / "dc.html").string() + "\n");
  EXPECT_TRUE(fs::exists(dir / "dc.html"));
  // A broken trace: the loader's message with its line, status 1.
  std::ofstream(dir / "bad.jsonl") << "{\"trace\":\"nt35e-sim\",\"version\":1}\n{\"t\":5,\"dir\":\"sideways\"}\n";
  std::string b1 = (dir / "bad.jsonl").string();
  char* argv2[] = {a0.data(), b1.data()};
  testing::internal::CaptureStderr();
  EXPECT_EQ(app::report_main(2, argv2), 1);
  auto err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(":2:"), std::string::npos) << err;
  std::string c1 = "--colour";
  char* argv3[] = {a0.data(), c1.data()};
  testing::internal::CaptureStderr();
  EXPECT_EQ(app::report_main(2, argv3), 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "nt35e-sim report: unknown option --colour; try --help\n");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nt35e::trace
