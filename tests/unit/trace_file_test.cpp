// The trace format and the recorder: every byte round-trips, every bad input of
// issue 5 (truncated, corrupted, out of order, wrong types) has its exact message,
// and redaction (passwords split over chunks, credentials, payloads) leaks nothing.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "at/text.hpp"
#include "trace/recorder.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string head = R"({"trace":"nt35e-sim","version":1,"profile":"nt35e","redacted":[]})"
                         "\n";

fs::path traces_dir() { return fs::path(__FILE__).parent_path().parent_path() / "data" / "traces"; }

event bytes_event(std::int64_t t, direction d, std::string data) {
  event e;
  e.t_us = t;
  e.dir = d;
  e.data = std::move(data);
  return e;
}
event text_event(std::int64_t t, direction d, int id, std::string text, std::string reason = {}) {
  event e;
  e.t_us = t;
  e.dir = d;
  e.id = id;
  e.text = std::move(text);
  e.reason = std::move(reason);
  return e;
}
mqtt::request::connect connect(std::string client_id, std::string user, std::string password) {
  mqtt::request::connect c{0, "h", 1883, {}, {}};
  c.options.client_id = std::move(client_id);
  c.options.user_name = std::move(user);
  c.options.password = std::move(password);
  return c;
}

/// The message of parsing `text`, or "ok".
std::string error_of(std::string_view text, const std::string& name = "t.jsonl") {
  auto r = parse(text, name);
  if (auto* e = std::get_if<load_error>(&r)) return e->message;
  return "ok";
}

int error_line(std::string_view text) {
  auto r = parse(text, "t.jsonl");
  if (auto* e = std::get_if<load_error>(&r)) return e->line;
  return -1;
}

bool at_valid_utf8(std::string_view s) { return at::valid_utf8(s); }

trace parsed(std::string_view text) {
  auto r = parse(text, "t.jsonl");
  if (auto* e = std::get_if<load_error>(&r)) {
    ADD_FAILURE() << e->message;
    return {};
  }
  return std::get<trace>(r);
}

// ---- writing ---------------------------------------------------------------------

TEST(TraceFormat, HeaderLine) {
  header h;
  h.started = "2026-11-26T10:48:28.123456Z";
  h.redacted = {"passwords"};
  EXPECT_EQ(
      to_jsonl(h),
      R"({"trace":"nt35e-sim","version":2,"profile":"nt35e","started":"2026-11-26T10:48:28.123456Z","redacted":["passwords"]})"
      "\n");
}

TEST(TraceFormat, EventLinesOfEachDirection) {
  event e = bytes_event(1500123, direction::module_to_dte, "\r\nECRDY\r\n");
  EXPECT_EQ(to_jsonl(e), R"({"t":1500123,"dir":"mod>dte","data":"\r\nECRDY\r\n"})"
                         "\n");
  e = bytes_event(7, direction::dte_to_module, "AT\"\\\x1a\xff\r");
  EXPECT_EQ(to_jsonl(e), R"({"t":7,"dir":"dte>mod","data":["AT\"\\\u001a",{"hex":"ff"},"\r"]})"
                         "\n");
  e = text_event(8, direction::module_to_net, 0, R"(connect id 0 127.0.0.1:1883 client_id="" password="****")");
  EXPECT_EQ(to_jsonl(e),
            R"({"t":8,"dir":"mod>net","id":0,"what":"connect id 0 127.0.0.1:1883 client_id=\"\" password=\"****\""})"
            "\n");
  e = text_event(9, direction::net_to_module, 1, "CONNACK id 1 code 5");
  EXPECT_EQ(to_jsonl(e), R"({"t":9,"dir":"net>mod","id":1,"what":"CONNACK id 1 code 5"})"
                         "\n");
  e = text_event(10, direction::state, -1, "ECMT id 0: OPENED -> CONNECTING on ECMTCONN");
  EXPECT_EQ(to_jsonl(e), R"({"t":10,"dir":"state","text":"ECMT id 0: OPENED -> CONNECTING on ECMTCONN"})"
                         "\n");
  e.reason = "net.link_lost";
  EXPECT_EQ(to_jsonl(e),
            R"({"t":10,"dir":"state","text":"ECMT id 0: OPENED -> CONNECTING on ECMTCONN","reason":"net.link_lost"})"
            "\n");
}

TEST(TraceFormat, DirectionNames) {
  for (auto d : {direction::dte_to_module, direction::module_to_dte, direction::module_to_net, direction::net_to_module,
                 direction::state})
    EXPECT_EQ(parse_direction(to_string(d)), d);
  EXPECT_EQ(to_string(direction::dte_to_module), "dte>mod");
  EXPECT_EQ(to_string(direction::net_to_module), "net>mod");
  EXPECT_FALSE(parse_direction("mod>foo"));
}

TEST(TraceFormat, EveryByteRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  trace t;
  t.events.push_back(bytes_event(0, direction::module_to_dte, all));
  for (int b = 0; b < 256; ++b)
    t.events.push_back(bytes_event(b + 1, b % 2 ? direction::dte_to_module : direction::module_to_dte,
                                   std::string(1, static_cast<char>(b)) + "x" + std::string(1, static_cast<char>(b))));
  auto text = to_jsonl(t);
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    // Single bytes of 0x80 and above are never UTF-8: written as hex, so this file is ASCII.
    ASSERT_TRUE(u == '\n' || (u >= 0x20 && u < 0x7F)) << "found byte " << int(u);
  }
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 258) << "one line per event";
  auto back = parsed(text);
  ASSERT_EQ(back.events.size(), 257u);
  EXPECT_EQ(back.events[0].data, all);
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(back.events[b + 1].data, t.events[b + 1].data) << "byte " << b;
    EXPECT_EQ(back.events[b + 1].dir, t.events[b + 1].dir);
    EXPECT_EQ(back.events[b + 1].t_us, b + 1);
    EXPECT_EQ(back.events[b + 1].line, b + 3);
  }
  EXPECT_EQ(to_jsonl(back), text) << "writing what was read gives the same file";
}

