#include "engine/fault_engine.hpp"

#include <algorithm>
#include <cctype>
#include <type_traits>
#include <utility>

#include "at/text.hpp"
#include "modem/ecmt_machine.hpp"
#include "modem/power.hpp"
#include "mqtt/topic.hpp"
#include "scenario/scripted_broker.hpp"

namespace nt35e::engine {

// The scenario's vocabulary, by name; `scenario::action` stays qualified (modem::action
// is the interpreter's output).
using scenario::action_kind;
using scenario::duration;
using scenario::trigger_kind;

namespace {

using modem::ecmt_state;
using modem::log_level;

const char* event_name(const mqtt::any_event& e) {
  return std::visit(
      [](const auto& v) -> const char* {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, mqtt::event::opened>)
          return "opened";
        else if constexpr (std::is_same_v<T, mqtt::event::connack>)
          return "connack";
        else if constexpr (std::is_same_v<T, mqtt::event::connect_failed>)
          return "connect_failed";
        else if constexpr (std::is_same_v<T, mqtt::event::suback>)
          return "suback";
        else if constexpr (std::is_same_v<T, mqtt::event::unsuback>)
          return "unsuback";
        else if constexpr (std::is_same_v<T, mqtt::event::published>)
          return "published";
        else if constexpr (std::is_same_v<T, mqtt::event::message>)
          return "message";
        else
          return "link_lost";
      },
      e);
}

int event_id(const mqtt::any_event& e) {
  return std::visit([](const auto& v) { return v.id; }, e);
}

int request_id(const mqtt::any_request& r) {
  return std::visit([](const auto& v) { return v.id; }, r);
}

// Takes the first armed fault for `id` (an entry without id matches any id).
template <class T>
std::optional<T> take(std::vector<T>& list, int id) {
  for (auto it = list.begin(); it != list.end(); ++it)
    if (!it->id || *it->id == id) {
      T found = *it;
      list.erase(it);
      return found;
    }
  return std::nullopt;
}

std::vector<int> ids_for(const modem::modem& m, const std::optional<int>& id) {
  std::vector<int> out;
  for (std::size_t i = 0; i < m.ecmt.size(); ++i)
    if (!id || *id == static_cast<int>(i)) out.push_back(static_cast<int>(i));
  return out;
}

}  // namespace

fault_engine::fault_engine(const scenario::scenario& world) : broker_(world.broker) {
  for (const auto& r : world.rules) {
    armed_rule ar{r, std::nullopt, 0};
    if (r.when.regex) {
      try {
        ar.re.emplace(r.when.pattern, std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error&) {
        continue;  // the loader reports bad patterns; a rule that cannot match is dropped
      }
    }
    rules_.push_back(std::move(ar));
  }
  std::map<std::pair<bool, std::string>, std::size_t> patterned_group;  // (regex, pattern) -> group
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& when = rules_[i].r.when;
    switch (when.kind) {
      case trigger_kind::urc:
        urc_rules_.push_back(i);
        continue;
      case trigger_kind::publish:
        publish_rules_.push_back(i);
        continue;
      case trigger_kind::mqtt_event:
        event_rules_.push_back(i);
        continue;
      case trigger_kind::command:
        break;
      default:
        continue;
    }
    std::size_t group = command_groups_.size();
    if (!when.regex && when.pattern.find_first_of("*?") == std::string::npos) {
      group = exact_commands_.try_emplace(at::to_lower(when.pattern), group).first->second;
    } else {
      group = patterned_group.try_emplace({when.regex, when.pattern}, group).first->second;
      if (group == command_groups_.size()) patterned_commands_.push_back(group);
    }
    if (group == command_groups_.size()) command_groups_.push_back({i, 0, {}, {}});
    auto& g = command_groups_[group];
    (when.occurrence == 0 ? g.every : g.nth[when.occurrence]).push_back(i);
  }
}

void fault_engine::start(modem::modem& m) {
  m.request_hook = [this, &m](mqtt::any_request& r) { return on_request(m, r); };
  m.urc_hook = [this, &m](const std::string& text) { return on_urc(m, text); };
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].r.when.kind != trigger_kind::at) continue;
    m.after(static_cast<int>(rules_[i].r.when.at.count()), [this, i](modem::modem& mm) { run(mm, rules_[i]); });
  }
}

