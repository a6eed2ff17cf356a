#pragma once
// Load generation and the measurement under it: modem 0 of a fleet times `AT` -> `OK`
// round trips on its own thread while the other modems publish, in slices that
// alternate between an idle fleet and a loaded one.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/bench_common.hpp"
#include "fleet/dte_fleet.hpp"

namespace nt35e::bench::fleet {

/// Modem 0's round trips idle and loaded, and what the load itself did.
struct load_result {
  bool measured = false;
  std::string why;  ///< when not measured, or what went wrong
  summary idle, loaded;
  std::size_t publishes = 0;  ///< OKs to AT+ECMTPUB during the loaded slices
  double loaded_s = 0;
  std::size_t errors = 0, failed_urcs = 0;
  std::size_t late = 0;             ///< paced load: sends skipped because the previous publish was not answered yet
  std::size_t loaded_over_5ms = 0;  ///< loaded round trips above issue 16's 5 ms (a p99 of 200 is its 2nd worst)
  std::string first_failure;
  /// Answered publishes per second of loaded time.
  [[nodiscard]] double rate() const { return loaded_s > 0 ? static_cast<double>(publishes) / loaded_s : 0; }
};

/// `rounds` times: an idle slice of `idle_s`, then a loaded slice of `load_s` (after a
/// 100 ms ramp) in which every modem of `publishers` publishes QoS 0:
/// `AT+ECMTPUB=0,0,0,0,"bench/fleet/<i>","<32 bytes>"`, `per_modem_rate` publishes per
/// second each, spread evenly over the fleet (a busy fleet), or with 0 as fast as each
/// modem answers (the next on OK: saturation). Modem 0 (not among the publishers; its
/// line is detached from `f`) measures `AT` round trips on its own thread throughout,
/// at most `samples` per phase, spread over the rounds and evenly over each slice; samples taken across a change of
/// phase and during the ramp or the drain are dropped. The load runs on its own thread at
/// nice `load_nice` (0: the caller's priority), the sampler at the caller's.
/// `after_round(r)`, if given, runs on the load's thread once round r's publishes are all
/// answered (to sample the simulator's memory as the load goes on).
load_result round_trips_under_load(dte_fleet& f, const std::vector<std::size_t>& publishers, int rounds, double idle_s,
                                   double load_s, std::size_t samples, double per_modem_rate, int load_nice,
                                   const std::function<void(int round)>& after_round = {});

}  // namespace nt35e::bench::fleet
