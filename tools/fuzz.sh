#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang-14, ASan + UBSan, UBSan fatal) and
# runs each for a while with its seed corpus and dictionary from tests/fuzz/:
#
#   tools/fuzz.sh [--minutes N] [--runs N] [--parallel N] [--yield] [TARGET...]
#                                          (default: 1 minute, every target, one at a time)
#
# --yield runs the build and the fuzzers at nice 19 in a scheduler group of their own
# (setsid, then /proc/self/autogroup): on a kernel with sched autogroups, nice alone orders
# threads only inside their group, so a long run beside a build took an equal share of
# the CPUs whatever its nice value. Ctrl-C still stops it (passed on to the group).
# --runs N stops a target after N executions (or --minutes, whichever comes first): the
# long run of docs/reliability.md is `--runs 10000000 --minutes 480`.
# Targets: at_input scenario_json log_import trace_replay control_request ecmt_machine.
# New corpus entries and crash inputs go to a scratch directory (NT35E_FUZZ_WORK, default
# build-fuzz/fuzz-work/<target>/), never into the tree: a crash input worth keeping is
# copied by hand into tests/fuzz/regressions/<target>/, where the normal build's ctest
# (label fuzz) replays it. For each target it prints the executions reached and exec/s;
# the exit status is non-zero when any target found a crash, a leak or a timeout.
# --parallel N fuzzes N targets at once (CI: one per core, so the 60 s runs take half the time).
# NT35E_FUZZ_BUILD_JOBS sets the build's parallelism (default: every core).
set -euo pipefail
cd "$(dirname "$0")/.."

all=(at_input scenario_json log_import trace_replay control_request ecmt_machine)
minutes=1
runs=
parallel=1
yield=0
targets=()
original_args=("$@")
while (($#)); do
  case "$1" in
    --yield)
      yield=1
      shift
      ;;
    --minutes)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || {
        echo "fuzz.sh: --minutes needs a whole number of minutes above 0, got '${2:-}'" >&2
        exit 2
      }
      minutes=$2
      shift 2
      ;;
    --runs)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || {
        echo "fuzz.sh: --runs needs a whole number of executions above 0, got '${2:-}'" >&2
        exit 2
      }
      runs=$2
      shift 2
      ;;
    --parallel)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || {
        echo "fuzz.sh: --parallel needs a whole number of targets above 0, got '${2:-}'" >&2
        exit 2
      }
      parallel=$2
      shift 2
      ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      if [[ ! " ${all[*]} " =~ " $1 " ]]; then
        echo "fuzz.sh: no fuzz target '$1'; the targets are: ${all[*]}" >&2
        exit 2
      fi
      targets+=("$1")
      shift
      ;;
  esac
done
((${#targets[@]})) || targets=("${all[@]}")

if ((yield)) && [[ -z ${NT35E_FUZZ_YIELDING:-} ]]; then
  # A session of its own is a scheduler group of its own; Ctrl-C or a TERM here is passed
  # on to that whole group (libFuzzer stops cleanly on SIGINT and prints its figures).
  NT35E_FUZZ_YIELDING=1 setsid bash "$0" "${original_args[@]}" &
  child=$!
  trap 'kill -INT -- "-$child" 2>/dev/null || true' INT TERM
  status=0
  while kill -0 "$child" 2>/dev/null; do
    wait "$child" && status=0 || status=$?
  done
  exit "$status"
fi
if [[ -n ${NT35E_FUZZ_YIELDING:-} ]]; then
  echo 19 >/proc/self/autogroup 2>/dev/null || true
  renice -n 19 -p $$ >/dev/null || true
fi

jobs=${NT35E_FUZZ_BUILD_JOBS:-$(nproc)}
work=${NT35E_FUZZ_WORK:-build-fuzz/fuzz-work}
cmake --preset fuzz >/dev/null
cmake --build build-fuzz -j"$jobs" --target "${targets[@]/#/nt35e_fuzz_}"

# One target: its summary line in $dir/summary, and "failed" in $dir/failed on a finding.
fuzz_one() {
  local t=$1 dir=$work/$1 status=0 execs rate line
  mkdir -p "$dir/corpus" "$dir/crashes"
  rm -f "$dir/summary" "$dir/failed"
  local args=(-max_total_time=$((minutes * 60)) -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$dir/crashes/")
  [[ -f tests/fuzz/dict/$t.dict ]] && args+=(-dict=tests/fuzz/dict/$t.dict)
  [[ -n $runs ]] && args+=(-runs="$runs")
  echo "== fuzz $t for $minutes min (scratch corpus and crashes in $dir)"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    build-fuzz/tests/fuzz/nt35e_fuzz_"$t" "${args[@]}" "$dir/corpus" tests/fuzz/corpus/"$t" \
    tests/fuzz/regressions/"$t" >"$dir/log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  line="$t: ${execs:-?} executions, ${rate:-?} exec/s, scratch corpus $(find "$dir/corpus" -type f | wc -l) files"
  if ((status != 0)); then
    line+=", FAILED (exit $status): $(ls -t "$dir"/crashes/* 2>/dev/null | head -1)"
    echo failed >"$dir/failed"
    grep -m1 -E 'ERROR: |runtime error|invariant violated|what\(\):' "$dir/log" >&2 || true
    echo "   log: $dir/log" >&2
  fi
  echo "$line"
  echo "$line" >"$dir/summary"
}

running=0
for t in "${targets[@]}"; do
  if ((running >= parallel)); then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait

failed=()
unfinished=()
summary=()
for t in "${targets[@]}"; do
  summary+=("$(cat "$work/$t/summary" 2>/dev/null || echo "$t: did not finish")")
  [[ -f $work/$t/failed ]] && failed+=("$t")
  [[ -f $work/$t/summary ]] || unfinished+=("$t")
done

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz.sh: findings in: ${failed[*]} (inputs under $work/<target>/crashes/)" >&2
  exit 1
fi
if ((${#unfinished[@]})); then
  # Interrupted (Ctrl-C) or killed: no finding, but no full run either.
  echo "fuzz.sh: stopped before these finished: ${unfinished[*]} (logs under $work/<target>/log)" >&2
  exit 1
fi
