#include "modem/modem.hpp"

#include <chrono>
#include <utility>

#include "modem/registration.hpp"

namespace nt35e::modem {

const char* to_string(reg_stat s) {
  switch (s) {
    case reg_stat::not_registered:
      return "not registered";
    case reg_stat::home:
      return "registered (home)";
    case reg_stat::searching:
      return "searching";
    case reg_stat::denied:
      return "denied";
    case reg_stat::roaming:
      return "registered (roaming)";
  }
  return "?";
}

const char* to_string(ecmt_state s) {
  switch (s) {
    case ecmt_state::none:
      return "NONE";
    case ecmt_state::configured:
      return "CONFIGURED";
    case ecmt_state::opening:
      return "OPENING";
    case ecmt_state::opened:
      return "OPENED";
    case ecmt_state::connecting:
      return "CONNECTING";
    case ecmt_state::connected:
      return "CONNECTED";
    case ecmt_state::reconnecting:
      return "RECONNECTING";
    case ecmt_state::connect_fail:
      return "CONNECT_FAIL";
    case ecmt_state::disc_fail:
      return "DISC_FAIL";
    case ecmt_state::close_fail:
      return "CLOSE_FAIL";
    case ecmt_state::closing:
      return "CLOSING";
    case ecmt_state::disconnecting:
      return "DISCONNECTING";
  }
  return "?";
}

const char* to_string(ecmt_event e) {
  switch (e) {
    case ecmt_event::cfg_write:
      return "cfg write";
    case ecmt_event::open_cmd:
      return "ECMTOPEN";
    case ecmt_event::open_ok:
      return "open ok";
    case ecmt_event::open_failed:
      return "open failed";
    case ecmt_event::conn_cmd:
      return "ECMTCONN";
    case ecmt_event::connect_written:
      return "CONNECT written";
    case ecmt_event::connack_accepted:
      return "CONNACK accepted";
    case ecmt_event::connack_refused:
      return "CONNACK refused";
    case ecmt_event::connect_failed:
      return "CONNECT failed";
    case ecmt_event::link_lost:
      return "link lost";
    case ecmt_event::reconnected:
      return "reconnected";
    case ecmt_event::close_cmd:
      return "ECMTCLOSE";
    case ecmt_event::closed:
      return "closed";
    case ecmt_event::disc_cmd:
      return "ECMTDISC";
    case ecmt_event::disconnected:
      return "disconnected";
    case ecmt_event::disc_failed:
      return "DISC failed";
    case ecmt_event::radio_off:
      return "radio off";
    case ecmt_event::reboot:
      return "reboot";
  }
  return "?";
}

modem::modem(profile p, time_point now) : modem(std::make_shared<const profile>(std::move(p)), now) {}

modem::modem(std::shared_ptr<const profile> p, time_point now)
    : ecmt(static_cast<std::size_t>(p->max_ecmt_id) + 1), profile_(std::move(p)), now_(now) {
  set.echo = profile_->echo;
  set.verbose = profile_->verbose;
  set.quiet = profile_->quiet;
  set.cmee = profile_->cmee;
  set.cereg_n = profile_->cereg_n;
  set.creg_n = profile_->creg_n;
  set.cgreg_n = profile_->cgreg_n;
  set.cmgf = profile_->cmgf;
  sim_present = profile_->sim_present;
  timezone_quarters = profile_->timezone_quarters;
  pdp[1] = pdp_context{profile_->pdp_type, profile_->apn};
}

profile& modem::own_prof() {
  if (!own_) {
    auto copy = std::make_shared<profile>(*profile_);
    own_ = copy.get();
    profile_ = std::move(copy);
  }
  return *own_;
}

modem::timer_id modem::after(int ms, task t) {
  auto id = next_id_++;
  // Every simulated delay goes through here, so the time scale applies to all of them.
  auto scaled = std::chrono::microseconds(static_cast<std::int64_t>((ms < 0 ? 0 : ms) * 1000.0 * profile_->time_scale));
  timers_.emplace(now_ + scaled, entry{id, std::move(t)});
  return id;
}

modem::timer_id modem::after_this_call(int ms, task t) {
  if (ms > 0 && profile_->time_scale > 0) return after(ms, std::move(t));
  auto id = next_id_++;
  timers_.emplace(now_ + std::chrono::microseconds(1), entry{id, std::move(t)});
  return id;
}

duration modem::scaled(int ms) const { return duration(static_cast<std::int64_t>(ms * profile_->time_scale)); }

void modem::cancel(timer_id id) {
  if (id == 0) return;
  for (auto it = timers_.begin(); it != timers_.end(); ++it)
    if (it->second.id == id) {
      timers_.erase(it);
      return;
    }
}

void modem::cancel_all() { timers_.clear(); }

std::shared_ptr<void> modem::hold_message(std::size_t bytes) {
  ++messages_held_->messages;
  messages_held_->bytes += bytes;
  return {nullptr, [count = messages_held_, bytes](void*) {
            --count->messages;
            count->bytes -= bytes;
          }};
}

std::optional<time_point> modem::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

void modem::run_due() {
  // A task may schedule more tasks (even due now); loop until nothing is due.
  while (!timers_.empty() && timers_.begin()->first <= now_) {
    auto node = timers_.extract(timers_.begin());
    node.mapped().fn(*this);
  }
}

void modem::emit_urc(std::string text, bool fixed) {
  if (booting) return;  // nothing is written before ECRDY (§6.2 rule 6)
  int copies = urc_hook ? urc_hook(text) : 1;
  for (int i = 1; i < copies; ++i) urcs_.push_back({text, fixed});
  if (copies > 0) urcs_.push_back({std::move(text), fixed});
}

void modem::write(std::string_view bytes) {
  if (bytes.empty()) return;
  count.bytes_out += bytes.size();
  if (!actions_.empty())
    if (auto* w = std::get_if<write_bytes>(&actions_.back())) {
      w->bytes.append(bytes);
      return;
    }
  actions_.emplace_back(write_bytes{std::string(bytes)});
}

void modem::request(mqtt::any_request r) {
  if (request_hook && !request_hook(r)) return;
  ++count.mqtt_requests;
  if (std::holds_alternative<mqtt::request::publish>(r)) ++count.publishes;
  actions_.emplace_back(std::move(r));
}

void modem::log(log_level level, std::string text, std::string reason) {
  actions_.emplace_back(log_record{level, std::move(reason), std::move(text)});
}

actions modem::take_actions() {
  actions out;
  out.swap(actions_);
  return out;
}

at::render_settings modem::render() const {
  return at::render_settings{set.verbose, set.quiet, set.cmee, profile_->style};
}

void modem::transition(int id, ecmt_state to, ecmt_event on) {
  // Read first: an unused id going to NONE (a reboot) is not made for nothing.
  const auto from = std::as_const(ecmt).at(static_cast<std::size_t>(id)).state;
  if (from == to) return;
  log(log_level::info,
      "ECMT id " + std::to_string(id) + ": " + to_string(from) + " -> " + to_string(to) + " on " + to_string(on));
  ecmt.at(static_cast<std::size_t>(id)).state = to;
}

void modem::set_stat(reg_stat s) {
  if (s == stat) return;
  log(log_level::info, std::string("registration: ") + to_string(stat) + " -> " + to_string(s));
  stat = s;
  if (s == reg_stat::denied) reject_cause = profile_->reject_cause;
  report_registration(*this, registration_change::stat);
}

std::int64_t modem::utc_seconds() const {
  return utc_origin_s_ + std::chrono::duration_cast<std::chrono::seconds>(now_ - utc_origin_at_).count();
}

void modem::set_utc(std::int64_t utc_seconds, time_point at) {
  utc_origin_s_ = utc_seconds;
  utc_origin_at_ = at;
}

}  // namespace nt35e::modem
