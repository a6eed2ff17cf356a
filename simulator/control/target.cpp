#include "control/target.hpp"

#include <mutex>
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
  if (t.snapshot) return metrics::from_snapshot(t.snapshot(), false);
  return {};
}

fleet_target one_modem(net::any_io_executor ex, target t) {
  fleet_target f;
  f.modems.push_back(modem_entry{std::move(ex), std::move(t), 0, {}, {}});
  return f;
}

void for_each_modem(const std::shared_ptr<const fleet_target>& f, const std::vector<std::size_t>& which,
                    std::function<void(std::size_t)> work, net::any_io_executor reply_ex, std::function<void()> then) {
  struct state {
    std::atomic<std::size_t> left;
    std::function<void(std::size_t)> work;
    std::function<void()> then;
    net::any_io_executor reply_ex;
  };
  auto st = std::make_shared<state>();
  st->left = which.size();
  st->work = std::move(work);
  st->then = std::move(then);
  st->reply_ex = std::move(reply_ex);
  if (which.empty()) {
    net::post(st->reply_ex, [st] { st->then(); });
    return;
  }
  for (auto i : which) {
    net::post(f->modems[i].ex, [st, i] {
      st->work(i);
      if (st->left.fetch_sub(1, std::memory_order_acq_rel) == 1) net::post(st->reply_ex, [st] { st->then(); });
    });
  }
}

void gather_metrics(const std::shared_ptr<const fleet_target>& f, net::any_io_executor reply_ex,
                    std::function<void(metrics::modem_metrics)> done) {
  struct total_state {
    std::mutex mutex;
    metrics::modem_metrics total;
    bool first = true;
  };
  auto total = std::make_shared<total_state>();
  std::vector<std::size_t> all(f->modems.size());
  for (std::size_t k = 0; k < all.size(); ++k) all[k] = k;
  for_each_modem(
      f, all,
      [f, total](std::size_t k) {
        auto m = metrics_of(f->modems[k].t);
        std::lock_guard lock(total->mutex);
        if (std::exchange(total->first, false))
          total->total = std::move(m);
        else
          total->total.merge(m);
      },
      std::move(reply_ex),
      [total, done = std::move(done)] {
        std::lock_guard lock(total->mutex);
        done(std::move(total->total));
      });
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
