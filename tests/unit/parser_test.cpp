// The at/ layer on its own: line discipline, command-line parser, arguments, masking, rendering.

#include <gtest/gtest.h>

#include "at/arguments.hpp"
#include "at/command_line.hpp"
#include "at/line_discipline.hpp"
#include "at/render.hpp"
#include "mqtt/topic.hpp"
#include "scenario/scripted_broker.hpp"

namespace nt35e::at {
namespace {

std::vector<command> parse_ok(std::string_view line) {
  auto r = parse_command_line(line, 2, [](std::string_view n) { return n == "+ECMTPUB"; });
  if (auto* f = std::get_if<failure>(&r)) {
    ADD_FAILURE() << line << ": " << f->sentence;
    return {};
  }
  return std::get<std::vector<command>>(r);
}

TEST(LineDiscipline, S3EndsS4IgnoredS5Deletes) {
  line_discipline ld;
  line_settings s;
  std::vector<std::string> lines;
  for (unsigned char c : std::string("\nAT\r\nAB\bX\r")) {
    auto e = ld.push(c, s);
    if (e) lines.push_back(e->text);
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "AT");
  EXPECT_EQ(lines[1], "AX");
}

TEST(LineDiscipline, RepeatAndOverflow) {
  line_discipline ld;
  line_settings s;
  ld.push('a', s);
  auto e = ld.push('/', s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->what, line_event::kind::repeat);
  for (int i = 0; i < 5000; ++i) ld.push('x', s);
  EXPECT_TRUE(ld.has_partial());
  e = ld.push('\r', s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->what, line_event::kind::too_long);
  EXPECT_FALSE(ld.has_partial());
}

TEST(CommandLine, BasicExtendedAndConcatenation) {
  auto cmds = parse_ok("ATE0V1&FS3=13S4?I;+CMEE=2;+CSQ=?;+CEREG?");
  ASSERT_EQ(cmds.size(), 9u);
  EXPECT_EQ(cmds[0].name, "E");
  EXPECT_EQ(cmds[0].args, "0");
  EXPECT_EQ(cmds[2].name, "&F");
  EXPECT_EQ(cmds[3].name, "S3");
  EXPECT_EQ(cmds[3].what, form::write);
  EXPECT_EQ(cmds[4].what, form::read);
  EXPECT_EQ(cmds[5].what, form::execute);
  EXPECT_EQ(cmds[6].name, "+CMEE");
  EXPECT_EQ(cmds[6].args, "2");
  EXPECT_EQ(cmds[7].what, form::test);
  EXPECT_EQ(cmds[8].what, form::read);
}

TEST(CommandLine, SemicolonInQuotesAndRawTail) {
  auto cmds = parse_ok("AT+ECMTSUB=0,1,\"a;b\",1;+CSQ");
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0].args, "0,1,\"a;b\",1");
  cmds = parse_ok("AT+ECMTPUB=0,0,0,0,\"t\",x;+CSQ");
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].args, "0,0,0,0,\"t\",x;+CSQ");
}

TEST(CommandLine, FindsAtAnywhere) {
  EXPECT_EQ(find_at_prefix("xxaT+CSQ"), 2u);
  EXPECT_FALSE(find_at_prefix("hello"));
}

TEST(Arguments, QuotedUnquotedOmittedAndSpaces) {
  auto r = arguments::parse(" 0, \"a,b\",,x y ,", 0);
  ASSERT_TRUE(std::holds_alternative<arguments>(r));
  auto& a = std::get<arguments>(r);
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a.text(0), "0");
  EXPECT_TRUE(a.quoted(1));
  EXPECT_EQ(a.text(1), "a,b");
  EXPECT_FALSE(a.present(2));
  EXPECT_EQ(a.text(3), "x y ") << "inner and trailing spaces are content";
  EXPECT_FALSE(a.present(4));
}

TEST(Arguments, SyntaxErrorsNameTheCause) {
  auto reason = [](std::string_view text) {
    auto r = arguments::parse(text, 0);
    return std::holds_alternative<failure>(r) ? std::get<failure>(r).reason : std::string("ok");
  };
  EXPECT_EQ(reason("\"abc"), "syntax.unterminated_string");
  EXPECT_EQ(reason("\"abc\"d"), "syntax.text_after_quote");
  EXPECT_EQ(reason("\xE2\x80\x9C"
                   "abc"),
            "syntax.typographic_quote");
  EXPECT_EQ(reason("1\xEF\xBC\x8C"
                   "2"),
            "syntax.fullwidth_punct");
  EXPECT_EQ(reason("caf\xC3\xA9"), "syntax.non_ascii");
  EXPECT_EQ(reason("\"caf\xC3\xA9\""), "ok") << "UTF-8 inside quotes is content";
}

