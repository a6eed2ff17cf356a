#!/usr/bin/env bash
# Where does nt35e-sim spend its time? Profiles the simulator itself (zero delays) while
# bench_drive loads it, for the two paths whose targets are missed:
#   1. AT round trip over TCP (AT+CSQ): strace -c, perf stat, perf record, callgrind;
#   2. AT+ECMTPUB QoS 1 through --live to a local mosquitto: strace -c, perf stat,
#      perf record (per thread).
# Prints everything and writes it to bench/results/profile.txt. Needs the benchmarks
# built (bash bench/run.sh, or the cmake commands in bench/README.md), perf, strace and
# valgrind (each part is skipped when its tool is missing). Loopback only; bounded.
#
#   bash bench/profile.sh [--no-callgrind]
set -eu   # no pipefail: "perf report | head" ends perf report with SIGPIPE by design

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${NT35E_BENCH_BUILD_DIR:-$root/build-bench}"
sim="$build/simulator/nt35e-sim"
drive="$build/bench/bench_drive"
out="$here/results/profile.txt"
callgrind=1
[[ "${1:-}" == "--no-callgrind" ]] && callgrind=0

for f in "$sim" "$drive"; do
  [[ -x "$f" ]] || { echo "profile.sh: $f is missing; build first (bash bench/run.sh)" >&2; exit 2; }
done
have() { command -v "$1" >/dev/null 2>&1; }

work="$(mktemp -d /tmp/nt35e-profile-XXXXXX)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work" "$out.tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mapfile -t zero < <("$drive" timing-args zero)

