// bench_fleet: the fleet benchmark of issue 6. N modems in one `nt35e-sim --fleet N`
// process, on the scripted broker (N = 100, 1000, 10000; --quick: 1000, 10000) and on a
// local mosquitto (--live; N = 100, 1000, 5000; --quick: 1000, 5000), against a plain Paho
// C++ client fleet of the same N, in the same run. --scripted-sizes / --live-sizes A,B,...
// choose others (an empty list skips that broker).
//
// The pieces, one job each:
//   fleet/dte_fleet        the DTE side: one TCP connection per modem, one thread, epoll
//   fleet/sim_fleet        the simulator's fleet: start-up, RSS, open and connect times
//   fleet/round_trip_load  the load (the others publishing, paced or flat out) and modem
//                          0's AT round trip under it
//   fleet/paho_fleet       the baseline: a child process with N Paho clients
//   fleet/fleet_rows       the result rows and notes
// This file runs them in order and records the results.
//
// Settings: zero delays (timing_args(timing_mode::zero)), the fleet's default log level
// (warn: no transcript), the default thread pool (one per core, at least 2). mosquitto is
// the tests' fixture with its per-message log (log_type all) cut down to error, warning,
// notice and information (one line per PUBLISH would cost the broker more than the
// simulator); no max_connections line (mosquitto's default is unlimited); the open-file
// limits of this process (and so of the broker it starts) are raised to the hard limit.
// Everything is on 127.0.0.1, every wait has a deadline, and SIGINT/SIGTERM stop the
// fleets, the Paho children and the broker (destructors).

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/bench_common.hpp"
#include "common/mqtt_common.hpp"
#include "common/resources.hpp"
#include "common/results.hpp"
#include "fleet/fleet_rows.hpp"
#include "fleet/paho_fleet.hpp"
#include "fleet/sim_fleet.hpp"

namespace nt35e::bench {
namespace {

using fleet::add_rows;
using fleet::measure_fleet;
using fleet::measure_paho;

/// Takes "--scripted-sizes A,B", "--live-sizes A,B" and "--load-nice N" out of argv (the
/// other options are the common ones); exits(2) with a sentence on a bad value.
void take_fleet_options(int& argc, char** argv, std::vector<std::size_t>& scripted, std::vector<std::size_t>& live,
                        bool& given, int& load_nice) {
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--load-nice") {
      const std::string v = i + 1 < argc ? argv[++i] : "";
      std::size_t used = 0;
      int n = -1;
      try {
        n = std::stoi(v, &used);
      } catch (const std::exception&) {}
      if (n < 0 || n > 19 || used != v.size()) {
        std::cerr << "bench_fleet: --load-nice takes a nice value from 0 to 19 for the load generator, not \"" << v
                  << "\"\n";
        std::exit(2);
      }
      load_nice = n;
      continue;
    }
    if ((a == "--scripted-sizes" || a == "--live-sizes") && i + 1 < argc) {
      auto& v = a == "--live-sizes" ? live : scripted;
      v.clear();
      std::stringstream in(argv[++i]);
      for (std::string item; std::getline(in, item, ',');) {
        std::size_t used = 0;
        unsigned long n = 0;
        try {
          n = std::stoul(item, &used);
        } catch (const std::exception&) {}
        if (n == 0 || used != item.size()) {
          std::cerr << "bench_fleet: " << a << " takes fleet sizes separated by commas (e.g. 100,1000), not \""
                    << argv[i] << "\"\n";
          std::exit(2);
        }
        v.push_back(n);
      }
      given = true;
      continue;
    }
    argv[out++] = argv[i];
  }
  argc = out;
}

