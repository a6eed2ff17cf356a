#include "fleet/sim_fleet.hpp"

#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include "common/resources.hpp"
#include "fleet/dte_fleet.hpp"
#include "support/sim_process.hpp"

namespace nt35e::bench::fleet {

namespace {

/// Prints the round trip of modem 0 under the paced load.
void print_paced(const fleet_figures& fig, std::size_t publishers, double rate) {
  std::cout << "  AT round trip idle p50 " << fixed(fig.paced.idle.p50) << " us, while " << publishers << " publish "
            << fixed(rate, 0) << "/s each p50 " << fixed(fig.paced.loaded.p50) << " p99 " << fixed(fig.paced.loaded.p99)
            << " us (n=" << fig.paced.loaded.n << "); " << fixed(fig.paced.rate(), 0) << " publishes/s, "
            << fig.paced.late << " late, " << fig.paced.errors << " ERROR, " << fig.paced.failed_urcs << " failure URCs"
            << (fig.paced.why.empty() ? "" : "; " + fig.paced.why) << "\n"
            << std::flush;
}

/// Prints the round trip of modem 0 with the others publishing flat out, and the RSS after.
void print_flat_out(const fleet_figures& fig, std::size_t publishers) {
  std::cout << "  AT round trip idle p50 " << fixed(fig.load.idle.p50) << " p99 " << fixed(fig.load.idle.p99)
            << " us (n=" << fig.load.idle.n << "), while " << publishers << " publish p50 "
            << fixed(fig.load.loaded.p50) << " p99 " << fixed(fig.load.loaded.p99) << " us (n=" << fig.load.loaded.n
            << ", " << fig.load.loaded_over_5ms << " over 5 ms); " << fixed(fig.load.rate(), 0) << " publishes/s, "
            << fig.load.errors << " ERROR, " << fig.load.failed_urcs << " failure URCs"
            << (fig.load.first_failure.empty() ? "" : " (first: " + fig.load.first_failure + ")")
            << (fig.load.why.empty() ? "" : "; " + fig.load.why) << "; RSS after the load " << mib(fig.rss_after_load)
            << ", 1 s later " << mib(fig.rss_settled) << "\n"
            << std::flush;
}

/// Starts `nt35e-sim --fleet n` until it says ready (a port taken meanwhile: elsewhere,
/// up to three times); null with fig.not_measured set when it does not start.
std::unique_ptr<test::sim_process> start_fleet(std::size_t n, const fleet_settings& s, std::mt19937& rng,
                                               fleet_figures& fig, int& base) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    base = pick_port_base(n, rng);
    std::vector<std::string> args = {"--fleet", std::to_string(n), "--tcp", "127.0.0.1:" + std::to_string(base)};
    for (auto& a : timing_args(timing_mode::zero)) args.push_back(a);
    if (fig.live)
      args.insert(args.end(),
                  {"--live", "--map-host", "test.mosquitto.org=127.0.0.1:" + std::to_string(s.broker_port)});
    else
      args.insert(args.end(), {"--scenario", s.zero_broker_scenario});
    if (!s.log_level.empty()) args.insert(args.end(), {"--log-level", s.log_level});
    const auto t0 = clock::now();
    auto p = std::make_unique<test::sim_process>(args);
    if (p->wait_ready(60s)) {
      fig.startup_ms = millis(clock::now() - t0);
      return p;
    }
    check_interrupt();
    const std::string err = p->stderr_text();
    p->stop(5s);
    // Another program may have taken a port between the check and the bind: try elsewhere.
    if (err.find("cannot listen") == std::string::npos || attempt == 2) {
      fig.not_measured = "nt35e-sim --fleet " + std::to_string(n) + " did not start: " + tail(err, 600);
      std::cout << "did not start\n" << tail(err, 600) << "\n";
      return nullptr;
    }
  }
  return nullptr;
}

