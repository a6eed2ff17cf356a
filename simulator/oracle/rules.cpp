#include "oracle/rules.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace nt35e::oracle {
namespace {

using enum severity;

constexpr std::array<threshold, 1> pause_settings{
    threshold{"pause_ms", 100, "the least time between a final result and the next command line (V.250: 100 ms)"}};
constexpr std::array<threshold, 2> gave_up_settings{
    threshold{"open_s", 20, "the longest +ECMTOPEN may take (DNS limit 10 s + TCP connect limit 10 s, §8)"},
    threshold{"conn_s", 10, "the longest +ECMTCONN may take (CONNACK limit 10 s, §8)"}};
constexpr std::array<threshold, 1> recovery_settings{
    threshold{"within_s", 60, "how long after +ECMTSTAT the link must be back or the driver must act"}};
constexpr std::array<threshold, 1> resubscribe_settings{
    threshold{"within_s", 30, "how long after the reconnect +ECMTCONN:<id>,0,0 every topic must be subscribed again"}};
constexpr std::array<threshold, 2> storm_settings{
    threshold{"count", 5, "failures of the same command line that make a storm"},
    threshold{"window_s", 60, "within this many seconds, without a growing delay between tries"}};
constexpr std::array<threshold, 2> limit_settings{
    threshold{"payload", 1024, "the longest payload in bytes (§5.8.1, §5.8.2)"},
    threshold{"topic", 255, "the longest topic in characters (§5.6, §5.8)"}};
constexpr std::array<threshold, 1> inflight_settings{
    threshold{"limit", 8, "QoS 1/2 publishes awaiting their +ECMTPUB on one id (chosen: the spec names no limit)"}};
constexpr std::array<threshold, 2> reboot_settings{
    threshold{"count", 3, "reboots (AT+ECRST, AT+CFUN=1,1) without a reason in between"},
    threshold{"window_s", 600, "within this many seconds"}};

// The verdict lists rules in this order; ids never change once published (docs/oracle.md).
constexpr std::array rule_rows{
    rule{"NT35E-AT-BEFORE-ECRDY", error, true, {}},
    rule{"NT35E-AT-OVERLAP", error, false, {}},
    rule{"NT35E-AT-LINE-ENDING", error, true, {}},
    rule{"NT35E-AT-TYPOGRAPHIC", error, true, {}},
    rule{"NT35E-AT-LOWERCASE", warning, false, {}},
    rule{"NT35E-AT-MALFORMED", error, true, {}},
    rule{"NT35E-AT-PAUSE", warning, false, pause_settings},
    rule{"NT35E-AT-MULTI-ACTION", warning, false, {}},
    rule{"NT35E-NET-OPEN-UNREGISTERED", error, true, {}},
    rule{"NT35E-ECMT-CONN-BEFORE-OPEN", error, true, {}},
    rule{"NT35E-ECMT-USE-BEFORE-CONN", error, true, {}},
    rule{"NT35E-ECMT-URC-PENDING", error, true, {}},
    rule{"NT35E-ECMT-GAVE-UP-EARLY", error, true, gave_up_settings},
    rule{"NT35E-DRV-IGNORED-ERROR", error, true, {}},
    rule{"NT35E-ECMT-NO-RECOVERY", error, true, recovery_settings},
    rule{"NT35E-ECMT-NO-RESUBSCRIBE", error, true, resubscribe_settings},
    rule{"NT35E-DRV-RETRY-STORM", error, true, storm_settings},
    rule{"NT35E-ECMT-LIMITS", error, true, limit_settings},
    rule{"NT35E-ECMT-INFLIGHT", warning, false, inflight_settings},
    rule{"NT35E-SYS-REBOOT-LOOP", error, true, reboot_settings},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string unknown_rule(std::string_view id) {
  return "there is no oracle rule \"" + std::string(id) +
         "\" (the ids are listed in docs/oracle.md, e.g. NT35E-ECMT-CONN-BEFORE-OPEN)";
}

}  // namespace

std::string_view to_string(severity s) { return s == severity::error ? "error" : "warning"; }

std::span<const rule> rules() { return rule_rows; }

const rule* find_rule(std::string_view id) {
  for (const auto& r : rule_rows)
    if (r.id == id) return &r;
  return nullptr;
}

bool config::runs(std::string_view id) const {
  const auto* r = find_rule(id);
  if (!r) return false;
  if (auto it = enabled.find(std::string(id)); it != enabled.end() && !it->second) return false;
  return !lenient || r->breaks_real_module;
}

double config::value(std::string_view id, std::string_view name) const {
  std::string key = std::string(id) + "." + std::string(name);
  if (auto it = values.find(key); it != values.end()) return it->second;
  if (const auto* r = find_rule(id))
    for (const auto& t : r->settings)
      if (t.name == name) return t.value;
  return 0;
}

std::string set_rule(config& c, std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos)
    return "write the rule and its switch as ID=on or ID=off, e.g. NT35E-AT-PAUSE=off (got \"" + std::string(text) +
           "\")";
  auto id = upper(trim(text.substr(0, eq)));
  auto sw = trim(text.substr(eq + 1));
  if (!find_rule(id)) return unknown_rule(id);
  if (sw == "on" || sw == "true")
    c.enabled[id] = true;
  else if (sw == "off" || sw == "false")
    c.enabled[id] = false;
  else
    return "the switch of rule " + id + " is on or off, not \"" + std::string(sw) + "\"";
  return {};
}

std::string set_threshold(config& c, std::string_view text) {
  auto eq = text.find('=');
  auto dot = text.substr(0, eq).rfind('.');
  if (eq == std::string_view::npos || dot == std::string_view::npos)
    return "write a threshold as ID.name=VALUE, e.g. NT35E-ECMT-NO-RECOVERY.within_s=120 (got \"" + std::string(text) +
           "\")";
  auto id = upper(trim(text.substr(0, dot)));
  auto name = std::string(trim(text.substr(dot + 1, eq - dot - 1)));
  auto value_text = trim(text.substr(eq + 1));
  const auto* r = find_rule(id);
  if (!r) return unknown_rule(id);
  if (std::none_of(r->settings.begin(), r->settings.end(), [&](const threshold& t) { return t.name == name; })) {
    std::string names;
    for (const auto& t : r->settings) names += (names.empty() ? "" : ", ") + std::string(t.name);
    return "rule " + id + " has no threshold \"" + name + "\"" +
           (names.empty() ? std::string(" (it has none)") : " (it has: " + names + ")");
  }
  double value = 0;
  auto [end, ec] = std::from_chars(value_text.data(), value_text.data() + value_text.size(), value);
  if (ec != std::errc{} || end != value_text.data() + value_text.size() || !std::isfinite(value) || value < 0)
    return "the threshold " + id + "." + name + " is a number of 0 or more, not \"" + std::string(value_text) + "\"";
  c.values[id + "." + name] = value;
  return {};
}

std::string set_mode(config& c, std::string_view text) {
  if (text == "strict")
    c.lenient = false;
  else if (text == "lenient")
    c.lenient = true;
  else
    return "the verdict mode is strict or lenient, not \"" + std::string(text) + "\"";
  return {};
}

}  // namespace nt35e::oracle
