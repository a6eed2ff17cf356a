#include "at/command_line.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "at/text.hpp"

namespace nt35e::at {
namespace {

bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_printable(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u <= 0x7e;
}

std::string byte_hex(std::string_view text, std::size_t p, std::size_t n) {
  std::string out;
  for (std::size_t i = p; i < p + n && i < text.size(); ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%s%02X", i == p ? "" : " ", static_cast<unsigned char>(text[i]));
    out += buf;
  }
  return out;
}

failure bad_char(std::string_view line, std::size_t p, const char* where) {
  auto c = static_cast<unsigned char>(line[p]);
  if (c >= 0x80) {
    std::string reason;
    auto what = describe_non_ascii(line, p, &reason);
    return syntax_error(reason, what + " at byte " + std::to_string(p) + " " + where +
                                    "; non-ASCII is not allowed outside quotes, so the module answers ERROR");
  }
  char buf[64];
  if (is_ascii_printable(line[p]))
    std::snprintf(buf, sizeof buf, "unexpected '%c' at byte %zu ", line[p], p);
  else
    std::snprintf(buf, sizeof buf, "unexpected byte 0x%02X at byte %zu ", c, p);
  return syntax_error("syntax.bad_form", std::string(buf) + where);
}

}  // namespace

const char* to_string(form f) {
  switch (f) {
    case form::execute:
      return "execute";
    case form::test:
      return "test";
    case form::read:
      return "read";
    case form::write:
      return "write";
  }
  return "?";
}

std::optional<std::size_t> find_at_prefix(std::string_view line) {
  for (std::size_t i = 0; i + 1 < line.size(); ++i)
    if (to_upper(line[i]) == 'A' && to_upper(line[i + 1]) == 'T') return i;
  return std::nullopt;
}

std::string describe_non_ascii(std::string_view text, std::size_t p, std::string* reason) {
  auto at = [&](std::size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0; };
  struct known {
    unsigned char b0, b1, b2;
    const char* name;
    const char* reason;
  };
  static const known table[] = {
      {0xE2, 0x80, 0x9C, "U+201C LEFT DOUBLE QUOTATION MARK", "syntax.typographic_quote"},
      {0xE2, 0x80, 0x9D, "U+201D RIGHT DOUBLE QUOTATION MARK", "syntax.typographic_quote"},
      {0xE2, 0x80, 0x98, "U+2018 LEFT SINGLE QUOTATION MARK", "syntax.typographic_quote"},
      {0xE2, 0x80, 0x99, "U+2019 RIGHT SINGLE QUOTATION MARK", "syntax.typographic_quote"},
      {0xEF, 0xBC, 0x82, "U+FF02 FULLWIDTH QUOTATION MARK", "syntax.fullwidth_punct"},
      {0xEF, 0xBC, 0x8C, "U+FF0C FULLWIDTH COMMA", "syntax.fullwidth_punct"},
      {0xEF, 0xBC, 0x9B, "U+FF1B FULLWIDTH SEMICOLON", "syntax.fullwidth_punct"},
  };
  for (const auto& k : table) {
    if (at(p) == k.b0 && at(p + 1) == k.b1 && at(p + 2) == k.b2) {
      if (reason) *reason = k.reason;
      return std::string(k.name) + " (" + byte_hex(text, p, 3) + ")";
    }
  }
  if (reason) *reason = "syntax.non_ascii";
  return "non-ASCII byte " + byte_hex(text, p, 1);
}

std::variant<std::vector<command>, failure> parse_command_line(std::string_view line, std::size_t offset,
                                                               const raw_tail_predicate& raw_tail) {
  std::vector<command> commands;
  std::size_t p = offset;
  auto skip_spaces = [&] {
    while (p < line.size() && line[p] == ' ') ++p;
  };
  skip_spaces();
  while (p < line.size()) {
    command cmd;
    char c = line[p];
    if (c == '+' || c == '*' || c == '^' || c == '$' || c == '%') {
      // Extended command: name runs to '=', '?', ';' or the end.
      std::size_t start = p++;
      while (p < line.size() &&
             (std::isalnum(static_cast<unsigned char>(line[p])) || line[p] == '_' || line[p] == '.' || line[p] == '!' ||
              line[p] == ':' || line[p] == '-' || line[p] == '/'))
        ++p;
      if (p == start + 1) return bad_char(line, p < line.size() ? p : start, "where a command name should start");
      for (std::size_t i = start; i < p; ++i) cmd.name.push_back(to_upper(line[i]));
      if (p < line.size() && line[p] == '=') {
        if (p + 1 < line.size() && line[p + 1] == '?') {
          cmd.what = form::test;
          p += 2;
        } else {
          cmd.what = form::write;
          ++p;
          cmd.args_offset = p;
          std::size_t end = p;
          if (raw_tail && raw_tail(cmd.name)) {
            end = line.size();
          } else {
            bool quoted = false;
            while (end < line.size() && (quoted || line[end] != ';')) {
              if (line[end] == '"') quoted = !quoted;
              ++end;
            }
          }
          cmd.args = std::string(line.substr(p, end - p));
          p = end;
        }
      } else if (p < line.size() && line[p] == '?') {
        cmd.what = form::read;
        ++p;
      }
      skip_spaces();
      if (p < line.size()) {
        if (line[p] != ';') return bad_char(line, p, ("after " + cmd.name).c_str());
        ++p;
      }
      commands.push_back(std::move(cmd));
      skip_spaces();
      continue;
    }
    // Basic command: a letter, or '&' and a letter, then an optional number or '?';
    // S-registers take "Sn?", "Sn=v" and "Sn=?".
    cmd.basic = true;
    std::size_t start = p;
    if (c == '&') {
      ++p;
      if (p >= line.size() || !is_alpha(line[p])) return bad_char(line, p < line.size() ? p : start, "after '&'");
      cmd.name = std::string("&") + to_upper(line[p]);
      ++p;
    } else if (is_alpha(c)) {
      cmd.name = std::string(1, to_upper(c));
      ++p;
    } else {
      return bad_char(line, p, "where a command should start");
    }
    if (cmd.name == "S") {
      std::size_t digits = p;
      while (p < line.size() && is_digit(line[p])) ++p;
      if (digits == p) return bad_char(line, p < line.size() ? p : start, "after S: a register number is needed");
      cmd.name += std::string(line.substr(digits, p - digits));
      if (p < line.size() && line[p] == '?') {
        cmd.what = form::read;
        ++p;
      } else if (p + 1 < line.size() && line[p] == '=' && line[p + 1] == '?') {
        cmd.what = form::test;
        p += 2;
      } else if (p < line.size() && line[p] == '=') {
        ++p;
        cmd.what = form::write;
        cmd.args_offset = p;
        std::size_t v = p;
        while (p < line.size() && is_digit(line[p])) ++p;
        cmd.args = std::string(line.substr(v, p - v));
      }
    } else if (p < line.size() && line[p] == '?') {
      cmd.what = form::read;
      ++p;
    } else if (p + 1 < line.size() && line[p] == '=' && line[p + 1] == '?') {
      cmd.what = form::test;
      p += 2;
    } else {
      std::size_t v = p;
      while (p < line.size() && is_digit(line[p])) ++p;
      if (p > v) {
        cmd.what = form::write;
        cmd.args_offset = v;
        cmd.args = std::string(line.substr(v, p - v));
      }
    }
    commands.push_back(std::move(cmd));
    skip_spaces();
    if (p < line.size() && line[p] == ';') {
      ++p;
      skip_spaces();
    }
  }
  return commands;
}

}  // namespace nt35e::at

