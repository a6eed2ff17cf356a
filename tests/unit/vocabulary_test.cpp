// The shared AT vocabulary (at/text, at/vocabulary, at/urc_table): every reader of AT
// traffic relies on these answers, so they are pinned here.

#include "at/vocabulary.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "at/text.hpp"
#include "at/urc_table.hpp"

namespace nt35e::at {
namespace {

TEST(Text, CaseIsAsciiOnly) {
  EXPECT_EQ(to_upper("at+ecmtconn=0,\"é\""), "AT+ECMTCONN=0,\"é\"");
  EXPECT_EQ(to_lower("OK ÄB"), "ok Äb");
  EXPECT_TRUE(iequals("+cme error", "+CME ERROR"));
  EXPECT_FALSE(iequals("OK", "OK "));
  EXPECT_TRUE(istarts_with("at+csq", "AT"));
  EXPECT_FALSE(istarts_with("a", "AT"));
  EXPECT_EQ(ifind("xx ecmtpub=1", "ECMTPUB="), 3u);
  EXPECT_EQ(ifind("abc", "abcd"), std::string_view::npos);
  // Every place is tried from `from` on, the first byte in either case; "" is found where asked.
  EXPECT_EQ(ifind("ecmtc ECMTC eCmTc", "ECMTC", 1), 6u);
  EXPECT_EQ(ifind("ecmtc ECMTC eCmTc", "ecmtc", 7), 12u);
  EXPECT_EQ(ifind("eeecmtc", "ECMTC"), 2u);
  EXPECT_EQ(ifind("ecmt", "ECMTC"), std::string_view::npos);
  EXPECT_EQ(ifind("abc", "", 2), 2u);
  EXPECT_EQ(ifind("abc", "", 4), std::string_view::npos);
}

TEST(Text, TrimKeepsInnerBlanks) {
  EXPECT_EQ(trim(" \t a b \t"), "a b");
  EXPECT_EQ(trim("\r\nOK\r\n"), "\r\nOK\r\n");
  EXPECT_EQ(trim_line(" OK \r\n"), "OK");
  EXPECT_EQ(trim_line(""), "");
}

TEST(Text, GlobIgnoresCase) {
  EXPECT_TRUE(glob_match("+ECMTCONN=*", "+ecmtconn=0,\"id\""));
  EXPECT_TRUE(glob_match("+ECMTSTAT:?,1", "+ECMTSTAT:0,1"));
  EXPECT_FALSE(glob_match("+CSQ", "+CSQ=?"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_FALSE(glob_match("a*b", "acd"));
}

TEST(Text, Utf8IsStrict) {
  std::size_t bad = 99;
  EXPECT_TRUE(valid_utf8("订阅 “test”"));
  EXPECT_FALSE(valid_utf8("ok\xC0\xAF", &bad));  // overlong '/'
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80", &bad));  // a UTF-16 surrogate
  EXPECT_EQ(bad, 0u);
  EXPECT_FALSE(valid_utf8("a\xE2\x80", &bad));  // cut short
  EXPECT_EQ(bad, 1u);
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_EQ(utf8_sequence_length(0xE2), 3u);
  EXPECT_EQ(utf8_sequence_length(0x80), 1u);
}

TEST(Text, EscapeBytesPerStyle) {
  EXPECT_EQ(escape_bytes("A\r\n\t\x01\xC3\xA9"), "A\\r\\n\\x09\\x01\\xC3\\xA9");
  EXPECT_EQ(escape_bytes("a\"b\\\t", {.quoted = true}), "\"a\\\"b\\\\\\t\"");
  using high = escape_options::high_bytes;
  EXPECT_EQ(escape_bytes("\xC3\xA9\x7F", {.high = high::keep}), "\xC3\xA9\\x7F");
  EXPECT_EQ(escape_bytes("\r\xC3\xA9", {.named_line_ends = false, .high = high::keep_if_valid_utf8}), "\\x0D\xC3\xA9");
  EXPECT_EQ(escape_bytes("\xC3", {.high = high::keep_if_valid_utf8}), "\\xC3");
  const std::string cut = escape_bytes(std::string(300, 'x'), {.max_output = 160});
  EXPECT_EQ(cut.size(), 161u);
}

TEST(Vocabulary, FinalResults) {
  EXPECT_EQ(final_result_of("OK"), final_result::ok);
  EXPECT_EQ(final_result_of("  ERROR\r\n"), final_result::error);
  EXPECT_EQ(final_result_of("+CME ERROR: 3"), final_result::cme_error);
  EXPECT_EQ(final_result_of("+cme error: operation not allowed"), final_result::cme_error);
  EXPECT_EQ(final_result_of("+CMS ERROR: 500"), final_result::cms_error);
  EXPECT_EQ(final_result_of("+SOCKET ERROR: dns fail"), final_result::socket_error);
  EXPECT_EQ(final_result_of("NO CARRIER"), final_result::no_carrier);
  EXPECT_EQ(final_result_of("RING"), std::nullopt) << "RING is unsolicited, it ends no command";
  EXPECT_EQ(final_result_of("+ECMTOPEN:0,0"), std::nullopt);
  EXPECT_EQ(final_result_of("0"), std::nullopt);
  EXPECT_EQ(final_result_of("0", true), final_result::ok);
  EXPECT_EQ(final_result_of("4", true), final_result::error);
  EXPECT_EQ(numeric_code(final_result::no_answer), 8);
  EXPECT_EQ(numeric_code(final_result::cme_error), -1);
  EXPECT_EQ(to_string(final_result::no_carrier), "NO CARRIER");
  EXPECT_TRUE(is_failure(final_result::cme_error));
  EXPECT_FALSE(is_failure(final_result::ok));
  EXPECT_TRUE(is_prompt("> "));
  EXPECT_FALSE(is_prompt(">>"));
}

TEST(Vocabulary, NamesAndFields) {
  EXPECT_EQ(response_name("+ecmtconn: 0,0,5"), "+ECMTCONN");
  EXPECT_EQ(response_name("+ECMTOPEN:0,0"), "+ECMTOPEN");
  EXPECT_EQ(response_name(" ECRDY\r\n"), "ECRDY");
  EXPECT_EQ(response_name("OK"), "");
  EXPECT_EQ(response_fields("+ECMTCONN: 0, 0 ,5"), (std::vector<std::string>{"0", "0", "5"}));
  EXPECT_TRUE(response_fields("OK").empty());
  EXPECT_EQ(command_name("at+ecmtconn=0"), "+ECMTCONN");
  EXPECT_EQ(command_name("AT+CEREG?"), "+CEREG");
  EXPECT_EQ(command_name("ATI"), "I");
  EXPECT_EQ(command_name("+CSQ"), "");
  EXPECT_EQ(command_params("AT+ECMTPUB=0,0,0,0,\"a,b\", x"),
            (std::vector<std::string>{"0", "0", "0", "0", "\"a,b\"", "x"}));
  EXPECT_TRUE(is_command_line("at"));
  EXPECT_TRUE(is_command_line("a/"));
  EXPECT_FALSE(is_command_line("OK"));
}

TEST(Vocabulary, OutputLineCutter) {
  output_line_cutter cut(8);
  std::vector<std::string> lines;
  auto collect = [&](std::string_view l) { lines.emplace_back(l); };
  cut.push("\r\nO", collect);
  EXPECT_TRUE(lines.empty());
  EXPECT_EQ(cut.partial(), "O");
  cut.push("K\r\n\r\n+ECMTRECV:0,1,\"t\",long payload\r\n\r\n> ", collect);
  EXPECT_EQ(lines, (std::vector<std::string>{"OK", "+ECMTREC", "> "}));
}

TEST(UrcTable, EveryRowIsFound) {
  for (const auto& row : urc_table()) {
    const auto* found = find_urc(to_lower(row.name));
    ASSERT_NE(found, nullptr) << row.name;
    EXPECT_EQ(found->name, row.name);
    EXPECT_FALSE(row.spec_section.empty()) << row.name;
  }
  EXPECT_EQ(find_urc("+NOPE"), nullptr);
  EXPECT_TRUE(is_module_urc("+ECMTSTAT"));
  EXPECT_TRUE(is_module_urc("ECRDY"));
  EXPECT_FALSE(is_module_urc("+QIURC")) << "a Quectel URC: known, but not the NT35E's";
  EXPECT_EQ(find_urc("+ECMTCONN")->machine, urc_machine::ecmt_link);
  EXPECT_EQ(to_string(urc_machine::registration), "registration");
}

}  // namespace
}  // namespace nt35e::at