TEST(TraceFormat, TextFieldsKeepUtf8) {
  trace t;
  t.events.push_back(
      text_event(5, direction::state, -1, "parameter 3 begins with U+201D \xE2\x80\x9D", "syntax.typographic_quote"));
  t.events.push_back(text_event(6, direction::net_to_module, 2, "message id 2 msg 0 \"t\" \"\\xE4\" qos 0"));
  auto back = parsed(to_jsonl(t));
  ASSERT_EQ(back.events.size(), 2u);
  EXPECT_EQ(back.events[0].text, t.events[0].text);
  EXPECT_EQ(back.events[0].reason, "syntax.typographic_quote");
  EXPECT_EQ(back.events[1].id, 2);
  EXPECT_EQ(back.events[1].text, t.events[1].text);
}

TEST(TraceFormat, Version1DataAsLiteralLatin1CodePointsIsAccepted) {
  // A hand-written version 1 trace may hold U+00E9 as a character rather than \u00e9: the same byte.
  auto t = parsed(head + "{\"t\":0,\"dir\":\"mod>dte\",\"data\":\"\xC3\xA9\"}\n");
  ASSERT_EQ(t.events.size(), 1u);
  EXPECT_EQ(t.events[0].data, "\xE9");
}

TEST(TraceFormat, LenientAboutLayout) {
  // Blank lines, CRLF line ends, a BOM, unknown fields and no final newline are fine;
  // line numbers still count every line of the file.
  auto t = parsed("\xEF\xBB\xBF" + head + "\r\n\n" +
                  R"({"t":1,"dir":"mod>dte","data":"a","future":true})"
                  "\r\n" +
                  R"({"t":1,"dir":"state","text":"x"})");
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_EQ(t.events[0].line, 4);
  EXPECT_EQ(t.events[1].line, 5);
  EXPECT_EQ(t.events[1].t_us, 1) << "equal times are in order";
  EXPECT_EQ(t.head.profile, "nt35e");
}

TEST(TraceFormat, LoadsTheSeedFlow) {
  auto r = load((traces_dir() / "seed-flow.jsonl").string());
  ASSERT_TRUE(std::holds_alternative<trace>(r)) << std::get<load_error>(r).message;
  const auto& t = std::get<trace>(r);
  EXPECT_EQ(t.head.profile, "nt35e");
  EXPECT_EQ(t.head.started, "2026-11-26T10:48:28.123456Z");
  EXPECT_EQ(t.head.redacted, std::vector<std::string>{"passwords"});
  ASSERT_EQ(t.events.size(), 32u);
  EXPECT_EQ(t.events[0].data, "\r\nECRDY\r\n");
  EXPECT_EQ(t.events[0].t_us, 1500000);
  EXPECT_EQ(t.events.back().data, "\r\n+ECMTRECV:0,0,\"test\",hello\r\n");
}

// ---- version 2: text as text, other bytes as hex -----------------------------------

const std::string head2 = R"({"trace":"nt35e-sim","version":2,"profile":"nt35e","redacted":[]})"
                          "\n";

TEST(TraceFormatV2, ValidUtf8IsWrittenAsTheTextItself) {
  // The typographic quotes a driver copied from a PDF read as themselves, not as
  // \u00e2\u0080\u009c, so a person sees at once what was sent.
  auto e = bytes_event(3, direction::dte_to_module, "AT+ECMTSUB=0,1,\xE2\x80\x9Dtest\xE2\x80\x9D,2\r");
  EXPECT_EQ(to_jsonl(e),
            "{\"t\":3,\"dir\":\"dte>mod\",\"data\":\"AT+ECMTSUB=0,1,\xE2\x80\x9Dtest\xE2\x80\x9D,2\\r\"}\n");
  e.data = "+ECMTRECV:0,0,\"t\",\xE6\xB8\xA9\xE5\xBA\xA6 25\xE2\x84\x83 \xF0\x9F\x98\x80";  // 温度 25℃ and an emoji
  EXPECT_EQ(json_bytes(e.data), "\"+ECMTRECV:0,0,\\\"t\\\",\xE6\xB8\xA9\xE5\xBA\xA6 25\xE2\x84\x83 \xF0\x9F\x98\x80\"");
}

TEST(TraceFormatV2, ControlBytesAndInvisibleCharactersAreEscaped) {
  // NUL, ESC, DEL; a no-break space, a zero-width space, a BOM, U+2028 and a C1 control:
  // all valid UTF-8, but a reader would not see them as they are.
  std::string bytes = std::string("a\0b\x1b\x7f", 5) + "\xC2\xA0\xE2\x80\x8B\xEF\xBB\xBF\xE2\x80\xA8\xC2\x85z";
  EXPECT_EQ(json_bytes(bytes), R"("a\u0000b\u001b\u007f\u00a0\u200b\ufeff\u2028\u0085z")");
  auto back = parsed(head2 + "{\"t\":0,\"dir\":\"mod>dte\",\"data\":" + json_bytes(bytes) + "}\n");
  ASSERT_EQ(back.events.size(), 1u);
  EXPECT_EQ(back.events[0].data, bytes);
}

