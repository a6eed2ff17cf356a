#!/usr/bin/env bash
# Soak: 50 live modems against a real mosquitto that is restarted every 30 s, with link
# drops, refused logins and slow-network windows; checks crash-freedom, flat RSS, no fd
# leak, no lost QoS 1 message and recovery after every +ECMTSTAT (tools/soak.py says how).
#   bash tools/soak.sh --minutes 3            # what CI runs
#   bash tools/soak.sh --minutes 30 --modems 50
# Every option is passed to tools/soak.py (--help lists them). Builds nt35e-sim if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${NT35E_SIM:-build/simulator/nt35e-sim}
if [[ ! -x $binary ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" --target nt35e-sim
fi
exec /usr/bin/python3 tools/soak.py --binary "$binary" "$@"
