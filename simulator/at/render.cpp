#include "at/render.hpp"

namespace nt35e::at {

std::string styled(std::string_view line, response_style style) {
  if (line.empty() || line[0] != '+') return std::string(line);
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return std::string(line);
  std::string out(line.substr(0, colon + 1));
  auto rest = line.substr(colon + 1);
  bool has_space = !rest.empty() && rest[0] == ' ';
  if (style == response_style::compact) {
    out += has_space ? rest.substr(1) : rest;
  } else {
    if (!has_space) out += ' ';
    out += rest;
  }
  return out;
}

std::string render_info(const std::vector<info_line>& lines, const render_settings& s) {
  if (lines.empty()) return {};
  std::string out = s.verbose ? "\r\n" : "";
  for (const auto& l : lines) {
    out += l.fixed ? l.text : styled(l.text, s.style);
    out += "\r\n";
  }
  return out;
}

std::string final_text(final_kind kind, const failure& error, const render_settings& s) {
  switch (kind) {
    case final_kind::ok:
      return "OK";
    case final_kind::failed:
      if (!error.is_cme || s.cmee == 0) return "ERROR";
      if (s.cmee == 2) return std::string("+CME ERROR: ").append(cme_text(error.code));
      return "+CME ERROR: " + std::to_string(error.code);
    case final_kind::none:
    case final_kind::prompt:
      return {};
  }
  return {};
}

std::string render_final(final_kind kind, const failure& error, const render_settings& s) {
  if (kind == final_kind::prompt) return "\r\n> ";
  if (kind == final_kind::none || s.quiet) return {};
  auto text = final_text(kind, error, s);
  bool cme = text.rfind("+CME", 0) == 0;
  if (s.verbose) return "\r\n" + text + "\r\n";
  // ATV0: numeric codes; +CME ERROR stays textual (chosen, §2.4).
  if (cme) return text + "\r\n";
  return kind == final_kind::ok ? "0\r" : "4\r";
}

std::string render_urc(std::string_view text, bool fixed, const render_settings& s) {
  if (s.quiet) return {};
  while (!text.empty() && (text.front() == '\r' || text.front() == '\n')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
  return "\r\n" + (fixed ? std::string(text) : styled(text, s.style)) + "\r\n";
}

}  // namespace nt35e::at
