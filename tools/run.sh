#!/usr/bin/env bash
# Quick start, part 1: install what is missing, build, and start the virtual NT35E.
# Default: a PTY linked at /tmp/nt35e0, the built-in scripted broker (no broker needed).
# Any arguments are passed to nt35e-sim, e.g.  tools/run.sh --tcp 7000
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNT35E_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target nt35e-sim
exec ./build/simulator/nt35e-sim "$@"
