// Log import, the scenario's reference: the simulator's own core, fed the log's host
// lines at the log's pace, and what it writes back cut into lines as a DTE reads them.

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>
#include <variant>

#include "at/text.hpp"
#include "at/vocabulary.hpp"
#include "engine/offline_modem.hpp"
#include "modem/modem.hpp"
#include "modem/profile.hpp"
#include "scenario/apply.hpp"
#include "scenario/scripted_broker.hpp"
#include "trace/import_detail.hpp"

namespace nt35e::trace::detail {
namespace {

using ms = std::chrono::milliseconds;

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
  engine::offline_modem ref(p, w);
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