int run(int argc, char** argv) {
  install_signal_handlers();
  std::vector<std::size_t> scripted_sizes, live_sizes;
  bool sizes_given = false;
  fleet::fleet_settings settings;
  take_fleet_options(argc, argv, scripted_sizes, live_sizes, sizes_given, settings.load_nice);
  auto opts = parse_options(
      argc, argv,
      "Fleets of N modems (nt35e-sim --fleet N) on the scripted broker and on a local mosquitto, vs a fleet of "
      "plain Paho clients.\n--count: AT round trip samples per phase (default 500); --seconds: loaded time per "
      "fleet (default 6).\n--scripted-sizes A,B / --live-sizes A,B: the fleet sizes on each broker (default "
      "100,1000,10000 / 100,1000,5000; --quick: 1000,10000 / 1000,5000).\n--load-nice N: the nice value of the "
      "thread that drives the other modems' load (default 10; 0 runs it at the simulator's priority).");
  auto machine = describe_machine();
  std::cout << "bench_fleet on " << to_text(machine) << "\n";
  if (!sizes_given) {
    scripted_sizes = opts.quick ? std::vector<std::size_t>{1000, 10000} : std::vector<std::size_t>{100, 1000, 10000};
    live_sizes = opts.quick ? std::vector<std::size_t>{1000, 5000} : std::vector<std::size_t>{100, 1000, 5000};
  }
  std::vector<std::size_t> sizes = scripted_sizes;
  sizes.insert(sizes.end(), live_sizes.begin(), live_sizes.end());
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  auto has = [](const std::vector<std::size_t>& v, std::size_t n) {
    return std::find(v.begin(), v.end(), n) != v.end();
  };
  settings.log_level = opts.log_level;
  settings.samples = opts.count > 0 ? static_cast<std::size_t>(opts.count) : (opts.quick ? 200 : 500);
  const double seconds = opts.seconds > 0 ? opts.seconds : (opts.quick ? 1.0 : 6.0);
  settings.load_s = seconds / settings.rounds;
  settings.idle_s = opts.quick ? 0.2 : 0.3;
  settings.paced_load_s = opts.quick ? 0.5 : 1.0;

  const auto files = raise_open_files();
  std::cout << "open-file limit: " << files << "\n";
  auto broker = start_quiet_broker();
  // The scripted broker imitates a network (CONNACK after 300 ms, acks after 150 ms...):
  // zero here too, so that its rows show the simulator's own cost like the live ones.
  temp_dir scratch("nt35e-bench-fleet");
  settings.zero_broker_scenario = scratch.path() + "/zero-broker.json";
  {
    std::ofstream out(settings.zero_broker_scenario);
    out << R"({"name": "zero-broker", "broker": {"delays": {"open": "0s", "connack": "0s", "ack": "0s", "delivery": "0s"}}})"
        << "\n";
  }
  std::mt19937 rng(std::random_device{}());

  std::vector<row> rows;
  std::vector<std::string> notes = fleet::method_notes(settings);
  if (!sizes.empty() && files < 2 * sizes.back() + 64)
    notes.push_back("This process's open-file limit is " + std::to_string(files) + ".");

  auto p1 = measure_paho(1, broker->port());
  settings.broker_port = 0;
  auto s1 = measure_fleet(1, settings, rng);
  settings.broker_port = broker->port();
  auto l1 = measure_fleet(1, settings, rng);
  for (std::size_t n : sizes) {
    check_interrupt();
    if (files < n + 64) {
      notes.push_back("Fleet " + std::to_string(n) + ": not measured: the open-file limit (" + std::to_string(files) +
                      ") is too low for " + std::to_string(n) + " DTE connections");
      continue;
    }
    // The simulator's descriptors: a scripted modem holds 2 (its DTE listener and
    // connection), a live one 5 (plus the relay's accepted socket, Paho's socket to it and
    // the broker link). Short of them, a fleet closes each port while its DTE is connected
    // (one fewer each: simulator/fleet/fleet.cpp); a fleet that cannot have even those is
    // not started. A live fleet also has up to 32 relay listeners open while its modems
    // connect (simulator/paho/listen_gate.hpp).
    auto room = [&](std::size_t per_modem, const char* broker_name, std::size_t extra = 0) {
      if (files >= per_modem * n + 64 + extra) return true;
      notes.push_back("Fleet " + std::to_string(n) + " on " + broker_name + ": not measured: it needs " +
                      std::to_string(per_modem * n + 64 + extra) + " open files and the limit here is " +
                      std::to_string(files) + " (raise the hard limit: ulimit -Hn)");
      std::cout << notes.back() << "\n";
      return false;
    };
    const bool scripted = has(scripted_sizes, n) && room(1, "the scripted broker");
    bool live = has(live_sizes, n) && room(4, "a local mosquitto", 32);
    // A live fleet a little too large for the limit (5,000 at 4 files each against this
    // machine's hard limit of 20,000) is measured at the largest size that fits, named as
    // such, when that is within 2 % of the size asked: memory per modem and connect time
    // do not change over so few modems, and a figure beats "not measured".
    std::size_t live_n = n;
    if (has(live_sizes, n) && !live) {
      // 4 files a modem, 64 for the process, 32 for the relays' listeners while connecting
      const std::size_t fit = files > 96 ? (files - 96) / 4 / 10 * 10 : 0;
      if (fit > 0 && fit >= n - n / 50) {
        live = true;
        live_n = fit;
        notes.back() += "; measured with " + std::to_string(fit) + " modems instead, the most that fit, and held to " +
                        std::to_string(n) + "'s targets";
      }
    }
    if (!scripted && !live) continue;
    auto baseline_for = [&](std::size_t m) {
      auto p = measure_paho(m, broker->port());
      if (!p.not_measured.empty())
        notes.push_back("Paho fleet " + std::to_string(m) + ": not measured: " + p.not_measured);
      return p;
    };
    std::optional<fleet::paho_figures> p;
    if (scripted) {
      p = baseline_for(n);
      settings.broker_port = 0;
      auto s = measure_fleet(n, settings, rng);
      add_rows(rows, notes, s, s1, *p, p1, settings.paced_rate);
    }
    if (live) {
      if (!p || live_n != n) p = baseline_for(live_n);
      settings.broker_port = broker->port();
      auto l = measure_fleet(live_n, settings, rng);
      l.held_to = n;
      add_rows(rows, notes, l, l1, *p, p1, settings.paced_rate);
    }
  }
  print_table("Fleet (ratio = simulator / Paho fleet; AT round trip: loaded / idle)", rows);
  for (const auto& n : notes) std::cout << "* " << n << "\n";
  record_results(opts, "fleet", "Fleet (bench_fleet)", machine, rows, notes);
  return 0;
}

}  // namespace
}  // namespace nt35e::bench

int main(int argc, char** argv) {
  using nt35e::bench::guarded_main;
  if (argc == 4 && std::string(argv[1]) == nt35e::bench::fleet::paho_fleet_option)
    return guarded_main("bench_fleet --paho-fleet",
                        [&] { return nt35e::bench::fleet::paho_fleet_child(std::stoul(argv[2]), std::stoi(argv[3])); });
  return guarded_main("bench_fleet", [&] { return nt35e::bench::run(argc, argv); });
}
