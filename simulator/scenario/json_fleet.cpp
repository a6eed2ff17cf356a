// The fleet side of a scenario: per-modem overrides ("modems", each checked as the
// whole world it makes), the "select" that picks their modems, and fleet events.

#include <algorithm>
#include <charconv>
#include <memory>

#include "modem/fleet_identity.hpp"
#include "scenario/json_detail.hpp"

namespace nt35e::scenario::json_detail {

// ---------------------------------------------------------------------------------
// Which modems: "select" of an override or a fleet event

std::optional<std::uint64_t> checker::fleet_index(std::string_view digits, const std::string& at) {
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

bool checker::read_select(const json& obj, const std::string& ptr, std::vector<index_range>& out) {
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
    error(at, "expected indices: a string such as \"0-9,15\" or an array of whole numbers, got " + json_type_name(*it));
    return false;
  }
  out = std::move(ranges);
  return true;
}

// ---------------------------------------------------------------------------------
// Fleet events

void checker::read_fleet_events(const json& root, scenario& s) {
  if (!root.is_object()) return;
  read_array(root, "", "fleet_events",
             [&](const json& e, const std::string& at) { read_fleet_event(e, at, s.fleet_events); });
}

void checker::read_fleet_event(const json& e, const std::string& ptr, std::vector<fleet_event>& out) {
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

void checker::read_fired_action(const json& e, const std::string& ptr, action& a, bool& ok) {
  auto it = e.find("fire");
  if (it == e.end()) return;
  const auto at = child(ptr, "fire");
  if (!it->is_string() && !it->is_object()) {
    error(at, "expected an action such as {\"action\": \"drop_link\", \"id\": 0} or an action name, got " +
                  json_type_name(*it));
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

// ---------------------------------------------------------------------------------
// Per-modem overrides: each is read as a whole world, the scenario's document with the
// override merged in, so every check of the format applies to it; its problems are
// reported where the file has the value (/modems/i/... for what the override gave).

namespace {

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

}  // namespace

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

}  // namespace nt35e::scenario::json_detail