TEST(Arguments, NumbersAndRanges) {
  auto a = std::get<arguments>(arguments::parse("007,99999999999,\"5\"", 0));
  EXPECT_FALSE(a.expect_number(0));
  EXPECT_EQ(a.number(0), 7);
  EXPECT_TRUE(a.in_range(1, 0, 65535, "x")) << "more than 10 digits";
  EXPECT_EQ(a.expect_number(2)->reason, "syntax.quoted_number");
}

TEST(Masking, PasswordsAreMasked) {
  EXPECT_EQ(mask_secrets("AT+ECMTCONN=0,\"id\",\"user\",\"s3cr,et\"\r"), "AT+ECMTCONN=0,\"id\",\"user\",\"*******\"\r");
  EXPECT_EQ(mask_secrets("at+ecmtconn=1,id,user,pw;+CSQ"), "at+ecmtconn=1,id,user,**;+CSQ");
  EXPECT_EQ(mask_secrets("AT+ECMTCONN=0,\"id\""), "AT+ECMTCONN=0,\"id\"");
  EXPECT_EQ(mask_secrets("AT+CSQ"), "AT+CSQ");
  // The marker is looked for in any case, also past other commands on the line.
  EXPECT_EQ(mask_secrets("AT+CSQ;+eCmTcOnN=0,\"id\",\"u\",\"pw\""), "AT+CSQ;+eCmTcOnN=0,\"id\",\"u\",\"**\"");
  // A password still being typed (the logger masks the line so far).
  EXPECT_EQ(mask_secrets("AT+ECMTCONN=0,\"id\",\"user\",\"s3c"), "AT+ECMTCONN=0,\"id\",\"user\",\"***");
}

TEST(Masking, SecretsOfEcmtcfgAreMasked) {
  // §5.1 aliauth: the deviceSecret (5th parameter) when set, and where the query shows it.
  EXPECT_EQ(mask_secrets("AT+ECMTCFG=\"aliauth\",0,\"pk1\",\"dev1\",\"devsecret\"\r"),
            "AT+ECMTCFG=\"aliauth\",0,\"pk1\",\"dev1\",\"*********\"\r");
  EXPECT_EQ(mask_secrets("\r\n+ECMTCFG:\"aliauth\",dev1,devsecret,pk1\r\n\r\nOK\r\n"),
            "\r\n+ECMTCFG:\"aliauth\",dev1,*********,pk1\r\n\r\nOK\r\n");
  EXPECT_EQ(mask_secrets("+ECMTCFG: \"aliauth\",dev1,devsecret,pk1"), "+ECMTCFG: \"aliauth\",dev1,*********,pk1");
  // The test answer's placeholders are no secret.
  const std::string test_answer = "+ECMTCFG:\"aliauth\",(0-4),\"productkey\",\"devicename\",\"devicesecret\"";
  EXPECT_EQ(mask_secrets(test_answer), test_answer);
  // ec616s TLS forms: the pre-shared key and the ECC key; not the identity, not file names.
  EXPECT_EQ(mask_secrets("AT+ECMTCFG=\"ssl\",\"psk\",\"pskkey\",\"ident\""),
            "AT+ECMTCFG=\"ssl\",\"psk\",\"******\",\"ident\"");
  EXPECT_EQ(mask_secrets("AT+ECMTCFG=\"ssl\",\"ecc\",\"keydata\""), "AT+ECMTCFG=\"ssl\",\"ecc\",\"*******\"");
  EXPECT_EQ(mask_secrets("AT+ECMTCFG=\"ssl\",1,\"ca.pem\""), "AT+ECMTCFG=\"ssl\",1,\"ca.pem\"");
  EXPECT_EQ(mask_secrets("AT+ECMTCFG=\"keepalive\",0,120,7,8"), "AT+ECMTCFG=\"keepalive\",0,120,7,8");
}

