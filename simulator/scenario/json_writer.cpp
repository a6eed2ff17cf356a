// Scenarios and actions back to JSON, for logs, the control channel's echo and
// round trips through load_text.

#include "scenario/json_detail.hpp"

namespace nt35e::scenario {

using json_detail::json;
using json_detail::registrations;

namespace {

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

nlohmann::json to_json(const expectation& x) {
  json j = json::object();
  if (!x.name.empty()) j["name"] = x.name;
  j["kind"] = to_string(x.kind);
  if (x.after_loss > 0) j["after_loss"] = x.after_loss;
  if (x.after_loss_at) j["after_loss_at"] = format_duration(*x.after_loss_at);
  if (x.within.count() > 0) j["within"] = format_duration(x.within);
  if (x.subscribe.size() == 1)
    j["subscribe"] = x.subscribe.front();
  else if (!x.subscribe.empty())
    j["subscribe"] = x.subscribe;
  if (x.resubscribe) j["resubscribe"] = true;
  if (!x.topic.empty()) j["topic"] = x.topic;
  if (x.every.count() > 0) j["every"] = format_duration(x.every);
  if (x.qos) j["qos"] = *x.qos;
  if (x.at_least.count() > 0) j["at_least"] = format_duration(x.at_least);
  return j;
}

/// The "oracle" key as the loader reads it back (its settings are kept as "ID=on" and
/// "ID.name=VALUE").
nlohmann::json to_json(const scenario::oracle_script& o) {
  json j = json::object();
  if (!o.mode.empty()) j["mode"] = o.mode;
  auto split = [](const std::string& text) {
    const auto eq = text.find('=');
    return std::pair{text.substr(0, eq), eq == std::string::npos ? std::string() : text.substr(eq + 1)};
  };
  if (!o.rules.empty()) {
    j["rules"] = json::object();
    for (const auto& r : o.rules) {
      auto [id, value] = split(r);
      j["rules"][id] = value;
    }
  }
  if (!o.thresholds.empty()) {
    j["set"] = json::object();
    for (const auto& t : o.thresholds) {
      auto [key, value] = split(t);
      j["set"][key] = json::parse(value, nullptr, false);
    }
  }
  return j;
}

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
      if (at::valid_utf8(a.text))
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
    case action_kind::broker_down:
      j["for"] = format_duration(a.window);
      break;
    case action_kind::slow_network:
      j["for"] = format_duration(a.window);
      j["by"] = format_duration(a.by);
      break;
    case action_kind::line_noise:
      j["for"] = format_duration(a.window);
      j["mode"] = a.drop ? "drop" : "flip";
      j["percent"] = a.percent;
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
  if (s.uart.baud || s.uart.fragment_seed) {
    json u = json::object();
    if (s.uart.baud) u["baud"] = *s.uart.baud;
    if (s.uart.fragment_seed) u["fragment"] = *s.uart.fragment_seed;
    j["uart"] = u;
  }

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
  json ping = json::object();
  if (b.ping.rtt) ping["rtt"] = format_duration(*b.ping.rtt);
  ping["jitter"] = format_duration(b.ping.jitter);
  ping["seed"] = b.ping.seed;
  ping["hosts"] = json::object();
  for (const auto& h : b.ping.hosts) {
    json hj = json::object();
    if (h.address) hj["address"] = *h.address;
    if (h.rtt) hj["rtt"] = format_duration(*h.rtt);
    hj["loss"] = h.loss;
    hj["send_fail"] = h.send_fail;
    ping["hosts"][h.host] = hj;
  }
  br["ping"] = ping;
  br["delays"] = {{"open", format_duration(b.open_delay)},
                  {"open_tls", format_duration(b.open_tls_delay)},
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

  j["oracle"] = to_json(s.oracle);
  j["expect"] = json::array();
  for (const auto& x : s.expect) j["expect"].push_back(to_json(x));
  return j;
}

}  // namespace nt35e::scenario
