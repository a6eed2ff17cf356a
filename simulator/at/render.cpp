#include "at/render.hpp"

namespace nt35e::at {

namespace {
// The firmware's compact filter looks for the colon only this far into a piece (§2.5).
constexpr std::size_t colon_window = 32;
}  // namespace

std::string styled(std::string_view piece, response_style style) {
  std::size_t start = piece.find_first_not_of("\r\n");
  if (start == std::string_view::npos) return std::string(piece);
  auto colon = piece.substr(start, colon_window).find(':');
  if (colon == std::string_view::npos) return std::string(piece);
  colon += start;
  bool has_space = colon + 1 < piece.size() && piece[colon + 1] == ' ';
  std::string out(piece.substr(0, colon + 1));
  if (style == response_style::compact) {
    out += piece.substr(colon + (has_space ? 2 : 1));
    return out;
  }
  // Spaced: handlers may write a "+NAME:" piece without the space; give it one.
  if (!has_space && piece[start] == '+') out += ' ';
  out += piece.substr(colon + 1);
  return out;
}

std::string styled_examples(std::string_view text, response_style style) {
  auto is_name = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  auto is_word = [&](char c) { return is_name(c) || (c >= 'a' && c <= 'z'); };
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    // "AT+CEREG?" is a command, not an example: its "+" does not start a word.
    if (text[i] != '+' || (i > 0 && is_word(text[i - 1]))) continue;
    std::size_t colon = i + 1;
    while (colon < text.size() && is_name(text[colon])) ++colon;
    if (colon == i + 1 || colon >= text.size() || text[colon] != ':') continue;
    out.append(text.substr(i + 1, colon - i));  // NAME:
    i = colon;
    const bool spaced = i + 1 < text.size() && text[i + 1] == ' ';
    if (style == response_style::compact && spaced) ++i;
    if (style == response_style::spaced && !spaced) out += ' ';
  }
  return out;
}

std::string render_info(const std::vector<info_line>& lines, const render_settings& s) {
  std::string out;
  bool in_block = false;  // a block's leading CRLF is written once, before its first piece
  for (const auto& l : lines) {
    auto text = l.fixed ? l.text : styled(l.text, s.style);
    if (l.continuation) {
      // Under ATV0 (no leading CRLF anywhere) a continuation piece ends with CRLF like any
      // other line so that a host can still split it (chosen; §2.3 shows only ATV1).
      out += s.verbose ? "\r\n" + text : text + "\r\n";
      in_block = false;
      continue;
    }
    if (!in_block && s.verbose) out += "\r\n";
    in_block = true;
    out += text;
    out += "\r\n";
  }
  return out;
}

std::string final_text(final_kind kind, const failure& error, const render_settings& s) {
  switch (kind) {
    case final_kind::ok:
      return "OK";
    case final_kind::failed:
      if (!error.socket.empty()) return "+SOCKET ERROR: " + error.socket;  // CMEE never applies (§2.7)
      if (!error.is_cme || s.cmee == 0) return "ERROR";
      if (error.is_cms)
        return "+CMS ERROR: " + (s.cmee == 2 ? std::string(cms_text(error.code)) : std::to_string(error.code));
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
  bool textual = text.rfind("+CME", 0) == 0 || text.rfind("+CMS", 0) == 0 || !error.socket.empty();
  if (s.verbose) return "\r\n" + text + "\r\n";
  // ATV0: numeric codes; +CME ERROR, +CMS ERROR and +SOCKET ERROR stay textual (chosen, §2.4).
  if (textual) return text + "\r\n";
  return kind == final_kind::ok ? "0\r" : "4\r";
}

std::string render_urc(std::string_view text, bool fixed, const render_settings& s) {
  if (s.quiet) return {};
  while (!text.empty() && (text.front() == '\r' || text.front() == '\n')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
  return "\r\n" + (fixed ? std::string(text) : styled(text, s.style)) + "\r\n";
}

}  // namespace nt35e::at
