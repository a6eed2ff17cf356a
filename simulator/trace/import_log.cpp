#include "trace/import_log.hpp"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "at/text.hpp"
#include "at/urc_table.hpp"
#include "at/vocabulary.hpp"
#include "engine/interpreter.hpp"
#include "modem/modem.hpp"
#include "modem/profile.hpp"
#include "mqtt/loopback_broker.hpp"
#include "scenario/apply.hpp"
#include "scenario/scenario.hpp"
#include "trace/recorder.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {

// =================================================================================
// Names

const char* to_string(log_format f) {
  switch (f) {
    case log_format::automatic:
      return "auto";
    case log_format::plain:
      return "plain";
    case log_format::timestamped:
      return "timestamped";
    case log_format::sscom:
      return "sscom";
    case log_format::annotated:
      return "annotated";
    case log_format::hex:
      return "hex";
  }
  return "?";
}

std::optional<log_format> log_format_from_string(std::string_view name) {
  for (auto f : {log_format::automatic, log_format::plain, log_format::timestamped, log_format::sscom,
                 log_format::annotated, log_format::hex})
    if (name == to_string(f)) return f;
  return std::nullopt;
}

std::string describe(log_format f, bool annotated) {
  std::string base;
  switch (f) {
    case log_format::automatic:
      base = "automatic";
      break;
    case log_format::plain:
      base = "plain transcript";
      break;
    case log_format::timestamped:
      base = "timestamped lines";
      break;
    case log_format::sscom:
      base = "SSCOM-style log with 发→◇/收←◆ markers";
      break;
    case log_format::annotated:
      base = "annotated log";
      break;
    case log_format::hex:
      base = "hex dump";
      break;
  }
  if (annotated && f != log_format::annotated) base += " with comments";
  return base;
}

const char* to_string(line_role r) {
  switch (r) {
    case line_role::command:
      return "command";
    case line_role::data:
      return "data";
    case line_role::echo:
      return "echo";
    case line_role::response:
      return "response";
    case line_role::urc:
      return "urc";
    case line_role::comment:
      return "comment";
  }
  return "?";
}

std::string format(const import_message& m, const std::string& file) {
  std::string out = file;
  if (m.line > 0) out += ":" + std::to_string(m.line);
  switch (m.level) {
    case message_level::note:
      out += ": note: ";
      break;
    case message_level::warning:
      out += ": warning: ";
      break;
    case message_level::error:
      out += ": error: ";
      break;
  }
  return out + m.text;
}

bool imported_log::ok() const {
  return std::any_of(lines.begin(), lines.end(), [](const log_line& l) { return l.role != line_role::comment; });
}

// =================================================================================
// Text

namespace detail {

std::optional<std::string> gbk_to_utf8(std::string_view s) { return gbk_to_utf8(s, nullptr); }

std::optional<std::string> gbk_to_utf8(std::string_view s, std::size_t* bad_at) {
  iconv_t cd = iconv_open("UTF-8", "GBK");
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string in(s);
  std::string out(s.size() * 3 + 16, '\0');
  char* inp = in.data();
  std::size_t inleft = in.size();
  char* outp = out.data();
  std::size_t outleft = out.size();
  std::size_t r = iconv(cd, &inp, &inleft, &outp, &outleft);
  bool good = r != static_cast<std::size_t>(-1) && inleft == 0;
  if (!good && bad_at) *bad_at = static_cast<std::size_t>(inp - in.data());
  if (good) good = iconv(cd, nullptr, nullptr, &outp, &outleft) != static_cast<std::size_t>(-1);
  iconv_close(cd);
  if (!good) return std::nullopt;
  out.resize(out.size() - outleft);
  return out;
}

namespace {
// Days from 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& value) {
  if (pos + n > s.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

std::optional<std::int64_t> parse_stamp(std::string_view s, bool* has_date) {
  s = at::trim(s);
  std::size_t p = 0;
  std::int64_t day_us = 0;
  bool dated = false;
  int y = 0, mo = 0, d = 0;
  if (s.size() >= 10 && digits(s, 0, 4, y) && (s[4] == '-' || s[4] == '/') && digits(s, 5, 2, mo) && s[7] == s[4] &&
      digits(s, 8, 2, d)) {
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
    if (s.size() < 11 || (s[10] != '_' && s[10] != ' ' && s[10] != 'T')) return std::nullopt;
    p = 11;
    while (p < s.size() && s[p] == ' ') ++p;
    dated = true;
    day_us = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86'400'000'000LL;
  }
  int h = 0, mi = 0, sec = 0;
  std::size_t hl = (p + 1 < s.size() && s[p + 1] == ':') ? 1 : 2;
  if (!digits(s, p, hl, h) || p + hl >= s.size() || s[p + hl] != ':') return std::nullopt;
  p += hl + 1;
  if (!digits(s, p, 2, mi) || p + 2 >= s.size() || s[p + 2] != ':') return std::nullopt;
  p += 3;
  if (!digits(s, p, 2, sec)) return std::nullopt;
  p += 2;
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::int64_t frac_us = 0;
  if (p < s.size()) {
    if (s[p] != '.' && s[p] != ':' && s[p] != ',') return std::nullopt;
    ++p;
    std::size_t n = 0;
    std::int64_t v = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9' && n < 9) {
      v = v * 10 + (s[p] - '0');
      ++p;
      ++n;
    }
    if (n == 0 || p != s.size()) return std::nullopt;
    while (n < 6) {
      v *= 10;
      ++n;
    }
    while (n > 6) {
      v /= 10;
      --n;
    }
    frac_us = v;
  }
  if (has_date) *has_date = dated;
  return day_us + ((h * 60LL + mi) * 60LL + sec) * 1'000'000LL + frac_us;
}

}  // namespace detail

namespace {

using at::is_blank;
using at::trim_left;
using at::trim_line;

/// Text for a message: quoted, control bytes escaped, cut after 60 bytes (UTF-8 kept whole).
std::string shown(std::string_view s) {
  constexpr std::size_t max_shown = 60;
  std::size_t cut = std::min(max_shown, s.size());
  while (cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) ++cut;  // the rest of a character
  return "\"" + at::escape_bytes(s.substr(0, cut), {.high = at::escape_options::high_bytes::keep}) +
         (cut < s.size() ? "...\"" : "\"");
}

/// Bytes shown as text: UTF-8 as it is (control bytes too), other bytes of 0x80 and
/// above as \xNN.
std::string bytes_as_text(std::string_view s) {
  if (at::valid_utf8(s)) return std::string(s);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) < 0x80)
      out += s[i];
    else
      out += at::escape_bytes(s.substr(i, 1));
  }
  return out;
}

std::string clock_text(std::int64_t us) {
  us %= 86'400'000'000LL;
  if (us < 0) us += 86'400'000'000LL;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(us / 3'600'000'000LL),
                static_cast<long long>(us / 60'000'000LL % 60), static_cast<long long>(us / 1'000'000LL % 60),
                static_cast<long long>(us / 1000 % 1000));
  return buf;
}

std::string iso_text(std::int64_t us) {
  std::int64_t days = us / 86'400'000'000LL;
  // civil_from_days
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT", static_cast<long long>(y), m, d);
  return buf + clock_text(us);
}

// ---------------------------------------------------------------------------------
// What a line of AT traffic is

/// A module line that makes sense on its own (outside an answer): a URC, a banner, a result.
bool module_like(std::string_view t) {
  t = trim_line(t);
  if (t.empty()) return false;
  if (at::final_result_of(t) || at::is_prompt(t)) return true;
  // The NT35E's banner and other modules' ones.
  if (t == "ECRDY" || t == "RDY" || t == "READY" || at::istarts_with(t, "NORMAL POWER DOWN")) return true;
  return !at::response_name(t).empty() && t.size() > 1 && std::isalpha(static_cast<unsigned char>(t[1]));
}

/// Looks like AT traffic at all (for detecting the plain format).
bool at_like(std::string_view t) {
  t = trim_line(t);
  if (at::is_command_line(t) || module_like(t)) return true;
  return !t.empty() && t.find_first_not_of("0123456789") == std::string_view::npos && t.size() >= 6;
}

// ---------------------------------------------------------------------------------
// Comments (annotated logs)

/// Where a trailing comment starts (← …, <- …, // …, # …) outside quotes, preceded by
/// white space; npos when there is none. Raw payload lines need two blanks before it.
std::size_t find_comment(std::string_view s) {
  auto t = trim_left(s);
  std::size_t lead = s.size() - t.size();
  if (t.starts_with("#") || t.starts_with("//")) return lead;
  if (t.starts_with("←")) return lead;
  bool payload = at::istarts_with(t, "+ECMTRECV") || at::istarts_with(t, "AT+ECMTPUB");
  bool quoted = false;
  for (std::size_t i = lead; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (quoted || i == 0 || !is_blank(s[i - 1])) continue;
    auto rest = s.substr(i);
    bool arrow = rest.starts_with("←");
    bool marker =
        arrow || rest.starts_with("<--") || rest.starts_with("<-") || rest.starts_with("//") || rest.starts_with("#");
    if (!marker) continue;
    if (payload && !arrow && !(i >= 2 && is_blank(s[i - 2]))) continue;
    return i;
  }
  // A quote left open (a payload with an odd number of quotes): look again for a clear arrow.
  if (quoted) {
    auto a = s.find(" ←");
    if (a != std::string_view::npos) return a + 1;
  }
  return std::string_view::npos;
}

