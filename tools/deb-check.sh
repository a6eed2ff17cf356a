#!/usr/bin/env bash
# Builds the nt35e-sim .deb (Release, CPack), checks it with lintian (no errors allowed),
# installs it into a clean Debian 12 root (mmdebstrap, bookworm, minbase) with
# `apt-get install ./nt35e-sim_*.deb`, and there runs the installed programs: --help, every
# installed scenario through --check-scenario, the seed guide's MQTT flow on the built-in
# broker (tools/deb/seed_flow.py), then the examples/ that exist, built and run against the
# installed package only (examples/cpp-driver with cmake, g++ and libgtest-dev;
# examples/pytest-driver with python3-pytest and python3-serial).
#
# Must run as root (chroot, mounts). The root tarball and the downloaded .debs are cached in
# $NT35E_DEB_CACHE (default /var/cache/nt35e-deb-check), so a second run needs no download
# beyond apt's index. Every step prints its time; the last line sums them.
#
# Environment: NT35E_DEB_BUILD_DIR (a configured build tree to package as it is; by default
# build-deb/, configured here as Release without tests), NT35E_DEB_CACHE, NT35E_DEB_MIRROR
# (default http://deb.debian.org), NT35E_DEB_KEEP_ROOT=1 leaves the root for inspection.
# Exit status 0 when every step passed, 1 when one failed (the step is named), 2 for usage.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
# shellcheck source=tools/deb/common.sh
source tools/deb/common.sh

