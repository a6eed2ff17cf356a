#include "at/text.hpp"

#include <cstdint>

namespace nt35e::at {

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = to_upper(c);
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = to_lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_upper(a[i]) != to_upper(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from) {
  if (needle.size() > hay.size()) return std::string_view::npos;
  // The first byte alone rules out most places (the transcript looks for ECMTC in every line).
  const char first = needle.empty() ? '\0' : to_upper(needle[0]);
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
    if (!needle.empty() && to_upper(hay[i]) != first) continue;
    if (iequals(hay.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative glob with backtracking on the last '*'.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto eq = [](char a, char b) { return to_lower(a) == to_lower(b); };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || (pattern[p] != '*' && eq(pattern[p], text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view trim_line(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || is_line_end(s.back()))) s.remove_suffix(1);
  return s;
}

std::size_t utf8_sequence_length(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  return 1;
}

bool valid_utf8(std::string_view s, std::size_t* bad_at) {
  std::size_t i = 0;
  auto fail = [&] {
    if (bad_at) *bad_at = i;
    return false;
  };
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(lead) - 1;
    if (n == 0) return fail();              // continuation byte, C0/C1 or F5..FF as a lead
    if (i + n >= s.size()) return fail();   // cut short
    std::uint32_t cp = lead & (0x3F >> n);  // payload bits of the lead byte
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return fail();
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, code points past U+10FFFF and UTF-16 surrogates are not UTF-8.
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return fail();
    i += n + 1;
  }
  return true;
}

std::string markup_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_bytes(std::string_view bytes, const escape_options& options) {
  static constexpr char hex[] = "0123456789ABCDEF";
  using high_bytes = escape_options::high_bytes;
  const bool keep_high =
      options.high == high_bytes::keep || (options.high == high_bytes::keep_if_valid_utf8 && valid_utf8(bytes));
  std::string out;
  out.reserve(bytes.size() + 2);
  if (options.quoted) out += '"';
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (options.named_line_ends && c == '\r') {
      out += "\\r";
    } else if (options.named_line_ends && c == '\n') {
      out += "\\n";
    } else if (options.quoted && c == '\t') {
      out += "\\t";
    } else if (options.quoted && (c == '"' || c == '\\')) {
      out += '\\';
      out += ch;
    } else if ((c >= 0x20 && c < 0x7F) || (c >= 0x80 && keep_high)) {
      out += ch;
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
    if (options.max_output != 0 && out.size() > options.max_output) return out;
  }
  if (options.quoted) out += '"';
  return out;
}

}  // namespace nt35e::at