/// The comment's text without its marker.
std::string comment_text(std::string_view c) {
  c = trim_line(c);
  for (std::string_view m : {"←", "<--", "<-", "//", "#"})
    if (c.starts_with(m)) {
      c.remove_prefix(m.size());
      break;
    }
  return std::string(trim_line(c));
}

// ---------------------------------------------------------------------------------
// Direction markers

enum class from {
  unknown,
  host,
  module
};

/// Strips a send/receive marker of the serial tools (发→◇, 收←◆, also without the
/// diamond) from the front of `s`.
from take_sscom_marker(std::string_view& s) {
  static const std::pair<std::string_view, from> markers[] = {
      {"发→◇", from::host}, {"收←◆", from::module}, {"发→", from::host}, {"收←", from::module}};
  for (const auto& [m, d] : markers)
    if (s.starts_with(m)) {
      s.remove_prefix(m.size());
      return d;
    }
  return from::unknown;
}

/// Markers of hex dumps: > <, TX RX, 发 收 (and the SSCOM ones), with an optional ':'.
from take_hex_marker(std::string_view& s) {
  auto t = trim_left(s);
  if (auto d = take_sscom_marker(t); d != from::unknown) {
    s = t;
    return d;
  }
  static const std::pair<std::string_view, from> markers[] = {{"TX", from::host}, {"RX", from::module},
                                                              {"发", from::host}, {"收", from::module},
                                                              {">", from::host},  {"<", from::module}};
  for (const auto& [m, d] : markers) {
    if (!at::istarts_with(t, m)) continue;
    auto rest = t.substr(m.size());
    // "TX" must stand alone ("TX:", "TX ", "TX>"), so a hex byte is never taken for it.
    if (!rest.empty() && !is_blank(rest.front()) && rest.front() != ':' && rest.front() != '>' && rest.front() != '<' &&
        !(m.size() > 2))
      if (m == "TX" || m == "RX") continue;
    if (!rest.empty() && (rest.front() == ':' || rest.front() == '>' || rest.front() == '<')) rest.remove_prefix(1);
    s = trim_left(rest);
    return d;
  }
  return from::unknown;
}

/// Markers of timestamped text logs: "TX:" / "RX:" (with the colon).
from take_text_marker(std::string_view& s) {
  auto t = trim_left(s);
  if (at::istarts_with(t, "TX:")) {
    s = t.substr(3);
    return from::host;
  }
  if (at::istarts_with(t, "RX:")) {
    s = t.substr(3);
    return from::module;
  }
  return from::unknown;
}

/// A bracketed stamp at the front of `s`, removed.
std::optional<std::int64_t> take_stamp(std::string_view& s, bool& has_date) {
  auto t = trim_left(s);
  if (!t.starts_with("[")) return std::nullopt;
  auto close = t.find(']');
  if (close == std::string_view::npos) return std::nullopt;
  auto v = detail::parse_stamp(t.substr(1, close - 1), &has_date);
  if (!v) return std::nullopt;
  s = t.substr(close + 1);
  return v;
}

// ---------------------------------------------------------------------------------
// Hex dump lines

bool is_hex_digit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

/// Length of the UTF-8 sequence starting at s[i] (1 for anything broken).
std::size_t cp_len(std::string_view s, std::size_t i) {
  return std::min(at::utf8_sequence_length(static_cast<unsigned char>(s[i])), s.size() - i);
}

/// Does `column` show `bytes` (printable ASCII as itself, anything else as one other mark)?
bool column_matches(std::string_view column, std::string_view bytes) {
  std::size_t i = 0;
  for (char ch : bytes) {
    auto b = static_cast<unsigned char>(ch);
    if (i >= column.size()) return b == ' ';  // trailing spaces were trimmed
    std::size_t n = cp_len(column, i);
    if (b >= 0x20 && b < 0x7F) {
      if (n != 1 || column[i] != ch) return false;
    } else if (n == 1 && std::isalnum(static_cast<unsigned char>(column[i]))) {
      return false;
    }
    i += n;
  }
  return i == column.size();
}

/// The bytes of a hex dump line: an optional offset ("0000:", "00000010"), pairs of hex
/// digits, an optional ASCII column that must show the same bytes. Nothing when the line
/// is not one.
std::optional<std::string> parse_hex(std::string_view s) {
  s = trim_line(s);
  while (s.ends_with("□")) s = trim_line(s.substr(0, s.size() - std::string_view("□").size()));
  struct token {
    std::size_t pos;
    std::string_view text;
  };
  std::vector<token> tokens;
  for (std::size_t i = 0; i < s.size();) {
    while (i < s.size() && is_blank(s[i])) ++i;
    if (i >= s.size()) break;
    std::size_t j = i;
    while (j < s.size() && !is_blank(s[j])) ++j;
    tokens.push_back({i, s.substr(i, j - i)});
    i = j;
  }
  if (tokens.empty()) return std::nullopt;
  std::size_t first = 0;
  auto off = tokens[0].text;
  if (off.ends_with(":")) off.remove_suffix(1);
  if (off.size() >= 4 && off.size() <= 8 && std::all_of(off.begin(), off.end(), is_hex_digit) &&
      (tokens[0].text.ends_with(":") || tokens.size() > 1))
    first = 1;
  std::string bytes;
  std::size_t k = first;
  for (; k < tokens.size(); ++k) {
    auto t = tokens[k].text;
    if (t.size() != 2 || !is_hex_digit(t[0]) || !is_hex_digit(t[1])) break;
    bytes += static_cast<char>(std::stoi(std::string(t), nullptr, 16));
  }
  std::size_t nbytes = k - first;
  if (nbytes == 0) return std::nullopt;
  if (k == tokens.size()) {
    // No column. One lone pair could be anything ("OK" is not hex, but "00" is): need an
    // offset or two pairs.
    if (nbytes < 2 && first == 0) return std::nullopt;
    return bytes;
  }
  // A column follows: it must show the bytes; if not, maybe the last pairs were text.
  for (std::size_t kk = k; kk > first; --kk) {
    auto column = trim_line(s.substr(tokens[kk].pos));
    if (column.size() >= 2 && column.front() == '|' && column.back() == '|')
      column = column.substr(1, column.size() - 2);
    auto b = std::string_view(bytes).substr(0, kk - first);
    if (column_matches(column, b)) return std::string(b);
    if (kk == k) continue;
  }
  return std::nullopt;
}

// =================================================================================
// Reading the file into lines

struct physical_line {
  int number = 0;
  std::string text;  ///< decoded (UTF-8)
  bool decoded = true;
};

std::vector<physical_line> split_and_decode(std::string_view bytes, std::vector<import_message>& msgs,
                                            int& total_lines) {
  std::vector<physical_line> out;
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  int number = 1;
  std::size_t start = 0;
  std::vector<int> gbk_lines;
  auto flush_gbk = [&] {
    if (gbk_lines.empty()) return;
    // Runs of consecutive lines become one note.
    std::size_t i = 0;
    while (i < gbk_lines.size()) {
      std::size_t j = i;
      while (j + 1 < gbk_lines.size() && gbk_lines[j + 1] == gbk_lines[j] + 1) ++j;
      if (i == j)
        msgs.push_back({gbk_lines[i], message_level::note, "not valid UTF-8, read as GBK"});
      else
        msgs.push_back({gbk_lines[i], message_level::note,
                        "lines " + std::to_string(gbk_lines[i]) + " to " + std::to_string(gbk_lines[j]) +
                            " are not valid UTF-8, read as GBK"});
      i = j + 1;
    }
    gbk_lines.clear();
  };
  auto add = [&](std::string_view raw, int n) {
    // Lone CRs inside a line break it too (captures of raw module output), same number.
    std::string text;
    std::size_t bad = 0;
    if (at::valid_utf8(raw, &bad)) {
      text = std::string(raw);
    } else if (std::size_t gbad = 0; auto g = detail::gbk_to_utf8(raw, &gbad)) {
      text = *g;
      gbk_lines.push_back(n);
    } else {
      // Name the byte where the reading that got further stopped.
      std::size_t at = std::min(std::max(bad, gbad), raw.size() - 1);
      char buf[96];
      std::snprintf(buf, sizeof buf, "byte 0x%02X at byte %zu is invalid in both", static_cast<unsigned char>(raw[at]),
                    at + 1);
      msgs.push_back(
          {n, message_level::error, std::string("neither UTF-8 nor GBK: ") + buf + "; the line is left out"});
      out.push_back({n, std::string(raw), false});
      return;
    }
    std::size_t s = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (i == text.size() || text[i] == '\r') {
        out.push_back({n, text.substr(s, i - s), true});
        s = i + 1;
      }
    }
  };
  for (std::size_t i = 0; i <= bytes.size(); ++i) {
    if (i == bytes.size() || bytes[i] == '\n') {
      auto raw = bytes.substr(start, i - start);
      if (i < bytes.size() || !raw.empty()) {
        while (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        add(raw, number);
      }
      if (i < bytes.size()) ++number;
      start = i + 1;
    }
  }
  total_lines = bytes.empty() ? 0 : (bytes.back() == '\n' ? number - 1 : number);
  flush_gbk();
  return out;
}