if [[ $# -gt 0 ]]; then
  echo "usage: bash tools/deb-check.sh (no arguments; see the comment at its top for the environment)" >&2
  exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "deb-check: must run as root (it makes a chroot and mounts /proc and /dev in it)" >&2
  exit 2
fi

build=${NT35E_DEB_BUILD_DIR:-$src/build-deb}
cache=${NT35E_DEB_CACHE:-/var/cache/nt35e-deb-check}
mirror=${NT35E_DEB_MIRROR:-http://deb.debian.org}
tarball=$cache/bookworm-minbase.tar
root=""
timings=()
started=$(date +%s)

step_start=0
step() { # step NAME: prints the header and closes the previous step's timing
  step_end
  step_name=$1
  step_start=$(date +%s)
  echo "== deb-check: $step_name"
}
step_end() {
  if [[ $step_start -gt 0 ]]; then
    timings+=("$(printf '%4ds  %s' $(($(date +%s) - step_start)) "$step_name")")
  fi
  step_start=0
}
fail() {
  echo "deb-check: FAILED at \"$step_name\": $*" >&2
  exit 1
}

# --- cleanup: unmount everything under the root, then (only then) remove it -----------
cleanup() {
  local status=$?
  if [[ -n $root && -d $root ]]; then
    # Deepest first; -l so a busy mount (a process still running) cannot keep us here.
    for m in $(awk -v r="$root" 'index($2, r"/") == 1 {print $2}' /proc/mounts | sort -r); do
      umount -l "$m" 2>/dev/null || true
    done
    if awk -v r="$root" 'index($2, r"/") == 1 {found=1} END {exit !found}' /proc/mounts; then
      echo "deb-check: mounts remain under $root; it is left in place (unmount and remove it by hand)" >&2
    elif [[ ${NT35E_DEB_KEEP_ROOT:-0} == 1 ]]; then
      echo "deb-check: the root is kept in $root (NT35E_DEB_KEEP_ROOT=1)"
    else
      rm -rf --one-file-system "$root"
    fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_root() { # in_root CMD...: runs CMD in the root with a clean environment
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
apt_in_root() { in_root apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends "$@"; }

# --- 1. the package ---------------------------------------------------------------------
if [[ -n ${NT35E_DEB_BUILD_DIR:-} ]]; then
  # A build tree made elsewhere (tools/test.sh passes its own): packaged as configured, so
  # CI compiles nothing twice.
  step "build the .deb (the configured tree $build)"
  [[ -f $build/CMakeCache.txt ]] || fail "NT35E_DEB_BUILD_DIR=$build is not a configured build tree"
else
  step "build the .deb (Release, $build)"
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNT35E_BUILD_TESTS=OFF -DNT35E_BUILD_BENCH=OFF >/dev/null
fi
deb=$(deb_of_tree "$build") || fail "no .deb"
echo "package: $deb"
dpkg-deb --field "$deb" Package Version Architecture Depends Recommends Suggests Installed-Size

step "lintian"
lintian_out=$(lintian --fail-on error --display-info "$deb") || {
  echo "$lintian_out"
  fail "lintian reports errors"
}
echo "${lintian_out:-lintian: no tags}"

# --- 2. a clean Debian 12 root ----------------------------------------------------------
step "clean Debian 12 root"
mkdir -p "$cache/archives/partial"
bookworm_root_tarball "$tarball" "$mirror" || fail "no Debian 12 root"
root=$(mktemp -d /var/tmp/nt35e-deb-root.XXXXXX)
tar -C "$root" -xf "$tarball"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
# apt's downloads persist between runs in the cache.
mount --bind "$cache/archives" "$root/var/cache/apt/archives"
apt_in_root update >/dev/null || fail "apt-get update in the root failed"

step "apt-get install ./$(basename "$deb") in the root"
mkdir -p "$root/tmp/nt35e-check/reports"
cp "$deb" "$root/tmp/nt35e-check/"
# --no-install-recommends: the Depends line alone must be enough to run everything below.
in_root sh -c "cd /tmp/nt35e-check && apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends \
  install ./$(basename "$deb")" >"$root/tmp/nt35e-check/apt.log" 2>&1 || {
  cat "$root/tmp/nt35e-check/apt.log"
  fail "the package does not install"
}
grep -E '^Setting up ' "$root/tmp/nt35e-check/apt.log" | sed 's/^/  /' || true

# --- 3. the installed programs ----------------------------------------------------------
step "installed programs"
help=$(in_root nt35e-sim --help) || fail "nt35e-sim --help"
echo "$help" | sed -n '1,4p'
echo "  ... ($(echo "$help" | wc -l) lines)"
in_root nt35e-sim --version || fail "nt35e-sim --version"
in_root nt35e-ctl --version || fail "nt35e-ctl --version"
in_root nt35e-reduce --version || fail "nt35e-reduce --version"
in_root nt35e-import --help >/dev/null || fail "nt35e-import --help (the wrapper finds the installed binary)"
in_root nt35e-report --help >/dev/null || fail "nt35e-report --help (the wrapper finds the installed binary)"
for f in /usr/share/nt35e-sim/scenarios/scenario.schema.json /usr/share/doc/nt35e-sim/copyright \
  /usr/share/doc/nt35e-sim/conformance.md /usr/share/man/man1/nt35e-sim.1.gz \
  /usr/share/man/man1/nt35e-reduce.1.gz \
  /usr/share/nt35e-sim/webview/index.html /usr/share/nt35e-sim/webview/app.js \
  /usr/share/nt35e-sim/lessons/first-contact.json; do
  [[ -s $root$f ]] || fail "$f is not installed"
done
if [[ -d $root/usr/lib/python3/dist-packages/nt35e ]]; then
  in_root python3 -c 'import nt35e.control' || fail "the Python package nt35e does not import"
  [[ -d $root/usr/lib/python3/dist-packages/nt35e/__pycache__ ]] || fail "postinst did not byte-compile nt35e"
fi
n=0
for s in "$root"/usr/share/nt35e-sim/scenarios/*.json; do
  [[ $(basename "$s") == scenario.schema.json ]] && continue
  in_root nt35e-sim --check-scenario "${s#"$root"}" >/dev/null || fail "installed scenario ${s#"$root"} does not load"
  n=$((n + 1))
done
echo "every installed scenario loads ($n)"

step "seed flow on the installed simulator (scripted broker, TCP)"
cp "$src/tools/deb/seed_flow.py" "$src/tests/e2e/simulator.py" "$root/tmp/nt35e-check/"
in_root python3 /tmp/nt35e-check/seed_flow.py --scenario /usr/share/nt35e-sim/scenarios/seed-happy-path.json ||
  fail "the seed flow"

# --- 4. the examples, from the installed package only -----------------------------------
examples=()
tools=()
if [[ -d $src/examples/cpp-driver ]]; then
  examples+=(cpp-driver)
  tools+=(cmake make g++ libgtest-dev)
else
  echo "== deb-check: skip examples/cpp-driver: it does not exist yet"
fi
if [[ -d $src/examples/pytest-driver ]]; then
  examples+=(pytest-driver)
  tools+=(python3-pytest python3-serial mosquitto mosquitto-clients)
else
  echo "== deb-check: skip examples/pytest-driver: it does not exist yet"
fi
if [[ ${#tools[@]} -gt 0 ]]; then
  step "apt-get install ${tools[*]} in the root"
  apt_in_root install "${tools[@]}" >"$root/tmp/nt35e-check/apt-tools.log" 2>&1 || {
    cat "$root/tmp/nt35e-check/apt-tools.log"
    fail "the examples' tools do not install"
  }
fi
for ex in "${examples[@]}"; do
  # Only the example's own folder goes into the root: it cannot reach the build tree.
  cp -a "$src/examples/$ex" "$root/tmp/nt35e-check/$ex"
  case $ex in
    cpp-driver)
      step "examples/cpp-driver: cmake, build, ctest against /usr"
      in_root sh -c 'cd /tmp/nt35e-check && cmake -S cpp-driver -B cpp-build -DCMAKE_BUILD_TYPE=Release >/dev/null &&
        cmake --build cpp-build -j'"$(nproc)"' && ctest --test-dir cpp-build --output-on-failure --timeout 300 \
        --output-junit /tmp/nt35e-check/reports/cpp-driver.xml' ||
        fail "examples/cpp-driver"
      # The test that fails on purpose: it must fail, and its output must carry the transcript.
      step "examples/cpp-driver: a failing test shows its transcript"
      out=$(in_root sh -c 'cd /tmp/nt35e-check && NT35E_EXAMPLE_SHOW_FAILURE=1 \
        NT35E_ARTIFACTS_DIR=/tmp/nt35e-check/reports/cpp-driver cpp-build/driver_tests \
        --gtest_filter="*DeliberateFailure" --gtest_output=xml:/tmp/nt35e-check/reports/cpp-driver-failure.xml 2>&1') &&
        fail "the test that fails on purpose passed"
      echo "$out"
      grep -q "transcript" <<<"$out" || fail "the failed test's output has no transcript"
      ;;
    pytest-driver)
      step "examples/pytest-driver: pytest against the installed package"
      in_root sh -c 'cd /tmp/nt35e-check/pytest-driver && python3 -m pytest -v -p no:cacheprovider \
        --junitxml=/tmp/nt35e-check/reports/pytest-driver.xml --nt35e-artifacts=/tmp/nt35e-check/reports/pytest-driver' ||
        fail "examples/pytest-driver"
      # The test that fails on purpose: it must fail, and its report must carry the transcript.
      step "examples/pytest-driver: a failing test shows its transcript"
      out=$(in_root sh -c 'cd /tmp/nt35e-check/pytest-driver && NT35E_EXAMPLE_SHOW_FAILURE=1 python3 -m pytest -v \
        -p no:cacheprovider -k test_shows_the_transcript_of_a_failure \
        --junitxml=/tmp/nt35e-check/reports/pytest-driver-failure.xml 2>&1') &&
        fail "the test that fails on purpose passed"
      echo "$out"
      grep -q "transcript" <<<"$out" || fail "the failed test's report has no transcript"
      ;;
  esac
done

step "apt-get purge nt35e-sim leaves nothing behind"
apt_in_root purge nt35e-sim >"$root/tmp/nt35e-check/apt-purge.log" 2>&1 || {
  cat "$root/tmp/nt35e-check/apt-purge.log"
  fail "the package does not remove"
}
for d in /usr/share/nt35e-sim /usr/share/doc/nt35e-sim /usr/lib/python3/dist-packages/nt35e /usr/bin/nt35e-sim; do
  [[ ! -e $root$d ]] || fail "$d is still there after apt-get purge: $(find "$root$d" | head -n 5 | tr '\n' ' ')"
done
echo "nothing left"
step_end
if [[ -d $root/tmp/nt35e-check/reports ]]; then
  rm -rf "$build/deb-check-reports"
  cp -a "$root/tmp/nt35e-check/reports" "$build/deb-check-reports"
  echo "== deb-check: the examples' reports are in $build/deb-check-reports"
fi

echo "== deb-check: passed; timings"
printf '%s\n' "${timings[@]}"
printf '%4ds  total\n' $(($(date +%s) - started))
