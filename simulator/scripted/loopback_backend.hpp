#pragma once
// The offline backend: scenario::scripted_broker's timed events played on an Asio
// executor, scaled by the profile's time scale. Used when no live broker is asked for.
//
// Thread safety: submit() and every event happen on the executor given.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>

#include "modem/profile.hpp"
#include "mqtt/backend.hpp"
#include "scenario/scenario.hpp"
#include "scenario/scripted_broker.hpp"

namespace nt35e::scripted {

class loopback_backend : public mqtt::backend {
 public:
  /// The script's timed messages are counted from construction (power-on).
  loopback_backend(boost::asio::any_io_executor ex, const modem::profile& profile,
                   const scenario::broker_script& script = {});
  ~loopback_backend() override;
  void submit(mqtt::any_request r) override;

 private:
  void schedule(std::vector<scenario::scripted_broker::timed_event> events);
  /// Queues events with delays counted from `now` (the timer is not armed).
  void add(std::vector<scenario::scripted_broker::timed_event> events, std::chrono::steady_clock::time_point now);
  void arm();

  scenario::scripted_broker broker_;
  double time_scale_;
  /// Pending work by due time; a multimap keeps insertion order for equal times.
  std::multimap<std::chrono::steady_clock::time_point,
                std::variant<mqtt::any_event, scenario::scripted_broker::broker_publish>>
      due_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace nt35e::scripted
