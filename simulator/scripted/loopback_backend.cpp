#include "scripted/loopback_backend.hpp"

namespace nt35e::scripted {

loopback_backend::loopback_backend(boost::asio::any_io_executor ex, const modem::profile& profile,
                                   const scenario::broker_script& script)
    : broker_(script), time_scale_(profile.time_scale), timer_(ex) {
  schedule(broker_.start());
}

loopback_backend::~loopback_backend() {
  *alive_ = false;
  timer_.cancel();
}

void loopback_backend::submit(mqtt::any_request r) { schedule(broker_.handle(r)); }

void loopback_backend::schedule(std::vector<scenario::scripted_broker::timed_event> events) {
  add(std::move(events), std::chrono::steady_clock::now());
  arm();
}

void loopback_backend::add(std::vector<scenario::scripted_broker::timed_event> events,
                           std::chrono::steady_clock::time_point now) {
  for (auto& e : events) {
    auto delay = std::chrono::microseconds(static_cast<std::int64_t>(e.delay_ms * 1000.0 * time_scale_));
    due_.emplace(now + delay, std::move(e.what));
  }
}

void loopback_backend::arm() {
  if (due_.empty()) return;
  timer_.expires_at(due_.begin()->first);
  timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (!*alive || ec) return;
    auto now = std::chrono::steady_clock::now();
    while (!due_.empty() && due_.begin()->first <= now) {
      auto node = due_.extract(due_.begin());
      if (auto* ev = std::get_if<mqtt::any_event>(&node.mapped())) {
        emit(std::move(*ev));
      } else {
        // A broker-side publish: who gets it is decided now, by the subscriptions of now.
        // The deliveries come at once; a burst's next message is counted from this one's
        // due time, so a long burst does not drift with the timer's lateness.
        auto& pub = std::get<scenario::scripted_broker::broker_publish>(node.mapped());
        std::vector<scenario::scripted_broker::timed_event> later;
        for (auto& d : broker_.publish_now(pub)) {
          if (auto* ev = std::get_if<mqtt::any_event>(&d.what); ev && d.delay_ms == 0)
            emit(std::move(*ev));
          else
            later.push_back(std::move(d));
        }
        add(std::move(later), node.key());
      }
    }
    arm();
  });
}

}  // namespace nt35e::scripted
