#pragma once
// The simulator's side of the fleet benchmark: one `nt35e-sim --fleet N` process started,
// every modem prepared, opened and connected over its own DTE connection, then modem 0's
// AT round trip measured while the others publish (round_trip_load).
//
// Per fleet:
//   start-up        spawn of `nt35e-sim --fleet N --tcp 127.0.0.1:BASE` -> its "ready:" line
//   RSS idle        VmRSS once every modem has answered ATE0 and AT+CGATT? with +CGATT:1
//                   (booted, registered, DTE attached, no MQTT)
//   connect         AT+ECMTOPEN=0,"test.mosquitto.org",1883 on every modem (all at once,
//                   each until +ECMTOPEN:0,0), then AT+ECMTCONN=0,"<client id>" written to
//                   every modem at once: time from before the first write to the last
//                   +ECMTCONN:0,0,0 read; "connected" = modems that got it
//   RSS connected   VmRSS right after that
//   AT round trip   paced load, then flat out (round_trip_load.hpp)

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "fleet/round_trip_load.hpp"

namespace nt35e::bench::fleet {

/// What one fleet run measured.
struct fleet_figures {
  std::size_t n = 0;
  std::size_t held_to = 0;  ///< the fleet size whose targets apply, when n stands in for it (0: n)
  bool live = false;
  std::string not_measured;  ///< the fleet could not be started or driven at all: why
  double startup_ms = 0;
  std::string self_report;  ///< the simulator's own start-up line on stderr
  std::uint64_t rss_idle = 0, rss_connected = 0, rss_after_load = 0, rss_settled = 0;  ///< settled: 1 s after the load
  std::uint64_t rss_warmed = 0;  ///< after the first round of the flat-out load (warmed up)
  std::size_t prepared = 0, opened = 0, connected = 0;
  double open_all_ms = 0, connect_all_ms = 0, connect_p50_ms = 0;
  std::uint64_t overflows_open = 0, overflows_connect = 0;  ///< listen queue overflows during each
  std::string first_failure;
  load_result paced;         ///< the others publishing at settings.paced_rate each
  load_result load;          ///< the others publishing as fast as they are answered
  std::string exit_summary;  ///< "fleet metrics: ..." line printed at SIGTERM
  std::size_t warnings = 0;  ///< [warn] / [error] lines on stderr
  std::string first_warning;
};

/// How a fleet is run.
struct fleet_settings {
  int broker_port = 0;  ///< 0: the scripted broker
  std::string log_level;
  int rounds = 3;
  double idle_s = 0.3, load_s = 1.0;
  std::size_t samples = 500;
  std::string zero_broker_scenario;  ///< the scripted broker without its imitated network delays
  double paced_rate = 5;             ///< publishes per second per modem in the paced load
  int paced_rounds = 2;
  double paced_load_s = 1.0;
  int load_nice = 10;  ///< the load generator's thread (--load-nice); the sampler stays at 0
};

/// Starts a fleet of `n` modems (zero delays; on a free port range picked with `rng`),
/// measures it as described above, prints its progress, and stops it. A failure after
/// the start is reported in the figures; only an interruption throws.
fleet_figures measure_fleet(std::size_t n, const fleet_settings& s, std::mt19937& rng);

}  // namespace nt35e::bench::fleet
