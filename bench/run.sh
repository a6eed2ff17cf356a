#!/usr/bin/env bash
# Builds nt35e-sim and the benchmarks (Release, in build-bench/) and runs them all, each
# bounded in time. Every benchmark prints its table and merges its figures into
# bench/results/results.json and bench/results/results.md.
#
#   bash bench/run.sh            # full run (about 10 minutes after the build)
#   bash bench/run.sh --quick    # smaller counts, shorter limits (a smoke run)
#
# Environment: NT35E_BENCH_BUILD_DIR (default <repo>/build-bench), NT35E_BENCH_JOBS
# (default 2). Needs: cmake, g++, Boost, Paho MQTT C++, nlohmann-json, mosquitto and
# mosquitto-clients (mosquitto, mosquitto_pub, mosquitto_passwd). Loopback traffic only.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${NT35E_BENCH_BUILD_DIR:-$root/build-bench}"
jobs="${NT35E_BENCH_JOBS:-2}"

for tool in cmake mosquitto mosquitto_pub mosquitto_passwd timeout; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run.sh: $tool is not installed (Debian: apt-get install cmake mosquitto mosquitto-clients coreutils)" >&2
    exit 2
  fi
done

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -G "Unix Makefiles" \
  -DNT35E_BUILD_BENCH=ON -DNT35E_BUILD_TESTS=OFF >/dev/null || exit 1
cmake --build "$build" -j"$jobs" --target nt35e-sim bench_at_roundtrip bench_publish bench_receive bench_fleet \
  bench_drive bench_import || exit 1

status=0
run() {
  local limit=$1
  shift
  echo
  echo "=== $(basename "$1") (limit ${limit}s)"
  # SIGTERM at the limit: the benchmark stops its simulators and broker itself; SIGKILL 15 s later.
  timeout -k 15 "$limit" "$@"
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "run.sh: $(basename "$1") failed (exit $rc)" >&2
    status=1
  fi
}

echo "machine: $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
run 300 "$build/bench/bench_at_roundtrip" "$@"
# bench_publish: four variants (the DTE over TCP one since 2026-12-04) took 290 s on a quiet
# machine, and a direct Paho client stalling 1 s at a time pushed one run past 300 s.
run 600 "$build/bench/bench_publish" "$@"
run 300 "$build/bench/bench_receive" "$@"
run 600 "$build/bench/bench_fleet" "$@"
run 300 "$build/bench/bench_import" "$@"
# The plots, from what results.json holds now (a --no-results run leaves them as they were).
case " $* " in
  *" --no-results "*) ;;
  *) /usr/bin/python3 "$here/plot.py" "$here/results" || status=1 ;;
esac
echo
echo "results: $here/results/results.md"
exit $status
