#!/bin/bash
# Installs the build's sdk component (libnt35e-sim, headers, CMake package) into a temp
# prefix, then configures, builds and runs examples/cpp-driver against that prefix only.
#   install_example_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
# WORK_DIR/prefix and WORK_DIR/driver stay for the deliberate-failure test (failure_test.sh).
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
start=$(date +%s%N)
step() {
  local ms=$((($(date +%s%N) - start) / 1000000))
  printf '== %s (%d.%01d s)\n' "$1" $((ms / 1000)) $((ms % 1000 / 100))
}

cmake --install "$build" --prefix "$work/prefix" --component sdk
step "installed into $work/prefix"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$source/examples/cpp-driver" -B "$work/driver" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >"$work/configure.log"
step "configured"
# The example must see the installed headers, never the build or source tree's.
flags=$(cat "$work"/driver/CMakeFiles/driver_tests.dir/flags.make)
if grep -q -e "$build/layers" -e "$source/simulator" <<<"$flags"; then
  echo "FAIL: the example compiles with the build tree's headers:"; grep -e "-I" <<<"$flags"; exit 1
fi
grep -q -e "$work/prefix/include/nt35e-sim" <<<"$flags" || { echo "FAIL: no installed include folder in: $flags"; exit 1; }
cmake --build "$work/driver" -j2
step "built"
# ... and load the installed library.
ldd "$work/driver/driver_tests" | grep libnt35e-sim
ldd "$work/driver/driver_tests" | grep "$work/prefix/.*libnt35e-sim.so.0" >/dev/null || { echo "FAIL: not the installed .so"; exit 1; }
ctest --test-dir "$work/driver" --output-on-failure -V 2>&1 | grep -v -e "^UpdateCTestConfiguration" -e "^Parse Config" -e "^Constructing" -e "^Updating test list" -e "^Checking test dependency" -e "^Test project"
step "ran the driver's suite"
