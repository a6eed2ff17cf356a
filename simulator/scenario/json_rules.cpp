// Rules ("when this happens, do that"): one trigger each, its pattern or event, and
// the actions it runs; also a single action given as JSON (the control channel's).

#include <regex>

#include "scenario/json_detail.hpp"

namespace nt35e::scenario::json_detail {

void checker::read_rule(const json& obj, const std::string& ptr, std::size_t index, rule& r) {
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

void checker::read_pattern(const json& obj, const std::string& ptr, const std::string& key, trigger& t) {
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
  } else if (key == "on_command" && at::to_lower(t.pattern).rfind("at", 0) == 0) {
    error(at, "on_command matches the text after \"AT\": write " + quote(t.pattern.substr(2)) + ", not " +
                  quote(t.pattern));
  }
}

bool checker::read_action(const json& j, const std::string& ptr, action& a) {
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
    case action_kind::line_noise: {
      read_duration(j, ptr, "for", a.window);
      if (j.contains("for") && a.window.count() <= 0) error(child(ptr, "for"), "a burst of noise needs a time above 0");
      if (auto it = j.find("mode"); it != j.end()) {
        if (it->is_string() && (*it == "flip" || *it == "drop"))
          a.drop = *it == "drop";
        else
          error(child(ptr, "mode"),
                "expected \"flip\" (a bit of each hit byte flipped) or \"drop\" (hit bytes lost), got " + got(*it));
      }
      read_int(j, ptr, "percent", a.percent, 1, 100);
      break;
    }
    case action_kind::broker_down:
    case action_kind::slow_network:
      read_duration(j, ptr, "for", a.window);
      if (j.contains("for") && a.window.count() <= 0)
        error(child(ptr, "for"), std::string(to_string(a.kind)) + " needs a time above 0");
      if (a.kind == action_kind::slow_network) {
        read_duration(j, ptr, "by", a.by);
        if (j.contains("by") && a.by.count() <= 0) error(child(ptr, "by"), "a slow network needs a delay above 0");
      }
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

void checker::read_hex(const json& j, const std::string& ptr, std::string& out) {
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

}  // namespace nt35e::scenario::json_detail

namespace nt35e::scenario {

std::variant<action, diagnostic> action_from_json(const nlohmann::json& j, const std::string& path, int max_id) {
  json_detail::checker c;
  c.max_id = max_id;
  c.id_scope = max_id == 0 ? "only id 0 exists" : "ids go from 0 to " + std::to_string(max_id);
  action a;
  c.read_action(j, path, a);
  if (!c.problems.empty())
    return diagnostic{"", 0, 0, json_detail::shown(c.problems.front().pointer), c.problems.front().message};
  return a;
}

}  // namespace nt35e::scenario
