#include "trace/at_text.hpp"

#include <cctype>

namespace nt35e::trace {
namespace {
bool blank(char c) { return c == ' ' || c == '\t'; }
}  // namespace

std::string_view trim_line(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && (blank(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string upper_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[i])) != std::toupper(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

std::string at_command_name(std::string_view line) {
  if (!starts_with_ci(line, "AT")) return {};
  line.remove_prefix(2);
  return upper_ascii(trim_line(line.substr(0, line.find_first_of("=?;"))));
}

namespace {

/// What follows the first `start` in `line`, split at commas (outside quotes when
/// `quotes_group`), each part trimmed; empty when `start` is not there.
std::vector<std::string> split_after(std::string_view line, char start, bool quotes_group) {
  std::vector<std::string> out;
  auto at = line.find(start);
  if (at == std::string_view::npos) return out;
  std::string cur;
  bool quoted = false;
  for (char c : line.substr(at + 1)) {
    if (quotes_group && c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      out.emplace_back(trim_line(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.emplace_back(trim_line(cur));
  return out;
}

}  // namespace

std::vector<std::string> at_command_params(std::string_view line) { return split_after(line, '=', true); }

std::vector<std::string> response_fields(std::string_view line) { return split_after(line, ':', false); }

}  // namespace nt35e::trace