TEST(TraceFormatV2, BytesThatAreNotUtf8AreHexPiecesBetweenTheText) {
  EXPECT_EQ(json_bytes("AT+X=\"\xFF\xFE\"\r"), R"(["AT+X=\"",{"hex":"fffe"},"\"\r"])");
  EXPECT_EQ(json_bytes("\xE9"), R"([{"hex":"e9"}])") << "Latin-1 é alone";
  EXPECT_EQ(json_bytes("caf\xE9\r\n"), R"(["caf",{"hex":"e9"},"\r\n"])");
  // A character cut at the end of a chunk (the next chunk has its last byte).
  EXPECT_EQ(json_bytes("ab\xE2\x80"), R"(["ab",{"hex":"e280"}])");
  // Overlong, surrogate and out-of-range forms are not UTF-8; text right after them stays text.
  EXPECT_EQ(json_bytes("\xC0\xAF\xED\xA0\x80x\xF5\x80\xE4\xB8\xAD"),
            R"([{"hex":"c0afeda080"},"x",{"hex":"f580"},"中"])");
  EXPECT_EQ(json_bytes(""), R"("")");
}

TEST(TraceFormatV2, RandomByteStringsRoundTripExactly) {
  // Random strings built from the hard parts: NULs and other control bytes, valid
  // multi-byte UTF-8, stray and cut sequences, overlongs, surrogates, any byte at all.
  std::mt19937 rng(20261203);
  const std::vector<std::string> parts = {std::string(1, '\0'),
                                          "\r",
                                          "\n",
                                          "\x1a",
                                          "\x1b",
                                          "\x7f",
                                          "AT+ECMTPUB=0,0,0,0,\"t\",\"",
                                          "\"",
                                          "\\",
                                          "\xE2\x80\x9C",
                                          "\xE4\xB8\xAD",
                                          "\xC3\xA9",
                                          "\xF0\x9F\x98\x80",
                                          "\xC2\xA0",
                                          "\xEF\xBB\xBF",  // valid UTF-8
                                          "\x80",
                                          "\xBF",
                                          "\xC3",
                                          "\xE2\x80",
                                          "\xF0\x9F\x98",
                                          "\xC0\xAF",
                                          "\xED\xA0\x80",
                                          "\xF5",
                                          "\xFF",
                                          "\xFE"};
  std::uniform_int_distribution<int> pick_part(0, static_cast<int>(parts.size()));  // last: one random byte
  std::uniform_int_distribution<int> length(0, 24);
  std::uniform_int_distribution<int> any_byte(0, 255);
  trace t;
  for (int i = 0; i < 3000; ++i) {
    std::string data;
    for (int k = length(rng); k > 0; --k) {
      auto p = pick_part(rng);
      data += p < static_cast<int>(parts.size()) ? parts[p] : std::string(1, static_cast<char>(any_byte(rng)));
    }
    t.events.push_back(bytes_event(i, i % 2 ? direction::dte_to_module : direction::module_to_dte, data));
  }
  const auto text = to_jsonl(t);
  auto back = parsed(text);
  ASSERT_EQ(back.events.size(), t.events.size());
  int texts = 0, pieces = 0;
  for (std::size_t i = 0; i < t.events.size(); ++i) {
    ASSERT_EQ(back.events[i].data, t.events[i].data) << "event " << i << ": " << to_jsonl(t.events[i]);
    // Valid UTF-8 is a plain string; only other bytes make an array with hex.
    const auto line = to_jsonl(t.events[i]);
    const bool utf8 = at_valid_utf8(t.events[i].data);
    EXPECT_EQ(line.find("\"data\":\"") != std::string::npos, utf8) << line;
    EXPECT_EQ(line.find("{\"hex\":") != std::string::npos, !utf8) << line;
    (utf8 ? texts : pieces)++;
  }
  EXPECT_GT(texts, 100) << "the generator makes both kinds";
  EXPECT_GT(pieces, 100);
  EXPECT_EQ(to_jsonl(back), text) << "writing what was read gives the same file";
}

