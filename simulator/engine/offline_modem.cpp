#include "engine/offline_modem.hpp"

#include <algorithm>
#include <chrono>

#include "modem/modem.hpp"

namespace nt35e::engine {

offline_modem::offline_modem(modem::profile profile, const scenario::scenario& world, bool with_broker)
    // Any start will do; an hour in keeps "time before power-on" representable.
    : start_(modem::time_point{} + std::chrono::hours(1)),
      now_(start_),
      interp_(std::move(profile), now_, world),
      with_broker_(with_broker),
      broker_(world.broker),
      time_scale_(interp_.state().prof().time_scale) {
  if (with_broker_) queue(broker_.start());
}

std::optional<modem::time_point> offline_modem::next() const {
  auto t = interp_.next_deadline();
  if (!events_.empty() && (!t || events_.front().first < *t)) t = events_.front().first;
  return t;
}

void offline_modem::step(modem::time_point t) {
  now_ = std::max(now_, t);
  const auto deadline = interp_.next_deadline();
  if (!events_.empty() && events_.front().first <= t && (!deadline || events_.front().first <= *deadline)) {
    auto what = std::move(events_.front().second);
    events_.erase(events_.begin());
    if (auto* ev = std::get_if<mqtt::any_event>(&what))
      apply(interp_.on_mqtt_event(*ev, now_));
    else
      queue(broker_.publish_now(std::get<scenario::scripted_broker::broker_publish>(what)));
  } else {
    apply(interp_.on_timer(now_));
  }
}

void offline_modem::run_until(modem::time_point target) {
  while (true) {
    const auto t = next();
    if (!t || *t > target) break;
    step(*t);
  }
  now_ = std::max(now_, target);
}

void offline_modem::apply(modem::actions actions) {
  for (auto& a : actions) {
    if (auto* w = std::get_if<modem::write_bytes>(&a)) {
      output_ += w->bytes;
    } else if (auto* r = std::get_if<mqtt::any_request>(&a)) {
      requests_.push_back(*r);
      if (with_broker_) queue(broker_.handle(*r));
    } else if (auto* l = std::get_if<modem::log_record>(&a)) {
      logs_.push_back(std::move(*l));
    }
  }
}

void offline_modem::queue(std::vector<scenario::scripted_broker::timed_event> events) {
  for (auto& e : events) {
    // The profile's time scale stretches the broker's imitated delays as it does the module's.
    const auto due = now_ + std::chrono::duration_cast<modem::duration>(
                                std::chrono::duration<double, std::milli>(e.delay_ms * time_scale_));
    const auto pos = std::find_if(events_.begin(), events_.end(), [&](const auto& x) { return x.first > due; });
    events_.insert(pos, {due, std::move(e.what)});
  }
}

}  // namespace nt35e::engine