// =================================================================================
// Lexing: physical lines to entries (text, direction, time, comment)

struct entry {
  int line = 0;
  std::optional<std::int64_t> stamp;
  bool stamp_has_date = false;
  from dir = from::unknown;
  std::string text;
  std::string bytes;  ///< hex dumps: the exact bytes
  bool has_bytes = false;
  std::string comment;  ///< a trailing comment, without its marker
  bool comment_only = false;
  bool continuation = false;  ///< no stamp or marker of its own
};

/// What the detector learns about one line.
struct line_shape {
  bool blank = true;
  bool stamped = false;
  bool sscom = false;
  bool hex = false;
  bool at = false;
  bool comment = false;
  bool comment_only = false;
};

line_shape shape_of(const physical_line& pl) {
  line_shape sh;
  if (!pl.decoded) return sh;
  std::string_view s = pl.text;
  if (trim_line(s).empty()) return sh;
  sh.blank = false;
  bool dated = false;
  std::string_view rest = s;
  if (take_stamp(rest, dated)) sh.stamped = true;
  std::string_view hexpart = rest;
  take_hex_marker(hexpart);
  if (parse_hex(hexpart)) sh.hex = true;
  std::string_view content = trim_left(rest);
  if (take_sscom_marker(content) != from::unknown)
    sh.sscom = true;
  else
    take_text_marker(content);
  auto c = find_comment(content);
  if (c != std::string_view::npos) {
    sh.comment = true;
    if (trim_line(content.substr(0, c)).empty()) sh.comment_only = true;
    content = content.substr(0, c);
  }
  if (!sh.hex && c != std::string_view::npos) {
    std::string_view h = hexpart;
    auto hc = find_comment(h);
    if (hc != std::string_view::npos && parse_hex(h.substr(0, hc))) sh.hex = true;
  }
  // SSCOM's □ marks line ends
  std::string text(content);
  for (std::size_t p; (p = text.find("□")) != std::string::npos;) text.replace(p, std::string_view("□").size(), " ");
  sh.at = at_like(text);
  return sh;
}

/// Splits text at SSCOM's □ (CR LF shown as a box).
std::vector<std::string> split_boxes(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto p = s.find("□", start);
    auto piece = s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start);
    out.push_back(std::string(piece));
    if (p == std::string_view::npos) break;
    start = p + std::string_view("□").size();
  }
  return out;
}

class lexer {
 public:
  lexer(log_format f, bool annotated, std::vector<import_message>& msgs) : f_(f), annotated_(annotated), msgs_(msgs) {}

  std::vector<entry> run(const std::vector<physical_line>& lines) {
    for (const auto& pl : lines) {
      if (!pl.decoded) continue;
      if (trim_line(pl.text).empty()) continue;
      if (f_ == log_format::hex)
        hex_line(pl);
      else
        text_line(pl);
    }
    if (f_ == log_format::hex) flush_hex();
    return std::move(out_);
  }

 private:
  /// Splits off a trailing comment (annotated logs only).
  std::string strip_comment(std::string_view& content) {
    if (!annotated_) return {};
    auto c = find_comment(content);
    if (c == std::string_view::npos) return {};
    auto text = comment_text(content.substr(c));
    content = trim_line(content.substr(0, c));
    return text.empty() ? std::string("(empty comment)") : text;
  }

  void add_comment(const physical_line& pl, std::optional<std::int64_t> stamp, bool dated, std::string text,
                   bool only) {
    entry e;
    e.line = pl.number;
    e.stamp = stamp;
    e.stamp_has_date = dated;
    e.comment = std::move(text);
    e.comment_only = only;
    out_.push_back(std::move(e));
  }

  void text_line(const physical_line& pl) {
    std::string_view s = pl.text;
    bool dated = false;
    auto stamp = (f_ == log_format::plain) ? std::nullopt : take_stamp(s, dated);
    std::string_view content = s;
    from dir = from::unknown;
    bool marked = false;
    if (f_ == log_format::sscom) {
      content = trim_left(content);
      dir = take_sscom_marker(content);
      marked = dir != from::unknown;
    } else if (f_ == log_format::timestamped) {
      dir = take_text_marker(content);
    }
    auto comment = strip_comment(content);
    if (!comment.empty() && trim_line(content).empty() && !marked) {
      add_comment(pl, stamp, dated, comment, true);
      return;
    }
    if (f_ == log_format::sscom) {
      if (marked) {
        last_dir_ = dir;
        last_stamp_ = stamp;
        last_dated_ = dated;
      } else if (last_dir_ != from::unknown) {
        dir = last_dir_;  // the rest of a received block
        if (!stamp) {
          stamp = last_stamp_;
          dated = last_dated_;
        }
      }
      bool first = true;
      for (auto& piece : split_boxes(content)) {
        auto t = trim_line(piece);
        if (t.empty()) continue;
        entry e;
        e.line = pl.number;
        e.stamp = stamp;
        e.stamp_has_date = dated;
        e.dir = dir;
        e.text = std::string(t);
        e.continuation = !(marked && first) && !stamp;
        out_.push_back(std::move(e));
        first = false;
      }
    } else {
      auto t = trim_line(content);
      if (!t.empty()) {
        entry e;
        e.line = pl.number;
        e.stamp = stamp;
        e.stamp_has_date = dated;
        e.dir = dir;
        e.text = std::string(t);
        e.continuation = !stamp;
        out_.push_back(std::move(e));
      }
    }
    if (!comment.empty()) add_comment(pl, stamp, dated, comment, false);
  }

  // Hex dumps: bytes of one direction are collected until the direction changes,
  // then cut into lines with their exact bytes.
  void hex_line(const physical_line& pl) {
    std::string_view s = pl.text;
    bool dated = false;
    auto stamp = take_stamp(s, dated);
    std::string_view content = s;
    auto dir = take_hex_marker(content);
    auto bytes = parse_hex(content);
    std::string comment;
    if (!bytes) {
      if (annotated_) {
        std::string_view c = content;
        comment = strip_comment(c);
        if (!comment.empty() && trim_line(c).empty()) {
          flush_hex();
          add_comment(pl, stamp, dated, comment, true);
          return;
        }
        bytes = parse_hex(c);
      }
    }
    if (!bytes) {
      // A hex dump of nothing but a marker line ("[10:15:02.123] RX:") just sets the direction.
      if (dir != from::unknown && trim_line(content).empty()) {
        if (dir != run_dir_) flush_hex();
        run_dir_ = dir;
        pending_stamp_ = stamp;
        pending_dated_ = dated;
        return;
      }
      msgs_.push_back(
          {pl.number, message_level::error, "cannot place " + shown(trim_line(pl.text)) + ": not hex bytes"});
      return;
    }
    if (dir == from::unknown) dir = run_dir_;
    if (dir != run_dir_ || dir == from::unknown) {
      // An unmarked dump is one stream; a marked one changes stream with the marker.
      if (dir != run_dir_) flush_hex();
    }
    run_dir_ = dir;
    if (!stamp) {
      stamp = pending_stamp_;
      dated = pending_dated_;
    }
    pending_stamp_.reset();
    for (char c : *bytes) run_.push_back({c, pl.number, stamp, dated});
    if (!comment.empty()) {
      flush_hex();
      add_comment(pl, stamp, dated, comment, false);
    }
  }

  struct hex_byte {
    char c;
    int line;
    std::optional<std::int64_t> stamp;
    bool dated;
  };

  void flush_hex() {
    std::size_t i = 0;
    while (i < run_.size()) {
      std::size_t start = i;
      // leading line ends belong to the line they frame
      while (i < run_.size() && (run_[i].c == '\r' || run_[i].c == '\n')) ++i;
      std::size_t content = i;
      while (i < run_.size() && run_[i].c != '\r' && run_[i].c != '\n') {
        char c = run_[i].c;
        ++i;
        if (c == 0x1A || c == 0x1B) break;  // end of a data-mode payload
      }
      std::size_t content_end = i;
      if (i < run_.size() && run_[i].c == '\r') {
        ++i;
        if (i < run_.size() && run_[i].c == '\n') ++i;
      } else if (i < run_.size() && run_[i].c == '\n') {
        ++i;
      }
      entry e;
      std::size_t at = content < run_.size() ? content : start;
      e.line = run_[at].line;
      e.stamp = run_[at].stamp;
      e.stamp_has_date = run_[at].dated;
      e.dir = run_dir_;
      std::string text;
      for (std::size_t k = content; k < content_end; ++k) text += run_[k].c;
      while (!text.empty() && (text.back() == 0x1A || text.back() == 0x1B)) text.pop_back();
      for (std::size_t k = start; k < i; ++k) e.bytes += run_[k].c;
      e.has_bytes = true;
      e.text = bytes_as_text(trim_line(text));
      if (content_end == content && !e.text.empty()) e.text.clear();
      if (e.text.empty()) {
        // Only line ends: glue them to the previous line of the same stream.
        if (!out_.empty() && out_.back().has_bytes && out_.back().dir == run_dir_) out_.back().bytes += e.bytes;
        continue;
      }
      e.text = std::string(trim_line(e.text));
      out_.push_back(std::move(e));
    }
    run_.clear();
  }