TEST(TraceFormatV2, OldVersion1TraceStillLoads) {
  // Written by the version 1 writer: one code point per byte, “ as \u00e2\u0080\u009c.
  auto r = load((traces_dir() / "old-version1-latin1.jsonl").string());
  ASSERT_TRUE(std::holds_alternative<trace>(r)) << std::get<load_error>(r).message;
  const auto& t = std::get<trace>(r);
  ASSERT_EQ(t.events.size(), 4u);
  EXPECT_EQ(t.events[0].data, "AT+ECMTSUB=0,1,\xE2\x80\x9Ctest\xE2\x80\x9D,2\r");
  EXPECT_EQ(t.events[1].data, "\r\nERROR\r\n");
  EXPECT_EQ(t.events[2].data, std::string("AT+X=\"\xFF\0\"\r", 10));
  EXPECT_EQ(t.events[3].data, "\r\n+ECMTRECV:0,0,\"t\",\xE4\xB8\xAD\r\n");
  // Written back out it becomes version 2, readable, with the same bytes.
  const auto v2 = to_jsonl(t);
  EXPECT_NE(v2.find("\"version\":2"), std::string::npos);
  EXPECT_NE(v2.find("\"data\":\"AT+ECMTSUB=0,1,\xE2\x80\x9Ctest\xE2\x80\x9D,2\\r\""), std::string::npos) << v2;
  EXPECT_NE(v2.find(R"("data":["AT+X=\"",{"hex":"ff"},"\u0000\"\r"])"), std::string::npos) << v2;
  auto again = parsed(v2);
  ASSERT_EQ(again.events.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(again.events[i].data, t.events[i].data);
}

TEST(TraceFormatV2, BadDataIsNamedWithItsPiece) {
  auto one = [](std::string_view line) { return error_of(head2 + std::string(line) + "\n"); };
  EXPECT_EQ(one(R"({"t":0,"dir":"mod>dte","data":"\u4e2d"})"), "ok") << "version 2 text is any Unicode";
  EXPECT_EQ(one(R"({"t":0,"dir":"mod>dte"})"),
            "t.jsonl:2: a \"mod>dte\" event needs \"data\" (the bytes: text, with {\"hex\":...} for bytes that are not "
            "UTF-8)");
  EXPECT_EQ(one(R"({"t":0,"dir":"dte>mod","data":7})"),
            "t.jsonl:2: \"data\" must be a string (the text) or an array of text and {\"hex\":\"...\"} pieces, got a "
            "number 7");
  EXPECT_EQ(one(R"({"t":0,"dir":"dte>mod","data":["AT",65]})"),
            "t.jsonl:2: \"data\" piece 2 must be text (a string) or {\"hex\":\"...\"} for bytes that are not UTF-8, "
            "got a number 65");
  EXPECT_EQ(one(R"({"t":0,"dir":"dte>mod","data":[{"hex":"ff","x":1}]})"),
            "t.jsonl:2: \"data\" piece 1 must be text (a string) or {\"hex\":\"...\"} for bytes that are not UTF-8, "
            "got an object {\"hex\":\"ff\",\"x\":1}");
  EXPECT_EQ(one(R"({"t":0,"dir":"dte>mod","data":["a",{"hex":"fff"}]})"),
            "t.jsonl:2: \"data\" piece 2: \"hex\" must be pairs of hex digits (the bytes that are not UTF-8), got "
            "\"fff\"");
  EXPECT_EQ(one(R"({"t":0,"dir":"dte>mod","data":[{"hex":"zz"}]})"),
            "t.jsonl:2: \"data\" piece 1: \"hex\" must be pairs of hex digits (the bytes that are not UTF-8), got "
            "\"zz\"");
  EXPECT_EQ(one(R"({"t":0,"dir":"dte>mod","data":[{"hex":""}]})"),
            "t.jsonl:2: \"data\" piece 1: \"hex\" must be pairs of hex digits (the bytes that are not UTF-8), got "
            "\"\"");
  EXPECT_EQ(one(R"({"t":0,"dir":"dte>mod","data":[{"hex":255}]})"),
            "t.jsonl:2: \"data\" piece 1: \"hex\" must be pairs of hex digits (the bytes that are not UTF-8), got "
            "255");
  // Hand-written pieces need not be minimal: upper-case hex, adjacent strings, empty array.
  auto t = parsed(head2 + R"({"t":0,"dir":"dte>mod","data":["A","T",{"hex":"0D"},{"hex":"0a"}]})"
                          "\n"
                          R"({"t":1,"dir":"dte>mod","data":[]})"
                          "\n");
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_EQ(t.events[0].data, "AT\r\n");
  EXPECT_EQ(t.events[1].data, "");
}

// ---- bad input -------------------------------------------------------------------

TEST(TraceBadInput, TruncatedLastLine) {
  std::string text = head +
                     R"({"t":1500000,"dir":"mod>dte","data":"\r\nECRDY\r\n"})"
                     "\n" +
                     R"({"t":1600000,"dir":"mod>dte","data":"\r\nO)";
  EXPECT_EQ(error_of(text),
            "t.jsonl:3: line 3 is cut off: the file ends inside a JSON object — was the recording interrupted?");
  EXPECT_EQ(error_line(text), 3);
  EXPECT_EQ(error_of(head + R"({"t":16)"),
            "t.jsonl:2: line 2 is cut off: the file ends inside a JSON object — was the recording interrupted?");
  EXPECT_EQ(error_of(head + "{\"t\":1,\"dir\":\"mod>dte\",\n"),
            "t.jsonl:2: line 2 is cut off: the file ends inside a JSON object — was the recording interrupted?")
      << "even when a newline follows";
}

TEST(TraceBadInput, SampleFilesUnderTestsData) {
  auto r = load((traces_dir() / "bad" / "truncated.jsonl").string());
  ASSERT_TRUE(std::holds_alternative<load_error>(r));
  auto msg = std::get<load_error>(r).message;
  EXPECT_NE(msg.find("truncated.jsonl:6: line 6 is cut off: the file ends inside a JSON object"), std::string::npos)
      << msg;
  r = load((traces_dir() / "bad" / "out-of-order.jsonl").string());
  ASSERT_TRUE(std::holds_alternative<load_error>(r));
  msg = std::get<load_error>(r).message;
  EXPECT_NE(msg.find("out-of-order.jsonl:5: time goes backwards (5101877 µs after 6101902 µs); traces must be in "
                     "time order"),
            std::string::npos)
      << msg;
  EXPECT_EQ(std::get<load_error>(r).line, 5);
}