/// Prepares, opens and connects every modem of `f`, then runs both loads.
void drive_fleet(dte_fleet& f, const test::sim_process& sim, const std::string& tag, const fleet_settings& s,
                 fleet_figures& fig) {
  const pid_t pid = sim.pid();
  const std::size_t n = fig.n;
  const auto per_n = std::chrono::milliseconds(20 * n);  // generous: the machine is shared
  std::string why;
  auto ready = prepare_all(f, clock::now() + 20s + per_n, why);
  fig.prepared = ready.size();
  fig.rss_idle = rss_kib(pid);
  if (!why.empty()) fig.first_failure = why;

  const auto overflows0 = listen_overflows();
  auto open = exchange(
      f, ready, [](std::size_t) { return std::string("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883"); }, "+ECMTOPEN:0,0",
      clock::now() + 30s + per_n);
  const auto overflows1 = listen_overflows();
  fig.overflows_open = overflows1 - overflows0;
  fig.opened = open.completed.size();
  fig.open_all_ms = open.all_ms;
  if (fig.first_failure.empty() && open.failed) fig.first_failure = "AT+ECMTOPEN: " + open.first_failure;

  auto conn = exchange(
      f, open.completed,
      [&](std::size_t i) { return "AT+ECMTCONN=0,\"bench-fleet-" + tag + "-" + std::to_string(i) + "\""; },
      "+ECMTCONN:0,0,0", clock::now() + 30s + per_n);
  fig.rss_connected = rss_kib(pid);
  fig.overflows_connect = listen_overflows() - overflows1;
  fig.connected = conn.completed.size();
  fig.connect_all_ms = conn.all_ms;
  fig.connect_p50_ms = summarize(conn.ms).p50;
  if (fig.first_failure.empty() && conn.failed) fig.first_failure = "AT+ECMTCONN: " + conn.first_failure;
  if (fig.first_failure.empty() && fig.connected < open.completed.size())
    fig.first_failure =
        std::to_string(open.completed.size() - fig.connected) + " modems without +ECMTCONN:0,0,0 within the limit";
  std::cout << "started in " << fixed(fig.startup_ms, 0) << " ms, " << fig.prepared << " ready, " << fig.opened
            << " opened (" << fixed(fig.open_all_ms, 0) << " ms), " << fig.connected << " connected ("
            << fixed(fig.connect_all_ms, 0) << " ms); listen queue overflows " << fig.overflows_open
            << " while opening, " << fig.overflows_connect << " while connecting; RSS " << mib(fig.rss_idle)
            << " idle, " << mib(fig.rss_connected) << " connected\n"
            << std::flush;

  if (n < 2) {
    fig.load.why = "one modem: no others to publish";
    return;
  }
  if (conn.completed.empty() || conn.completed.front() != 0) {
    fig.load.why = "modem 0 is not connected";
    return;
  }
  std::vector<std::size_t> publishers(conn.completed.begin() + 1, conn.completed.end());
  f.run_until(clock::now() + 20ms);  // nothing should be left, but be sure modem 0's line is quiet
  fig.paced = round_trips_under_load(f, publishers, s.paced_rounds, s.idle_s, s.paced_load_s, s.samples, s.paced_rate,
                                     s.load_nice);
  print_paced(fig, publishers.size(), s.paced_rate);
  fig.load = round_trips_under_load(f, publishers, s.rounds, s.idle_s, s.load_s, s.samples, 0, s.load_nice,
                                    [&fig, pid](int round) {
                                      if (round == 0) fig.rss_warmed = rss_kib(pid);
                                    });
  fig.rss_after_load = rss_kib(pid);
  f.run_until(clock::now() + 1s);
  fig.rss_settled = rss_kib(pid);
  print_flat_out(fig, publishers.size());
}

/// The simulator's exit summary and its warning lines, from its stderr.
void read_stderr(const test::sim_process& sim, fleet_figures& fig) {
  const std::string err = sim.stderr_text();
  if (auto at = err.find("fleet metrics:"); at != std::string::npos)
    fig.exit_summary = err.substr(at, err.find('\n', at) - at);
  std::istringstream lines(err);
  for (std::string l; std::getline(lines, l);) {
    if (l.find("[warn]") == std::string::npos && l.find("[error]") == std::string::npos) continue;
    if (fig.warnings++ == 0) fig.first_warning = l;
  }
}

}  // namespace

fleet_figures measure_fleet(std::size_t n, const fleet_settings& s, std::mt19937& rng) {
  fleet_figures fig;
  fig.n = n;
  fig.live = s.broker_port != 0;
  const std::string tag = std::string(fig.live ? "l" : "s") + std::to_string(n);
  std::cout << "fleet of " << n << " on " << (fig.live ? "a local mosquitto" : "the scripted broker") << ": "
            << std::flush;

  int base = 0;
  auto sim = start_fleet(n, s, rng, fig, base);
  if (!sim) return fig;
  if (sim->wait_stderr("started in", 10s)) {
    const std::string err = sim->stderr_text();
    const auto at = err.find("nt35e-sim: fleet of");
    if (at != std::string::npos) fig.self_report = err.substr(at, err.find('\n', at) - at);
  }

  try {
    dte_fleet f(base, n);
    drive_fleet(f, *sim, tag, s, fig);
    // Stop the simulator while every DTE is still attached: its summary then says how
    // many modems had a DTE and an MQTT connection at the end.
    sim->stop(20s);
  } catch (const std::exception& e) {
    if (interrupted()) throw;
    fig.not_measured = e.what() + std::string("\n") + tail(sim->diagnostics(), 1500);
    std::cout << "failed: " << e.what() << "\n";
    sim->stop(20s);
  }

  read_stderr(*sim, fig);
  if (!fig.exit_summary.empty()) std::cout << "  at exit: " << fig.exit_summary << "\n";
  if (fig.warnings)
    std::cout << "  " << fig.warnings << " warning/error lines on stderr, first: " << fig.first_warning << "\n";
  if (!fig.first_failure.empty()) std::cout << "  problem: " << fig.first_failure << "\n";
  return fig;
}

}  // namespace nt35e::bench::fleet
