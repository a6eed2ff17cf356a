#pragma once
// Drives the sans-I/O interpreter with a manual clock and the scripted broker,
// so a unit test reads like a terminal session and never sleeps.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "engine/interpreter.hpp"
#include "modem/modem.hpp"
#include "scenario/scripted_broker.hpp"

namespace nt35e::test {

class core_harness {
 public:
  using ms = std::chrono::milliseconds;

  explicit core_harness(modem::profile p = *modem::builtin_profile("nt35e"), bool with_broker = true,
                        const scenario::scenario& world = {})
      : now_(modem::time_point{} + std::chrono::hours(1)),
        interp_(std::move(p), now_, world),
        with_broker_(with_broker),
        broker_(world.broker),
        time_scale_(interp_.state().prof().time_scale) {
    if (with_broker_) queue(broker_.start());
  }

  /// Runs past the boot banner and registration, then forgets the output.
  void boot_and_register() {
    run_for(ms(4000));
    take_output();
  }

  /// Sends bytes at the current time.
  void send(std::string_view bytes) { apply(interp_.feed(bytes, now_)); }

  /// Moves time forward, firing every deadline and broker event on the way.
  void run_for(ms d) {
    auto target = now_ + d;
    while (true) {
      auto next = interp_.next_deadline();
      auto broker_next = next_broker_event();
      auto t = next;
      if (broker_next && (!t || *broker_next < *t)) t = broker_next;
      if (!t || *t > target) break;
      now_ = std::max(now_, *t);
      if (broker_next && *broker_next == *t) {
        auto what = std::move(broker_events_.front().second);
        broker_events_.erase(broker_events_.begin());
        if (auto* ev = std::get_if<mqtt::any_event>(&what))
          apply(interp_.on_mqtt_event(*ev, now_));
        else
          queue(broker_.publish_now(std::get<scenario::scripted_broker::broker_publish>(what)));
      } else {
        apply(interp_.on_timer(now_));
      }
    }
    now_ = target;
  }

  /// Sends a line (CR added) and runs `d` of time; returns what the module wrote.
  std::string exchange(std::string_view line, ms d = ms(100)) {
    take_output();
    send(std::string(line) + "\r");
    run_for(d);
    return take_output();
  }

  /// Injects a backend event now.
  void event(mqtt::any_event ev) { apply(interp_.on_mqtt_event(ev, now_)); }
  /// Fires a scenario action now, as the control channel does.
  void fire(const scenario::action& a) { apply(interp_.fire(a, now_)); }
  modem::snapshot snapshot() const { return interp_.take_snapshot(now_); }

  std::string take_output() {
    std::string out;
    out.swap(output_);
    return out;
  }
  std::vector<mqtt::any_request> take_requests() {
    std::vector<mqtt::any_request> out;
    out.swap(requests_);
    return out;
  }
  const std::vector<modem::log_record>& logs() const { return logs_; }
  bool logged_reason(std::string_view reason) const {
    for (const auto& l : logs_)
      if (l.reason == reason) return true;
    return false;
  }
  std::string log_text() const {
    std::string out;
    for (const auto& l : logs_) out += "[" + l.reason + "] " + l.text + "\n";
    return out;
  }
  const modem::modem& modem() const { return interp_.state(); }
  modem::time_point now() const { return now_; }
  scenario::scripted_broker& broker() { return broker_; }

 private:
  std::optional<modem::time_point> next_broker_event() const {
    if (broker_events_.empty()) return std::nullopt;
    return broker_events_.front().first;
  }

  void apply(modem::actions actions) {
    for (auto& a : actions) {
      if (auto* w = std::get_if<modem::write_bytes>(&a))
        output_ += w->bytes;
      else if (auto* r = std::get_if<mqtt::any_request>(&a)) {
        requests_.push_back(*r);
        if (with_broker_) queue(broker_.handle(*r));
      } else if (auto* l = std::get_if<modem::log_record>(&a))
        logs_.push_back(*l);
    }
  }

  // Broker events in due order; equal times keep their order.
  void queue(std::vector<scenario::scripted_broker::timed_event> events) {
    for (auto& e : events) {
      auto due = now_ + std::chrono::duration_cast<modem::duration>(
                            std::chrono::duration<double, std::milli>(e.delay_ms * time_scale_));
      auto pos = broker_events_.end();
      for (auto it = broker_events_.begin(); it != broker_events_.end(); ++it)
        if (it->first > due) {
          pos = it;
          break;
        }
      broker_events_.insert(pos, {due, std::move(e.what)});
    }
  }

  modem::time_point now_;
  engine::interpreter interp_;
  bool with_broker_;
  scenario::scripted_broker broker_;
  double time_scale_;
  std::vector<std::pair<modem::time_point, std::variant<mqtt::any_event, scenario::scripted_broker::broker_publish>>>
      broker_events_;
  std::string output_;
  std::vector<mqtt::any_request> requests_;
  std::vector<modem::log_record> logs_;
};

}  // namespace nt35e::test