  log_format f_;
  bool annotated_;
  std::vector<import_message>& msgs_;
  std::vector<entry> out_;
  from last_dir_ = from::unknown;
  std::optional<std::int64_t> last_stamp_;
  bool last_dated_ = false;
  std::vector<hex_byte> run_;
  from run_dir_ = from::unknown;
  std::optional<std::int64_t> pending_stamp_;
  bool pending_dated_ = false;
};

// =================================================================================
// Placing entries: roles and times

class placer {
 public:
  placer(bool timed, std::vector<import_message>& msgs, log_format f) : timed_(timed), msgs_(msgs), format_(f) {}

  std::vector<log_line> run(const std::vector<entry>& entries, std::string& started) {
    for (const auto& e : entries) place(e);
    assign_times(entries_for_lines_, started);
    return std::move(out_);
  }

 private:
  enum class waiting {
    nothing,
    answer,
    data
  };

  void emit(const entry& e, line_role role, std::string text, std::string bytes = {}) {
    log_line l;
    l.line = e.line;
    l.role = role;
    l.text = std::move(text);
    l.bytes = std::move(bytes);
    out_.push_back(std::move(l));
    entries_for_lines_.push_back(&e);
  }

  void place(const entry& e) {
    if (e.comment_only || (e.text.empty() && !e.comment.empty())) {
      emit(e, line_role::comment, e.comment);
      return;
    }
    std::string text = e.text;
    from dir = e.dir;
    if (dir == from::unknown) {
      if (state_ == waiting::data && !at::final_result_of(text) && !at::is_command_line(text))
        dir = from::host;
      else if (at::is_command_line(text)) {
        if (!out_.empty() && last_command_ >= 0 && module_since_command_ == 0 && host_since_command_ == 0 &&
            out_[static_cast<std::size_t>(last_command_)].text == text)
          dir = from::module;  // the module's echo of the line above
        else
          dir = from::host;
      } else {
        dir = from::module;
      }
    }
    if (dir == from::host)
      place_host(e, text);
    else
      place_module(e, text, e.dir == from::unknown);
    if (!e.comment.empty()) emit(e, line_role::comment, e.comment);
  }

  void place_host(const entry& e, const std::string& text) {
    if (state_ == waiting::data || !at::is_command_line(text)) {
      if (state_ != waiting::data)
        msgs_.push_back({e.line, message_level::note,
                         "the host sent " + shown(text) + ", which is not an AT command; kept as data"});
      emit(e, line_role::data, text, e.bytes);
      last_data_ = static_cast<int>(out_.size()) - 1;
      state_ = waiting::answer;
      module_since_command_ = 0;
      ++host_since_command_;
      return;
    }
    emit(e, line_role::command, text, e.bytes);
    last_command_ = static_cast<int>(out_.size()) - 1;
    last_data_ = -1;
    command_name_ = at::command_name(text);
    state_ = waiting::answer;
    module_since_command_ = 0;
    host_since_command_ = 0;
  }

  void place_module(const entry& e, std::string text, bool by_content) {
    // The echo of the command (or of the data) just sent.
    if (module_since_command_ == 0 && last_command_ >= 0) {
      const auto& ref = out_[static_cast<std::size_t>(last_data_ >= 0 ? last_data_ : last_command_)];
      if (host_since_command_ <= 1 && ref.text == text && ref.line <= e.line) {
        emit(e, line_role::echo, text, e.bytes);
        return;
      }
    }
    // "> payload": the prompt and what the host typed after it, on one line of a transcript.
    if (by_content && state_ == waiting::answer && text.size() > 2 && text.starts_with("> ") &&
        command_name_ == "+ECMTPUB") {
      emit(e, line_role::response, ">", {});
      ++module_since_command_;
      entry copy = e;
      place_host(copy, std::string(trim_line(std::string_view(text).substr(2))));
      return;
    }
    if (state_ == waiting::answer) {
      // Any URC in the table, other modules' too: customer logs come from many modules.
      auto name = at::response_name(text);
      if (!name.empty() && name != command_name_ && at::find_urc(name)) {
        emit(e, line_role::urc, text, e.bytes);
        return;
      }
      emit(e, line_role::response, text, e.bytes);
      ++module_since_command_;
      if (at::final_result_of(text))
        state_ = waiting::nothing;
      else if (at::is_prompt(text))
        state_ = waiting::data;
      return;
    }
    if (state_ == waiting::data && at::final_result_of(text)) {
      emit(e, line_role::response, text, e.bytes);
      state_ = waiting::nothing;
      return;
    }
    if (by_content && !module_like(text)) {
      msgs_.push_back(
          {e.line, message_level::error,
           "cannot place " + shown(text) + ": it is not an AT command, and no command is waiting for an answer here"});
      return;
    }
    ++module_since_command_;
    emit(e, at::final_result_of(text) ? line_role::response : line_role::urc, text, e.bytes);
  }

  void assign_times(const std::vector<const entry*>& src, std::string& started) {
    if (timed_) {
      std::optional<std::int64_t> first, prev;
      constexpr std::int64_t day = 86'400'000'000LL;
      std::int64_t day_base = 0;    // midnight of the last date given
      std::int64_t day_offset = 0;  // days added at midnight crossings since then
      std::vector<std::optional<std::int64_t>> when(out_.size());
      int last_warned = -1;
      bool first_stamp = true;
      for (std::size_t i = 0; i < out_.size(); ++i) {
        const auto* e = src[i];
        if (!e->stamp) continue;
        std::int64_t t = 0;
        if (e->stamp_has_date) {
          day_base = *e->stamp / day * day;
          day_offset = 0;
          t = *e->stamp;
          if (first_stamp) started = iso_text(t);
        } else {
          t = day_base + day_offset + *e->stamp;
        }
        first_stamp = false;
        if (prev && t < *prev) {
          if (!e->stamp_has_date && *prev - t > 12LL * 3600 * 1'000'000) {
            day_offset += day;
            t += day;
            msgs_.push_back({e->line, message_level::note, "the clock passes midnight here; counted as the next day"});
          }
          if (t < *prev) {
            if (last_warned != e->line)
              msgs_.push_back({e->line, message_level::warning,
                               "time " + clock_text(*e->stamp) + " is earlier than the line before (" +
                                   clock_text(*prev) + "); kept in log order, at the time of the line before"});
            last_warned = e->line;
            t = *prev;
          }
        }
        prev = t;
        when[i] = t;
        if (!first) first = t;
      }
      // Lines before the first stamp take the first stamp; lines without one, the one before.
      std::int64_t last = first.value_or(0);
      for (std::size_t i = 0; i < out_.size(); ++i) {
        if (when[i]) last = *when[i];
        out_[i].t_us = last - first.value_or(0);
      }
      return;
    }
    // No times in the log: commands 100 ms apart, answers 5 ms after, URCs 300 ms after.
    std::int64_t t = 0;
    for (std::size_t i = 0; i < out_.size(); ++i) {
      if (i > 0) {
        switch (out_[i].role) {
          case line_role::command:
          case line_role::data:
            t += 100'000;
            break;
          case line_role::response:
            // one answer is one write: its lines come together, 5 ms after the command
            if (out_[i - 1].role != line_role::response) t += 5'000;
            break;
          case line_role::urc:
            t += 300'000;
            break;
          case line_role::echo:
          case line_role::comment:
            break;
        }
      }
      out_[i].t_us = t;
    }
  }

  bool timed_;
  std::vector<import_message>& msgs_;
  log_format format_;
  std::vector<log_line> out_;
  std::vector<const entry*> entries_for_lines_;
  waiting state_ = waiting::nothing;
  int last_command_ = -1;
  int last_data_ = -1;
  std::string command_name_;
  int module_since_command_ = 0;
  int host_since_command_ = 0;
};

/// Messages in line order; those about the whole file (line 0) last.
bool by_line(const import_message& a, const import_message& b) {
  auto key = [](int l) { return l == 0 ? INT_MAX : l; };
  return key(a.line) < key(b.line);
}

// =================================================================================
// Detecting the format

struct detection {
  std::optional<log_format> format;
  bool annotated = false;
  std::string why_not;  ///< when nothing fits: what was tried
};

detection detect(const std::vector<physical_line>& lines) {
  int nonblank = 0, stamped = 0, sscom = 0, hex = 0, at = 0, comments = 0, comment_only = 0, undecoded = 0;
  for (const auto& pl : lines) {
    if (!pl.decoded) {
      ++undecoded;
      continue;
    }
    auto sh = shape_of(pl);
    if (sh.blank) continue;
    ++nonblank;
    stamped += sh.stamped;
    sscom += sh.sscom;
    hex += sh.hex;
    at += sh.at;
    comments += sh.comment;
    comment_only += sh.comment_only;
  }
  detection d;
  d.annotated = comments > 0;
  int content = nonblank - comment_only;
  if (content > 0) {
    if (hex * 10 >= content * 6)
      d.format = log_format::hex;
    else if (sscom > 0)
      d.format = log_format::sscom;
    else if (stamped * 2 >= content && at * 2 >= content)
      d.format = log_format::timestamped;
    else if (stamped == 0 && at * 2 >= content && at > 0)
      d.format = log_format::plain;
  }
  if (d.format) {
    if (*d.format == log_format::hex) d.annotated = false;  // decided again per line by the lexer
    return d;
  }
  auto of = [&](int n) { return std::to_string(n) + " of " + std::to_string(nonblank) + " lines"; };
  d.why_not = "tried plain (" + of(at) + " look like AT commands or module output; at least half must), " +
              "timestamped (" + of(stamped) + " start with a [time] stamp), " + "sscom (" +
              (sscom ? of(sscom) : std::string("no line")) + " with 发→◇/收←◆ markers), " + "annotated (" +
              of(comments) + " with ← // # comments), " + "hex (" + of(hex) + " are hex bytes; at least 60% must)";
  if (undecoded > 0) d.why_not += "; " + std::to_string(undecoded) + " lines are neither UTF-8 nor GBK";
  return d;
}

}  // namespace