TEST(Render, StylesAndFraming) {
  render_settings s;
  EXPECT_EQ(styled("+CSQ: 23,99", response_style::compact), "+CSQ:23,99");
  EXPECT_EQ(styled("+CSQ:23,99", response_style::spaced), "+CSQ: 23,99");
  EXPECT_EQ(render_urc("\r\n+ECMTSTAT: 0,1\r\n", false, s), "\r\n+ECMTSTAT:0,1\r\n");
  s.quiet = true;
  EXPECT_EQ(render_urc("+X: 1", false, s), "");
}

// §2.5: the filter runs once per piece on the first colon within 32 characters, whatever
// precedes it; later lines of the piece and a colon further in are left alone.
TEST(Render, CompactFilterWorksPerPiece) {
  EXPECT_EQ(styled("&F: EXEC not support now", response_style::compact), "&F:EXEC not support now");
  EXPECT_EQ(styled("&F: EXEC not support now", response_style::spaced), "&F: EXEC not support now");
  EXPECT_EQ(styled("+CGACT: 1,1\r\n+CGACT: 2,0", response_style::compact), "+CGACT:1,1\r\n+CGACT: 2,0");
  EXPECT_EQ(styled("\r\n+CSQ: 1,2", response_style::compact), "\r\n+CSQ:1,2") << "leading CR/LF skipped";
  const std::string far(31, 'x');
  EXPECT_EQ(styled(far + ": y", response_style::compact), far + ":y") << "colon is character 32";
  EXPECT_EQ(styled(far + "x: y", response_style::compact), far + "x: y") << "colon is character 33";
  EXPECT_EQ(styled("+CSQ:  1", response_style::compact), "+CSQ: 1") << "one space removed";
  EXPECT_EQ(styled("no colon here", response_style::compact), "no colon here");
}

// §2.3: a continuation piece has no CRLF after it, so the final result follows directly.
TEST(Render, ContinuationPieces) {
  render_settings s;
  response r;
  r.continuation("+CNUM: \"\",\"139\",129").continuation("+CNUM: \"\",\"+86\",145");
  EXPECT_EQ(render_info(r.lines, s) + render_final(final_kind::ok, {}, s),
            "\r\n+CNUM:\"\",\"139\",129\r\n+CNUM:\"\",\"+86\",145\r\nOK\r\n");
  s.verbose = false;
  EXPECT_EQ(render_info(r.lines, s), "+CNUM:\"\",\"139\",129\r\n+CNUM:\"\",\"+86\",145\r\n") << "ATV0 (chosen)";
  s.verbose = true;
  response mixed;
  mixed.line("+A: 1").line("+B: 2");
  EXPECT_EQ(render_info(mixed.lines, s), "\r\n+A:1\r\n+B:2\r\n") << "ordinary lines: one block";
}

TEST(Render, CmeeTwoWritesTheTextsOfSpec27) {
  render_settings s;
  s.cmee = 2;
  EXPECT_EQ(final_text(final_kind::failed, cme_error(30, "x", "y"), s), "+CME ERROR: no nw service");
  EXPECT_EQ(final_text(final_kind::failed, cme_error(50, "x", "y"), s), "+CME ERROR: Incorrect parameters");
  EXPECT_EQ(final_text(final_kind::failed, cme_error(100, "x", "y"), s), "+CME ERROR: unknown error");
  EXPECT_EQ(final_text(final_kind::failed, cme_error(127, "x", "y"), s), "+CME ERROR: missing or unknown apn");
  EXPECT_EQ(final_text(final_kind::failed, cme_error(31, "x", "y"), s), "+CME ERROR: unknown") << "a number §2.7 lacks";
  s.cmee = 1;
  EXPECT_EQ(final_text(final_kind::failed, cme_error(50, "x", "y"), s), "+CME ERROR: 50");
}

TEST(TopicFilters, Wildcards) {
  using mqtt::topic_matches;
  EXPECT_TRUE(topic_matches("a/+/c", "a/b/c"));
  EXPECT_FALSE(topic_matches("a/+/c", "a/b/d"));
  EXPECT_TRUE(topic_matches("a/#", "a"));
  EXPECT_TRUE(topic_matches("a/#", "a/b/c"));
  EXPECT_TRUE(topic_matches("#", "x/y"));
  EXPECT_FALSE(topic_matches("#", "$SYS/x"));
  EXPECT_FALSE(topic_matches("a/b", "a/b/c"));
  EXPECT_FALSE(topic_matches("a/b/c", "a/b"));
  EXPECT_TRUE(topic_matches("+", "a"));
  EXPECT_FALSE(topic_matches("+", "a/b"));
}

}  // namespace
}  // namespace nt35e::at