TEST(TraceBadInput, CorruptedLines) {
  EXPECT_EQ(error_of(head +
                     R"({"t":5,"dir":"mod>dte",data:"x"})"
                     "\n" +
                     R"({"t":6,"dir":"state","text":"x"})"),
            "t.jsonl:2: line 2 is not valid JSON: syntax error while parsing object key - invalid literal; last "
            "read: '\"mod>dte\",d'; expected string literal");
  EXPECT_EQ(error_of(head + "{\"t\":5,\"dir\":\"mod>dte\",\"da\n" + R"({"t":6,"dir":"state","text":"x"})"),
            "t.jsonl:2: line 2 is cut off in the middle of the file (syntax error while parsing object key - "
            "invalid string: missing closing quote; last read: '\"da'; expected string literal); each line must be one "
            "complete JSON object");
  EXPECT_EQ(error_of(head + "{\"t\":5,\"dir\":\"mod>dte\",\"data\":\"\xFF\"}\n"),
            "t.jsonl:2: line 2 is not valid JSON: syntax error while parsing value - invalid string: ill-formed "
            "UTF-8 byte; last read: '\"\xFF'")
      << "raw bytes must be escaped";
  EXPECT_EQ(error_of(head + "[1,2]\n"),
            "t.jsonl:2: line 2 is an array, not an event; each event is one JSON object such as "
            "{\"t\":0,\"dir\":\"mod>dte\",\"data\":\"...\"}");
}

TEST(TraceBadInput, MissingOrWrongHeader) {
  EXPECT_EQ(error_of(""),
            "t.jsonl:1: the file is empty; a trace begins with a header line such as "
            "{\"trace\":\"nt35e-sim\",\"version\":2,...}");
  EXPECT_EQ(error_of("\n\n"), error_of(""));
  EXPECT_EQ(error_of(R"({"t":0,"dir":"mod>dte","data":"x"})"
                     "\n"),
            "t.jsonl:1: the header line is missing: line 1 is already an event; a trace begins with "
            "{\"trace\":\"nt35e-sim\",\"version\":2,...}");
  EXPECT_EQ(error_of("[10:15:02.123] AT+ECMTCONN=0\n"),
            "t.jsonl:1: line 1 is not JSON, so this is not a trace (a raw serial log? turn it into a trace with "
            "nt35e-sim import): syntax error while parsing array - unexpected ':'; expected ']'");
  EXPECT_EQ(error_of(R"({"trace":"other","version":1})"), "t.jsonl:1: \"trace\" is \"other\", expected \"nt35e-sim\"");
  EXPECT_EQ(error_of(R"({"trace":"nt35e-sim","version":3})"),
            "t.jsonl:1: trace version 3 is not supported (this simulator reads versions 1 and 2)");
  EXPECT_EQ(error_of(R"({"trace":"nt35e-sim","version":"1"})"),
            "t.jsonl:1: \"version\" must be a whole number, got a string \"1\"");
  EXPECT_EQ(error_of(R"({"trace":"nt35e-sim"})"),
            "t.jsonl:1: the header has no \"version\" (this simulator reads versions 1 and 2)");
  EXPECT_EQ(error_of(R"({"trace":"nt35e-sim","version":1,"redacted":"passwords"})"),
            "t.jsonl:1: \"redacted\" must be an array of strings, got a string \"passwords\"");
  EXPECT_EQ(error_of(R"({"trace":"nt35e-sim","version":1,"profile":3})"),
            "t.jsonl:1: \"profile\" must be a string, got a number 3");
  EXPECT_EQ(error_of(head + head),
            "t.jsonl:2: a second header at line 2 (two traces joined into one file?); a trace "
            "has one header, on line 1");
}

TEST(TraceBadInput, WrongFieldTypes) {
  auto one = [](std::string_view line) { return error_of(head + std::string(line) + "\n"); };
  EXPECT_EQ(one(R"({"dir":"mod>dte","data":"x"})"), "t.jsonl:2: the event has no \"t\" (microseconds since the start)");
  EXPECT_EQ(one(R"({"t":"1500","dir":"mod>dte","data":"x"})"),
            "t.jsonl:2: \"t\" must be a whole number of microseconds, got a string \"1500\"");
  EXPECT_EQ(one(R"({"t":1.5,"dir":"mod>dte","data":"x"})"),
            "t.jsonl:2: \"t\" must be a whole number of microseconds, got a fractional number 1.5");
  EXPECT_EQ(one(R"({"t":-3,"dir":"mod>dte","data":"x"})"),
            "t.jsonl:2: \"t\" is negative (-3 µs); it counts microseconds since the start");
  EXPECT_EQ(one(R"({"t":0,"data":"x"})"),
            "t.jsonl:2: the event has no \"dir\" (dte>mod, mod>dte, mod>net, net>mod or state)");
  EXPECT_EQ(one(R"({"t":0,"dir":7})"), "t.jsonl:2: \"dir\" must be a string, got a number 7");
  EXPECT_EQ(one(R"({"t":0,"dir":"host>mod","data":"x"})"),
            "t.jsonl:2: unknown direction \"host>mod\" (expected dte>mod, mod>dte, mod>net, net>mod or state)");
  EXPECT_EQ(one(R"({"t":0,"dir":"mod>dte"})"),
            "t.jsonl:2: a \"mod>dte\" event needs \"data\" (the bytes, one code point per byte)");
  EXPECT_EQ(one(R"({"t":0,"dir":"dte>mod","data":[65,84]})"),
            "t.jsonl:2: \"data\" must be a string, got an array [65,84]");
  EXPECT_EQ(one(R"({"t":0,"dir":"mod>dte","data":"\u4e2d"})"),
            "t.jsonl:2: \"data\" holds U+4E2D, which is not a byte: data carries one code point per byte "
            "(U+0000..U+00FF); write other text as its UTF-8 bytes, e.g. \\u00e4\\u00b8\\u00ad for U+4E2D");
  EXPECT_EQ(one(R"({"t":0,"dir":"mod>net","id":0})"),
            "t.jsonl:2: a \"mod>net\" event needs \"what\" (the request or event as text)");
  EXPECT_EQ(one(R"({"t":0,"dir":"net>mod","id":"0","what":"x"})"),
            "t.jsonl:2: \"id\" must be a whole number (the ECMT id, -1 for none), got a string \"0\"");
  EXPECT_EQ(one(R"({"t":0,"dir":"state"})"), "t.jsonl:2: a \"state\" event needs \"text\" (what happened)");
  EXPECT_EQ(one(R"({"t":0,"dir":"state","text":"x","reason":false})"),
            "t.jsonl:2: \"reason\" must be a string, got true/false false");
}

