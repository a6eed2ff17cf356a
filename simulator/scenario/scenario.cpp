#include "scenario/scenario.hpp"

#include <array>

namespace nt35e::scenario {
namespace {

struct named {
  action_kind kind;
  const char* name;
};

constexpr std::array<named, 24> action_table{{
    {action_kind::replace_response, "replace_response"},
    {action_kind::delay_response, "delay_response"},
    {action_kind::never_answer, "never_answer"},
    {action_kind::truncate_response, "truncate_response"},
    {action_kind::refuse_connect, "refuse_connect"},
    {action_kind::dns_failure, "dns_failure"},
    {action_kind::tcp_open_failure, "tcp_open_failure"},
    {action_kind::drop_link, "drop_link"},
    {action_kind::stop_pings, "stop_pings"},
    {action_kind::resume_pings, "resume_pings"},
    {action_kind::deliver, "deliver"},
    {action_kind::connfail_then_connack, "connfail_then_connack"},
    {action_kind::broker_down, "broker_down"},
    {action_kind::slow_network, "slow_network"},
    {action_kind::inject_urc, "inject_urc"},
    {action_kind::duplicate_next_urc, "duplicate_next_urc"},
    {action_kind::send_bytes, "send_bytes"},
    {action_kind::line_noise, "line_noise"},
    {action_kind::lose_registration, "lose_registration"},
    {action_kind::regain_registration, "regain_registration"},
    {action_kind::set_signal, "set_signal"},
    {action_kind::remove_sim, "remove_sim"},
    {action_kind::insert_sim, "insert_sim"},
    {action_kind::reboot, "reboot"},
}};

constexpr std::array<std::pair<expect_kind, const char*>, 6> expect_table{{
    {expect_kind::reconnect, "reconnect"},
    {expect_kind::connect, "connect"},
    {expect_kind::subscribe, "subscribe"},
    {expect_kind::publish, "publish"},
    {expect_kind::never_publish, "never_publish"},
    {expect_kind::back_off, "back_off"},
}};

}  // namespace

const char* to_string(action_kind k) {
  for (const auto& a : action_table)
    if (a.name && a.kind == k) return a.name;
  return "?";
}

std::optional<action_kind> action_from_string(std::string_view name) {
  for (const auto& a : action_table)
    if (a.name && name == a.name) return a.kind;
  return std::nullopt;
}

std::vector<std::string> action_names() {
  std::vector<std::string> out;
  for (const auto& a : action_table)
    if (a.name) out.emplace_back(a.name);
  return out;
}

const char* to_string(expect_kind k) {
  for (const auto& [kind, name] : expect_table)
    if (kind == k) return name;
  return "?";
}

std::optional<expect_kind> expect_kind_from_string(std::string_view name) {
  for (const auto& [kind, text] : expect_table)
    if (name == text) return kind;
  return std::nullopt;
}

std::vector<std::string> expect_kind_names() {
  std::vector<std::string> out;
  for (const auto& e : expect_table) out.emplace_back(e.second);
  return out;
}

const char* to_string(trigger_kind k) {
  switch (k) {
    case trigger_kind::at:
      return "at";
    case trigger_kind::command:
      return "on_command";
    case trigger_kind::urc:
      return "on_urc";
    case trigger_kind::mqtt_event:
      return "on_mqtt";
    case trigger_kind::publish:
      return "on_publish";
  }
  return "?";
}

std::string format_select(const std::vector<index_range>& ranges) {
  std::string out;
  for (const auto& r : ranges) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.first);
    if (r.last != r.first) out += '-' + std::to_string(r.last);
  }
  return out;
}

bool selects_any(const std::vector<index_range>& ranges, std::uint64_t first, std::uint64_t last) {
  for (const auto& r : ranges)
    if (r.first <= last && first <= r.last) return true;
  return false;
}

bool modem_override::selects(std::uint64_t index) const { return selects_any(index, index); }

bool modem_override::selects_any(std::uint64_t first, std::uint64_t last) const {
  return nt35e::scenario::selects_any(select, first, last);
}

const modem_override* scenario::override_for(std::uint64_t index) const {
  for (const auto& o : modems)
    if (o.selects(index)) return &o;
  return nullptr;
}

const scenario& scenario::world_for(std::uint64_t index) const {
  const auto* o = override_for(index);
  return o && o->world ? *o->world : *this;
}

}  // namespace nt35e::scenario