bool fault_engine::hits(const armed_rule& ar, std::string_view text) {
  return ar.re ? std::regex_search(text.begin(), text.end(), *ar.re) : at::glob_match(ar.r.when.pattern, text);
}

bool fault_engine::matches(armed_rule& ar, std::string_view text) {
  if (!hits(ar, text)) return false;
  ++ar.seen;
  return ar.r.when.occurrence == 0 || ar.seen == ar.r.when.occurrence;
}

void fault_engine::run(modem::modem& m, const armed_rule& ar) {
  std::string name = ar.r.name.empty() ? std::string(to_string(ar.r.when.kind)) + " rule" : ar.r.name;
  m.log(modem::log_level::info, "scenario rule \"" + name + "\" fired", "scenario.rule");
  auto actions = ar.r.then;
  if (ar.r.after.count() > 0) {
    m.after(static_cast<int>(ar.r.after.count()), [this, actions](modem::modem& mm) {
      for (const auto& a : actions) fire(mm, a);
    });
    return;
  }
  for (const auto& a : actions) fire(m, a);
}

response_change fault_engine::on_command(modem::modem& m, std::string_view line) {
  // Every group the line hits counts it; the rules that fire run in the scenario's order.
  std::vector<std::size_t> fired;
  auto hit = [&](command_group& g) {
    ++g.seen;
    fired.insert(fired.end(), g.every.begin(), g.every.end());
    if (auto nth = g.nth.find(g.seen); nth != g.nth.end())
      fired.insert(fired.end(), nth->second.begin(), nth->second.end());
  };
  if (auto exact = exact_commands_.find(at::to_lower(line)); exact != exact_commands_.end())
    hit(command_groups_[exact->second]);
  for (auto g : patterned_commands_)
    if (hits(rules_[command_groups_[g].first], line)) hit(command_groups_[g]);
  std::sort(fired.begin(), fired.end());
  for (auto i : fired) run(m, rules_[i]);
  response_change out = pending_response_;
  pending_response_ = {};
  return out;
}

int fault_engine::on_urc(modem::modem& m, const std::string& text) {
  int copies = 1;
  for (auto it = duplicate_urc_.begin(); it != duplicate_urc_.end(); ++it)
    if (it->empty() || at::glob_match(*it, text) ||
        at::glob_match(*it, at::styled(text, at::response_style::compact))) {
      duplicate_urc_.erase(it);
      copies = 2;
      break;
    }
  // URC rules see the text as written in compact style; actions they run cannot
  // re-trigger URC rules (no loops).
  if (urc_depth_ == 0) {
    ++urc_depth_;
    auto shown = at::styled(text, at::response_style::compact);
    for (auto i : urc_rules_)
      if (matches(rules_[i], shown)) run(m, rules_[i]);
    --urc_depth_;
  }
  return copies;
}

void fault_engine::later(modem::modem& m, int ms, mqtt::any_event e) {
  m.after(ms, [this, e = std::move(e)](modem::modem& mm) { handle_event(mm, e); });
}

