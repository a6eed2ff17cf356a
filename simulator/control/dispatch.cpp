#include "control/dispatch.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <random>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/post.hpp>

#include "control/answers.hpp"
#include "control/protocol.hpp"
#include "scenario/fleet_choice.hpp"
#include "scenario/json_loader.hpp"

namespace nt35e::control {

namespace net = boost::asio;

namespace {

/// How the answer gets back: called exactly once, on any thread.
using reply_fn = std::function<void(answer)>;

void log_line(io::logger* log, io::log_level level, std::string_view peer, const std::string& text) {
  if (log) log->log(level, "control " + std::string(peer) + ": " + text);
}

/// "fire", "deliver", "network": the actions on one modem.
void fire(const action_request& r, std::optional<std::size_t> modem, const std::shared_ptr<const fleet_target>& f,
          io::logger* log, std::string_view peer, const reply_fn& reply) {
  const std::size_t i = modem.value_or(0);
  const auto& entry = f->modems[i];
  if (!entry.t.fire) refuse("the modem is not running; nothing was fired");
  const std::string where = f->fleet ? " on modem " + std::to_string(i) : std::string();
  answer out = {{"ok", true}};
  if (modem) out["modem"] = i;
  for (const auto& a : r.actions)
    log_line(log, io::log_level::info, peer, "fire " + format(answer(scenario::to_json(a))) + where);
  out["fired"] = fired_value(r);
  // Posted, so a request after this one on the same connection sees its effect.
  net::post(entry.ex, [f, i, actions = r.actions] {
    for (const auto& a : actions) f->modems[i].t.fire(a);
  });
  reply(std::move(out));
}

/// "fleet": one action on the modems chosen, perhaps staggered.
void fire_fleet(const fleet_request& r, const std::shared_ptr<const fleet_target>& f, io::logger* log,
                std::string_view peer, const std::shared_ptr<std::atomic<bool>>& stop, const reply_fn& reply) {
  const std::size_t n = f->modems.size();
  std::vector<std::size_t> chosen = r.candidates;
  std::optional<std::uint64_t> seed = r.seed;
  if (r.fraction) {
    // The answer gives the seed, so that a run without one can be repeated.
    if (!seed) seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    // The scenario's fleet events choose the same way: the same seed, the same modems.
    chosen = scenario::choose_fraction(std::move(chosen), *r.fraction, *seed);
  }
  const auto stagger = r.stagger.value_or(scenario::duration{0});
  std::string when;
  if (r.stagger) when = " over " + scenario::format_duration(stagger);
  if (!r.after.empty())
    when = " on a schedule of " + scenario::format_duration(*std::max_element(r.after.begin(), r.after.end()));
  log_line(log, io::log_level::info, peer,
           "fleet fire " + format(answer(scenario::to_json(r.action))) + " on " + std::to_string(chosen.size()) +
               " of " + std::to_string(n) + " modems" + when);
  answer out = fleet_fired_answer(r.action, chosen, seed, r.stagger);
  if (r.after.empty()) {
    fire_on_fleet(f, chosen, r.action, std::chrono::duration_cast<std::chrono::microseconds>(stagger), stop);
  } else {
    answer after = answer::array();
    for (auto t : r.after) after.push_back(t.count());
    out["after_ms"] = std::move(after);
    fire_on_fleet(f, chosen, r.action, std::vector<std::chrono::microseconds>(r.after.begin(), r.after.end()), stop);
  }
  reply(std::move(out));
}

answer fleet_info(const fleet_target& f) {
  const std::size_t n = f.modems.size();
  answer modems = answer::array();
  for (std::size_t k = 0; k < n; ++k)
    modems.push_back(
        answer{{"modem", k}, {"index", f.modems[k].index}, {"imei", f.modems[k].imei}, {"line", f.modems[k].line}});
  return answer{{"ok", true}, {"size", n}, {"offset", f.offset}, {"threads", f.threads}, {"modems", modems}};
}

/// "query": "verdict": one modem's, or (a fleet without "modem") every modem's in one
/// verdict, each read on its own executor and listed in the fleet's order.
void verdict_query(std::optional<std::size_t> modem, const std::shared_ptr<const fleet_target>& f,
                   const net::any_io_executor& reply_ex, const reply_fn& reply) {
  const std::string none = "no oracle watches the driver of modem ";
  if (modem || !f->fleet) {
    const std::size_t i = modem.value_or(0);
    if (!f->modems[i].t.verdict) refuse(none + std::to_string(i) + ", so there is no verdict");
    net::post(f->modems[i].ex, [f, i, modem, reply] { reply(verdict_answer(f->modems[i].t.verdict(), modem)); });
    return;
  }
  std::vector<std::size_t> all(f->modems.size());
  for (std::size_t k = 0; k < all.size(); ++k) {
    if (!f->modems[k].t.verdict) refuse(none + std::to_string(k) + ", so there is no verdict");
    all[k] = k;
  }
  struct parts_state {
    std::mutex mutex;
    std::vector<oracle::verdict> parts;
  };
  auto parts = std::make_shared<parts_state>();
  parts->parts.resize(all.size());
  for_each_modem(
      f, all,
      [f, parts](std::size_t k) {
        auto v = f->modems[k].t.verdict();
        std::lock_guard lock(parts->mutex);
        parts->parts[k] = std::move(v);
      },
      reply_ex,
      [parts, reply] {
        std::lock_guard lock(parts->mutex);
        oracle::verdict whole = parts->parts.front();
        for (std::size_t k = 1; k < parts->parts.size(); ++k)
          for (auto& m : parts->parts[k].modems) whole.modems.push_back(std::move(m));
        reply(verdict_answer(whole));
      });
}

/// "query": answered at once (help, fleet) or from the modem's executor (state, metrics, verdict).
void query(query_kind what, std::optional<std::size_t> modem, const std::shared_ptr<const fleet_target>& f,
           const net::any_io_executor& reply_ex, const reply_fn& reply) {
  if (what == query_kind::help) return reply(help_answer(f->fleet, f->modems.size()));
  if (what == query_kind::fleet) return reply(fleet_info(*f));
  if (what == query_kind::verdict) return verdict_query(modem, f, reply_ex, reply);
  const std::size_t i = modem.value_or(0);
  if (!f->modems[i].t.snapshot) refuse("the modem is not running");
  if (what == query_kind::state) {
    net::post(f->modems[i].ex, [f, i, modem, reply] {
      answer out = state_answer(f->modems[i].t.snapshot());
      if (modem) out["modem"] = *modem;
      reply(std::move(out));
    });
    return;
  }
  // metrics: one modem, or (a fleet without "modem") the fleet's totals
  if (modem || !f->fleet) {
    net::post(f->modems[i].ex, [f, i, reply] {
      answer out = {{"ok", true}};
      if (f->fleet) {
        out["modem"] = i;
        out["index"] = f->modems[i].index;
        out["imei"] = f->modems[i].imei;
      }
      append_fields(out, to_json(metrics_of(f->modems[i].t)));
      reply(std::move(out));
    });
    return;
  }
  gather_metrics(f, reply_ex, [reply](metrics::modem_metrics total) { reply(metrics_answer(total)); });
}

/// One request; `reply(answer)` is called exactly once, on any thread, unless this
/// throws (then nothing was done).
void answer_async(std::string_view line, const std::shared_ptr<const fleet_target>& f,
                  const net::any_io_executor& reply_ex, io::logger* log, const std::string& peer,
                  const std::shared_ptr<std::atomic<bool>>& stop, const reply_fn& reply) {
  const std::size_t n = f->modems.size();
  if (n == 0) refuse("the simulator runs no modem");
  const request_limits limits{n, f->fleet, [&f](std::size_t i) { return f->modems[i].t.max_id; }};
  auto parsed = parse_request(line, limits);
  if (auto* no = std::get_if<refusal>(&parsed)) throw std::move(*no);
  const auto& r = std::get<request>(parsed);
  if (const auto* actions = std::get_if<action_request>(&r.body)) return fire(*actions, r.modem, f, log, peer, reply);
  if (const auto* fleet = std::get_if<fleet_request>(&r.body)) return fire_fleet(*fleet, f, log, peer, stop, reply);
  query(std::get<query_kind>(r.body), r.modem, f, reply_ex, reply);
}

}  // namespace

void handle_request_async(std::string_view line, std::shared_ptr<const fleet_target> f, net::any_io_executor reply_ex,
                          io::logger* log, std::string peer, std::shared_ptr<std::atomic<bool>> stop,
                          std::function<void(std::string)> done) {
  // Whatever thread the answer is made on, `done` runs on reply_ex, after this call.
  auto reply = [reply_ex, done = std::move(done)](answer a) {
    net::post(reply_ex, [done, text = format(a)] { done(text); });
  };
  try {
    answer_async(line, f, reply_ex, log, peer, stop, reply);
    return;
  } catch (const refusal& e) {
    log_line(log, io::log_level::warn, peer, "refused: " + e.sentence);
    reply(error_answer(e.sentence));
  } catch (const std::exception& e) {
    log_line(log, io::log_level::error, peer, std::string("internal error: ") + e.what());
    reply(error_answer(std::string("internal error while handling the request: ") + e.what()));
  } catch (...) {
    log_line(log, io::log_level::error, peer, "internal error");
    reply(error_answer("internal error while handling the request"));
  }
}

}  // namespace nt35e::control
