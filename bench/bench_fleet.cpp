// bench_fleet: the fleet benchmark of issue 6 (N = 100, 500, 1000 modems on the scripted
// broker and on a local mosquitto: start-up time, resident memory per modem, time for all
// to reach +ECMTCONN:<id>,0,0 after a simultaneous connect, and one modem's AT round trip
// while the others publish).
//
// TODO(issue 6, item 1): this needs `nt35e-sim --fleet N` (one process, N modems, PTY
// links PREFIX0..PREFIXN-1 or TCP ports BASE..BASE+N-1), which does not exist yet. Until
// it does, this program only says so. It measures nothing; in the results it leaves an
// entry without figures that says why, so that the missing benchmark is visible and no
// made-up number can end up in bench/results/.

#include <iostream>

#include "common/bench_common.hpp"
#include "common/results.hpp"

int main(int argc, char** argv) {
  using namespace nt35e::bench;
  auto opts = parse_options(argc, argv, "The fleet benchmark (not built yet: needs nt35e-sim --fleet).");
  std::cout << "fleet benchmark: needs --fleet (not built yet)\n";
  record_results(opts, "fleet", "Fleet (bench_fleet)", describe_machine(), {},
                 {"Not measured: needs `nt35e-sim --fleet N`, which does not exist yet (issue 6, item 1). "
                  "bench/bench_fleet.cpp is a stub marked TODO."});
  return 0;
}
