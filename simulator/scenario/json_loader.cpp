#include "scenario/json_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <type_traits>

#include "modem/fleet_identity.hpp"
#include "modem/profile.hpp"
#include "mqtt/host_map.hpp"
#include "scenario/json_locator.hpp"

namespace nt35e::scenario {
namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------
// Words

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// A string as it would be written in JSON, quotes included (shortened past 60 bytes).
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

std::string type_name(const json& j) {
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

/// What a value is, for "got ...": numbers by value, the rest by type.
std::string got(const json& j) { return j.is_number() ? j.dump() : type_name(j); }

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

/// Optimal string alignment distance (Levenshtein plus transpositions), case-insensitive.
std::size_t edit_distance(std::string_view a_in, std::string_view b_in) {
  const auto a = lower(a_in), b = lower(b_in);
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

/// The candidate closest to `word`: within edit distance 2 (1 for candidates of up to
/// 3 characters), or else one of them a prefix of the other (3 characters at least).
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.size() > 100) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_score = SIZE_MAX;
  const auto w = lower(word);
  for (const auto& c : candidates) {
    const std::size_t limit = c.size() <= 3 ? 1 : 2;
    std::size_t score = edit_distance(w, c);
    if (score > limit) {
      const auto l = lower(c);
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

/// "unknown <what> "x"; did you mean "y"?" or "...; expected one of: a, b, c".
std::string unknown(std::string_view what, std::string_view word, const std::vector<std::string>& known) {
  std::string out = "unknown " + std::string(what) + " " + quote(word);
  if (auto hint = closest(word, known)) return out + "; did you mean " + quote(*hint) + "?";
  return out + "; expected one of: " + join(known);
}

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < list.size()) {
    auto comma = list.find(", ", start);
    if (comma == std::string::npos) comma = list.size();
    out.push_back(list.substr(start, comma - start));
    start = comma + 2;
  }
  return out;
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

// ---------------------------------------------------------------------------------
// The vocabulary

const std::vector<std::string> profile_names = {"nt35e", "ec616s"};

const std::vector<std::pair<std::string, int>> registrations = {
    {"home", 1}, {"roaming", 5}, {"searching", 2}, {"denied", 3}, {"none", 0}};

const std::vector<std::string> trigger_keys = {"at",           "on_command", "on_command_regex", "on_urc",
                                               "on_urc_regex", "on_mqtt",    "on_publish"};

std::vector<std::string> keys_of(std::string_view where) {
  if (where == "scenario")
    return {"$schema", "name",   "description", "profile", "settings",    "time_scale",
            "network", "broker", "rules",       "modems",  "fleet_events"};
  if (where == "modem_override") return {"select", "settings", "network", "broker", "rules", "replace_rules"};
  if (where == "fleet_event") return {"at", "fire", "select", "fraction", "seed", "stagger"};
  if (where == "network") return {"registration", "registration_delay", "rssi", "ber", "rsrq", "rsrp", "sim"};
  if (where == "broker")
    return {"live",        "map_host", "credentials", "allow_anonymous", "connack", "unresolvable",
            "unreachable", "delays",   "retained",    "replies",         "messages"};
  if (where == "delays") return {"open", "connack", "ack", "delivery"};
  if (where == "credential") return {"client_id", "user", "password"};
  if (where == "retained") return {"topic", "payload", "qos"};
  if (where == "reply") return {"on_publish", "topic", "payload", "qos", "after"};
  if (where == "message") return {"at", "topic", "payload", "qos", "count", "every"};
  if (where == "rule") {
    std::vector<std::string> k = {"name"};
    k.insert(k.end(), trigger_keys.begin(), trigger_keys.end());
    k.insert(k.end(), {"occurrence", "id", "after", "then"});
    return k;
  }
  return {};
}

bool command_only(action_kind k) {
  return k == action_kind::replace_response || k == action_kind::delay_response || k == action_kind::never_answer ||
         k == action_kind::truncate_response;
}

/// Every key some action accepts (to tell "does not apply" from "unknown").
std::vector<std::string> all_action_keys() {
  std::set<std::string> all;
  for (const auto& n : action_names())
    if (auto k = action_from_string(n))
      for (auto& key : action_keys(*k)) all.insert(key);
  return {all.begin(), all.end()};
}

struct signal_range {
  const char* key;
  int max;
  int unknown;
};
constexpr signal_range signal_ranges[] = {{"rssi", 31, 99}, {"ber", 7, 99}, {"rsrq", 34, 255}, {"rsrp", 97, 255}};

// ---------------------------------------------------------------------------------
// Durations

std::optional<duration> parse_unsigned_duration(std::string_view text, std::string_view whole, std::string* error,
                                                bool* malformed) {
  auto fail = [&](std::string why) -> std::optional<duration> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  const std::string q = quote(whole);
  const std::string bad = "expected a time such as \"250ms\" or \"3s\", got " + q;
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  const std::string_view int_part = text.substr(0, i);
  std::string_view frac_part;
  if (int_part.empty()) return *malformed = true, fail(bad);
  if (i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    frac_part = text.substr(start, i - start);
    if (frac_part.empty()) return *malformed = true, fail(bad);
  }
  const std::string_view number = text.substr(0, i);
  const std::string_view unit = text.substr(i);
  if (unit.empty())
    return fail("time " + q + " has no unit; write \"" + std::string(number) + "ms\" or \"" + std::string(number) +
                "s\"");
  std::uint64_t unit_ms = 0;
  if (unit == "ms")
    unit_ms = 1;
  else if (unit == "s")
    unit_ms = 1000;
  else if (unit == "m")
    unit_ms = 60'000;
  else if (unit == "h")
    unit_ms = 3'600'000;
  else if (std::all_of(unit.begin(), unit.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
    return fail("time " + q + " has an unknown unit " + quote(unit) + "; use ms, s, m or h");
  else
    return *malformed = true, fail(bad);

  const auto limit = static_cast<std::uint64_t>(max_duration.count());
  const std::string too_long = "time " + q + " is longer than " + format_duration(max_duration);
  std::string_view digits = int_part;
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > 12) return fail(too_long);
  std::uint64_t whole_units = 0;
  for (char c : digits) whole_units = whole_units * 10 + static_cast<std::uint64_t>(c - '0');
  if (whole_units > limit / unit_ms) return fail(too_long);
  std::uint64_t ms = whole_units * unit_ms;
  while (!frac_part.empty() && frac_part.back() == '0') frac_part.remove_suffix(1);
  if (!frac_part.empty()) {
    const std::string not_whole = "time " + q + " is not a whole number of milliseconds";
    if (frac_part.size() > 9) return fail(not_whole);
    std::uint64_t frac = 0, scale = 1;
    for (char c : frac_part) {
      frac = frac * 10 + static_cast<std::uint64_t>(c - '0');
      scale *= 10;
    }
    if ((frac * unit_ms) % scale != 0) return fail(not_whole);
    ms += frac * unit_ms / scale;
  }
  if (ms > limit) return fail(too_long);
  return duration(static_cast<duration::rep>(ms));
}

// ---------------------------------------------------------------------------------
// Checking

struct problem {
  std::string pointer;
  std::string message;
  bool at_key = false;
};

/// Walks a parsed document, fills structs and collects problems. Every read_* takes the
/// object, its pointer and the key; it returns true when the key is present and valid.
class checker {
 public:
  std::vector<problem> problems;
  const json_locator* loc = nullptr;  // for document order of map members; may be null
  /// Where a pointer of the document being read is in the file: empty for the file
  /// itself; an override's merged world maps what the override gave to /modems/i/...
  std::function<std::string(const std::string&)> origin;
  int max_id = 4;
  std::string id_scope;  // "profile nt35e has ids 0 to 4"

  void error(const std::string& ptr, std::string message, bool at_key = false) {
    problems.push_back({ptr, std::move(message), at_key});
  }

  void set_id_scope(const std::string& profile, bool from_setting) {
    if (from_setting)
      id_scope =
          max_id == 0 ? "setting max_id gives only id 0" : "setting max_id gives ids 0 to " + std::to_string(max_id);
    else
      id_scope = "profile " + profile + (max_id == 0 ? " has only id 0" : " has ids 0 to " + std::to_string(max_id));
  }

  bool expect(const json& j, const std::string& ptr, json::value_t type, const char* what) {
    if (j.type() == type || (type == json::value_t::number_float && j.is_number())) return true;
    error(ptr, std::string("expected ") + what + ", got " + type_name(j));
    return false;
  }

  /// Checks that `j` is an object whose keys are all in `known`. Unknown keys are
  /// reported at their key with a hint; `special` may give its own sentence for a key.
  /// Returns the keys hinted at (a typo of a required key is then reported once), or
  /// nullopt when `j` is not an object.
  std::optional<std::set<std::string>> check_object(
      const json& j, const std::string& ptr, const std::vector<std::string>& known,
      const std::function<std::optional<std::string>(const std::string&)>& special = {}) {
    if (!expect(j, ptr, json::value_t::object, "an object")) return std::nullopt;
    std::set<std::string> hinted;
    for (const auto& [key, value] : j.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      if (special) {
        if (auto message = special(key)) {
          error(child(ptr, key), *message, true);
          continue;
        }
      }
      if (auto hint = closest(key, known)) hinted.insert(*hint);
      error(child(ptr, key), unknown("key", key, known), true);
    }
    return hinted;
  }

  bool require(const json& obj, const std::string& ptr, const std::string& key, const std::set<std::string>& hinted,
               std::string_view for_what = {}) {
    if (obj.contains(key)) return true;
    if (!hinted.count(key))
      error(ptr, "missing required key " + quote(key) + (for_what.empty() ? "" : " for " + std::string(for_what)));
    return false;
  }

  /// Document order of an object member: where its key is in the file. In an
  /// override's world, what the override gave comes after what the scenario gave.
  std::pair<bool, std::size_t> order_of(const std::string& member) const {
    if (!origin) return {false, loc->key_offset(member)};
    const auto at = origin(member);
    return {at != member, loc->key_offset(at)};
  }

  /// Sorts the keys (or key/value pairs) of the object at `ptr` into document order;
  /// nothing happens without a locator.
  template <class T>
  void in_document_order(std::vector<T>& keys, const std::string& ptr) const {
    if (!loc) return;
    auto key_of = [](const T& k) -> const std::string& {
      if constexpr (std::is_same_v<T, std::string>)
        return k;
      else
        return k.first;
    };
    std::stable_sort(keys.begin(), keys.end(), [&](const T& a, const T& b) {
      return order_of(child(ptr, key_of(a))) < order_of(child(ptr, key_of(b)));
    });
  }

  /// The members of an object in document order (sorted by name without a locator).
  std::vector<std::pair<std::string, const json*>> members(const json& obj, const std::string& ptr) const {
    std::vector<std::pair<std::string, const json*>> out;
    for (const auto& [key, value] : obj.items()) out.emplace_back(key, &value);
    in_document_order(out, ptr);
    return out;
  }

  bool read_string(const json& obj, const std::string& ptr, const std::string& key, std::string& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return false;
    if (!expect(*it, child(ptr, key), json::value_t::string, "a string")) return false;
    out = it->get<std::string>();
    return true;
  }

  bool read_bool(const json& obj, const std::string& ptr, const std::string& key, bool& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return false;
    if (!expect(*it, child(ptr, key), json::value_t::boolean, "true or false")) return false;
    out = it->get<bool>();
    return true;
  }

  /// A whole number (an integral float such as 2.0 counts), or nullopt.
  static std::optional<long long> whole(const json& j) {
    if (j.is_number_unsigned()) {
      const auto u = j.get<std::uint64_t>();
      return u > static_cast<std::uint64_t>(LLONG_MAX) ? LLONG_MAX : static_cast<long long>(u);
    }
    if (j.is_number_integer()) return j.get<long long>();
    if (j.is_number_float()) {
      const double d = j.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e18) return static_cast<long long>(d);
    }
    return std::nullopt;
  }

  static std::string range_text(long long min, long long max) {
    if (max >= INT_MAX) return "a whole number of at least " + std::to_string(min);
    return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  }

  template <class Int>
  bool read_int(const json& obj, const std::string& ptr, const std::string& key, Int& out, long long min,
                long long max) {
    auto it = obj.find(key);
    if (it == obj.end()) return false;
    auto n = whole(*it);
    if (!n || *n < min || *n > max) {
      error(child(ptr, key), "expected " + range_text(min, max) + ", got " + got(*it));
      return false;
    }
    out = static_cast<Int>(*n);
    return true;
  }

  /// rssi, ber, rsrq, rsrp: 0..max, or the "unknown" value (99 or 255).
  bool read_signal(const json& obj, const std::string& ptr, const signal_range& r, std::optional<int>& out) {
    auto it = obj.find(r.key);
    if (it == obj.end()) return false;
    auto n = whole(*it);
    if (!n || ((*n < 0 || *n > r.max) && *n != r.unknown)) {
      error(child(ptr, r.key),
            "expected " + range_text(0, r.max) + ", or " + std::to_string(r.unknown) + " (unknown), got " + got(*it));
      return false;
    }
    out = static_cast<int>(*n);
    return true;
  }

  bool read_id(const json& obj, const std::string& ptr, const std::string& key, std::optional<int>& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return false;
    auto n = whole(*it);
    if (!n) {
      error(child(ptr, key),
            "expected an ECMT id (a whole number from 0 to " + std::to_string(max_id) + "), got " + got(*it));
      return false;
    }
    if (*n < 0 || *n > max_id) {
      error(child(ptr, key), "id " + std::to_string(*n) + " is out of range: " + id_scope);
      return false;
    }
    out = static_cast<int>(*n);
    return true;
  }

  bool read_duration(const json& obj, const std::string& ptr, const std::string& key, duration& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return false;
    const auto at = child(ptr, key);
    if (it->is_number()) {
      const bool negative =
          it->is_number_float() ? it->get<double>() < 0 : !it->is_number_unsigned() && it->get<long long>() < 0;
      if (negative)
        error(at, "time " + it->dump() + " is negative");
      else
        error(at, "time " + it->dump() + " has no unit; write \"" + it->dump() + "ms\" or \"" + it->dump() + "s\"");
      return false;
    }
    if (!it->is_string()) {
      error(at, "expected a time such as \"250ms\" or \"3s\", got " + type_name(*it));
      return false;
    }
    std::string why;
    auto d = parse_duration(it->get<std::string>(), &why);
    if (!d) {
      error(at, why);
      return false;
    }
    out = *d;
    return true;
  }

  bool read_opt_duration(const json& obj, const std::string& ptr, const std::string& key,
                         std::optional<duration>& out) {
    duration d{0};
    if (!read_duration(obj, ptr, key, d)) return false;
    out = d;
    return true;
  }

  /// A topic a message is published to: not empty, no wildcard.
  bool read_topic(const json& obj, const std::string& ptr, const std::string& key, std::string& out) {
    std::string t;
    if (!read_string(obj, ptr, key, t)) return false;
    if (t.empty()) {
      error(child(ptr, key), "expected a topic, got an empty string");
      return false;
    }
    if (t.find_first_of("+#") != std::string::npos) {
      error(child(ptr, key),
            "topic " + quote(t) + " contains a wildcard; a message's topic cannot contain \"+\" or \"#\"");
      return false;
    }
    out = std::move(t);
    return true;
  }

  /// A topic filter (MQTT 3.1.1 §4.7): "+" a whole level, "#" a whole last level.
  bool read_filter(const json& obj, const std::string& ptr, const std::string& key, std::string& out) {
    std::string f;
    if (!read_string(obj, ptr, key, f)) return false;
    std::string why;
    if (f.empty()) {
      why = "expected a topic filter, got an empty string";
    } else {
      std::size_t start = 0;
      for (;;) {
        const auto slash = f.find('/', start);
        const auto level =
            std::string_view(f).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (level.find('#') != std::string_view::npos && (level != "#" || slash != std::string::npos)) {
          why = "topic filter " + quote(f) + " is invalid: \"#\" must be a whole level and the last one";
          break;
        }
        if (level.find('+') != std::string_view::npos && level != "+") {
          why = "topic filter " + quote(f) + " is invalid: \"+\" must be a whole level";
          break;
        }
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
    }
    if (!why.empty()) {
      error(child(ptr, key), why);
      return false;
    }
    out = std::move(f);
    return true;
  }

  /// Calls each(element, pointer) for every element of the array at `key`.
  template <class F>
  void read_array(const json& obj, const std::string& ptr, const std::string& key, F each) {
    auto it = obj.find(key);
    if (it == obj.end()) return;
    const auto at = child(ptr, key);
    if (!expect(*it, at, json::value_t::array, "an array")) return;
    for (std::size_t i = 0; i < it->size(); ++i) each((*it)[i], child(at, i));
  }

  // -------------------------------------------------------------------------------
  // Actions

  bool read_action(const json& j, const std::string& ptr, action& a) {
    static const auto every_key = all_action_keys();
    if (!expect(j, ptr, json::value_t::object, "an object with an \"action\"")) return false;
    auto name_it = j.find("action");
    if (name_it == j.end()) {
      std::vector<std::string> known = {"action"};
      known.insert(known.end(), every_key.begin(), every_key.end());
      auto hinted = check_object(j, ptr, known);
      require(j, ptr, "action", *hinted);
      return false;
    }
    if (!expect(*name_it, child(ptr, "action"), json::value_t::string, "an action name")) return false;
    const auto name = name_it->get<std::string>();
    const auto kind = action_from_string(name);
    if (!kind) {
      error(child(ptr, "action"), unknown("action", name, action_names()));
      return false;
    }
    a = action{};
    a.kind = *kind;
    const auto keys = action_keys(*kind);
    std::vector<std::string> known = {"action"};
    known.insert(known.end(), keys.begin(), keys.end());
    const std::size_t before = problems.size();
    auto hinted = check_object(j, ptr, known, [&](const std::string& key) -> std::optional<std::string> {
      if (std::find(every_key.begin(), every_key.end(), key) == every_key.end()) return std::nullopt;
      return quote(key) + " does not apply to " + name +
             (keys.empty() ? " (it takes no fields)" : " (its fields: " + join(keys) + ")");
    });
    for (const auto& key : action_required_keys(*kind)) require(j, ptr, key, *hinted, name);

    switch (a.kind) {
      case action_kind::replace_response:
      case action_kind::inject_urc:
        read_string(j, ptr, "text", a.text);
        break;
      case action_kind::send_bytes: {
        const bool text = j.contains("text"), hex = j.contains("hex");
        if (text && hex)
          error(child(ptr, "hex"), "send_bytes takes \"text\" or \"hex\", not both", true);
        else if (!text && !hex && !hinted->count("text") && !hinted->count("hex"))
          error(ptr, "missing required key \"text\" or \"hex\" for send_bytes");
        else if (text)
          read_string(j, ptr, "text", a.text);
        else
          read_hex(j, ptr, a.text);
        break;
      }
      case action_kind::delay_response:
        read_duration(j, ptr, "by", a.by);
        break;
      case action_kind::never_answer:
        break;
      case action_kind::truncate_response:
        read_int(j, ptr, "keep", a.keep, 0, 1'000'000);
        break;
      case action_kind::refuse_connect:
        read_int(j, ptr, "code", a.code, 1, 5);
        read_id(j, ptr, "id", a.id);
        break;
      case action_kind::dns_failure:
      case action_kind::tcp_open_failure:
      case action_kind::drop_link:
      case action_kind::stop_pings:
      case action_kind::resume_pings:
      case action_kind::connfail_then_connack:
        read_id(j, ptr, "id", a.id);
        break;
      case action_kind::deliver:
        read_id(j, ptr, "id", a.id);
        read_topic(j, ptr, "topic", a.topic);
        read_string(j, ptr, "payload", a.payload);
        read_int(j, ptr, "qos", a.qos, 0, 2);
        read_bool(j, ptr, "retain", a.retain);
        break;
      case action_kind::duplicate_next_urc:
        read_string(j, ptr, "pattern", a.text);
        break;
      case action_kind::lose_registration:
        if (auto it = j.find("stat"); it != j.end()) {
          auto n = whole(*it);
          if (n && (*n == 0 || *n == 2 || *n == 3))
            a.stat = static_cast<int>(*n);
          else
            error(child(ptr, "stat"), "expected 0 (not registered), 2 (searching) or 3 (denied), got " + got(*it));
        }
        break;
      case action_kind::regain_registration:
        read_duration(j, ptr, "by", a.by);
        break;
      case action_kind::set_signal: {
        read_signal(j, ptr, signal_ranges[0], a.rssi);
        read_signal(j, ptr, signal_ranges[1], a.ber);
        read_signal(j, ptr, signal_ranges[2], a.rsrq);
        read_signal(j, ptr, signal_ranges[3], a.rsrp);
        bool any = false;
        for (const auto& r : signal_ranges) any = any || j.contains(r.key) || hinted->count(r.key);
        if (!any) error(ptr, "set_signal needs at least one of \"rssi\", \"ber\", \"rsrq\" and \"rsrp\"");
        break;
      }
      case action_kind::remove_sim:
      case action_kind::insert_sim:
      case action_kind::reboot:
        break;
    }
    return problems.size() == before;
  }

  void read_hex(const json& j, const std::string& ptr, std::string& out) {
    std::string text;
    if (!read_string(j, ptr, "hex", text)) return;
    std::string bytes;
    int high = -1;
    bool ok = true;
    for (char c : text) {
      if (c == ' ') {
        if (high >= 0) ok = false;
        continue;
      }
      int v = -1;
      if (c >= '0' && c <= '9')
        v = c - '0';
      else if (c >= 'a' && c <= 'f')
        v = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v = c - 'A' + 10;
      if (v < 0) ok = false;
      if (!ok) break;
      if (high < 0) {
        high = v;
      } else {
        bytes += static_cast<char>(high * 16 + v);
        high = -1;
      }
    }
    if (!ok || high >= 0 || bytes.empty()) {
      error(child(ptr, "hex"), "expected bytes as pairs of hex digits such as \"0d0a ff\", got " + quote(text));
      return;
    }
    out = std::move(bytes);
  }

  // -------------------------------------------------------------------------------
  // The scenario

  void read_profile_and_settings(const json& root, scenario& s) {
    modem::profile scratch;
    if (read_string(root, "", "profile", s.profile)) {
      if (auto p = modem::builtin_profile(s.profile)) {
        scratch = *p;
      } else {
        error("/profile", unknown("profile", s.profile, profile_names));
      }
    }
    bool max_from_setting = false;
    if (auto it = root.find("settings"); it != root.end()) {
      if (expect(*it, "/settings", json::value_t::object, "an object of setting names and string values")) {
        static const auto names = split_names(modem::profile_field_names());
        for (const auto& [name, value] : members(*it, "/settings")) {
          const auto at = child("/settings", name);
          if (std::find(names.begin(), names.end(), name) == names.end()) {
            if (closest(name, names))
              error(at, unknown("setting", name, names), true);
            else
              error(at, modem::set_profile_field(scratch, name, ""), true);
            continue;
          }
          if (!value->is_string()) {
            error(at, "expected a string (settings are written as for --set), got " + type_name(*value));
            continue;
          }
          auto why = modem::set_profile_field(scratch, name, value->get<std::string>());
          if (!why.empty()) {
            error(at, why);
            continue;
          }
          if (name == "max_id") max_from_setting = true;
          s.settings.emplace_back(name, value->get<std::string>());
        }
      }
    }
    max_id = scratch.max_ecmt_id;
    set_id_scope(scratch.name, max_from_setting);
  }

  void read_network(const json& obj, network_script& n) {
    const std::string ptr = "/network";
    if (!check_object(obj, ptr, keys_of("network"))) return;
    std::string reg;
    if (read_string(obj, ptr, "registration", reg)) {
      auto it = std::find_if(registrations.begin(), registrations.end(), [&](auto& r) { return r.first == reg; });
      if (it != registrations.end()) {
        n.registration = it->second;
      } else {
        std::vector<std::string> names;
        for (auto& r : registrations) names.push_back(r.first);
        error(child(ptr, "registration"), unknown("registration", reg, names));
      }
    }
    read_opt_duration(obj, ptr, "registration_delay", n.registration_delay);
    read_signal(obj, ptr, signal_ranges[0], n.rssi);
    read_signal(obj, ptr, signal_ranges[1], n.ber);
    read_signal(obj, ptr, signal_ranges[2], n.rsrq);
    read_signal(obj, ptr, signal_ranges[3], n.rsrp);
    read_bool(obj, ptr, "sim", n.sim);
  }

  void read_message_fields(const json& obj, const std::string& ptr, message& m, const std::set<std::string>& hinted) {
    require(obj, ptr, "topic", hinted);
    read_topic(obj, ptr, "topic", m.topic);
    read_string(obj, ptr, "payload", m.payload);
    read_int(obj, ptr, "qos", m.qos, 0, 2);
  }

  void read_host_list(const json& obj, const std::string& ptr, const std::string& key, std::vector<std::string>& out,
                      bool with_port) {
    read_array(obj, ptr, key, [&](const json& e, const std::string& at) {
      if (!expect(e, at, json::value_t::string, with_port ? "\"HOST\" or \"HOST:PORT\"" : "a host name")) return;
      const auto text = e.get<std::string>();
      if (text.empty()) {
        error(at, std::string("expected ") + (with_port ? "\"HOST\" or \"HOST:PORT\"" : "a host name") +
                      ", got an empty string");
        return;
      }
      if (with_port) {
        // The same host syntax as --map-host's left side (IPv6 in brackets).
        std::string why;
        if (!mqtt::host_map::parse_entry(text + "=127.0.0.1:1", &why)) {
          error(at, "expected \"HOST\" or \"HOST:PORT\" with a port from 1 to 65535, got " + quote(text));
          return;
        }
      }
      out.push_back(text);
    });
  }

  void read_broker(const json& obj, broker_script& b) {
    const std::string ptr = "/broker";
    if (!check_object(obj, ptr, keys_of("broker"))) return;
    read_bool(obj, ptr, "live", b.live);
    if (auto it = obj.find("map_host"); it != obj.end()) {
      const std::string at = "/broker/map_host";
      if (expect(*it, at, json::value_t::object, "an object of \"HOST[:PORT]\": \"ADDR:PORT\"")) {
        for (const auto& [from, to] : members(*it, at)) {
          const auto here = child(at, from);
          if (!to->is_string()) {
            error(here, "expected \"ADDR:PORT\", got " + type_name(*to));
            continue;
          }
          const std::string spec = from + "=" + to->get<std::string>();
          std::string why;
          if (!mqtt::host_map::parse_entry(spec, &why)) {
            // "--map-host "SPEC": WHY." -> WHY
            const std::string head = "--map-host \"" + spec + "\": ";
            if (why.rfind(head, 0) == 0) why.erase(0, head.size());
            if (!why.empty() && why.back() == '.') why.pop_back();
            error(here, why, why.find("mapped host") != std::string::npos);
            continue;
          }
          b.map_host.emplace_back(from, to->get<std::string>());
        }
      }
    }
    read_array(obj, ptr, "credentials", [&](const json& e, const std::string& at) {
      auto hinted = check_object(e, at, keys_of("credential"));
      if (!hinted) return;
      credential c;
      require(e, at, "user", *hinted);
      std::string id;
      if (read_string(e, at, "client_id", id)) c.client_id = id;
      read_string(e, at, "user", c.user);
      read_string(e, at, "password", c.password);
      b.credentials.push_back(std::move(c));
    });
    read_bool(obj, ptr, "allow_anonymous", b.allow_anonymous);
    int code = 0;
    if (read_int(obj, ptr, "connack", code, 0, 5)) b.connack_code = code;
    read_host_list(obj, ptr, "unresolvable", b.unresolvable, false);
    read_host_list(obj, ptr, "unreachable", b.unreachable, true);
    if (auto it = obj.find("delays"); it != obj.end()) {
      const std::string at = "/broker/delays";
      if (check_object(*it, at, keys_of("delays"))) {
        read_duration(*it, at, "open", b.open_delay);
        read_duration(*it, at, "connack", b.connack_delay);
        read_duration(*it, at, "ack", b.ack_delay);
        read_duration(*it, at, "delivery", b.delivery_delay);
      }
    }
    read_array(obj, ptr, "retained", [&](const json& e, const std::string& at) {
      auto hinted = check_object(e, at, keys_of("retained"));
      if (!hinted) return;
      message m;
      read_message_fields(e, at, m, *hinted);
      b.retained.push_back(std::move(m));
    });
    read_array(obj, ptr, "replies", [&](const json& e, const std::string& at) {
      auto hinted = check_object(e, at, keys_of("reply"));
      if (!hinted) return;
      reply r;
      require(e, at, "on_publish", *hinted);
      read_filter(e, at, "on_publish", r.filter);
      read_message_fields(e, at, r.respond, *hinted);
      read_duration(e, at, "after", r.after);
      b.replies.push_back(std::move(r));
    });
    read_array(obj, ptr, "messages", [&](const json& e, const std::string& at) {
      auto hinted = check_object(e, at, keys_of("message"));
      if (!hinted) return;
      timed_message t;
      read_duration(e, at, "at", t.at);
      read_message_fields(e, at, t.msg, *hinted);
      read_int(e, at, "count", t.count, 1, 1'000'000);
      read_duration(e, at, "every", t.every);
      b.messages.push_back(std::move(t));
    });
  }

  void read_pattern(const json& obj, const std::string& ptr, const std::string& key, trigger& t) {
    if (!read_string(obj, ptr, key, t.pattern)) return;
    const auto at = child(ptr, key);
    if (t.regex && t.pattern.size() > 1000) {
      error(at, "regex is longer than 1000 characters");  // std::regex compiles recursively
    } else if (t.regex) {
      try {
        std::regex re(t.pattern, std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error& e) {
        error(at, "regex " + quote(t.pattern) + " does not compile: " + e.what());
      }
    } else if (key == "on_command" && lower(t.pattern).rfind("at", 0) == 0) {
      error(at, "on_command matches the text after \"AT\": write " + quote(t.pattern.substr(2)) + ", not " +
                    quote(t.pattern));
    }
  }

  void read_rule(const json& obj, const std::string& ptr, std::size_t index, rule& r) {
    auto hinted = check_object(obj, ptr, keys_of("rule"));
    if (!hinted) return;
    r.name = "rule " + std::to_string(index);
    read_string(obj, ptr, "name", r.name);

    std::vector<std::string> given;
    for (const auto& k : trigger_keys)
      if (obj.contains(k)) given.push_back(k);
    in_document_order(given, ptr);
    bool hinted_trigger = false;
    for (const auto& k : trigger_keys) hinted_trigger = hinted_trigger || hinted->count(k);
    if (given.empty()) {
      if (!hinted_trigger) error(ptr, "a rule needs a trigger: one of " + join(trigger_keys));
    } else if (given.size() > 1) {
      error(child(ptr, given[1]), "a rule has exactly one trigger, but this one has " + join(given, " and "), true);
    }
    const std::string trig = given.empty() ? "" : given.front();
    auto& t = r.when;
    if (trig == "at") {
      t.kind = trigger_kind::at;
      read_duration(obj, ptr, "at", t.at);
    } else if (trig == "on_command" || trig == "on_command_regex") {
      t.kind = trigger_kind::command;
      t.regex = trig == "on_command_regex";
      read_pattern(obj, ptr, trig, t);
    } else if (trig == "on_urc" || trig == "on_urc_regex") {
      t.kind = trigger_kind::urc;
      t.regex = trig == "on_urc_regex";
      read_pattern(obj, ptr, trig, t);
    } else if (trig == "on_mqtt") {
      t.kind = trigger_kind::mqtt_event;
      if (read_string(obj, ptr, "on_mqtt", t.pattern)) {
        const auto names = mqtt_event_names();
        if (std::find(names.begin(), names.end(), t.pattern) == names.end())
          error(child(ptr, "on_mqtt"), unknown("MQTT event", t.pattern, names));
      }
    } else if (trig == "on_publish") {
      t.kind = trigger_kind::publish;
      read_filter(obj, ptr, "on_publish", t.pattern);
    }

    if (obj.contains("occurrence")) {
      if (trig == "at")
        error(child(ptr, "occurrence"), "\"occurrence\" does not apply to an \"at\" rule", true);
      else
        read_int(obj, ptr, "occurrence", t.occurrence, 1, INT_MAX);
    }
    if (obj.contains("id")) {
      if (!trig.empty() && trig != "on_mqtt" && trig != "on_publish")
        error(child(ptr, "id"), "\"id\" applies only to on_mqtt and on_publish rules", true);
      else
        read_id(obj, ptr, "id", t.id);
    }
    read_duration(obj, ptr, "after", r.after);

    require(obj, ptr, "then", *hinted);
    if (auto it = obj.find("then"); it != obj.end()) {
      const auto at = child(ptr, "then");
      if (expect(*it, at, json::value_t::array, "an array of actions")) {
        if (it->empty()) error(at, "expected at least one action, got an empty array");
        for (std::size_t i = 0; i < it->size(); ++i) {
          action a;
          const auto here = child(at, i);
          if (!read_action((*it)[i], here, a)) continue;
          if (command_only(a.kind) && !trig.empty() && t.kind != trigger_kind::command) {
            error(child(here, "action"), std::string(to_string(a.kind)) +
                                             " changes the answer to a command, so it needs an on_command or "
                                             "on_command_regex rule");
            continue;
          }
          r.then.push_back(std::move(a));
        }
      }
    }
    // A response action changes the answer of the command that fired the rule; run
    // later it would hit whichever command came next.
    if (r.after.count() > 0)
      for (const auto& a : r.then)
        if (command_only(a.kind)) {
          error(child(ptr, "after"),
                std::string(to_string(a.kind)) +
                    " changes the answer to the command that fired the rule, so the rule cannot "
                    "have \"after\" (delay_response delays the answer)",
                true);
          break;
        }
  }

  // -------------------------------------------------------------------------------
  // Per-modem overrides

  /// A fleet index written in digits; nullopt (and an error) above max_fleet_index.
  std::optional<std::uint64_t> fleet_index(std::string_view digits, const std::string& at) {
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    std::uint64_t n = 0;
    for (char c : digits) {
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
      if (n > modem::max_fleet_index) {
        error(at, "index " + std::string(digits) + " is above " + std::to_string(modem::max_fleet_index) +
                      ", the highest fleet index");
        return std::nullopt;
      }
    }
    return n;
  }

  /// "select": a string of comma-separated N or A-B ("0-9, 15"), or an array of indices.
  bool read_select(const json& obj, const std::string& ptr, std::vector<index_range>& out) {
    auto it = obj.find("select");
    if (it == obj.end()) return false;
    const auto at = child(ptr, "select");
    const std::string max = std::to_string(modem::max_fleet_index);
    std::vector<index_range> ranges;
    if (it->is_array()) {
      if (it->empty()) {
        error(at, "expected at least one index, got an empty array");
        return false;
      }
      for (std::size_t i = 0; i < it->size(); ++i) {
        const auto& e = (*it)[i];
        const auto n = whole(e);
        if (!n || *n < 0) {
          error(child(at, i), "expected a fleet index (a whole number from 0 to " + max + "), got " + got(e));
          return false;
        }
        auto index = fleet_index(std::to_string(*n), child(at, i));
        if (!index) return false;
        ranges.push_back({*index, *index});
      }
    } else if (it->is_string()) {
      const auto text = it->get<std::string>();
      const auto digits_end = [](std::string_view t, std::size_t i) {
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
        return i;
      };
      std::size_t start = 0;
      for (;;) {
        const auto comma = std::min(text.find(',', start), text.size());
        std::string_view item = std::string_view(text).substr(start, comma - start);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        // N, or A-B with optional spaces around the dash.
        const auto a_end = digits_end(item, 0);
        std::size_t dash = a_end;
        while (dash < item.size() && item[dash] == ' ') ++dash;
        std::size_t b_start = dash + 1;
        while (b_start < item.size() && item[b_start] == ' ') ++b_start;
        const bool single = a_end > 0 && a_end == item.size();
        const bool range = a_end > 0 && dash < item.size() && item[dash] == '-' && b_start < item.size() &&
                           digits_end(item, b_start) == item.size();
        if (!single && !range) {
          error(at, "expected indices such as \"0-9,15\" (N or A-B, separated by commas), got " + quote(text));
          return false;
        }
        auto first = fleet_index(item.substr(0, a_end), at);
        if (!first) return false;
        auto last = first;
        if (range && !(last = fleet_index(item.substr(b_start), at))) return false;
        if (*first > *last) {
          error(at, quote(item) + " is not a range (the start is above the end)");
          return false;
        }
        ranges.push_back({*first, *last});
        if (comma == text.size()) break;
        start = comma + 1;
      }
    } else {
      error(at, "expected indices: a string such as \"0-9,15\" or an array of whole numbers, got " + type_name(*it));
      return false;
    }
    out = std::move(ranges);
    return true;
  }

  // -------------------------------------------------------------------------------
  // Fleet events

  /// "fire": an action object, or the bare name of one that needs no fields.
  void read_fired_action(const json& e, const std::string& ptr, action& a, bool& ok) {
    auto it = e.find("fire");
    if (it == e.end()) return;
    const auto at = child(ptr, "fire");
    if (!it->is_string() && !it->is_object()) {
      error(at, "expected an action such as {\"action\": \"drop_link\", \"id\": 0} or an action name, got " +
                    type_name(*it));
      return;
    }
    const json& named = it->is_string() ? *it : it->value("action", json());
    const auto name = named.is_string() ? named.get<std::string>() : std::string();
    const auto kind = action_from_string(name);
    if (it->is_string() && !kind) {
      error(at, unknown("action", name, action_names()));
      return;
    }
    if (kind && command_only(*kind)) {
      error(it->is_string() ? at : child(at, "action"),
            name + " changes the answer to a command, so it cannot be a fleet event (use a rule with on_command)");
      return;
    }
    ok = read_action(it->is_string() ? json{{"action", name}} : *it, at, a);
  }

  void read_fleet_event(const json& e, const std::string& ptr, std::vector<fleet_event>& out) {
    auto hinted = check_object(e, ptr, keys_of("fleet_event"));
    if (!hinted) return;
    fleet_event ev;
    bool ok = false;
    require(e, ptr, "at", *hinted);
    require(e, ptr, "fire", *hinted);
    read_duration(e, ptr, "at", ev.at);
    read_fired_action(e, ptr, ev.fire, ok);
    read_select(e, ptr, ev.select);
    const auto fraction = e.find("fraction");
    if (fraction != e.end()) {
      if (!fraction->is_number() || !(fraction->get<double>() > 0) || fraction->get<double>() > 1)
        error(child(ptr, "fraction"),
              "expected a number above 0 and at most 1 (0.3: 30 % of the selected modems), got " + got(*fraction));
      else
        ev.fraction = fraction->get<double>();
    }
    if (auto seed = e.find("seed"); seed != e.end()) {
      const auto n = whole(*seed);
      if (fraction == e.end())
        error(child(ptr, "seed"), "\"seed\" goes with \"fraction\" (it seeds the random choice of modems)", true);
      else if (seed->is_number_unsigned())
        ev.seed = seed->get<std::uint64_t>();
      else if (n && *n >= 0)
        ev.seed = static_cast<std::uint64_t>(*n);
      else
        error(child(ptr, "seed"), "expected a whole number of 0 or more, got " + got(*seed));
    }
    read_duration(e, ptr, "stagger", ev.stagger);
    if (ok) out.push_back(std::move(ev));
  }

  /// "fleet_events": top level only (an override's world never has them).
  void read_fleet_events(const json& root, scenario& s) {
    if (!root.is_object()) return;
    read_array(root, "", "fleet_events",
               [&](const json& e, const std::string& at) { read_fleet_event(e, at, s.fleet_events); });
  }

  void read_scenario(const json& root, scenario& s) {
    if (!check_object(root, "", keys_of("scenario"))) return;
    std::string ignored;
    read_string(root, "", "$schema", ignored);
    read_profile_and_settings(root, s);
    read_string(root, "", "name", s.name);
    read_string(root, "", "description", s.description);
    if (auto it = root.find("time_scale"); it != root.end()) {
      if (!it->is_number() || !(it->get<double>() > 0) || it->get<double>() > 1000)
        error("/time_scale", "expected a number above 0 and at most 1000 (0.05: twenty times faster), got " + got(*it));
      else
        s.time_scale = it->get<double>();
    }
    if (auto it = root.find("network"); it != root.end()) read_network(*it, s.network);
    if (auto it = root.find("broker"); it != root.end()) read_broker(*it, s.broker);
    read_array(root, "", "rules", [&](const json& e, const std::string& at) {
      rule r;
      read_rule(e, at, s.rules.size(), r);
      s.rules.push_back(std::move(r));
    });
  }
};

// ---------------------------------------------------------------------------------
// Per-modem overrides: each is read as a whole world, the scenario's document with the
// override merged in, so every check of the format applies to it; its problems are
// reported where the file has the value (/modems/i/... for what the override gave).

/// Maps a pointer of an override's merged world to where the value is in the file.
struct override_origin {
  std::string prefix;                               // "/modems/2"
  std::set<std::string> settings, network, broker;  // the members it gives (escaped tokens)
  bool rules = false;                               // it gives rules...
  bool replace = false;                             // ... instead of the scenario's
  bool base_has_rules = false;
  std::size_t base_rules = 0;

  std::string operator()(const std::string& ptr) const {
    if (ptr.empty()) return ptr;
    const auto end1 = ptr.find('/', 1);
    const std::string first = ptr.substr(1, end1 == std::string::npos ? std::string::npos : end1 - 1);
    const bool own_rules = rules && (replace || !base_has_rules);
    if (end1 == std::string::npos) return first == "rules" && own_rules ? prefix + ptr : ptr;
    const auto end2 = ptr.find('/', end1 + 1);
    const std::string second = ptr.substr(end1 + 1, end2 == std::string::npos ? std::string::npos : end2 - end1 - 1);
    const std::set<std::string>* given = first == "settings"  ? &settings
                                         : first == "network" ? &network
                                         : first == "broker"  ? &broker
                                                              : nullptr;
    if (given) return given->count(second) ? prefix + ptr : ptr;
    if (first != "rules" || !rules) return ptr;
    if (own_rules) return prefix + ptr;
    std::size_t k = 0;
    std::from_chars(second.data(), second.data() + second.size(), k);
    if (k < base_rules) return ptr;
    return prefix + "/rules/" + std::to_string(k - base_rules) +
           (end2 == std::string::npos ? std::string() : ptr.substr(end2));
  }
};

bool under(const std::string& ptr, const std::string& prefix) {
  return ptr.rfind(prefix, 0) == 0 && (ptr.size() == prefix.size() || ptr[prefix.size()] == '/');
}

/// Reads "modems" into s.modems; `c` holds the problems of the scenario itself and
/// gets the overrides' problems.
void read_modems(const json& root, const json_locator& loc, checker& c, scenario& s) {
  if (!root.is_object()) return;
  const auto list = root.find("modems");
  if (list == root.end() || !c.expect(*list, "/modems", json::value_t::array, "an array of overrides")) return;
  std::set<std::pair<std::string, std::string>> reported;
  for (const auto& p : c.problems) reported.emplace(p.pointer, p.message);
  json base = root;
  base.erase("modems");
  base.erase("fleet_events");  // the fleet's, not a world's
  const auto base_rules = base.find("rules");

  std::vector<std::pair<std::string, std::vector<index_range>>> selections;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& o = (*list)[i];
    const auto ptr = child("/modems", i);
    auto hinted = c.check_object(o, ptr, keys_of("modem_override"), [](const std::string& key) {
      return key == "fleet_events" ? std::optional<std::string>(
                                         "fleet events are for the whole fleet: give \"fleet_events\" at the top "
                                         "level of the scenario, not in an override")
                                   : std::nullopt;
    });
    if (!hinted) continue;
    modem_override mo;
    mo.path = ptr;
    mo.text = o.dump();
    c.require(o, ptr, "select", *hinted);
    if (c.read_select(o, ptr, mo.select)) selections.emplace_back(ptr, mo.select);
    override_origin origin;
    origin.prefix = ptr;
    c.read_bool(o, ptr, "replace_rules", origin.replace);

    // The merged document: sections shallow-merged per key, rules appended or replaced.
    json world = base;
    bool mergeable = true;
    for (const char* section : {"settings", "network", "broker"}) {
      const auto given = o.find(section);
      if (given == o.end()) continue;
      if (!c.expect(
              *given, child(ptr, section), json::value_t::object,
              section == std::string("settings") ? "an object of setting names and string values" : "an object")) {
        mergeable = false;
        continue;
      }
      auto& target = world[section];
      if (target.is_null()) target = json::object();
      if (!target.is_object()) {  // the scenario's own section is wrong (reported already)
        mergeable = false;
        continue;
      }
      auto& tokens = section == std::string("settings")  ? origin.settings
                     : section == std::string("network") ? origin.network
                                                         : origin.broker;
      for (const auto& [key, value] : given->items()) {
        target[key] = value;
        tokens.insert(escape_pointer_token(key));
      }
    }
    origin.base_has_rules = base_rules != base.end();
    origin.base_rules = origin.base_has_rules && base_rules->is_array() ? base_rules->size() : 0;
    if (const auto rules = o.find("rules"); rules != o.end()) {
      origin.rules = true;
      if (!c.expect(*rules, child(ptr, "rules"), json::value_t::array, "an array of rules"))
        mergeable = false;
      else if (origin.replace || !origin.base_has_rules)
        world["rules"] = *rules;
      else if (!base_rules->is_array())
        mergeable = false;
      else
        for (const auto& r : *rules) world["rules"].push_back(r);
    } else if (origin.replace) {
      world["rules"] = json::array();
    }
    if (!mergeable) continue;

    checker w;
    w.loc = &loc;
    w.origin = origin;
    auto resolved = std::make_shared<scenario>();
    resolved->file = s.file;
    resolved->name = s.name;
    w.read_scenario(world, *resolved);
    for (auto& p : w.problems) {
      p.pointer = origin(p.pointer);
      if (!reported.emplace(p.pointer, p.message).second) continue;  // the scenario's own problem
      if (!under(p.pointer, ptr)) p.message += " (with the override " + ptr + ")";
      c.problems.push_back(std::move(p));
    }
    for (const auto& setting : resolved->settings)
      if (origin.settings.count(escape_pointer_token(setting.first))) mo.settings.push_back(setting);
    mo.world = std::move(resolved);
    s.modems.push_back(std::move(mo));
  }

  // A modem plays one world: no index in two overrides.
  for (std::size_t j = 1; j < selections.size(); ++j) {
    [&] {
      for (std::size_t i = 0; i < j; ++i)
        for (const auto& a : selections[i].second)
          for (const auto& b : selections[j].second)
            if (a.first <= b.last && b.first <= a.last) {
              c.error(child(selections[j].first, "select"), "index " + std::to_string(std::max(a.first, b.first)) +
                                                                " is also selected by " + selections[i].first +
                                                                "; a modem may be chosen by one override only");
              return;
            }
    }();
  }
}

// ---------------------------------------------------------------------------------
// Diagnostics

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

/// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 10: syntax
/// error while parsing value - unexpected ','; expected '[', '{', or a literal" ->
/// "unexpected ','; expected '[', '{', or a literal".
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

}  // namespace

// -----------------------------------------------------------------------------------
// Public

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

std::optional<duration> parse_duration(std::string_view text, std::string* error) {
  bool malformed = false;
  if (!text.empty() && text.front() == '-') {
    std::string why;
    (void)parse_unsigned_duration(text.substr(1), text, &why, &malformed);
    if (error) {
      if (malformed)
        *error = "expected a time such as \"250ms\" or \"3s\", got " + quote(text);
      else
        *error = "time " + quote(text) + " is negative";
    }
    return std::nullopt;
  }
  return parse_unsigned_duration(text, text, error, &malformed);
}

std::string format_duration(duration d) {
  const auto ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::vector<std::string> known_keys(std::string_view where) { return keys_of(where); }

std::vector<std::string> action_keys(action_kind k) {
  switch (k) {
    case action_kind::replace_response:
      return {"text"};
    case action_kind::delay_response:
      return {"by"};
    case action_kind::never_answer:
      return {};
    case action_kind::truncate_response:
      return {"keep"};
    case action_kind::refuse_connect:
      return {"id", "code"};
    case action_kind::dns_failure:
    case action_kind::tcp_open_failure:
    case action_kind::drop_link:
    case action_kind::stop_pings:
    case action_kind::resume_pings:
    case action_kind::connfail_then_connack:
      return {"id"};
    case action_kind::deliver:
      return {"id", "topic", "payload", "qos", "retain"};
    case action_kind::inject_urc:
      return {"text"};
    case action_kind::duplicate_next_urc:
      return {"pattern"};
    case action_kind::send_bytes:
      return {"text", "hex"};
    case action_kind::lose_registration:
      return {"stat"};
    case action_kind::regain_registration:
      return {"by"};
    case action_kind::set_signal:
      return {"rssi", "ber", "rsrq", "rsrp"};
    case action_kind::remove_sim:
    case action_kind::insert_sim:
    case action_kind::reboot:
      return {};
  }
  return {};
}

std::vector<std::string> action_required_keys(action_kind k) {
  switch (k) {
    case action_kind::replace_response:
    case action_kind::inject_urc:
      return {"text"};
    case action_kind::delay_response:
      return {"by"};
    case action_kind::truncate_response:
      return {"keep"};
    case action_kind::refuse_connect:
      return {"code"};
    case action_kind::deliver:
      return {"topic"};
    case action_kind::lose_registration:
      return {"stat"};
    default:
      return {};
  }
}

std::vector<std::string> mqtt_event_names() {
  return {"opened", "connack", "connect_failed", "suback", "unsuback", "published", "message", "link_lost"};
}

std::variant<action, diagnostic> action_from_json(const nlohmann::json& j, const std::string& path, int max_id) {
  checker c;
  c.max_id = max_id;
  c.id_scope = max_id == 0 ? "only id 0 exists" : "ids go from 0 to " + std::to_string(max_id);
  action a;
  c.read_action(j, path, a);
  if (!c.problems.empty()) return diagnostic{"", 0, 0, shown(c.problems.front().pointer), c.problems.front().message};
  return a;
}

std::variant<scenario, std::vector<diagnostic>> load_text(std::string_view text, const std::string& file_name) {
  json root;
  try {
    root = json::parse(text.data(), text.data() + text.size());
  } catch (const json::parse_error& e) {
    const json_locator loc(text);
    // nlohmann points at the last byte it read (the end of an unexpected token); the
    // locator's scanner stops at the token's start, which reads better.
    const std::size_t offset = std::min(e.byte > 0 ? e.byte - 1 : 0, loc.error_offset());
    const auto pos = loc.position_of(offset);
    return std::vector<diagnostic>{
        {file_name, pos.line, pos.column, shown(loc.pointer_at(offset)), "invalid JSON: " + syntax_message(e.what())}};
  } catch (const json::exception& e) {
    // A number too large for a double (406): nlohmann gives no position; find the token.
    const json_locator loc(text);
    std::string message = syntax_message(e.what());
    std::size_t offset = 0;
    if (message.rfind("number ", 0) == 0 && message.find(" is too large") != std::string::npos)
      offset = std::min(text.find(message.substr(7, message.find(" is too large") - 7)), text.size());
    const auto pos = loc.position_of(offset);
    return std::vector<diagnostic>{
        {file_name, pos.line, pos.column, shown(loc.pointer_at(offset)), "invalid JSON: " + message}};
  }

  const json_locator loc(text);
  checker c;
  c.loc = &loc;
  scenario s;
  s.file = file_name;
  s.name = std::filesystem::path(file_name).stem().string();
  c.read_scenario(root, s);
  c.read_fleet_events(root, s);
  read_modems(root, loc, c, s);
  for (const auto& d : loc.duplicates())
    c.error(d.pointer,
            "duplicate key " + quote(unescape_pointer_token(d.pointer.substr(d.pointer.rfind('/') + 1))) +
                " (first given at line " + std::to_string(d.first.line) + ", column " + std::to_string(d.first.column) +
                ")",
            true);
  if (!c.problems.empty()) return to_diagnostics(c.problems, loc, file_name);
  return s;
}

std::variant<scenario, std::vector<diagnostic>> load_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return std::vector<diagnostic>{{path, 0, 0, "", "is a directory, not a scenario file"}};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return std::vector<diagnostic>{{path, 0, 0, "", std::string("cannot open the file: ") + std::strerror(err)}};
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return std::vector<diagnostic>{{path, 0, 0, "", "cannot read the file"}};
  return load_text(buffer.str(), path);
}

// -----------------------------------------------------------------------------------
// To JSON

namespace {

bool valid_utf8(std::string_view s) {
  try {
    (void)json(std::string(s)).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

std::string hex_of(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i) out += ' ';
    const auto b = static_cast<unsigned char>(bytes[i]);
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

json message_json(const message& m) { return {{"topic", m.topic}, {"payload", m.payload}, {"qos", m.qos}}; }

std::string registration_name(int r) {
  for (const auto& [name, value] : registrations)
    if (value == r) return name;
  return std::to_string(r);
}

}  // namespace

nlohmann::json to_json(const action& a) {
  json j = json::object();
  j["action"] = to_string(a.kind);
  if (a.id) j["id"] = *a.id;
  switch (a.kind) {
    case action_kind::replace_response:
    case action_kind::inject_urc:
      j["text"] = a.text;
      break;
    case action_kind::send_bytes:
      if (valid_utf8(a.text))
        j["text"] = a.text;
      else
        j["hex"] = hex_of(a.text);
      break;
    case action_kind::delay_response:
    case action_kind::regain_registration:
      j["by"] = format_duration(a.by);
      break;
    case action_kind::truncate_response:
      j["keep"] = a.keep;
      break;
    case action_kind::refuse_connect:
      j["code"] = a.code;
      break;
    case action_kind::deliver:
      j["topic"] = a.topic;
      j["payload"] = a.payload;
      j["qos"] = a.qos;
      j["retain"] = a.retain;
      break;
    case action_kind::duplicate_next_urc:
      if (!a.text.empty()) j["pattern"] = a.text;
      break;
    case action_kind::lose_registration:
      j["stat"] = a.stat;
      break;
    case action_kind::set_signal:
      if (a.rssi) j["rssi"] = *a.rssi;
      if (a.ber) j["ber"] = *a.ber;
      if (a.rsrq) j["rsrq"] = *a.rsrq;
      if (a.rsrp) j["rsrp"] = *a.rsrp;
      break;
    default:
      break;
  }
  return j;
}

nlohmann::json to_json(const scenario& s) {
  json j = json::object();
  j["name"] = s.name;
  j["description"] = s.description;
  j["profile"] = s.profile;
  j["settings"] = json::object();
  for (const auto& [k, v] : s.settings) j["settings"][k] = v;
  j["time_scale"] = s.time_scale;

  json n = json::object();
  n["registration"] = registration_name(s.network.registration);
  if (s.network.registration_delay) n["registration_delay"] = format_duration(*s.network.registration_delay);
  if (s.network.rssi) n["rssi"] = *s.network.rssi;
  if (s.network.ber) n["ber"] = *s.network.ber;
  if (s.network.rsrq) n["rsrq"] = *s.network.rsrq;
  if (s.network.rsrp) n["rsrp"] = *s.network.rsrp;
  n["sim"] = s.network.sim;
  j["network"] = n;

  const auto& b = s.broker;
  json br = json::object();
  br["live"] = b.live;
  br["map_host"] = json::object();
  for (const auto& [from, to] : b.map_host) br["map_host"][from] = to;
  br["credentials"] = json::array();
  for (const auto& c : b.credentials) {
    json cj = json::object();
    if (c.client_id) cj["client_id"] = *c.client_id;
    cj["user"] = c.user;
    cj["password"] = c.password;
    br["credentials"].push_back(cj);
  }
  br["allow_anonymous"] = b.allow_anonymous;
  if (b.connack_code) br["connack"] = *b.connack_code;
  br["unresolvable"] = b.unresolvable;
  br["unreachable"] = b.unreachable;
  br["delays"] = {{"open", format_duration(b.open_delay)},
                  {"connack", format_duration(b.connack_delay)},
                  {"ack", format_duration(b.ack_delay)},
                  {"delivery", format_duration(b.delivery_delay)}};
  br["retained"] = json::array();
  for (const auto& m : b.retained) br["retained"].push_back(message_json(m));
  br["replies"] = json::array();
  for (const auto& r : b.replies) {
    json rj = message_json(r.respond);
    rj["on_publish"] = r.filter;
    rj["after"] = format_duration(r.after);
    br["replies"].push_back(rj);
  }
  br["messages"] = json::array();
  for (const auto& m : b.messages) {
    json mj = message_json(m.msg);
    mj["at"] = format_duration(m.at);
    mj["count"] = m.count;
    mj["every"] = format_duration(m.every);
    br["messages"].push_back(mj);
  }
  j["broker"] = br;

  j["rules"] = json::array();
  for (const auto& r : s.rules) {
    json rj = json::object();
    rj["name"] = r.name;
    const auto& t = r.when;
    switch (t.kind) {
      case trigger_kind::at:
        rj["at"] = format_duration(t.at);
        break;
      case trigger_kind::command:
        rj[t.regex ? "on_command_regex" : "on_command"] = t.pattern;
        break;
      case trigger_kind::urc:
        rj[t.regex ? "on_urc_regex" : "on_urc"] = t.pattern;
        break;
      case trigger_kind::mqtt_event:
        rj["on_mqtt"] = t.pattern;
        break;
      case trigger_kind::publish:
        rj["on_publish"] = t.pattern;
        break;
    }
    if (t.occurrence > 0) rj["occurrence"] = t.occurrence;
    if (t.id) rj["id"] = *t.id;
    if (r.after.count() > 0) rj["after"] = format_duration(r.after);
    rj["then"] = json::array();
    for (const auto& a : r.then) rj["then"].push_back(to_json(a));
    j["rules"].push_back(rj);
  }

  // The overrides as written: merged with the scenario above, they give the same worlds.
  j["modems"] = json::array();
  for (const auto& o : s.modems) j["modems"].push_back(json::parse(o.text));

  j["fleet_events"] = json::array();
  for (const auto& e : s.fleet_events) {
    json ej = json::object();
    ej["at"] = format_duration(e.at);
    ej["fire"] = to_json(e.fire);
    if (!e.select.empty()) ej["select"] = format_select(e.select);
    if (e.fraction) ej["fraction"] = *e.fraction;
    if (e.seed) ej["seed"] = *e.seed;
    if (e.stagger.count() > 0) ej["stagger"] = format_duration(e.stagger);
    j["fleet_events"].push_back(ej);
  }
  return j;
}

}  // namespace nt35e::scenario
