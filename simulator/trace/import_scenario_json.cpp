// Log import, the scenario file: the imported scenario written as scenarios/README.md
// shows scenario files (one rule per line, keys in the order people read them), which
// the loader reads back to the same rules.

#include <nlohmann/json.hpp>

#include "trace/import_detail.hpp"

namespace nt35e::trace::detail {
namespace {

/// A JSON string: UTF-8 kept, bytes that are not UTF-8 as U+FFFD.
std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// `{"action": "refuse_connect", "id": 0, "code": 5}`: the fields the importer's actions use.
std::string action_json(const scenario::action& a) {
  std::string out = "{\"action\": " + json_string(scenario::to_string(a.kind));
  if (a.id) out += ", \"id\": " + std::to_string(*a.id);
  if (a.kind == scenario::action_kind::refuse_connect) out += ", \"code\": " + std::to_string(a.code);
  if (a.kind == scenario::action_kind::replace_response || a.kind == scenario::action_kind::inject_urc)
    out += ", \"text\": " + json_string(a.text);
  if (a.kind == scenario::action_kind::deliver) {
    out += ", \"topic\": " + json_string(a.topic) + ", \"payload\": " + json_string(a.payload);
    if (a.qos) out += ", \"qos\": " + std::to_string(a.qos);
    if (a.retain) out += ", \"retain\": true";
  }
  return out + "}";
}

std::string rule_json(const scenario::rule& r, const rule_origin& origin) {
  std::string out = "{";
  if (r.when.kind == scenario::trigger_kind::at) {
    out += "\"at\": " + json_string(duration_text(r.when.at.count()));
  } else if (r.when.kind == scenario::trigger_kind::mqtt_event) {
    out += "\"on_mqtt\": " + json_string(r.when.pattern);
    if (r.when.id) out += ", \"id\": " + std::to_string(*r.when.id);
    out += ", \"occurrence\": " + std::to_string(r.when.occurrence);
    if (origin.timed) out += ", \"after\": " + json_string(duration_text(r.after.count()));
  } else {
    out += "\"on_command\": " + json_string(r.when.pattern) + ", \"occurrence\": " + std::to_string(r.when.occurrence);
    if (origin.timed) out += ", \"after\": " + json_string(duration_text(r.after.count()));
  }
  out += ", \"then\": [";
  for (std::size_t i = 0; i < r.then.size(); ++i) out += (i ? ", " : "") + action_json(r.then[i]);
  return out + "]}";
}

}  // namespace

std::string duration_text(std::int64_t msec) {
  if (msec < 0) msec = 0;
  if (msec == 0) return "0s";
  if (msec % 3'600'000 == 0) return std::to_string(msec / 3'600'000) + "h";
  if (msec % 60'000 == 0) return std::to_string(msec / 60'000) + "m";
  if (msec % 1000 == 0) return std::to_string(msec / 1000) + "s";
  return std::to_string(msec) + "ms";
}

std::string scenario_json(const scenario::scenario& s, const std::vector<rule_origin>& origins) {
  std::string out = "{\n";
  out += "  \"name\": " + json_string(s.name) + ",\n";
  out += "  \"description\": " + json_string(s.description) + ",\n";
  if (!s.settings.empty()) {
    out += "  \"settings\": {";
    for (std::size_t i = 0; i < s.settings.size(); ++i)
      out += (i ? ", " : "") + json_string(s.settings[i].first) + ": " + json_string(s.settings[i].second);
    out += "},\n";
  }
  // The broker's delays when they differ from the scripted broker's defaults (a capture's).
  const scenario::broker_script standard;
  std::string delays;
  auto delay = [&](const char* key, scenario::duration d, scenario::duration def) {
    if (d != def)
      delays += std::string(delays.empty() ? "" : ", ") + "\"" + key + "\": " + json_string(duration_text(d.count()));
  };
  delay("open", s.broker.open_delay, standard.open_delay);
  delay("connack", s.broker.connack_delay, standard.connack_delay);
  delay("ack", s.broker.ack_delay, standard.ack_delay);
  delay("delivery", s.broker.delivery_delay, standard.delivery_delay);
  if (!delays.empty()) out += "  \"broker\": {\"delays\": {" + delays + "}},\n";
  if (s.rules.empty()) {
    out += "  \"rules\": []\n";
  } else {
    out += "  \"rules\": [\n";
    for (std::size_t i = 0; i < s.rules.size(); ++i)
      out += "    " + rule_json(s.rules[i], origins[i]) + (i + 1 < s.rules.size() ? ",\n" : "\n");
    out += "  ]\n";
  }
  return out + "}\n";
}

}  // namespace nt35e::trace::detail
