// The vocabulary of the scenario format: which keys each place accepts, the names of
// registrations, triggers and MQTT events, and the fields of each action.

#include <set>

#include "scenario/json_detail.hpp"

namespace nt35e::scenario::json_detail {

const std::vector<std::string> profile_names = {"nt35e", "ec616s"};

const std::vector<std::pair<std::string, int>> registrations = {
    {"home", 1}, {"roaming", 5}, {"searching", 2}, {"denied", 3}, {"none", 0}};

const std::vector<std::string> trigger_keys = {"at",           "on_command", "on_command_regex", "on_urc",
                                               "on_urc_regex", "on_mqtt",    "on_publish"};

std::vector<std::string> keys_of(std::string_view where) {
  if (where == "scenario")
    return {"$schema", "name",   "description", "profile", "settings",     "time_scale", "uart",
            "network", "broker", "rules",       "modems",  "fleet_events", "oracle",     "expect"};
  if (where == "oracle") return {"mode", "rules", "set"};
  if (where == "uart") return {"baud", "fragment"};
  if (where == "modem_override") return {"select", "settings", "network", "broker", "rules", "replace_rules"};
  if (where == "fleet_event") return {"at", "fire", "select", "fraction", "seed", "stagger"};
  if (where == "network") return {"registration", "registration_delay", "rssi", "ber", "rsrq", "rsrp", "sim"};
  if (where == "broker")
    return {"live",        "map_host", "credentials", "allow_anonymous", "connack", "unresolvable",
            "unreachable", "ping",     "delays",      "retained",        "replies", "messages"};
  if (where == "ping") return {"rtt", "jitter", "seed", "hosts"};
  if (where == "ping_host") return {"address", "rtt", "loss", "send_fail"};
  if (where == "delays") return {"open", "open_tls", "connack", "ack", "delivery"};
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

std::vector<std::string> all_action_keys() {
  std::set<std::string> all;
  for (const auto& n : action_names())
    if (auto k = action_from_string(n))
      for (auto& key : action_keys(*k)) all.insert(key);
  return {all.begin(), all.end()};
}

}  // namespace nt35e::scenario::json_detail

namespace nt35e::scenario {

std::vector<std::string> known_keys(std::string_view where) { return json_detail::keys_of(where); }

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
    case action_kind::line_noise:
      return {"for", "mode", "percent"};
    case action_kind::broker_down:
      return {"for"};
    case action_kind::slow_network:
      return {"for", "by"};
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
    case action_kind::line_noise:
    case action_kind::broker_down:
      return {"for"};
    case action_kind::slow_network:
      return {"for", "by"};
    default:
      return {};
  }
}

std::vector<std::string> mqtt_event_names() {
  return {"opened", "connack", "connect_failed", "suback", "unsuback", "published", "message", "link_lost"};
}

}  // namespace nt35e::scenario
