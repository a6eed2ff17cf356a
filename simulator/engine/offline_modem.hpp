#pragma once
// The module without any I/O and without a wall clock: the interpreter and the scripted
// broker on a manual clock. Time moves only when the caller says so, so whatever drives it
// (the unit tests, the fuzz target, the log importer's reference run) is repeatable and
// never sleeps.
//
// Thread safety: none; one caller owns it.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engine/interpreter.hpp"
#include "modem/action.hpp"
#include "modem/clock.hpp"
#include "modem/profile.hpp"
#include "scenario/scenario.hpp"
#include "scenario/scripted_broker.hpp"

namespace nt35e::engine {

class offline_modem {
 public:
  /// Powers the module on at an arbitrary start time. With `with_broker`, its MQTT requests
  /// go to the scripted broker of `world`; without, they are only collected.
  explicit offline_modem(modem::profile profile, const scenario::scenario& world = {}, bool with_broker = true);

  modem::time_point start() const { return start_; }
  modem::time_point now() const { return now_; }

  /// Bytes from the DTE, now.
  void send(std::string_view bytes) { apply(interp_.feed(bytes, now_)); }
  /// A backend event, now (as if the broker had sent it).
  void event(const mqtt::any_event& e) { apply(interp_.on_mqtt_event(e, now_)); }
  /// A scenario action, now (as the control channel fires it).
  void fire(const scenario::action& a) { apply(interp_.fire(a, now_)); }

  /// When the next timer or broker event is due; empty when nothing is scheduled.
  std::optional<modem::time_point> next() const;
  /// Moves to `t` and runs the one thing due first there: a broker event before a timer
  /// of the same time.
  void step(modem::time_point t);
  /// Runs everything due up to `target` and moves the clock there.
  void run_until(modem::time_point target);
  /// Runs until `done()` holds or nothing is due before `limit` (the clock then stops at
  /// `limit`); returns done().
  template <class Done>
  bool run_while_not(Done done, modem::time_point limit) {
    while (!done()) {
      const auto t = next();
      if (!t || *t > limit) {
        now_ = std::max(now_, limit);
        return done();
      }
      step(*t);
    }
    return true;
  }

  /// What the module wrote since the last call.
  std::string take_output() { return std::exchange(output_, {}); }
  /// The MQTT requests it made since the last call.
  std::vector<mqtt::any_request> take_requests() { return std::exchange(requests_, {}); }
  /// Every log and explain record so far.
  const std::vector<modem::log_record>& logs() const { return logs_; }

  const modem::modem& state() const { return interp_.state(); }
  modem::snapshot snapshot() const { return interp_.take_snapshot(now_); }
  scenario::scripted_broker& broker() { return broker_; }

 private:
  void apply(modem::actions actions);
  void queue(std::vector<scenario::scripted_broker::timed_event> events);

  modem::time_point start_;
  modem::time_point now_;
  interpreter interp_;
  bool with_broker_;
  scenario::scripted_broker broker_;
  double time_scale_;
  /// Broker events in due order; equal times keep their order.
  std::vector<std::pair<modem::time_point, std::variant<mqtt::any_event, scenario::scripted_broker::broker_publish>>>
      events_;
  std::string output_;
  std::vector<mqtt::any_request> requests_;
  std::vector<modem::log_record> logs_;
};

}  // namespace nt35e::engine
