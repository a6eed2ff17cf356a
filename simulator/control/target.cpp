#include "control/target.hpp"

#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "io/session.hpp"
#include "scenario/fleet_choice.hpp"

namespace nt35e::control {

namespace net = boost::asio;

target for_session(io::session& session, int max_id, const metrics::line_metrics* metrics) {
  target t;
  t.snapshot = [&session] { return session.snapshot(); };
  t.fire = [&session](const scenario::action& a) { session.fire(a); };
  t.max_id = max_id;
  if (metrics) t.metrics = [&session, metrics] { return metrics->collect(session.snapshot(), session.attached()); };
  return t;
}

metrics::modem_metrics metrics_of(const target& t) {
  if (t.metrics) return t.metrics();
  metrics::modem_metrics m;
  if (t.snapshot) {
    auto s = t.snapshot();
    m.counters = s.count;
    m.uptime_s = s.uptime_s;
    for (const auto& e : s.ecmt)
      if (e.state == "CONNECTED") ++m.connected;
  }
  return m;
}

fleet_target one_modem(net::any_io_executor ex, target t) {
  fleet_target f;
  f.modems.push_back(modem_entry{std::move(ex), std::move(t), 0, {}, {}});
  return f;
}

void fire_on_fleet(const std::shared_ptr<const fleet_target>& f, const std::vector<std::size_t>& which,
                   const scenario::action& a, std::chrono::microseconds stagger,
                   const std::shared_ptr<std::atomic<bool>>& stop) {
  const std::size_t m = which.size();
  std::vector<std::chrono::microseconds> after(m);
  for (std::size_t p = 0; p < m; ++p) after[p] = scenario::stagger_offset(stagger, p, m);
  fire_on_fleet(f, which, a, after, stop);
}

void fire_on_fleet(const std::shared_ptr<const fleet_target>& f, const std::vector<std::size_t>& which,
                   const scenario::action& a, const std::vector<std::chrono::microseconds>& after,
                   const std::shared_ptr<std::atomic<bool>>& stop) {
  for (std::size_t p = 0; p < which.size(); ++p) {
    const auto i = which[p];
    const auto& entry = f->modems[i];
    const auto delay = after.at(p);
    if (delay.count() <= 0) {
      net::post(entry.ex, [f, i, a] {
        if (f->modems[i].t.fire) f->modems[i].t.fire(a);
      });
      continue;
    }
    auto timer = std::make_shared<net::steady_timer>(entry.ex, delay);
    timer->async_wait([f, i, a, timer, stop](const boost::system::error_code& ec) {
      if (ec || stop->load(std::memory_order_relaxed)) return;
      if (f->modems[i].t.fire) f->modems[i].t.fire(a);
    });
  }
}

}  // namespace nt35e::control
