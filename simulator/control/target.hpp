#pragma once
// What the control channel drives: modems, each reached through its own executor. A
// single modem is a fleet of one; fleet mode (fleet/) builds a fleet_target of N modems
// and plays the scenario's fleet events through fire_on_fleet, as the channel's "fleet"
// requests do.
//
// Thread safety: the functions of a target are called only on its modem's executor
// (modem_entry::ex); a fleet_target is not changed once the channel runs.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "metrics/line_metrics.hpp"
#include "modem/snapshot.hpp"
#include "oracle/verdict.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::io {
class session;
}

namespace nt35e::control {

/// One modem as the channel sees it: the modem's session (see for_session), or a fake in tests.
struct target {
  std::function<modem::snapshot()> snapshot;
  std::function<void(const scenario::action&)> fire;
  int max_id = 4;  ///< highest ECMT id, for range checks of "id"
  /// The modem's metrics ("query": "metrics"); empty: the counters of snapshot() only.
  std::function<metrics::modem_metrics()> metrics;
  /// The oracle's verdict on this modem's driver so far ("query": "verdict"; one modem in
  /// it); empty: no oracle runs.
  std::function<oracle::verdict()> verdict;
};

/// The target for a running session; `max_id` is the profile's max_ecmt_id. With
/// `metrics`, the latency histograms it collects are part of "query": "metrics".
target for_session(io::session& session, int max_id, const metrics::line_metrics* metrics = nullptr);

/// A target's metrics: its own, or the counters and state of its snapshot.
metrics::modem_metrics metrics_of(const target& t);

/// One modem of those a control channel drives.
struct modem_entry {
  boost::asio::any_io_executor ex;  ///< the modem's executor: every call of `t` is made there
  target t;
  std::uint64_t index = 0;  ///< global index (--fleet-offset + position)
  std::string imei;
  std::string line;  ///< where its DTE connects, as in the ready line ("tcp 127.0.0.1:5003")
};

/// Everything a control channel drives: one modem, or a fleet (--fleet).
struct fleet_target {
  std::vector<modem_entry> modems;
  bool fleet = false;  ///< fleet mode: "fleet" requests, and "query": "metrics" answers the totals
  std::uint64_t offset = 0;
  unsigned threads = 1;
};

/// A fleet of one: `t`, called on `ex`, as modem 0 (not fleet mode).
fleet_target one_modem(boost::asio::any_io_executor ex, target t);

/// Runs `work(i)` on the executor of each modem in `which`, then `then()` on `reply_ex`
/// once every one has run (at once, posted, when `which` is empty).
void for_each_modem(const std::shared_ptr<const fleet_target>& f, const std::vector<std::size_t>& which,
                    std::function<void(std::size_t)> work, boost::asio::any_io_executor reply_ex,
                    std::function<void()> then);

/// The totals of every modem of `f` (metrics_of, each read on its own executor, merged),
/// handed to `done` on `reply_ex`: the control channel's {"query": "metrics"} of a fleet
/// and the Prometheus exporter read the fleet this one way.
void gather_metrics(const std::shared_ptr<const fleet_target>& f, boost::asio::any_io_executor reply_ex,
                    std::function<void(metrics::modem_metrics)> done);

/// Fires `a` on the modems of `f` at positions `which` (ascending), each on its own
/// executor, spread evenly over `stagger` (scenario::stagger_offset: the first at once,
/// the last after `stagger`). A firing still waiting for its time is dropped once `stop`
/// is true. The control channel's "fleet" requests and the scenario's fleet events
/// (fleet::event_scheduler) both fire this way.
void fire_on_fleet(const std::shared_ptr<const fleet_target>& f, const std::vector<std::size_t>& which,
                   const scenario::action& a, std::chrono::microseconds stagger,
                   const std::shared_ptr<std::atomic<bool>>& stop);

/// As above, but the modem at `which[p]` fires after `after[p]` (the same length): a
/// schedule made elsewhere (nt35e-ctl spreading one event over many processes).
void fire_on_fleet(const std::shared_ptr<const fleet_target>& f, const std::vector<std::size_t>& which,
                   const scenario::action& a, const std::vector<std::chrono::microseconds>& after,
                   const std::shared_ptr<std::atomic<bool>>& stop);

}  // namespace nt35e::control