namespace nt35e::at {

std::optional<param_span> find_param(std::string_view s, std::size_t from, int index) {
  std::size_t i = from;
  for (int k = 0;; ++k) {
    std::size_t b = i;
    while (b < s.size() && s[b] == ' ') ++b;
    std::size_t e = b;
    if (e < s.size() && s[e] == '"') {
      ++e;
      while (e < s.size() && s[e] != '"' && !is_line_end(s[e])) ++e;
      if (e < s.size() && s[e] == '"') ++e;
    }
    while (e < s.size() && s[e] != ',' && s[e] != ';' && !is_line_end(s[e])) ++e;
    if (k == index) return param_span{b, e};
    if (e >= s.size() || s[e] != ',') return std::nullopt;
    i = e + 1;
  }
}

namespace {

/// A parameter's value: without the blanks around it and its quotes.
std::string_view bare(std::string_view s, param_span p) {
  auto v = s.substr(p.begin, p.end - p.begin);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

}  // namespace

void mask_param(std::string& s, std::string_view marker, int index, std::initializer_list<std::string_view> leading) {
  const auto u = to_upper(s);
  for (auto p = u.find(marker); p != std::string::npos; p = u.find(marker, p + 1)) {
    const auto from = p + marker.size();
    bool wanted = true;
    int k = 0;
    for (auto value : leading) {
      auto span = find_param(s, from, k++);
      wanted = wanted && span && bare(s, *span) == value;
    }
    auto span = wanted ? find_param(s, from, index) : std::nullopt;
    if (!span) continue;
    std::size_t b = span->begin, e = span->end;
    if (b < e && s[b] == '"') {
      // Inside the quotes only (text after the closing quote is not the secret); an
      // unclosed quote runs to the end of the line.
      ++b;
      e = std::min(e, s.find('"', b));
    }
    for (std::size_t c = b; c < e; ++c) s[c] = '*';
  }
}

std::string mask_secrets(std::string_view line) {
  std::string out(line);
  // Every secret-bearing form below names ECMTC(ONN|FG); the transcript masks each line
  // both ways, so most lines (AT+CSQ, OK...) leave here without the upper-cased copies.
  if (ifind(line, "ECMTC") == std::string_view::npos) return out;
  mask_param(out, "ECMTCONN=", 3);
  mask_param(out, "ECMTCFG=", 4, {"aliauth"});
  mask_param(out, "ECMTCFG=", 2, {"ssl", "psk"});
  mask_param(out, "ECMTCFG=", 2, {"ssl", "ecc"});
  // The query answer shows the secret second, unquoted; the test answer's
  // +ECMTCFG:"aliauth",(0-4),"productkey",... has a quoted placeholder there instead.
  const auto u = to_upper(out);
  for (auto p = u.find("+ECMTCFG:"); p != std::string::npos; p = u.find("+ECMTCFG:", p + 1)) {
    const auto from = p + 9;
    auto name = find_param(out, from, 0);
    auto secret = find_param(out, from, 2);
    if (!name || !secret || bare(out, *name) != "aliauth" || out.compare(secret->begin, 1, "\"") == 0) continue;
    for (std::size_t c = secret->begin; c < secret->end; ++c) out[c] = '*';
  }
  return out;
}

}  // namespace nt35e::at