// =================================================================================
// import_log

imported_log import_log(std::string_view bytes, const std::string& name, const import_options& options) {
  imported_log log;
  log.name = name;
  auto lines = split_and_decode(bytes, log.messages, log.total_lines);
  bool any =
      std::any_of(lines.begin(), lines.end(), [](const physical_line& pl) { return !trim_line(pl.text).empty(); });
  if (!any) {
    log.messages.push_back({0, message_level::error, "the log is empty"});
    return log;
  }
  // A trace given to the importer: say what it is.
  for (const auto& pl : lines) {
    if (trim_line(pl.text).empty()) continue;
    if (pl.decoded && trim_line(pl.text).starts_with("{\"trace\":\"nt35e-sim\"")) {
      log.messages.push_back({pl.number, message_level::error,
                              "this is already an nt35e-sim trace; give it to --replay or to nt35e-sim report "
                              "as it is"});
      return log;
    }
    break;
  }
  auto detected = detect(lines);
  log_format f = options.format;
  bool annotated = detected.annotated;
  if (f == log_format::automatic) {
    if (!detected.format) {
      log.messages.push_back(
          {0, message_level::error,
           "cannot tell the format of the log: " + detected.why_not + "; give --format to read it as one of them"});
      return log;
    }
    f = *detected.format;
  } else if (f == log_format::annotated) {
    annotated = true;
    f = detected.format && *detected.format != log_format::annotated ? *detected.format : log_format::plain;
  } else {
    // A forced base format keeps comments only when the log has them.
  }
  if (f == log_format::hex) annotated = true;  // a comment never parses as hex, so looking costs nothing
  log.format = f;

  lexer lx(f, annotated, log.messages);
  auto entries = lx.run(lines);
  log.annotated = std::any_of(entries.begin(), entries.end(), [](const entry& e) { return !e.comment.empty(); });
  log.timed = std::any_of(entries.begin(), entries.end(), [](const entry& e) { return e.stamp.has_value(); });
  if (f == log_format::timestamped && !log.timed)
    log.messages.push_back({0, message_level::warning, "no line has a [time] stamp; times are made up"});

  placer pc(log.timed, log.messages, f);
  log.lines = pc.run(entries, log.started);
  if (!log.ok())
    log.messages.push_back({0, message_level::error,
                            "no line of the log could be placed as a command or a module output (read as " +
                                describe(f, log.annotated) + ")"});
  std::stable_sort(log.messages.begin(), log.messages.end(), by_line);
  return log;
}

// =================================================================================
// The trace

std::string to_trace(const imported_log& log) {
  header h;
  h.profile = "nt35e";
  h.started = log.started;
  redact_options redact;  // passwords, as recordings do
  h.redacted = redacted_names(redact);
  std::string out = to_jsonl(h);
  bool in_info = false;  // the line before was information text of the same answer
  for (const auto& l : log.lines) {
    event e;
    e.t_us = l.t_us;
    bool info = l.role == line_role::response && !at::final_result_of(l.text) && !at::is_prompt(l.text);
    bool info_continues = info && in_info;
    if (l.role != line_role::comment) in_info = info;
    switch (l.role) {
      case line_role::command:
        e.dir = direction::dte_to_module;
        e.data = l.bytes.empty() ? l.text + "\r" : l.bytes;
        break;
      case line_role::data:
        e.dir = direction::dte_to_module;
        e.data = l.bytes.empty() ? l.text + "\x1a" : l.bytes;
        break;
      case line_role::echo:
        e.dir = direction::module_to_dte;
        e.data = l.bytes.empty() ? l.text + "\r" : l.bytes;
        break;
      case line_role::response:
      case line_role::urc:
        e.dir = direction::module_to_dte;
        if (!l.bytes.empty())
          e.data = l.bytes;
        else if (l.text == ">")
          e.data = "\r\n> ";
        else if (info_continues)
          e.data = l.text + "\r\n";  // the next line of one information text
        else
          e.data = "\r\n" + l.text + "\r\n";
        break;
      case line_role::comment:
        e.dir = direction::state;
        e.text = "log line " + std::to_string(l.line) + ": " + l.text;
        e.reason = "import.comment";
        break;
    }
    if (l.role == line_role::command || l.role == line_role::echo) e.data = redact_text(e.data, redact);
    out += to_jsonl(e);
  }
  return out;
}

// =================================================================================
// The scenario

namespace {

using ojson = nlohmann::ordered_json;
using ms = std::chrono::milliseconds;

std::string duration_text(std::int64_t msec) {
  if (msec < 0) msec = 0;
  if (msec == 0) return "0s";
  if (msec % 3'600'000 == 0) return std::to_string(msec / 3'600'000) + "h";
  if (msec % 60'000 == 0) return std::to_string(msec / 60'000) + "m";
  if (msec % 1000 == 0) return std::to_string(msec / 1000) + "s";
  return std::to_string(msec) + "ms";
}

/// A command line as it may be shown: passwords masked as recordings mask them.
std::string masked(const std::string& line) { return redact_text(line, redact_options{}); }

/// JSON written as the scenario files are: `{"key": value, "key": value}`.
std::string dump_inline(const ojson& j) {
  if (j.is_object()) {
    std::string out = "{";
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) out += ", ";
      first = false;
      out += ojson(it.key()).dump() + ": " + dump_inline(it.value());
    }
    return out + "}";
  }
  if (j.is_array()) {
    std::string out = "[";
    bool first = true;
    for (const auto& v : j) {
      if (!first) out += ", ";
      first = false;
      out += dump_inline(v);
    }
    return out + "]";
  }
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

/// A query with no side effect whose answer does not depend on the session so far.
bool independent_query(std::string_view command) {
  static const std::set<std::string> names = {"I",     "+CSQ", "+CESQ", "+CGSN", "+GSN",  "+CIMI", "+ECICCID",
                                              "+CGMI", "+GMI", "+CGMM", "+GMM",  "+CGMR", "+GMR",  "+CCLK"};
  auto name = at::command_name(command);
  if (!names.count(name)) return false;
  auto rest = trim_line(command.substr(2 + name.size()));
  return rest.empty() || rest == "?";
}

/// One module line the simulator wrote, with the host line it followed.
struct sim_line {
  std::string text;
  int anchor = -1;  ///< index of the host item before it (-1: before the first)
  bool response = false;
};

/// A host line of the log with what the log says came back.
struct host_item {
  std::size_t index = 0;  ///< into imported_log::lines
  bool command = true;
  std::vector<std::string> answer;  ///< response lines (no echo)
  bool answered = false;            ///< a final result or prompt is among them
  std::int64_t t_us = 0;
  std::int64_t answer_t_us = 0;  ///< time of the last answer line (or t_us)
};

/// The simulator's core with a manual clock and the scripted broker, as the unit
/// tests drive it (tests/support/core_harness.hpp), fed with the log's host lines.
class reference {
 public:
  explicit reference(const scenario::scenario& world, const modem::profile& p)
      : now_(engine::time_point{} + std::chrono::hours(1)),
        start_(now_),
        interp_(p, now_, world),
        broker_(world.broker),
        scale_(p.time_scale) {
    queue(broker_.start());
  }

  engine::time_point now() const { return now_; }
  engine::time_point start() const { return start_; }

  void send(std::string_view bytes) { apply(interp_.feed(bytes, now_)); }

  /// Runs to `target`, firing everything due on the way.
  void run_until(engine::time_point target) {
    while (true) {
      auto t = next();
      if (!t || *t > target) break;
      step(*t);
    }
    if (target > now_) now_ = target;
  }

  /// Runs until `done()` or `limit`; returns whether `done()` became true.
  template <class F>
  bool run_while_not(F done, engine::time_point limit) {
    while (!done()) {
      auto t = next();
      if (!t || *t > limit) {
        now_ = std::max(now_, limit);
        return done();
      }
      step(*t);
    }
    return true;
  }

  std::string take_output() {
    std::string out;
    out.swap(output_);
    return out;
  }

