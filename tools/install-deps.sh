#!/usr/bin/env bash
# Installs the Debian 12 packages nt35e-sim needs to build, run and test.
# Only what is missing is installed; nothing is downloaded outside apt.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libboost1.81-dev             # Asio 1.26: as_tuple, any_completion_handler
  nlohmann-json3-dev
  libcli11-dev                 # the command line (header-only; find_package(CLI11 CONFIG))
  libgtest-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev
  mosquitto mosquitto-clients  # real broker for the integration tests
  openssl                      # test certificates
  clang-14 libclang-rt-14-dev  # libFuzzer and sanitizers
  python3 python3-jsonschema  # the scenario schema test validates with it
  python3-yaml                 # the Kubernetes manifests' test renders them (tests/deploy)
  python3-pytest python3-serial  # the nt35e pytest plugin, its tests and examples/pytest-driver (pyserial)
  python3-junitparser  # the oracle's e2e test reads its JUnit verdict back as CI reporters do
  help2man                     # man pages from --help (the man target)
  dpkg-dev file                # the .deb: CPack's Depends from dpkg-shlibdeps (it finds ELF files with file)
  lintian mmdebstrap           # tools/deb-check.sh: lint the .deb, install it in a clean Debian 12 root
  gammu ppp socat              # real clients in the e2e tests: gammu, ppp's chat, a socat bridge
  prometheus                   # --metrics: promtool checks the exposition, a real Prometheus scrapes it
  podman crun runc catatonit   # tools/container.sh: the container image, built and run (runc where crun refuses)
  tshark                       # --pcap: the e2e tests decode the capture with Wireshark's dissectors
  chromium chromium-driver python3-selenium  # --web: the browser tests drive a real, headless Chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js and npm for the Kubernetes manifests' schema check (tests/deploy): Debian's,
# unless a Node.js with its own npm is installed already.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
# tshark's package asks whether non-root users may capture: no (the tests read files only).
if printf '%s\n' "${missing[@]}" | grep -qx tshark; then
  echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo_cmd[@]}" debconf-set-selections
fi
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
