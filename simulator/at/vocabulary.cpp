#include "at/vocabulary.hpp"

#include <array>
#include <utility>

#include "at/text.hpp"

namespace nt35e::at {
namespace {

struct result_word {
  final_result result;
  std::string_view text;
  int numeric;  ///< V.250 code under ATV0; -1 when the result stays textual
};

// RING is a V.250 result code too, but an unsolicited one: it never ends a command.
constexpr std::array<result_word, 11> result_words{{
    {final_result::ok, "OK", 0},
    {final_result::connect, "CONNECT", 1},
    {final_result::ring, "RING", 2},
    {final_result::no_carrier, "NO CARRIER", 3},
    {final_result::error, "ERROR", 4},
    {final_result::no_dialtone, "NO DIALTONE", 6},
    {final_result::busy, "BUSY", 7},
    {final_result::no_answer, "NO ANSWER", 8},
    {final_result::cme_error, "+CME ERROR", -1},
    {final_result::cms_error, "+CMS ERROR", -1},
    {final_result::socket_error, "+SOCKET ERROR", -1},
}};

constexpr bool rows_follow_enum() {
  for (std::size_t i = 0; i < result_words.size(); ++i)
    if (static_cast<std::size_t>(result_words[i].result) != i) return false;
  return true;
}
static_assert(rows_follow_enum(), "result_words is indexed by final_result");

const result_word& word_of(final_result r) { return result_words[static_cast<std::size_t>(r)]; }

/// What follows the first `start` in `line`, split at commas (outside quotes when
/// `quotes_group`), each part trimmed; empty when `start` is not there.
std::vector<std::string> split_after(std::string_view line, char start, bool quotes_group) {
  std::vector<std::string> out;
  const auto at = line.find(start);
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

std::string_view to_string(final_result r) { return word_of(r).text; }
int numeric_code(final_result r) { return word_of(r).numeric; }
bool is_failure(final_result r) { return r != final_result::ok && r != final_result::connect; }

std::optional<final_result> final_result_of(std::string_view line, bool numeric) {
  const auto t = trim_line(line);
  for (const auto& w : result_words) {
    if (w.result == final_result::ring) continue;
    // The prefixed errors carry a number or a text after them; logs vary their case.
    if (w.numeric < 0 ? istarts_with(t, w.text) : t == w.text) return w.result;
    if (numeric && w.numeric >= 0 && t.size() == 1 && t[0] == static_cast<char>('0' + w.numeric)) return w.result;
  }
  return std::nullopt;
}

bool is_prompt(std::string_view line) { return trim_line(line) == ">"; }

std::string response_name(std::string_view line) {
  const auto t = trim_line(line);
  if (t == "ECRDY") return std::string(t);
  if (t.empty() || (t.front() != '+' && t.front() != '*' && t.front() != '^')) return {};
  return to_upper(t.substr(0, t.find_first_of(": ")));
}

std::vector<std::string> response_fields(std::string_view line) { return split_after(line, ':', false); }

bool is_command_line(std::string_view line) { return istarts_with(line, "AT") || iequals(line, "A/"); }

std::string command_name(std::string_view line) {
  if (!istarts_with(line, "AT")) return {};
  line.remove_prefix(2);
  return to_upper(trim_line(line.substr(0, line.find_first_of("=?;"))));
}

std::vector<std::string> command_params(std::string_view line) { return split_after(line, '=', true); }

}  // namespace nt35e::at
