// Log import, the scenario's reference: the simulator's own core, fed the log's host
// lines at the log's pace, and what it writes back cut into lines as a DTE reads them.

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>
#include <variant>

#include "at/text.hpp"
#include "at/vocabulary.hpp"
#include "engine/interpreter.hpp"
#include "modem/modem.hpp"
#include "modem/profile.hpp"
#include "scenario/apply.hpp"
#include "scenario/scripted_broker.hpp"
#include "trace/import_detail.hpp"

namespace nt35e::trace::detail {
namespace {

using ms = std::chrono::milliseconds;

/// The simulator's core with a manual clock and the scripted broker, as the unit
/// tests drive it (tests/support/core_harness.hpp), fed with the log's host lines.
class reference {
 public:
  explicit reference(const scenario::scenario& world, const modem::profile& p)
      : now_(modem::time_point{} + std::chrono::hours(1)),
        start_(now_),
        interp_(p, now_, world),
        broker_(world.broker),
        scale_(p.time_scale) {
    queue(broker_.start());
  }

  modem::time_point now() const { return now_; }
  modem::time_point start() const { return start_; }

  void send(std::string_view bytes) { apply(interp_.feed(bytes, now_)); }

  /// Runs to `target`, firing everything due on the way.
  void run_until(modem::time_point target) {
    while (true) {
      auto t = next();
      if (!t || *t > target) break;
      step(*t);
    }
    if (target > now_) now_ = target;
  }

  /// Runs until `done()` or `limit`; returns whether `done()` became true.
  template <class F>
  bool run_while_not(F done, modem::time_point limit) {
    while (!done()) {
      auto t = next();
      if (!t || *t > limit) {
        now_ = std::max(now_, limit);
        return done();
      }
      step(*t);
    }
    return true;
  }

  std::string take_output() {
    std::string out;
    out.swap(output_);
    return out;
  }

 private:
  std::optional<modem::time_point> next() const {
    auto t = interp_.next_deadline();
    if (!events_.empty() && (!t || events_.front().first < *t)) t = events_.front().first;
    return t;
  }
  void step(modem::time_point t) {
    now_ = std::max(now_, t);
    if (!events_.empty() && events_.front().first <= t &&
        (!interp_.next_deadline() || events_.front().first <= *interp_.next_deadline())) {
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
  void apply(modem::actions actions) {
    for (auto& a : actions) {
      if (auto* w = std::get_if<modem::write_bytes>(&a))
        output_ += w->bytes;
      else if (auto* r = std::get_if<mqtt::any_request>(&a))
        queue(broker_.handle(*r));
    }
  }
  void queue(std::vector<scenario::scripted_broker::timed_event> events) {
    for (auto& e : events) {
      auto due = now_ + std::chrono::duration_cast<modem::duration>(
                            std::chrono::duration<double, std::milli>(e.delay_ms * scale_));
      auto pos = std::find_if(events_.begin(), events_.end(), [&](const auto& x) { return x.first > due; });
      events_.insert(pos, {due, std::move(e.what)});
    }
  }

  modem::time_point now_;
  modem::time_point start_;
  engine::interpreter interp_;
  scenario::scripted_broker broker_;
  double scale_;
  std::vector<std::pair<modem::time_point, std::variant<mqtt::any_event, scenario::scripted_broker::broker_publish>>>
      events_;
  std::string output_;
};

/// The module's output as a DTE reads it: lines without their blanks and line ends, the
/// data prompt as ">".
class line_cutter {
 public:
  std::vector<std::string> push(std::string_view bytes) {
    std::vector<std::string> out;
    cutter_.push(bytes, [&](std::string_view line) {
      if (auto t = at::trim_line(line); !t.empty()) out.emplace_back(t);
    });
    return out;
  }

 private:
  at::output_line_cutter cutter_{std::numeric_limits<std::size_t>::max()};
};

}  // namespace

run_result simulate(const scenario::scenario& w, const imported_log& log, const std::vector<host_item>& items,
                    std::int64_t ecrdy_t_us) {
  auto p = *modem::builtin_profile(w.profile);
  scenario::apply(w, p);
  reference ref(w, p);
  run_result res;
  res.answers.resize(items.size());
  res.answered.resize(items.size());
  line_cutter cut;
  int anchor = -1;
  auto collect_urcs = [&] {
    for (auto& t : cut.push(ref.take_output())) {
      res.urcs.push_back({t, anchor, false});
      res.all.push_back({t, anchor, false});
    }
  };
  // Boot and registration first, as a real driver waits for them.
  auto first = ref.start() + ms(4000);
  if (ecrdy_t_us >= 0 && !items.empty()) {
    auto since = ms((items[0].t_us - ecrdy_t_us) / 1000);
    first = std::max(first, ref.start() + ms(1500) + since);
  }
  modem::time_point send_at = first;
  for (std::size_t h = 0; h < items.size(); ++h) {
    const auto& it = items[h];
    const auto& l = log.lines[it.index];
    if (h > 0) {
      const auto& prev = items[h - 1];
      auto gap = std::max<std::int64_t>(1, (it.t_us - prev.answer_t_us) / 1000);
      send_at = std::max(send_at, ref.now() + ms(gap));
    }
    ref.run_until(send_at);
    collect_urcs();
    anchor = static_cast<int>(h);
    std::string bytes = it.command ? l.text + "\r" : l.text + "\x1a";
    ref.send(bytes);
    bool echo_seen = false;
    bool done = false;
    auto absorb = [&] {
      for (auto& t : cut.push(ref.take_output())) {
        if (done) {
          res.urcs.push_back({t, anchor, false});
          res.all.push_back({t, anchor, false});
          continue;
        }
        if (!echo_seen && res.answers[h].empty() && t == l.text) {
          echo_seen = true;
          continue;
        }
        res.answers[h].push_back(t);
        res.all.push_back({t, anchor, true});
        if (at::final_result_of(t) || at::is_prompt(t)) done = true;
      }
      return done;
    };
    ref.run_while_not(absorb, ref.now() + ms(30'000));
    res.answered[h] = done;
    send_at = ref.now();
  }
  // What comes after the last command, for as long as the log goes on (and 2 s more).
  std::int64_t tail = 2000;
  if (!items.empty() && !log.lines.empty())
    tail += std::max<std::int64_t>(0, (log.lines.back().t_us - items.back().answer_t_us) / 1000);
  ref.run_until(ref.now() + ms(tail));
  collect_urcs();
  return res;
}

}  // namespace nt35e::trace::detail
