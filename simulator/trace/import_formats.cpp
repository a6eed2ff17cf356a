// Log import, step 2: what a line of a log looks like (stamps, direction markers,
// trailing comments, hex dumps, AT traffic) and which format the whole log is in.

#include <algorithm>
#include <cctype>
#include <string>

#include "at/text.hpp"
#include "at/vocabulary.hpp"
#include "trace/import_detail.hpp"

namespace nt35e::trace::detail {
namespace {

using at::is_blank;
using at::trim_left;
using at::trim_line;

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

/// What the detector learns about one line.
struct line_shape {
  bool blank = true;
  bool stamped = false;
  stamp_style style = stamp_style::other;
  bool text_marker = false;  ///< TX: / RX:
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
  if (take_stamp(rest, dated, &sh.style)) sh.stamped = true;
  // A stamp alone (Tera Term and QCOM stamp the empty lines of an answer) says nothing.
  if (sh.stamped && trim_line(rest).empty()) return line_shape{};
  std::string_view hexpart = rest;
  take_hex_marker(hexpart);
  if (parse_hex(hexpart)) sh.hex = true;
  std::string_view content = trim_left(rest);
  if (take_sscom_marker(content) != from::unknown)
    sh.sscom = true;
  else
    sh.text_marker = take_text_marker(content) != from::unknown;
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

}  // namespace

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

// ---------------------------------------------------------------------------------
// Direction markers

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
std::optional<std::int64_t> take_stamp(std::string_view& s, bool& has_date, stamp_style* style) {
  auto t = trim_left(s);
  if (!t.starts_with("[")) return std::nullopt;
  auto close = t.find(']');
  if (close == std::string_view::npos) return std::nullopt;
  const auto inside = at::trim(t.substr(1, close - 1));
  auto v = detail::parse_stamp(inside, &has_date);
  if (!v) return std::nullopt;
  if (style) {
    if (std::isalpha(static_cast<unsigned char>(inside.front())))
      *style = stamp_style::teraterm;
    else if (inside.size() > 10 && inside[4] == '-' && inside[10] == '_')
      *style = stamp_style::qcom;
    else if (inside.size() > 10 && inside[4] == '-' && inside[10] == ' ')
      *style = stamp_style::minicom;
    else
      *style = stamp_style::other;
  }
  s = t.substr(close + 1);
  return v;
}

// PuTTY's header: 23 characters of "=~", the words, its time, the same again.
constexpr std::string_view putty_mark = "=~=~=~=~=~=~=~=~=~=~=~= PuTTY log ";

bool putty_header(std::string_view s, std::optional<std::int64_t>* when) {
  s = trim_line(s);
  if (!s.starts_with(putty_mark)) return false;
  if (when) {
    // "2026.12.03 10:15:00": the date with dots, as PuTTY writes it.
    std::string stamp(s.substr(putty_mark.size(), 19));
    if (stamp.size() == 19 && stamp[4] == '.' && stamp[7] == '.') {
      stamp[4] = stamp[7] = '-';
      *when = parse_stamp(stamp);
    }
  }
  return true;
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

detection detect(const std::vector<physical_line>& lines) {
  int nonblank = 0, stamped = 0, sscom = 0, hex = 0, traffic = 0, comments = 0, comment_only = 0, undecoded = 0;
  int teraterm = 0, minicom = 0, qcom = 0, unstamped = 0, text_markers = 0, putty = 0;
  bool csv = false, first = true;
  for (const auto& pl : lines) {
    if (!pl.decoded) {
      ++undecoded;
      continue;
    }
    if (first && !trim_line(pl.text).empty()) {
      // An analyser export names its columns on its first line.
      csv = csv_header(pl.text);
      first = false;
    }
    if (putty_header(pl.text)) {
      ++putty;
      continue;
    }
    auto sh = shape_of(pl);
    if (sh.blank) continue;
    ++nonblank;
    stamped += sh.stamped;
    teraterm += sh.stamped && sh.style == stamp_style::teraterm;
    minicom += sh.stamped && sh.style == stamp_style::minicom;
    qcom += sh.stamped && sh.style == stamp_style::qcom;
    unstamped += !sh.stamped && !sh.comment_only;
    text_markers += sh.text_marker;
    sscom += sh.sscom;
    hex += sh.hex;
    traffic += sh.at;
    comments += sh.comment;
    comment_only += sh.comment_only;
  }
  detection d;
  d.annotated = comments > 0;
  int content = nonblank - comment_only;
  const bool mostly_traffic = traffic * 2 >= content && traffic > 0;
  if (csv) {
    d.format = log_format::csv;
    d.annotated = false;
    return d;
  }
  if (putty > 0) {
    d.format = log_format::putty;
    return d;
  }
  if (content > 0) {
    if (hex * 10 >= content * 6)
      d.format = log_format::hex;
    else if (sscom > 0)
      d.format = log_format::sscom;
    else if (teraterm > 0 && teraterm == stamped && teraterm * 2 >= content && mostly_traffic)
      d.format = log_format::teraterm;
    else if (qcom > 0 && qcom == stamped && unstamped > 0 && mostly_traffic)
      // A stamp per received chunk; a stamp on every line reads as timestamped (the same).
      d.format = log_format::qcom;
    else if (minicom > 0 && minicom == stamped && minicom * 2 >= content && text_markers == 0 && mostly_traffic)
      d.format = log_format::minicom;
    else if (stamped * 2 >= content && traffic * 2 >= content)
      d.format = log_format::timestamped;
    else if (stamped == 0 && mostly_traffic)
      d.format = log_format::plain;
  }
  if (d.format) {
    if (*d.format == log_format::hex) d.annotated = false;  // decided again per line by the lexer
    return d;
  }
  auto of = [&](int n) { return std::to_string(n) + " of " + std::to_string(nonblank) + " lines"; };
  d.why_not = "tried plain (" + of(traffic) + " look like AT commands or module output; at least half must), " +
              "timestamped (" + of(stamped) + " start with a [time] stamp), " + "sscom (" +
              (sscom ? of(sscom) : std::string("no line")) + " with 发→◇/收←◆ markers), " + "annotated (" +
              of(comments) + " with ← // # comments), " + "hex (" + of(hex) +
              " are hex bytes; at least 60% must), teraterm (" + of(teraterm) +
              " with Tera Term's [Thu Dec 03 10:15:02.123 2026] stamp), putty (no \"=~=~=~ PuTTY log\" header), "
              "minicom (" +
              of(minicom) + " with minicom's [2026-12-03 10:15:02.123] stamp), qcom (" + of(qcom) +
              " with QCOM's [2026-12-03_10:15:02:123] stamp), csv (the first line is no analyser export's header, "
              "such as Time [s],Value,Parity Error,Framing Error)";
  if (undecoded > 0) d.why_not += "; " + std::to_string(undecoded) + " lines are neither UTF-8 nor GBK";
  return d;
}

}  // namespace nt35e::trace::detail