 private:
  std::optional<engine::time_point> next() const {
    auto t = interp_.next_deadline();
    if (!events_.empty() && (!t || events_.front().first < *t)) t = events_.front().first;
    return t;
  }
  void step(engine::time_point t) {
    now_ = std::max(now_, t);
    if (!events_.empty() && events_.front().first <= t &&
        (!interp_.next_deadline() || events_.front().first <= *interp_.next_deadline())) {
      auto what = std::move(events_.front().second);
      events_.erase(events_.begin());
      if (auto* ev = std::get_if<mqtt::any_event>(&what))
        apply(interp_.on_mqtt_event(*ev, now_));
      else
        queue(broker_.publish_now(std::get<mqtt::loopback_broker::broker_publish>(what)));
    } else {
      apply(interp_.on_timer(now_));
    }
  }
  void apply(engine::actions actions) {
    for (auto& a : actions) {
      if (auto* w = std::get_if<engine::write_bytes>(&a))
        output_ += w->bytes;
      else if (auto* r = std::get_if<mqtt::any_request>(&a))
        queue(broker_.handle(*r));
    }
  }
  void queue(std::vector<mqtt::loopback_broker::timed_event> events) {
    for (auto& e : events) {
      auto due = now_ + std::chrono::duration_cast<engine::duration>(
                            std::chrono::duration<double, std::milli>(e.delay_ms * scale_));
      auto pos = std::find_if(events_.begin(), events_.end(), [&](const auto& x) { return x.first > due; });
      events_.insert(pos, {due, std::move(e.what)});
    }
  }

  engine::time_point now_;
  engine::time_point start_;
  engine::interpreter interp_;
  mqtt::loopback_broker broker_;
  double scale_;
  std::vector<std::pair<engine::time_point, std::variant<mqtt::any_event, mqtt::loopback_broker::broker_publish>>>
      events_;
  std::string output_;
};

/// The module's output as a DTE reads it: lines without their blanks and line ends, the
/// data prompt as ">".
class line_cutter {
 public:
  std::vector<std::string> push(std::string_view bytes) {
    std::vector<std::string> out;
    cutter_.push(bytes, [&](std::string_view line) {
      if (auto t = trim_line(line); !t.empty()) out.emplace_back(t);
    });
    return out;
  }

 private:
  at::output_line_cutter cutter_{std::numeric_limits<std::size_t>::max()};
};

struct run_result {
  std::vector<std::vector<std::string>> answers;  ///< per host item
  std::vector<bool> answered;
  std::vector<sim_line> urcs;  ///< lines outside answers, in order
  std::vector<sim_line> all;   ///< every module line but echo, in order
};

/// Longest common subsequence of two lists of strings: the pairs (i, j) matched.
std::vector<std::pair<std::size_t, std::size_t>> lcs(const std::vector<std::string>& a,
                                                     const std::vector<std::string>& b) {
  std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::uint32_t>> L(n + 1, std::vector<std::uint32_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;) L[i][j] = a[i] == b[j] ? L[i + 1][j + 1] + 1 : std::max(L[i + 1][j], L[i][j + 1]);
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] == b[j]) {
      out.emplace_back(i, j);
      ++i;
      ++j;
    } else if (L[i + 1][j] >= L[i][j + 1]) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

class scenario_builder {
 public:
  explicit scenario_builder(const imported_log& log) : log_(log) {
    collect_items();
    detect_style();
  }

  scenario_result build() {
    scenario_result res;
    fault_rules();
    // Answers: replace those that differ, first difference first (a replaced answer
    // means the command does not run, which changes what follows).
    std::set<std::size_t> replaced;
    auto replace = [&](std::size_t h, const run_result& run) {
      const auto& it = items_[h];
      const auto& l = log_.lines[it.index];
      replaced.insert(h);
      auto trig = trigger_for(h, false);
      ojson r;
      r["on_command"] = trig.first;
      r["occurrence"] = trig.second;
      r["then"] = ojson::array({ojson{{"action", "replace_response"}, {"text", framed_answer(h)}}});
      add_rule(std::move(r), l.line,
               masked(l.text) + " answered " + joined(it.answer) + " (the simulator: " + joined(run.answers[h]) + ")");
    };
    auto differs = [&](std::size_t h, const run_result& run) {
      if (replaced.count(h) || noted_.count(h)) return false;
      if (!items_[h].answered && !has_later_lines(h)) return false;  // the log ends before the answer
      return run.answers[h] != items_[h].answer;
    };
    for (int round = 0; round < 1000; ++round) {
      auto run = simulate(world());
      std::optional<std::size_t> diff;
      for (std::size_t h = 0; h < items_.size() && !diff; ++h)
        if (differs(h, run)) diff = h;
      if (!diff) break;
      auto h = *diff;
      const auto& it = items_[h];
      const auto& l = log_.lines[it.index];
      if (!it.command) {
        noted_.insert(h);
        res.messages.push_back({l.line, message_level::warning,
                                "the simulator answers the data sent here with " + joined(run.answers[h]) +
                                    ", the log shows " + joined(it.answer) +
                                    "; a scenario can change the answer to a command line only"});
        continue;
      }
      replace(h, run);
      // Queries whose answer depends on nothing that went before (signal, identity) are
      // replaced in the same round: their replacement changes nothing after them.
      for (std::size_t k = h + 1; k < items_.size(); ++k)
        if (items_[k].command && independent_query(log_.lines[items_[k].index].text) && differs(k, run))
          replace(k, run);
    }
    // URCs: those the log has and the simulator does not write are injected.
    auto run = simulate(world());
    std::vector<std::string> logu, simu;
    std::vector<std::size_t> log_idx;
    for (std::size_t i = 0; i < log_.lines.size(); ++i)
      if (log_.lines[i].role == line_role::urc) {
        logu.push_back(log_.lines[i].text);
        log_idx.push_back(i);
      }
    bool log_has_boot = std::any_of(log_idx.begin(), log_idx.end(), [&](std::size_t i) { return anchor_of(i) < 0; });
    std::vector<const sim_line*> simu_lines;
    for (const auto& s : run.urcs) {
      if (s.anchor < 0 && !log_has_boot) continue;  // the log starts after the boot
      simu.push_back(s.text);
      simu_lines.push_back(&s);
    }
    auto pairs = lcs(logu, simu);
    std::vector<bool> log_matched(logu.size()), sim_matched(simu.size());
    for (auto [i, j] : pairs) {
      log_matched[i] = true;
      sim_matched[j] = true;
    }
    // Equal lines after the same command that the alignment left over came in another
    // order (acks and incoming messages may swap, §7.5): same URCs, nothing to inject.
    for (std::size_t k = 0; k < logu.size(); ++k) {
      if (log_matched[k]) continue;
      for (std::size_t j = 0; j < simu.size(); ++j)
        if (!sim_matched[j] && simu[j] == logu[k] && simu_lines[j]->anchor == anchor_of(log_idx[k])) {
          log_matched[k] = sim_matched[j] = true;
          res.messages.push_back({log_.lines[log_idx[k]].line, message_level::note,
                                  shown(logu[k]) + " comes in another order among the URCs around it in the "
                                                   "simulator (acknowledgements and incoming messages may swap)"});
          break;
        }
    }
    for (std::size_t k = 0; k < logu.size(); ++k)
      if (!log_matched[k]) inject(log_idx[k]);
    for (std::size_t j = 0; j < simu.size(); ++j) {
      if (sim_matched[j]) continue;
      int a = simu_lines[j]->anchor;
      if (a >= 0 && !has_later_lines(static_cast<std::size_t>(a)) && !items_[static_cast<std::size_t>(a)].answered)
        continue;
      int line = a >= 0 ? log_.lines[items_[static_cast<std::size_t>(a)].index].line : 0;
      std::string where =
          a >= 0 ? "after " + shown(masked(log_.lines[items_[static_cast<std::size_t>(a)].index].text)) : "at power-on";
      if (a >= 0 && static_cast<std::size_t>(a) + 1 == items_.size() && !log_has_lines_after_last_answer())
        continue;  // the log ends before it would come
      res.messages.push_back({line, message_level::note,
                              "the simulator also writes " + shown(simu[j]) + " " + where +
                                  ", which the log does not show; a scenario cannot take a URC away"});
    }
    // Check: run the finished scenario and count the module lines it reproduces.
    auto check = simulate(world());
    std::vector<std::string> logm, simm;
    std::vector<int> logm_line, logm_anchor;
    for (std::size_t i = 0; i < log_.lines.size(); ++i) {
      const auto& l = log_.lines[i];
      if (l.role == line_role::response || l.role == line_role::urc) {
        logm.push_back(l.text);
        logm_line.push_back(l.line);
        logm_anchor.push_back(anchor_of(i));
      }
    }
    for (const auto& s : check.all) simm.push_back(s.text);
    auto matched = lcs(logm, simm);
    std::vector<bool> ok(logm.size()), sim_ok(simm.size());
    for (auto [i, j] : matched) ok[i] = sim_ok[j] = true;
    int reproduced = static_cast<int>(matched.size());
    for (std::size_t i = 0; i < logm.size(); ++i) {
      if (ok[i]) continue;
      for (std::size_t j = 0; j < simm.size(); ++j)
        if (!sim_ok[j] && simm[j] == logm[i] && check.all[j].anchor == logm_anchor[i]) {
          ok[i] = sim_ok[j] = true;
          ++reproduced;
          break;
        }
    }
    res.module_lines = static_cast<int>(logm.size());
    res.reproduced = reproduced;
    for (std::size_t i = 0; i < logm.size(); ++i)
      if (!ok[i])
        res.messages.push_back(
            {logm_line[i], message_level::warning, shown(logm[i]) + " is not reproduced by the scenario"});
    for (auto& m : messages_) res.messages.push_back(m);
    std::stable_sort(res.messages.begin(), res.messages.end(), by_line);
    res.rules = static_cast<int>(rules_.size());
    res.json = render();
    return res;
  }