TEST(TraceBadInput, TimeGoingBackwards) {
  std::string text = head +
                     R"({"t":1000,"dir":"mod>dte","data":"a"})"
                     "\n" +
                     R"({"t":2000,"dir":"dte>mod","data":"b"})"
                     "\n" +
                     R"({"t":1500,"dir":"state","text":"c"})"
                     "\n";
  EXPECT_EQ(error_of(text, "trace.jsonl"),
            "trace.jsonl:4: time goes backwards (1500 µs after 2000 µs); traces must be in time order");
  EXPECT_EQ(error_line(text), 4);
}

// Reliability finding 01: a number beyond a double is no syntax error to nlohmann (it
// throws out_of_range), and escaped the handler; `report` aborted.
TEST(TraceBadInput, NumberTooLargeForADoubleIsPositioned) {
  EXPECT_EQ(error_of(head + R"({"t":1e99999,"dir":"mod>dte","data":"x"})" + "\n"),
            "t.jsonl:2: line 2 holds the number 1e99999, which is too large; every number in a trace must fit in "
            "64 bits");
  EXPECT_EQ(error_line(head + "\n" + R"({"t":1,"dir":"state","text":"a","x":-1e400})"), 3);
}

// Reliability finding 05: a t the replay clock cannot reach is refused when loading.
TEST(TraceBadInput, TimeBeyondTheReplayClockIsPositioned) {
  EXPECT_EQ(error_of(head + R"({"t":9000000000000000000,"dir":"mod>dte","data":"x"})" + "\n"),
            "t.jsonl:2: \"t\" is 9000000000000000000 µs, later than a trace can reach (at most 1000000000000000 "
            "µs, about 31 years)");
  EXPECT_TRUE(std::holds_alternative<trace>(
      parse(head + "{\"t\":" + std::to_string(max_t_us) + R"(,"dir":"mod>dte","data":"x"})" + "\n", "t.jsonl")));
}

TEST(TraceBadInput, UnreadableFile) {
  auto r = load("/nonexistent/dir/x.jsonl");
  ASSERT_TRUE(std::holds_alternative<load_error>(r));
  EXPECT_EQ(std::get<load_error>(r).message,
            "/nonexistent/dir/x.jsonl: cannot open the trace: No such file or directory");
  EXPECT_EQ(std::get<load_error>(r).line, 0);
}

// ---- recorder --------------------------------------------------------------------

const modem::time_point t0 = modem::time_point{} + std::chrono::hours(2);

/// The data of every event of direction `d`, joined.
std::string joined(const trace& t, direction d) {
  std::string out;
  for (const auto& e : t.events)
    if (e.dir == d) out += e.data;
  return out;
}

TEST(Recorder, WritesHeaderAndTimedEvents) {
  std::ostringstream out;
  {
    header h;
    h.started = "2026-11-26T10:48:28.123456Z";
    recorder rec(out, h, {}, t0);
    EXPECT_EQ(
        out.str(),
        R"({"trace":"nt35e-sim","version":2,"profile":"nt35e","started":"2026-11-26T10:48:28.123456Z","redacted":["passwords"]})"
        "\n")
        << "the header is written (and flushed) at once";
    rec.dte_out("\r\nECRDY\r\n", t0 + 1500123us);
    rec.dte_in("AT\r", t0 + 2s);
    rec.dte_out("\r\nOK\r\n", t0 + 2s + 5ms);
    rec.request(mqtt::request::open{0, "test.mosquitto.org", 1883, {}}, t0 + 3s);
    rec.event(mqtt::event::connack{0, 5}, t0 + 4s);
    rec.note({modem::log_level::info, "net.link_lost", "link lost on id 0: reset"}, t0 + 5s);
    rec.note({modem::log_level::info, "", "late"}, t0 + 4s);
    EXPECT_EQ(rec.lines(), 8u);
    EXPECT_TRUE(rec.ok());
  }
  EXPECT_EQ(out.str().substr(out.str().find('\n') + 1),
            R"({"t":1500123,"dir":"mod>dte","data":"\r\nECRDY\r\n"})"
            "\n"
            R"({"t":2000000,"dir":"dte>mod","data":"AT\r"})"
            "\n"
            R"({"t":2005000,"dir":"mod>dte","data":"\r\nOK\r\n"})"
            "\n"
            R"({"t":3000000,"dir":"mod>net","id":0,"what":"open id 0 test.mosquitto.org:1883"})"
            "\n"
            R"({"t":4000000,"dir":"net>mod","id":0,"what":"CONNACK id 0 code 5"})"
            "\n"
            R"({"t":5000000,"dir":"state","text":"link lost on id 0: reset","reason":"net.link_lost"})"
            "\n"
            R"({"t":5000000,"dir":"state","text":"late"})"
            "\n")
      << "a time out of order is written as the last time, so the file stays valid";
  EXPECT_EQ(error_of(out.str()), "ok");
}

TEST(Recorder, EveryLineIsCompleteAsSoonAsItIsWritten) {
  std::ostringstream out;
  recorder rec(out, {}, {}, t0);
  for (int i = 0; i < 20; ++i) {
    rec.dte_in(std::string(1, static_cast<char>('A' + i)), t0 + std::chrono::milliseconds(i));
    ASSERT_EQ(out.str().back(), '\n');
    ASSERT_EQ(error_of(out.str()), "ok") << "a crash now would leave a readable trace";
  }
}

