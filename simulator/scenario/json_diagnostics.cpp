// The words of the loader's diagnostics ("did you mean", "got a number", quoted
// values), JSON pointers, and the step from problems to positioned diagnostics.

#include <algorithm>
#include <cstdint>
#include <tuple>

#include "scenario/json_detail.hpp"

namespace nt35e::scenario::json_detail {
namespace {

/// Optimal string alignment distance (Levenshtein plus transpositions), case-insensitive.
std::size_t edit_distance(std::string_view a_in, std::string_view b_in) {
  const auto a = at::to_lower(a_in), b = at::to_lower(b_in);
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::string quote(std::string_view s) {
  std::string cut(s);
  bool shortened = false;
  if (cut.size() > 60) {
    std::size_t n = 57;
    while (n > 0 && (static_cast<unsigned char>(cut[n]) & 0xC0) == 0x80) --n;  // keep UTF-8 whole
    cut.resize(n);
    shortened = true;
  }
  auto out = json(cut).dump(-1, ' ', false, json::error_handler_t::replace);
  if (shortened) out.insert(out.size() - 1, "...");
  return out;
}

}  // namespace nt35e::scenario::json_detail

namespace nt35e::scenario {

std::string json_type_name(const nlohmann::json& j) {
  using json = nlohmann::json;
  switch (j.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::null:
      return "null";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    default:
      return "nothing";
  }
}

}  // namespace nt35e::scenario

namespace nt35e::scenario::json_detail {

std::string got(const json& j) { return j.is_number() ? j.dump() : json_type_name(j); }

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.size() > 100) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_score = SIZE_MAX;
  const auto w = at::to_lower(word);
  for (const auto& c : candidates) {
    const std::size_t limit = c.size() <= 3 ? 1 : 2;
    std::size_t score = edit_distance(w, c);
    if (score > limit) {
      const auto l = at::to_lower(c);
      const bool prefix = w.size() >= 3 && (l.rfind(w, 0) == 0 || w.rfind(l, 0) == 0);
      score = prefix ? limit + 1 : SIZE_MAX;
    }
    if (score < best_score) {
      best_score = score;
      best = c;
    }
  }
  return best;
}

std::string unknown(std::string_view what, std::string_view word, const std::vector<std::string>& known) {
  std::string out = "unknown " + std::string(what) + " " + quote(word);
  if (auto hint = closest(word, known)) return out + "; did you mean " + quote(*hint) + "?";
  return out + "; expected one of: " + join(known);
}

std::string child(const std::string& ptr, std::string_view key) { return ptr + "/" + escape_pointer_token(key); }
std::string child(const std::string& ptr, std::size_t index) { return ptr + "/" + std::to_string(index); }
std::string shown(const std::string& ptr) { return ptr.empty() ? "/" : ptr; }

std::string unescape_pointer_token(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

std::vector<diagnostic> to_diagnostics(const std::vector<problem>& problems, const json_locator& loc,
                                       const std::string& file) {
  std::vector<diagnostic> out;
  for (const auto& p : problems) {
    const auto pos = loc.nearest(p.pointer, p.at_key);
    out.push_back({file, pos.line, pos.column, shown(p.pointer), p.message});
  }
  std::stable_sort(out.begin(), out.end(), [](const diagnostic& a, const diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  if (out.size() > max_diagnostics) {
    const auto more = out.size() - (max_diagnostics - 1);
    out.resize(max_diagnostics - 1);
    out.push_back({file, 0, 0, "", std::to_string(more) + " more errors not shown"});
  }
  return out;
}

std::string syntax_message(std::string what) {
  if (what.rfind("[json.exception.", 0) == 0 && what.find("] ") != std::string::npos)
    what.erase(0, what.find("] ") + 2);
  if (what.rfind("parse error at line ", 0) == 0 && what.find(": ") != std::string::npos)
    what.erase(0, what.find(": ") + 2);
  if (auto dash = what.find(" - "); dash != std::string::npos && what.rfind("syntax error", 0) == 0)
    what = what.substr(dash + 3);
  // "number overflow parsing '1e400'" (406)
  if (what.rfind("number overflow parsing '", 0) == 0 && what.back() == '\'')
    what = "number " + what.substr(25, what.size() - 26) + " is too large";
  // "; last read: '<text>'" quotes raw input (long, or cut mid-character): left out.
  if (auto lr = what.find("; last read: '"); lr != std::string::npos) {
    auto end = what.rfind("'; expected");
    what.erase(lr, end != std::string::npos && end > lr ? end + 1 - lr : std::string::npos);
  }
  return what;
}

}  // namespace nt35e::scenario::json_detail

namespace nt35e::scenario {

std::string format(const diagnostic& d) {
  std::string out;
  if (!d.file.empty()) out += d.file + ":";
  if (d.line > 0) out += std::to_string(d.line) + ":" + std::to_string(d.column) + ":";
  if (!out.empty()) out += " ";
  out += "error: ";
  if (!d.path.empty()) out += d.path + ": ";
  out += d.message;
  return out;
}

std::string format(const std::vector<diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += format(d) + "\n";
  return out;
}

}  // namespace nt35e::scenario