 private:
  static std::string joined(const std::vector<std::string>& lines) {
    if (lines.empty()) return "nothing";
    std::string out;
    for (const auto& l : lines) out += (out.empty() ? "" : " ") + shown(l);
    return out;
  }

  void collect_items() {
    for (std::size_t i = 0; i < log_.lines.size(); ++i) {
      const auto& l = log_.lines[i];
      if (l.host()) {
        host_item h;
        h.index = i;
        h.command = l.role == line_role::command;
        h.t_us = h.answer_t_us = l.t_us;
        items_.push_back(h);
      } else if (l.role == line_role::response && !items_.empty()) {
        auto& h = items_.back();
        h.answer.push_back(l.text);
        h.answer_t_us = l.t_us;
        if (at::final_result_of(l.text) || at::is_prompt(l.text)) h.answered = true;
      }
      if (l.role == line_role::urc) {
        if (first_urc_t_ < 0) first_urc_t_ = l.t_us;
        if (l.text == "ECRDY" && ecrdy_t_ < 0 && items_.empty()) ecrdy_t_ = l.t_us;
      }
    }
  }

  /// Spaced style ("+CSQ: 23,99") when most +NAME: lines of the module have the space.
  void detect_style() {
    int spaced = 0, compact = 0;
    for (const auto& l : log_.lines) {
      if (!l.module() || l.role == line_role::echo || at::final_result_of(l.text)) continue;
      auto name = at::response_name(l.text);
      if (name.empty() || l.text.size() <= name.size() || l.text[name.size()] != ':') continue;
      if (l.text.size() > name.size() + 1 && l.text[name.size() + 1] == ' ')
        ++spaced;
      else
        ++compact;
    }
    spaced_ = spaced > compact;
  }

  bool has_later_lines(std::size_t h) const {
    std::size_t next = h + 1 < items_.size() ? items_[h + 1].index : log_.lines.size();
    for (std::size_t i = items_[h].index + 1; i < log_.lines.size(); ++i)
      if (log_.lines[i].role != line_role::comment) return true;
    return next < log_.lines.size();
  }

  bool log_has_lines_after_last_answer() const {
    if (items_.empty()) return true;
    const auto& h = items_.back();
    for (std::size_t i = h.index + 1; i < log_.lines.size(); ++i)
      if (log_.lines[i].role == line_role::urc) return true;
    return false;
  }

  /// The host item a log line follows (-1: none).
  int anchor_of(std::size_t line_index) const {
    int a = -1;
    for (std::size_t h = 0; h < items_.size() && items_[h].index < line_index; ++h) a = static_cast<int>(h);
    return a;
  }

  /// The glob and occurrence that fire on host item h: the exact text after "AT", or
  /// "+NAME=*" for the fault actions (and for text a glob cannot say exactly, and
  /// passwords).
  std::pair<std::string, int> trigger_for(std::size_t h, bool by_name) const {
    const auto& text = log_.lines[items_[h].index].text;
    std::string after = text.size() >= 2 ? text.substr(2) : std::string();
    auto name = at::command_name(text);
    std::string glob = after;
    if (by_name || after.find_first_of("*?") != std::string::npos || name == "+ECMTCONN") {
      auto eq = after.find('=');
      if (eq != std::string::npos) glob = after.substr(0, eq) + "=*";
    }
    // The loader refuses a glob that starts with "AT" (it could never match as meant).
    if (at::istarts_with(glob, "at")) glob = "*" + glob;
    int n = 0;
    for (std::size_t k = 0; k <= h; ++k) {
      if (!items_[k].command) continue;
      const auto& t = log_.lines[items_[k].index].text;
      if (t.size() >= 2 && at::glob_match(glob, std::string_view(t).substr(2))) ++n;
    }
    return {glob, n};
  }

  std::string framed_answer(std::size_t h) const {
    const auto& it = items_[h];
    // Exact bytes when the log has them (hex dumps).
    std::string exact;
    bool all_bytes = true;
    for (std::size_t i = it.index + 1; i < log_.lines.size() && !log_.lines[i].host(); ++i) {
      const auto& l = log_.lines[i];
      if (l.role != line_role::response) continue;
      if (l.bytes.empty()) all_bytes = false;
      exact += l.bytes;
    }
    if (all_bytes && !exact.empty()) return exact;
    std::string info, out;
    std::vector<std::string> info_lines;
    for (const auto& a : it.answer) {
      if (at::final_result_of(a)) {
        if (!info_lines.empty()) {
          out += "\r\n";
          for (std::size_t k = 0; k < info_lines.size(); ++k) out += (k ? "\r\n" : "") + info_lines[k];
          out += "\r\n";
          info_lines.clear();
        }
        out += "\r\n" + a + "\r\n";
      } else if (at::is_prompt(a)) {
        out += "\r\n> ";
      } else {
        info_lines.push_back(a);
      }
    }
    if (!info_lines.empty()) {
      out += "\r\n";
      for (std::size_t k = 0; k < info_lines.size(); ++k) out += (k ? "\r\n" : "") + info_lines[k];
      out += "\r\n";
    }
    return out;
  }

  /// The URCs of the log that report on host item h: those after it, up to the next
  /// command with the same name (for the same id).
  std::vector<std::size_t> urcs_reporting_on(std::size_t h, const std::string& urc_name, const std::string& id) const {
    std::vector<std::size_t> out;
    auto name = at::command_name(log_.lines[items_[h].index].text);
    for (std::size_t i = items_[h].index + 1; i < log_.lines.size(); ++i) {
      const auto& l = log_.lines[i];
      if (l.role == line_role::command && at::command_name(l.text) == name) {
        auto p = at::command_params(l.text);
        if (!p.empty() && p[0] == id) break;
      }
      if (l.role != line_role::urc || at::response_name(l.text) != urc_name) continue;
      auto f = at::response_fields(l.text);
      if (!f.empty() && f[0] == id) out.push_back(i);
    }
    return out;
  }

  /// Fault actions recognised from the URCs that answer ECMTCONN and ECMTOPEN, and
  /// link losses (+ECMTSTAT:<id>,1: the link drops, and the module reconnects by itself).
  void fault_rules() {
    for (std::size_t i = 0; i < log_.lines.size(); ++i) {
      const auto& l = log_.lines[i];
      if (l.role != line_role::urc || at::response_name(l.text) != "+ECMTSTAT") continue;
      auto f = at::response_fields(l.text);
      if (f.size() != 2 || f[1] != "1" || f[0].size() != 1 || f[0][0] < '0' || f[0][0] > '4') continue;
      scenario::action a;
      a.kind = scenario::action_kind::drop_link;
      a.id = f[0][0] - '0';
      timed_rule(i, a, ojson{{"action", "drop_link"}, {"id", *a.id}}, "the link was lost");
    }
    for (std::size_t h = 0; h < items_.size(); ++h) {
      if (!items_[h].command) continue;
      const auto& l = log_.lines[items_[h].index];
      auto name = at::command_name(l.text);
      auto params = at::command_params(l.text);
      if (params.empty() || params[0].empty() || params[0].find_first_not_of("0123456789") != std::string::npos ||
          params[0].size() > 1)
        continue;
      int id = std::stoi(params[0]);
      if (id > 4) continue;
      if (name == "+ECMTCONN") {
        auto urcs = urcs_reporting_on(h, "+ECMTCONN", params[0]);
        if (urcs.empty()) continue;
        auto f0 = at::response_fields(log_.lines[urcs[0]].text);
        if (f0.size() != 3) continue;
        if (f0[1] == "2" && f0[2] == "2" && urcs.size() >= 2) {
          auto f1 = at::response_fields(log_.lines[urcs[1]].text);
          if (f1.size() == 3 && f1[1] == "0") {
            auto trig = trigger_for(h, true);
            ojson r;
            r["on_command"] = trig.first;
            r["occurrence"] = trig.second;
            r["then"] = ojson::array({ojson{{"action", "connfail_then_connack"}, {"id", id}}});
            add_rule(std::move(r), l.line,
                     masked(l.text) + " got " + log_.lines[urcs[0]].text + " (line " +
                         std::to_string(log_.lines[urcs[0]].line) + ") and then " + log_.lines[urcs[1]].text +
                         " (line " + std::to_string(log_.lines[urcs[1]].line) + "): the double CONNACK");
            scenario::action a;
            a.kind = scenario::action_kind::connfail_then_connack;
            a.id = id;
            add_core_rule(trig, a);
            if (f1[2] != "0")
              messages_.push_back({log_.lines[urcs[1]].line, message_level::note,
                                   "the CONNACK after the double CONNACK is a refusal (" + log_.lines[urcs[1]].text +
                                       "); the scenario reproduces the 2,2 and injects the refusal"});
          }
        } else if (f0[1] == "0" && f0[2] >= "1" && f0[2] <= "5" && f0[2].size() == 1) {
          auto trig = trigger_for(h, true);
          int code = f0[2][0] - '0';
          ojson r;
          r["on_command"] = trig.first;
          r["occurrence"] = trig.second;
          r["then"] = ojson::array({ojson{{"action", "refuse_connect"}, {"id", id}, {"code", code}}});
          add_rule(std::move(r), l.line,
                   masked(l.text) + " was refused: " + log_.lines[urcs[0]].text + " (line " +
                       std::to_string(log_.lines[urcs[0]].line) + ")");
          scenario::action a;
          a.kind = scenario::action_kind::refuse_connect;
          a.id = id;
          a.code = code;
          add_core_rule(trig, a);
        }
      } else if (name == "+ECMTOPEN") {
        auto urcs = urcs_reporting_on(h, "+ECMTOPEN", params[0]);
        if (urcs.empty()) continue;
        auto f0 = at::response_fields(log_.lines[urcs[0]].text);
        if (f0.size() == 2 && f0[1] == "-1") {
          auto trig = trigger_for(h, true);
          ojson r;
          r["on_command"] = trig.first;
          r["occurrence"] = trig.second;
          r["then"] = ojson::array({ojson{{"action", "tcp_open_failure"}, {"id", id}}});
          add_rule(std::move(r), l.line,
                   masked(l.text) + " failed: " + log_.lines[urcs[0]].text + " (line " +
                       std::to_string(log_.lines[urcs[0]].line) + ")");
          scenario::action a;
          a.kind = scenario::action_kind::tcp_open_failure;
          a.id = id;
          add_core_rule(trig, a);
        }
      }
    }
  }

