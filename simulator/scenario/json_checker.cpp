// The checker's basics: recording problems, checking objects' keys, and reading typed
// fields (strings, numbers, signal values, ids, times, topics and topic filters).

#include <cmath>

#include "scenario/json_detail.hpp"

namespace nt35e::scenario::json_detail {

void checker::error(const std::string& ptr, std::string message, bool at_key) {
  problems.push_back({ptr, std::move(message), at_key});
}

void checker::set_id_scope(const std::string& profile, bool from_setting) {
  if (from_setting)
    id_scope =
        max_id == 0 ? "setting max_id gives only id 0" : "setting max_id gives ids 0 to " + std::to_string(max_id);
  else
    id_scope = "profile " + profile + (max_id == 0 ? " has only id 0" : " has ids 0 to " + std::to_string(max_id));
}

bool checker::expect(const json& j, const std::string& ptr, json::value_t type, const char* what) {
  if (j.type() == type || (type == json::value_t::number_float && j.is_number())) return true;
  error(ptr, std::string("expected ") + what + ", got " + json_type_name(j));
  return false;
}

std::optional<std::set<std::string>> checker::check_object(
    const json& j, const std::string& ptr, const std::vector<std::string>& known,
    const std::function<std::optional<std::string>(const std::string&)>& special) {
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

bool checker::require(const json& obj, const std::string& ptr, const std::string& key,
                      const std::set<std::string>& hinted, std::string_view for_what) {
  if (obj.contains(key)) return true;
  if (!hinted.count(key))
    error(ptr, "missing required key " + quote(key) + (for_what.empty() ? "" : " for " + std::string(for_what)));
  return false;
}

std::pair<bool, std::size_t> checker::order_of(const std::string& member) const {
  if (!origin) return {false, loc->key_offset(member)};
  const auto at = origin(member);
  return {at != member, loc->key_offset(at)};
}

std::vector<std::pair<std::string, const json*>> checker::members(const json& obj, const std::string& ptr) const {
  std::vector<std::pair<std::string, const json*>> out;
  for (const auto& [key, value] : obj.items()) out.emplace_back(key, &value);
  in_document_order(out, ptr);
  return out;
}

bool checker::read_string(const json& obj, const std::string& ptr, const std::string& key, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (!expect(*it, child(ptr, key), json::value_t::string, "a string")) return false;
  out = it->get<std::string>();
  return true;
}

bool checker::read_bool(const json& obj, const std::string& ptr, const std::string& key, bool& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (!expect(*it, child(ptr, key), json::value_t::boolean, "true or false")) return false;
  out = it->get<bool>();
  return true;
}

std::optional<long long> checker::whole(const json& j) {
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

std::string checker::range_text(long long min, long long max) {
  if (max >= INT_MAX) return "a whole number of at least " + std::to_string(min);
  return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
}

bool checker::read_signal(const json& obj, const std::string& ptr, const signal_range& r, std::optional<int>& out) {
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

bool checker::read_id(const json& obj, const std::string& ptr, const std::string& key, std::optional<int>& out) {
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

bool checker::read_duration(const json& obj, const std::string& ptr, const std::string& key, duration& out) {
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
    error(at, "expected a time such as \"250ms\" or \"3s\", got " + json_type_name(*it));
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

bool checker::read_opt_duration(const json& obj, const std::string& ptr, const std::string& key,
                                std::optional<duration>& out) {
  duration d{0};
  if (!read_duration(obj, ptr, key, d)) return false;
  out = d;
  return true;
}

bool checker::read_topic(const json& obj, const std::string& ptr, const std::string& key, std::string& out) {
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

std::string checker::filter_problem(const std::string& f) {
  if (f.empty()) return "expected a topic filter, got an empty string";
  std::size_t start = 0;
  for (;;) {
    const auto slash = f.find('/', start);
    const auto level =
        std::string_view(f).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (level.find('#') != std::string_view::npos && (level != "#" || slash != std::string::npos))
      return "topic filter " + quote(f) + " is invalid: \"#\" must be a whole level and the last one";
    if (level.find('+') != std::string_view::npos && level != "+")
      return "topic filter " + quote(f) + " is invalid: \"+\" must be a whole level";
    if (slash == std::string::npos) return {};
    start = slash + 1;
  }
}

bool checker::read_filter(const json& obj, const std::string& ptr, const std::string& key, std::string& out) {
  std::string f;
  if (!read_string(obj, ptr, key, f)) return false;
  if (auto why = filter_problem(f); !why.empty()) {
    error(child(ptr, key), why);
    return false;
  }
  out = std::move(f);
  return true;
}

}  // namespace nt35e::scenario::json_detail
