#pragma once
// The scenario's "fleet_events" played at run time: each event waits on a timer of its
// own, from the moment start() is called (right after the modems are powered on, the
// origin of the rules' `at`), then chooses its modems (scenario::choose_modems, the
// control channel's algorithm), logs one info line and fires its action on each chosen
// modem's executor, staggered, as the control channel's "fleet" requests do
// (control::fire_on_fleet). `at` and `stagger` are simulated times: both are multiplied
// by the time scale given (the fleet's: the scenario's time_scale, or --time-scale).
//
// Thread safety: the timers run on the executor given to the constructor (a strand that
// is not a modem's; the fleet shares it with its control channel, so that the fleet's
// logger is used by one strand only). start() and stop() are called while that
// executor's handlers cannot run (before the pool runs, after it has stopped) or on it.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "control/target.hpp"
#include "io/logger.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::fleet {

/// "fleet event /fleet_events/0 at 10s: drop_link on 300 of 1000 modems (seed 7)", the
/// line logged when event `position` fires on `chosen` of `size` modems.
std::string describe_fleet_event(const scenario::fleet_event& e, std::size_t position, std::size_t chosen,
                                 std::size_t size);

/// A duration of simulated time in real time: multiplied by `time_scale`, as every
/// simulated delay of a modem is (modem::after).
std::chrono::microseconds scaled(scenario::duration d, double time_scale);

class event_scheduler {
 public:
  /// Plays `events` on the modems of `target` (global indices target->offset + i).
  event_scheduler(boost::asio::any_io_executor ex, std::shared_ptr<const control::fleet_target> target,
                  std::vector<scenario::fleet_event> events, double time_scale, io::logger& log);
  ~event_scheduler();
  event_scheduler(const event_scheduler&) = delete;
  event_scheduler& operator=(const event_scheduler&) = delete;

  /// Arms one timer per event; their times count from now.
  void start();
  /// Cancels the events not yet due and the staggered firings still waiting; safe to
  /// call twice.
  void stop();

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace nt35e::fleet