  /// An injected URC for a log line the simulator does not write.
  void inject(std::size_t line_index) {
    const auto& l = log_.lines[line_index];
    scenario::action act;
    act.kind = scenario::action_kind::inject_urc;
    act.text = l.text;
    timed_rule(line_index, act, ojson{{"action", "inject_urc"}, {"text", l.text}},
               "which the standard module does not write");
  }

  /// A rule that runs `act` when the log line came: after the command before it (as long
  /// after it as in the log), or from power-on when no command came before it.
  void timed_rule(std::size_t line_index, const scenario::action& act, ojson act_json, const std::string& what) {
    const auto& l = log_.lines[line_index];
    int a = anchor_of(line_index);
    // Data lines belong to the command that opened data mode.
    while (a >= 0 && !items_[static_cast<std::size_t>(a)].command) --a;
    ojson r;
    scenario::rule core;
    std::string why;
    if (a >= 0) {
      auto trig = trigger_for(static_cast<std::size_t>(a), false);
      auto after_ms = (l.t_us - items_[static_cast<std::size_t>(a)].t_us + 500) / 1000;
      r["on_command"] = trig.first;
      r["occurrence"] = trig.second;
      r["after"] = duration_text(after_ms);
      core.when.kind = scenario::trigger_kind::command;
      core.when.pattern = trig.first;
      core.when.occurrence = trig.second;
      core.after = ms(after_ms);
      why = l.text + " came " + std::to_string(after_ms) + " ms after " +
            masked(log_.lines[items_[static_cast<std::size_t>(a)].index].text) + " (line " +
            std::to_string(log_.lines[items_[static_cast<std::size_t>(a)].index].line) + "), " + what;
    } else {
      // Before the first command: from power-on (ECRDY comes 1.5 s after it).
      std::int64_t base = ecrdy_t_ >= 0 ? ecrdy_t_ - 1'500'000 : 0;
      auto at_ms = std::max<std::int64_t>(0, (l.t_us - base + 500) / 1000);
      r["at"] = duration_text(at_ms);
      core.when.kind = scenario::trigger_kind::at;
      core.when.at = ms(at_ms);
      why = l.text + " came before any command, " + what;
    }
    r["then"] = ojson::array({std::move(act_json)});
    core.then.push_back(act);
    core_rules_.push_back(core);
    add_rule(std::move(r), l.line, why, false);
  }

  void add_core_rule(const std::pair<std::string, int>& trig, const scenario::action& a) {
    scenario::rule r;
    r.when.kind = scenario::trigger_kind::command;
    r.when.pattern = trig.first;
    r.when.occurrence = trig.second;
    r.then.push_back(a);
    core_rules_.push_back(r);
  }

  void add_rule(ojson r, int line, const std::string& why, bool core_from_json = true) {
    if (core_from_json && r["then"][0]["action"] == "replace_response") {
      scenario::rule c;
      c.when.kind = scenario::trigger_kind::command;
      c.when.pattern = r["on_command"].get<std::string>();
      c.when.occurrence = r["occurrence"].get<int>();
      scenario::action a;
      a.kind = scenario::action_kind::replace_response;
      a.text = r["then"][0]["text"].get<std::string>();
      c.then.push_back(a);
      core_rules_.push_back(c);
    }
    rules_.push_back({std::move(r), line, "line " + std::to_string(line) + ": " + why});
  }

  scenario::scenario world() const {
    scenario::scenario w;
    w.name = "import";
    if (spaced_) w.settings.push_back({"style", "spaced"});
    w.rules = core_rules_;
    return w;
  }

  run_result simulate(const scenario::scenario& w) const {
    auto p = *modem::builtin_profile(w.profile);
    scenario::apply(w, p);
    reference ref(w, p);
    run_result res;
    res.answers.resize(items_.size());
    res.answered.resize(items_.size());
    line_cutter cut;
    int anchor = -1;
    auto collect_urcs = [&] {
      for (auto& t : cut.push(ref.take_output())) {
        res.urcs.push_back({t, anchor, false});
        res.all.push_back({t, anchor, false});
      }
    };
    // Boot and registration first, as a real driver waits for them.
    auto first = ref.start() + ms(4000);
    if (ecrdy_t_ >= 0 && !items_.empty()) {
      auto since = ms((items_[0].t_us - ecrdy_t_) / 1000);
      first = std::max(first, ref.start() + ms(1500) + since);
    }
    engine::time_point at = first;
    for (std::size_t h = 0; h < items_.size(); ++h) {
      const auto& it = items_[h];
      const auto& l = log_.lines[it.index];
      if (h > 0) {
        const auto& prev = items_[h - 1];
        auto gap = std::max<std::int64_t>(1, (it.t_us - prev.answer_t_us) / 1000);
        at = std::max(at, ref.now() + ms(gap));
      }
      ref.run_until(at);
      collect_urcs();
      anchor = static_cast<int>(h);
      std::string bytes = it.command ? l.text + "\r" : l.text + "\x1a";
      ref.send(bytes);
      bool echo_seen = false;
      bool done = false;
      auto absorb = [&] {
        for (auto& t : cut.push(ref.take_output())) {
          if (done) {
            res.urcs.push_back({t, anchor, false});
            res.all.push_back({t, anchor, false});
            continue;
          }
          if (!echo_seen && res.answers[h].empty() && t == l.text) {
            echo_seen = true;
            continue;
          }
          res.answers[h].push_back(t);
          res.all.push_back({t, anchor, true});
          if (at::final_result_of(t) || at::is_prompt(t)) done = true;
        }
        return done;
      };
      ref.run_while_not(absorb, ref.now() + ms(30'000));
      res.answered[h] = done;
      at = ref.now();
    }
    // What comes after the last command, for as long as the log goes on (and 2 s more).
    std::int64_t tail = 2000;
    if (!items_.empty() && !log_.lines.empty())
      tail += std::max<std::int64_t>(0, (log_.lines.back().t_us - items_.back().answer_t_us) / 1000);
    ref.run_until(ref.now() + ms(tail));
    collect_urcs();
    return res;
  }

  std::string render() const {
    std::string stem = log_.name;
    if (auto slash = stem.find_last_of('/'); slash != std::string::npos) stem = stem.substr(slash + 1);
    if (auto dot = stem.find_last_of('.'); dot != std::string::npos && dot > 0) stem = stem.substr(0, dot);
    std::string desc = "Imported by nt35e-sim import from " + log_.name + " (" + describe(log_.format, log_.annotated) +
                       ", " + std::to_string(log_.total_lines) + " lines).";
    // In log order (rules that fire on the same command keep the order they were made in).
    auto rules = rules_;
    std::stable_sort(rules.begin(), rules.end(),
                     [](const json_rule& a, const json_rule& b) { return a.line < b.line; });
    if (rules.empty()) desc += " The module answered as the standard module does: no rules.";
    for (std::size_t i = 0; i < rules.size(); ++i) desc += " Rule " + std::to_string(i) + ", " + rules[i].why + ".";
    std::string out = "{\n";
    out += "  \"name\": " + ojson(stem).dump(-1, ' ', false, ojson::error_handler_t::replace) + ",\n";
    out += "  \"description\": " + ojson(desc).dump(-1, ' ', false, ojson::error_handler_t::replace) + ",\n";
    if (spaced_) out += "  \"settings\": {\"style\": \"spaced\"},\n";
    if (rules_.empty()) {
      out += "  \"rules\": []\n";
    } else {
      out += "  \"rules\": [\n";
      for (std::size_t i = 0; i < rules.size(); ++i)
        out += "    " + dump_inline(rules[i].j) + (i + 1 < rules.size() ? ",\n" : "\n");
      out += "  ]\n";
    }
    return out + "}\n";
  }

  const imported_log& log_;
  std::vector<host_item> items_;
  struct json_rule {
    ojson j;
    int line;
    std::string why;
  };
  std::vector<json_rule> rules_;
  std::vector<scenario::rule> core_rules_;
  std::vector<import_message> messages_;
  std::set<std::size_t> noted_;
  std::int64_t ecrdy_t_ = -1;
  std::int64_t first_urc_t_ = -1;
  bool spaced_ = false;
};

}  // namespace

scenario_result to_scenario(const imported_log& log) {
  scenario_builder b(log);
  return b.build();
}

}  // namespace nt35e::trace