TEST(Recorder, PasswordSplitOverThreeChunks) {
  std::ostringstream out;
  {
    recorder rec(out, {}, {}, t0);
    rec.dte_in("AT+ECMTCONN=0,\"dev01\",\"user\",\"se", t0 + 1ms);
    rec.dte_in("cr", t0 + 2ms);
    rec.dte_in("et\"\r", t0 + 3ms);
    rec.dte_out("AT+ECMTCONN=0,\"dev01\",\"user\",\"s", t0 + 1ms);  // the echo, split elsewhere
    rec.dte_out("ecre", t0 + 2ms);
    rec.dte_out("t\"\r\r\nOK\r\n", t0 + 3ms);
    // Unquoted, with the command name itself split.
    rec.dte_in("AT+ECMTCO", t0 + 4ms);
    rec.dte_in("NN=1,dev,user,hun", t0 + 5ms);
    rec.dte_in("ter2\r", t0 + 6ms);
    rec.request(connect("dev01", "user", "secret"), t0 + 7ms);
    rec.note({modem::log_level::debug, "", "command line \"AT+ECMTCONN=0,\"dev01\",\"user\",\"secret\"\""}, t0 + 8ms);
  }
  EXPECT_EQ(out.str().find("secret"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("hunter2"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("cr"), std::string::npos) << out.str();
  auto t = parsed(out.str());
  std::vector<std::string> in;
  for (const auto& e : t.events)
    if (e.dir == direction::dte_to_module) in.push_back(e.data);
  ASSERT_EQ(in.size(), 6u);
  EXPECT_EQ(in[0], "AT+ECMTCONN=0,\"dev01\",\"user\",\"**") << "chunks are written as they come, masked";
  EXPECT_EQ(in[1], "**");
  EXPECT_EQ(in[2], "**\"\r");
  EXPECT_EQ(in[3] + in[4] + in[5], "AT+ECMTCONN=1,dev,user,*******\r");
  EXPECT_EQ(joined(t, direction::module_to_dte), "AT+ECMTCONN=0,\"dev01\",\"user\",\"******\"\r\r\nOK\r\n");
  EXPECT_NE(out.str().find(R"(client_id=\"dev01\" user=\"user\" password=\"****\")"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find(R"(\"AT+ECMTCONN=0,\"dev01\",\"user\",\"******\"\")"), std::string::npos) << out.str();
}

TEST(Recorder, ShowSecretsWhenPasswordsAreNotRedacted) {
  std::ostringstream out;
  {
    recorder rec(out, {}, {.passwords = false}, t0);
    rec.dte_in("AT+ECMTCONN=0,\"d\",\"u\",\"secret\"\r", t0);
    rec.request(connect("d", "u", "secret"), t0);
  }
  auto t = parsed(out.str());
  EXPECT_TRUE(t.head.redacted.empty());
  EXPECT_EQ(joined(t, direction::dte_to_module), "AT+ECMTCONN=0,\"d\",\"u\",\"secret\"\r");
  EXPECT_NE(out.str().find(R"(password=\"secret\")"), std::string::npos);
}

TEST(Recorder, CredentialsMaskClientIdAndUserName) {
  std::ostringstream out;
  {
    recorder rec(out, {}, {.credentials = true}, t0);
    rec.dte_in("AT+ECMTCONN=0,\"dev", t0);
    rec.dte_in("ice-7\",alice,\"pw\"\r", t0 + 1ms);
    rec.request(connect("device-7", "alice", "pw"), t0 + 2ms);
  }
  auto t = parsed(out.str());
  EXPECT_EQ(t.head.redacted, (std::vector<std::string>{"passwords", "credentials"}));
  EXPECT_EQ(joined(t, direction::dte_to_module), "AT+ECMTCONN=0,\"********\",*****,\"**\"\r");
  EXPECT_EQ(out.str().find("device"), std::string::npos);
  EXPECT_EQ(out.str().find("alice"), std::string::npos);
  EXPECT_NE(out.str().find(R"(client_id=\"********\" user=\"*****\" password=\"****\")"), std::string::npos)
      << out.str();
}

TEST(Recorder, PayloadRedaction) {
  std::ostringstream out;
  {
    recorder rec(out, {}, {.payloads = true}, t0);
    // Typed byte by byte: held from "ECMTPUB=" to the end of the line.
    std::string line = "AT+ECMTPUB=0,0,0,0,\"test\",\"hello\"\r";
    for (std::size_t i = 0; i < line.size(); ++i) rec.dte_in(line.substr(i, 1), t0 + std::chrono::milliseconds(i));
    rec.dte_out("\r\nOK\r\n\r\n+ECMTPUB:0,0,0\r\n", t0 + 50ms);
    rec.dte_out("\r\n+ECMTRECV:0,0,\"test\",hello, world\r\n", t0 + 60ms);
    rec.dte_out("\r\n+ECMTRECV: 1,3,\"a,b\",x", t0 + 61ms);  // split inside the payload
    rec.dte_out("yz\r\n", t0 + 62ms);
    rec.request(mqtt::request::publish{0, 0, 0, false, "test", "hello"}, t0 + 70ms);
    rec.event(mqtt::event::message{0, 0, "test", "hello, world", 0, false}, t0 + 80ms);
    rec.note({modem::log_level::debug, "", "command line \"AT+ECMTPUB=0,0,0,0,\"test\",\"hello\"\""}, t0 + 90ms);
  }
  EXPECT_EQ(out.str().find("hello"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("world"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("xyz"), std::string::npos) << out.str();
  auto t = parsed(out.str());
  EXPECT_EQ(t.head.redacted, (std::vector<std::string>{"passwords", "payloads"}));
  EXPECT_EQ(joined(t, direction::dte_to_module), "AT+ECMTPUB=0,0,0,0,\"test\",\"<redacted 5 bytes>\"\r");
  // "AT+" went out at once; the rest waited for the CR.
  ASSERT_GE(t.events.size(), 4u);
  EXPECT_EQ(t.events[0].data, "A");
  EXPECT_EQ(t.events[2].data, "+");
  EXPECT_EQ(t.events[3].data, "ECMTPUB=0,0,0,0,\"test\",\"<redacted 5 bytes>\"\r");
  EXPECT_EQ(t.events[3].t_us, 33000) << "written with the time of the chunk that ended the line";
  EXPECT_EQ(joined(t, direction::module_to_dte),
            "\r\nOK\r\n\r\n+ECMTPUB:0,0,0\r\n\r\n+ECMTRECV:0,0,\"test\",<redacted 12 bytes>\r\n"
            "\r\n+ECMTRECV: 1,3,\"a,b\",<redacted 3 bytes>\r\n");
  EXPECT_NE(out.str().find(R"(publish id 0 msg 0 qos 0 \"test\" \"<redacted 5 bytes>\")"), std::string::npos);
  EXPECT_NE(out.str().find(R"(message id 0 msg 0 \"test\" \"<redacted 12 bytes>\" qos 0)"), std::string::npos);
}

TEST(Recorder, DataModePayloadRedaction) {
  std::ostringstream out;
  {
    recorder rec(out, {}, {.payloads = true}, t0);
    rec.dte_in("AT+ECMTPUB=0,5,1,0,\"test\"\r", t0);
    rec.dte_out("AT+ECMTPUB=0,5,1,0,\"test\"\r", t0);
    rec.dte_out("\r\n> ", t0 + 1ms);
    std::string data = "{\"t\":21.5}";
    for (std::size_t i = 0; i < data.size(); ++i) {
      rec.dte_in(data.substr(i, 1), t0 + std::chrono::milliseconds(10 + i));
      rec.dte_out(data.substr(i, 1), t0 + std::chrono::milliseconds(10 + i));  // echo
    }
    rec.dte_in(
        "\x1a"
        "AT\r",
        t0 + 30ms);
    rec.dte_out("\r\nOK\r\n", t0 + 35ms);
  }
  EXPECT_EQ(out.str().find("21.5"), std::string::npos) << out.str();
  auto t = parsed(out.str());
  EXPECT_EQ(joined(t, direction::dte_to_module),
            "AT+ECMTPUB=0,5,1,0,\"test\"\r<redacted 10 bytes>\x1a"
            "AT\r");
  EXPECT_EQ(joined(t, direction::module_to_dte), "AT+ECMTPUB=0,5,1,0,\"test\"\r\r\n> <redacted 10 bytes>\r\nOK\r\n");
}

TEST(Recorder, HeldBytesAreWrittenAtTheEnd) {
  std::ostringstream out;
  {
    recorder rec(out, {}, {.payloads = true}, t0);
    rec.dte_in("AT+ECMTPUB=0,0,0,0,\"t\",\"abc", t0 + 1ms);
  }  // the session ended inside the line
  auto t = parsed(out.str());
  EXPECT_EQ(joined(t, direction::dte_to_module), "AT+ECMTPUB=0,0,0,0,\"t\",<redacted 4 bytes>");
}

TEST(Recorder, FileTarget) {
  auto path = fs::temp_directory_path() / ("nt35e-rec-" + std::to_string(::getpid()) + ".jsonl");
  {
    recorder rec(path.string(), {}, {}, t0);
    rec.dte_in("AT\r", t0 + 1ms);
    auto r = load(path.string());  // readable while recording
    ASSERT_TRUE(std::holds_alternative<trace>(r));
    EXPECT_EQ(std::get<trace>(r).events.size(), 1u);
  }
  fs::remove(path);
  try {
    recorder rec("/nonexistent/dir/x.jsonl", {}, {}, t0);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "cannot write the trace to /nonexistent/dir/x.jsonl: No such file or directory");
  }
}

TEST(Redaction, TextHelpers) {
  EXPECT_EQ(redact_text("AT+ECMTCONN=0,\"c\",\"u\",\"p\";+CSQ\r", {}), "AT+ECMTCONN=0,\"c\",\"u\",\"*\";+CSQ\r");
  EXPECT_EQ(redact_text("AT+ECMTPUB=0,0,0,0,\"t\",\"\"\r", {.payloads = true}),
            "AT+ECMTPUB=0,0,0,0,\"t\",\"<redacted 0 bytes>\"\r");
  EXPECT_EQ(redact_text("AT+ECMTPUB=0,0,0,0,\"t\"\r", {.payloads = true}), "AT+ECMTPUB=0,0,0,0,\"t\"\r")
      << "data-mode form: no payload on the line";
  EXPECT_EQ(redact_text("AT+ECMTPUB=?\r", {.payloads = true}), "AT+ECMTPUB=?\r");
  EXPECT_EQ(redacted_names({true, true, true}), (std::vector<std::string>{"passwords", "payloads", "credentials"}));
  auto r = redact_options_from({"payloads", "unknown"});
  EXPECT_FALSE(r.passwords);
  EXPECT_TRUE(r.payloads);
  EXPECT_FALSE(r.credentials);
}

}  // namespace
}  // namespace nt35e::trace