bool fault_engine::on_request(modem::modem& m, mqtt::any_request& r) {
  int id = request_id(r);
  const bool abort = std::holds_alternative<mqtt::request::abort>(r);
  if (m.now() < broker_down_until_ && !abort) {
    // Nothing answers at the broker's address: an open is refused, a connect (the
    // module's reconnect, or AT+ECMTCONN on a link opened before) loses its link.
    if (std::holds_alternative<mqtt::request::open>(r)) {
      later(m, static_cast<int>(broker_.open_delay.count()), mqtt::event::opened{id, false, "TCP: the broker is down"});
      return false;
    }
    if (std::holds_alternative<mqtt::request::connect>(r)) {
      later(m, static_cast<int>(broker_.open_delay.count()), mqtt::event::link_lost{id, "the broker is down"});
      return false;
    }
  }
  if (held_requests_passing_ > 0) {
    --held_requests_passing_;  // held once by a slow network: on its way now
  } else if (m.now() < slow_until_ && !abort) {
    // A slow network: the request reaches the broker `by` later. An abort is the module's
    // own socket closing, not a packet on the way.
    m.after(slow_by_ms_, [this, again = r](modem::modem& mm) mutable {
      ++held_requests_passing_;
      mm.request(std::move(again));
    });
    return false;
  }
  if (auto* open = std::get_if<mqtt::request::open>(&r)) {
    if (auto f = take(dns_failure_, id)) {
      m.log(modem::log_level::info, "scenario: DNS failure for " + open->host, "scenario.fault");
      later(m, static_cast<int>(broker_.open_delay.count()), mqtt::event::opened{id, false, "DNS: injected failure"});
      return false;
    }
    if (auto f = take(tcp_failure_, id)) {
      m.log(modem::log_level::info, "scenario: TCP open failure for " + open->host, "scenario.fault");
      later(m, static_cast<int>(broker_.open_delay.count()), mqtt::event::opened{id, false, "TCP: injected failure"});
      return false;
    }
  } else if (std::holds_alternative<mqtt::request::connect>(r)) {
    if (auto f = take(refuse_connect_, id)) {
      m.log(modem::log_level::info, "scenario: CONNECT refused with code " + std::to_string(f->code), "scenario.fault");
      later(m, static_cast<int>(broker_.connack_delay.count()), mqtt::event::connack{id, f->code});
      return false;
    }
    if (auto f = take(connfail_then_connack_, id)) {
      // The EC626 trace: 2,2 first, then a silent reopen whose CONNACK is reported normally.
      m.log(modem::log_level::info, "scenario: connfail_then_connack on id " + std::to_string(id), "scenario.fault");
      auto again = r;
      m.after(300, [again](modem::modem& mm) mutable {
        mm.emit_urc("+ECMTCONN: " + std::to_string(std::visit([](auto& v) { return v.id; }, again)) + ",2,2");
        mm.request(std::move(again));
      });
      return false;
    }
  } else if (auto* pub = std::get_if<mqtt::request::publish>(&r)) {
    for (auto i : publish_rules_) {
      auto& ar = rules_[i];
      if ((!ar.r.when.id || *ar.r.when.id == id) && mqtt::topic_matches(ar.r.when.pattern, pub->topic)) {
        ++ar.seen;
        if (ar.r.when.occurrence == 0 || ar.seen == ar.r.when.occurrence) run(m, ar);
      }
    }
  }
  return true;
}

void fault_engine::handle_event(modem::modem& m, const mqtt::any_event& event) {
  ++m.count.mqtt_events;
  std::string name = event_name(event);
  int id = event_id(event);
  for (auto i : event_rules_) {
    auto& ar = rules_[i];
    if ((!ar.r.when.id || *ar.r.when.id == id) && matches(ar, name)) run(m, ar);
  }
  modem::on_backend_event(m, event);
}

void fault_engine::drop_connected(modem::modem& m, const std::optional<int>& which, const char* why) {
  for (int id : ids_for(m, which)) {
    if (std::as_const(m.ecmt)[static_cast<std::size_t>(id)].state != ecmt_state::connected) continue;
    m.request(mqtt::request::abort{id});  // cut, with no DISCONNECT: the broker publishes the will
    handle_event(m, mqtt::event::link_lost{id, why});
  }
}

void fault_engine::from_backend(modem::modem& m, const mqtt::any_event& event) {
  if (m.now() < slow_until_) {
    later(m, slow_by_ms_, event);  // what the broker sends is on the slow road too
    return;
  }
  handle_event(m, event);
}

