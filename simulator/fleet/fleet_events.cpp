#include "fleet/fleet_events.hpp"

#include <utility>

#include <boost/asio/steady_timer.hpp>

#include "scenario/fleet_choice.hpp"
#include "scenario/json_loader.hpp"

namespace nt35e::fleet {

namespace net = boost::asio;

std::string describe_fleet_event(const scenario::fleet_event& e, std::size_t position, std::size_t chosen,
                                 std::size_t size) {
  std::string out = "fleet event /fleet_events/" + std::to_string(position) + " at " + scenario::format_duration(e.at) +
                    ": " + scenario::to_string(e.fire.kind) + " on " + std::to_string(chosen) + " of " +
                    std::to_string(size) + (size == 1 ? " modem" : " modems");
  std::string details;
  if (!e.select.empty()) details = "select " + scenario::format_select(e.select);
  if (e.fraction)
    details += (details.empty() ? "" : ", ") + std::string("seed ") + std::to_string(scenario::seed_of(e, position));
  if (!details.empty()) out += " (" + details + ")";
  if (e.stagger.count() > 0) out += " over " + scenario::format_duration(e.stagger);
  return out;
}

std::chrono::microseconds scaled(scenario::duration d, double time_scale) {
  return std::chrono::microseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * 1000.0 * time_scale));
}

struct event_scheduler::state {
  net::any_io_executor ex;
  std::shared_ptr<const control::fleet_target> target;
  std::vector<scenario::fleet_event> events;
  double time_scale = 1.0;
  io::logger& log;
  std::vector<std::unique_ptr<net::steady_timer>> timers;
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);

  state(net::any_io_executor ex, std::shared_ptr<const control::fleet_target> target,
        std::vector<scenario::fleet_event> events, double time_scale, io::logger& log)
      : ex(std::move(ex)), target(std::move(target)), events(std::move(events)), time_scale(time_scale), log(log) {}

  void fire(std::size_t k) {
    const auto& e = events[k];
    const std::size_t n = target->modems.size();
    const auto chosen = scenario::choose_modems(e, k, target->offset, n);
    log.log(io::log_level::info, describe_fleet_event(e, k, chosen.size(), n));
    control::fire_on_fleet(target, chosen, e.fire, scaled(e.stagger, time_scale), stopping);
  }
};

event_scheduler::event_scheduler(net::any_io_executor ex, std::shared_ptr<const control::fleet_target> target,
                                 std::vector<scenario::fleet_event> events, double time_scale, io::logger& log)
    : state_(std::make_shared<state>(std::move(ex), std::move(target), std::move(events), time_scale, log)) {}

event_scheduler::~event_scheduler() { stop(); }

void event_scheduler::start() {
  auto& st = *state_;
  for (std::size_t k = 0; k < st.events.size(); ++k) {
    auto timer = std::make_unique<net::steady_timer>(st.ex, scaled(st.events[k].at, st.time_scale));
    timer->async_wait([weak = std::weak_ptr<state>(state_), k](const boost::system::error_code& ec) {
      auto st = weak.lock();
      if (ec || !st || st->stopping->load(std::memory_order_relaxed)) return;
      st->fire(k);
    });
    st.timers.push_back(std::move(timer));
  }
}

void event_scheduler::stop() {
  if (!state_) return;
  state_->stopping->store(true, std::memory_order_relaxed);
  for (auto& t : state_->timers) t->cancel();
}

}  // namespace nt35e::fleet