# Starts the simulator (arguments as given) in the background; sets simpid and ready.
start_sim() {
  "$sim" "$@" >"$work/sim.out" 2>"$work/sim.err" &
  simpid=$!
  pids+=("$simpid")
  for _ in $(seq 100); do
    ready="$(grep -m1 '^ready:' "$work/sim.out" || true)"
    [[ -n "$ready" ]] && return 0
    sleep 0.1
  done
  echo "profile.sh: the simulator did not get ready" >&2
  cat "$work/sim.err" >&2
  exit 1
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# Runs a command in the background and waits for it, so that a signal to this script is
# handled at once (bash runs traps only between foreground commands) and the cleanup can
# reach the command.
bounded() {
  timeout 300 "$@" &
  local p=$!
  pids+=("$p")
  wait "$p"
}

# Runs "$@" (the load) while a tool watches the simulator: attach TOOL ARGS... -- LOAD...
attach() {
  local tool=() load=()
  while [[ "$1" != "--" ]]; do tool+=("$1"); shift; done
  shift
  load=("$@")
  "${tool[@]}" &
  local tp=$!
  pids+=("$tp")
  sleep 0.5
  bounded "${load[@]}"
  kill -INT "$tp" 2>/dev/null || true
  wait "$tp" 2>/dev/null || true
}

# strace -c output -> calls per operation
per_op() {
  # columns: % time, seconds, usecs/call, calls, [errors,] syscall
  awk -v n="$2" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { printf "    %-18s %7.2f per op\n", $NF, $4 / n }' "$1"
}

# Everything below goes to the terminal and to $out.tmp. Not a "{ ...; } | tee" group: that
# would run in a subshell, whose background processes the EXIT trap here could not see.
exec 3>&1
exec > >(tee "$out.tmp") 2>&1
teepid=$!

echo "nt35e-sim profile, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "simulator: $sim ${zero[*]}"

# ---------------------------------------------------------------------------------
echo
echo "== 1. AT round trip over TCP (AT+CSQ), zero delays"
start_sim --tcp 0 "${zero[@]}"
port="${ready##*:}"
bounded "$drive" rt --tcp "$port" --count 500 >/dev/null
n=3000
if have strace; then
  echo "-- strace -c -f (syscalls per round trip, $n round trips):"
  attach strace -c -f -p "$simpid" -o "$work/strace-rt.txt" -- "$drive" rt --tcp "$port" --count "$n"
  per_op "$work/strace-rt.txt" "$n"
fi
if have perf; then
  n=5000
  echo "-- perf stat ($n round trips):"
  attach perf stat -e task-clock,context-switches -p "$simpid" -o "$work/perfstat-rt.txt" -- \
    "$drive" rt --tcp "$port" --count "$n"
  awk -v n="$n" '/task-clock/ { gsub(",", "", $1); printf "    simulator CPU per round trip: %.1f us\n", $1 * 1000 / n }
                 /context-switches/ { gsub(",", "", $1); printf "    context switches per round trip: %.2f\n", $1 / n }' "$work/perfstat-rt.txt"
  echo "-- perf record: top symbols (self), all threads:"
  attach perf record -F 10000 -g -p "$simpid" -o "$work/perf-rt.data" -- "$drive" rt --tcp "$port" --count "$n"
  perf report -i "$work/perf-rt.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -25 | cut -c1-120
  echo "-- perf record: inclusive (children) by symbol:"
  perf report -i "$work/perf-rt.data" --children --sort symbol --stdio -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | grep -E 'timerfd_settime|__send|__libc_write|epoll_wait|__libc_recv|logger|tcgetattr|feed' |
    head -20 | cut -c1-120
fi
stop_pid "$simpid"

if [[ "$callgrind" == 1 ]] && have valgrind; then
  echo
  echo "-- callgrind (user-space instructions), 2000 round trips of AT+CSQ over TCP:"
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$sim" --tcp 0 "${zero[@]}" \
    >"$work/sim.out" 2>"$work/valgrind.err" &
  simpid=$!
  pids+=("$simpid")
  for _ in $(seq 300); do grep -q '^ready:' "$work/sim.out" && break; sleep 0.1; done
  ready="$(grep -m1 '^ready:' "$work/sim.out")"
  bounded "$drive" rt --tcp "${ready##*:}" --count 2000
  stop_pid "$simpid"
  callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null |
    grep -E 'session::receive|session::on_timer|interpreter::feed|run_line|logger::log|dte_in|dte_out|snprintf|mask_secrets|escape_bytes|session::write|PROGRAM TOTALS' |
    grep -E '^ *[0-9]' | head -20 | cut -c1-150
fi

# ---------------------------------------------------------------------------------
echo
echo "== 2. AT+ECMTPUB QoS 1 through --live to a local mosquitto, zero delays"
if have mosquitto; then
  mport="$("$drive" free-port)"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mport" >"$work/mosquitto.conf"
  [[ "$(id -u)" == 0 ]] && echo "user root" >>"$work/mosquitto.conf"
  mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
  mpid=$!
  pids+=("$mpid")
  sleep 0.5
  start_sim --live --map-host "test.mosquitto.org=127.0.0.1:$mport" --pty "$work/nt35e0" "${zero[@]}"
  bounded "$drive" pub --pty "$work/nt35e0" --count 300 --qos 1 --connect
  n=3000
  if have strace; then
    echo "-- strace -c -f (syscalls per publish, all threads, $n publishes):"
    attach strace -c -f -p "$simpid" -o "$work/strace-pub.txt" -- "$drive" pub --pty "$work/nt35e0" --count "$n" --qos 1
    per_op "$work/strace-pub.txt" "$n"
  fi
  if have perf; then
    echo "-- perf stat ($n publishes):"
    attach perf stat -e task-clock,context-switches -p "$simpid" -o "$work/perfstat-pub.txt" -- \
      "$drive" pub --pty "$work/nt35e0" --count "$n" --qos 1
    awk -v n="$n" '/task-clock/ { gsub(",", "", $1); printf "    simulator CPU per publish: %.1f us\n", $1 * 1000 / n }
                   /context-switches/ { gsub(",", "", $1); printf "    context switches per publish: %.2f\n", $1 / n }' "$work/perfstat-pub.txt"
    echo "-- perf record: share of the simulator's CPU per thread:"
    attach perf record -F 10000 -g -p "$simpid" -o "$work/perf-pub.data" -- "$drive" pub --pty "$work/nt35e0" --count "$n" --qos 1
    perf report -i "$work/perf-pub.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -6
    echo "-- perf record: inclusive (children) by symbol:"
    perf report -i "$work/perf-pub.data" --children --sort symbol --stdio -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | grep -E '\[\.\]' | head -25 | cut -c1-120
  fi
  stop_pid "$simpid"
  stop_pid "$mpid"
else
  echo "(mosquitto not installed: skipped)"
fi
exec 1>&3 2>&3 3>&-
wait "$teepid" 2>/dev/null || true
mv "$out.tmp" "$out"
echo "written: $out"