void fault_engine::fire(modem::modem& m, const scenario::action& a) {
  ++m.count.faults;
  m.log(
      modem::log_level::info,
      std::string("scenario action ") + to_string(a.kind) + (a.id ? " on id " + std::to_string(*a.id) : std::string{}),
      "scenario.action");
  switch (a.kind) {
    case action_kind::replace_response:
      pending_response_.replace = a.text;
      break;
    case action_kind::delay_response:
      pending_response_.extra_delay_ms += static_cast<int>(a.by.count());
      break;
    case action_kind::never_answer:
      pending_response_.never = true;
      break;
    case action_kind::truncate_response:
      pending_response_.keep = a.keep;
      break;
    case action_kind::refuse_connect:
      refuse_connect_.push_back({a.id, a.code});
      break;
    case action_kind::dns_failure:
      dns_failure_.push_back({a.id, 0});
      break;
    case action_kind::tcp_open_failure:
      tcp_failure_.push_back({a.id, 0});
      break;
    case action_kind::connfail_then_connack:
      connfail_then_connack_.push_back({a.id, 0});
      break;
    case action_kind::drop_link:
      drop_connected(m, a.id, "dropped by the scenario");
      break;
    case action_kind::broker_down:
      broker_down_until_ = m.now() + m.scaled(static_cast<int>(a.window.count()));
      drop_connected(m, a.id, "the broker went down");
      break;
    case action_kind::slow_network:
      slow_until_ = m.now() + m.scaled(static_cast<int>(a.window.count()));
      slow_by_ms_ = static_cast<int>(a.by.count());
      break;
    case action_kind::stop_pings:
      for (int id : ids_for(m, a.id)) {
        const auto& c = std::as_const(m.ecmt)[static_cast<std::size_t>(id)];
        if (c.state != ecmt_state::connected || c.connect.keepalive_s == 0) continue;
        // PINGREQ after keepalive, then 4 receive-loop checks of ~2.1 s (§7.4, §8): the
        // 8.4 s already end at a receive-loop pass, which the link-loss event adds again.
        int ms = c.connect.keepalive_s * 1000 + 8400 - m.prof().timing.link_lost_urc;
        m.cancel(ping_loss_timers_[id]);
        ping_loss_timers_[id] = m.after(ms, [this, id](modem::modem& mm) {
          ping_loss_timers_.erase(id);
          if (std::as_const(mm.ecmt)[static_cast<std::size_t>(id)].state != ecmt_state::connected) return;
          mm.request(mqtt::request::abort{id});
          handle_event(mm, mqtt::event::link_lost{id, "no PINGRESP (keepalive lost)"});
        });
      }
      break;
    case action_kind::resume_pings:
      for (int id : ids_for(m, a.id)) {
        m.cancel(ping_loss_timers_[id]);
        ping_loss_timers_.erase(id);
      }
      break;
    case action_kind::deliver:
      for (int id : ids_for(m, a.id)) {
        if (std::as_const(m.ecmt)[static_cast<std::size_t>(id)].state != ecmt_state::connected) continue;
        int msg_id = 0;
        if (a.qos > 0) {
          int& next = next_packet_id_[id];
          next = next % 65535 + 1;
          msg_id = next;
        }
        handle_event(m, mqtt::event::message{id, msg_id, a.topic, a.payload, a.qos, a.retain});
      }
      break;
    case action_kind::inject_urc:
      m.emit_urc(a.text, true);
      break;
    case action_kind::duplicate_next_urc:
      duplicate_urc_.push_back(a.text);
      break;
    case action_kind::send_bytes:
      m.write(a.text);
      break;
    case action_kind::line_noise:
      // The session's writer carries the noise out on the bytes it puts on the wire.
      m.add_line_noise(modem::line_noise{m.now(), m.now() + m.scaled(static_cast<int>(a.window.count())), a.drop,
                                         a.percent, noise_seed_++});
      break;
    case action_kind::lose_registration:
      m.set_stat(static_cast<modem::reg_stat>(a.stat));
      if (m.pdp_active) {
        m.pdp_active = false;
        modem::on_network_lost(m);
      }
      break;
    case action_kind::regain_registration:
      m.after(static_cast<int>(a.by.count()), [](modem::modem& mm) {
        if (mm.cfun != 1 || !mm.sim_present) return;
        mm.set_stat(static_cast<modem::reg_stat>(mm.prof().registration_result));
        mm.pdp_active = mm.registered();
      });
      break;
    case action_kind::set_signal:
      if (a.rssi) m.own_prof().csq_rssi = *a.rssi;
      if (a.ber) m.own_prof().csq_ber = *a.ber;
      if (a.rsrq) m.own_prof().cesq_rsrq = *a.rsrq;
      if (a.rsrp) m.own_prof().cesq_rsrp = *a.rsrp;
      break;
    case action_kind::remove_sim:
      m.sim_present = false;
      m.set_stat(modem::reg_stat::not_registered);
      if (m.pdp_active) {
        m.pdp_active = false;
        modem::on_network_lost(m);
      }
      break;
    case action_kind::insert_sim:
      if (m.sim_present) break;
      m.sim_present = true;
      if (m.cfun == 1) modem::radio_on(m, 0);
      break;
    case action_kind::reboot:
      modem::schedule_reboot(m, 0);
      break;
  }
}

}  // namespace nt35e::engine
