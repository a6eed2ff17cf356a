#!/usr/bin/env bash
# The container image of nt35e-sim (deploy/container/Containerfile) and its test:
#
#   bash tools/container.sh [build | test | all]     (default: all)
#
# build: packages the build tree as a .deb (as tools/deb-check.sh does) and builds the
#   Containerfile with podman. The base is debian:bookworm-slim when a registry answers;
#   without one (a build machine behind a firewall) the same Containerfile is built on a
#   Debian 12 root made with mmdebstrap and `podman import`ed (the root tarball is the one
#   tools/deb-check.sh caches). podman runs with `--runtime runc` where crun cannot start a
#   container (cgroups v1 or hybrid) and with an explicit `--ulimit nofile` where the
#   open-file ceiling is lower than podman's default; both are detected, not configured.
# test: tests/deploy/container_test.py: the image runs with podman, one modem over TCP
#   drives the seed guide's flow against a mosquitto on the host's loopback, the health
#   check passes, the process is not root.
#
# Environment: NT35E_DEB (a .deb to install instead of packaging), NT35E_DEB_BUILD_DIR (a
# configured tree to package; default build-deb/, configured here as Release),
# NT35E_IMAGE (default localhost/nt35e-sim:latest; the image is also tagged with the
# package's version, e.g. localhost/nt35e-sim:0.1.0), NT35E_CONTAINER_BASE (a base image to
# use as it is), NT35E_DEB_CACHE, NT35E_DEB_MIRROR (as for deb-check).
# Must run as root (mmdebstrap, podman's storage). Exit status 0 when every step passed, 1
# when one failed (named on stderr), 2 for usage, 3 when podman cannot run a container on
# this machine at all (the test is skipped, with the reason).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
# shellcheck source=tools/deb/common.sh
source tools/deb/common.sh

what=${1:-all}
if [[ $# -gt 1 || ! $what =~ ^(build|test|all)$ ]]; then
  echo "usage: bash tools/container.sh [build | test | all]" >&2
  exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "container.sh: must run as root (podman's storage and mmdebstrap)" >&2
  exit 2
fi
command -v podman >/dev/null || {
  echo "container.sh: podman is not installed (bash tools/install-deps.sh installs it)" >&2
  exit 2
}

image=${NT35E_IMAGE:-localhost/nt35e-sim:latest}
cache=${NT35E_DEB_CACHE:-/var/cache/nt35e-deb-check}
mirror=${NT35E_DEB_MIRROR:-http://deb.debian.org}
slim=docker.io/library/debian:bookworm-slim
local_base=localhost/nt35e-bookworm-base:latest

fail() {
  echo "container.sh: FAILED: $*" >&2
  exit 1
}

# --- the flags this machine's podman needs ------------------------------------------------
# podman asks for open-file and process limits above what some machines allow (inside
# another container, without CAP_SYS_RESOURCE); crun refuses cgroups v1/hybrid where runc
# copes. Rather than guess, try the runtimes and limits in order and keep the first that
# starts a container: the defaults, then limits this machine grants (podman itself holds
# nproc at 32768), then small ones.
run_flags=()
probe_runtime() { # probe_runtime IMAGE: sets run_flags, or returns 3 when nothing starts
  local probe_image=$1 out="" nofile nproc runtime limits
  nofile=$(ulimit -Hn)
  [[ $nofile == unlimited || $nofile -gt 1048576 ]] && nofile=1048576
  nproc=$(ulimit -Hu)
  [[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768
  for runtime in "" runc; do
    [[ -z $runtime ]] || command -v "$runtime" >/dev/null || continue
    for limits in "" "nofile=$nofile:$nofile nproc=$nproc:$nproc" "nofile=4096:4096 nproc=4096:4096"; do
      local flags=()
      [[ -z $runtime ]] || flags+=(--runtime "$runtime")
      for l in $limits; do flags+=(--ulimit "$l"); done
      if out=$(podman run --rm --network none --entrypoint true "${flags[@]}" "$probe_image" 2>&1); then
        run_flags=("${flags[@]}")
        echo "== container: podman runs containers here with: ${run_flags[*]:-its defaults}"
        return 0
      fi
      echo "   podman ${flags[*]:-(defaults)}: $(tail -n 1 <<<"$out")"
    done
  done
  echo "container.sh: podman cannot run a container on this machine: $(tail -n 1 <<<"$out")" >&2
  return 3
}

# --- build ---------------------------------------------------------------------------------
build_image() {
  local deb base context started
  started=$(date +%s)
  if [[ -n ${NT35E_DEB:-} ]]; then
    deb=$NT35E_DEB
    [[ -f $deb ]] || fail "NT35E_DEB=$deb is not a file"
  else
    local tree=${NT35E_DEB_BUILD_DIR:-$src/build-deb}
    if [[ ! -f $tree/CMakeCache.txt ]]; then
      cmake -S "$src" -B "$tree" -DCMAKE_BUILD_TYPE=Release -DNT35E_BUILD_TESTS=OFF -DNT35E_BUILD_BENCH=OFF \
        >/dev/null || fail "cmake could not configure $tree"
    fi
    deb=$(deb_of_tree "$tree") || fail "no .deb"
  fi
  echo "== container: package $deb"

  if [[ -n ${NT35E_CONTAINER_BASE:-} ]]; then
    base=$NT35E_CONTAINER_BASE
  elif podman image exists "$slim" || timeout 60 podman pull -q "$slim" >/dev/null 2>&1; then
    base=$slim
  else
    # No registry: the same Debian 12, made here. Imported again only when the tarball changed.
    echo "== container: no registry answers for $slim; the base is a Debian 12 root made with mmdebstrap"
    bookworm_root_tarball "$cache/bookworm-minbase.tar" "$mirror" || fail "no Debian 12 root"
    local digest
    digest=$(stat -c '%s-%Y' "$cache/bookworm-minbase.tar")
    if [[ $(podman image inspect --format '{{index .Labels "nt35e.root"}}' "$local_base" 2>/dev/null) != "$digest" ]]; then
      podman import --change "LABEL nt35e.root=$digest" --change 'CMD ["/bin/bash"]' \
        "$cache/bookworm-minbase.tar" "$local_base" >/dev/null || fail "podman import of the root failed"
    fi
    base=$local_base
  fi
  echo "== container: base $base"
  probe_runtime "$base" || exit 3

  context=$(mktemp -d /var/tmp/nt35e-container.XXXXXX)
  trap 'rm -rf "$context"' EXIT
  cp "$deb" "$context/nt35e-sim.deb"
  cp deploy/container/Containerfile "$context/Containerfile"
  # --format docker: OCI images have no HEALTHCHECK. --network host: apt-get reaches the
  # mirror the way this machine does (no bridge to set up).
  podman build --format docker --network host "${run_flags[@]}" --build-arg "BASE=$base" \
    --build-arg DEB=nt35e-sim.deb -t "$image" -f "$context/Containerfile" "$context" ||
    fail "podman build failed"
  rm -rf "$context"
  trap - EXIT
  # Also tagged with the package's version: the Kubernetes kustomization names that tag.
  local version
  version=$(dpkg-deb --field "$deb" Version)
  podman tag "$image" "localhost/nt35e-sim:${version%-*}"
  echo "== container: built $image in $(($(date +%s) - started)) s, $(podman image inspect --format '{{.Size}}' "$image" |
    awk '{printf "%.0f MiB", $1 / 1048576}')"
}

# --- test ----------------------------------------------------------------------------------
test_image() {
  podman image exists "$image" || fail "no image $image (run: bash tools/container.sh build)"
  ((${#run_flags[@]})) || probe_runtime "$image" || exit 3
  echo "== container: test $image (tests/deploy/container_test.py)"
  /usr/bin/python3 tests/deploy/container_test.py --image "$image" -- "${run_flags[@]}" ||
    fail "the container test"
}

case $what in
  build) build_image ;;
  test) test_image ;;
  all)
    build_image
    test_image
    ;;
esac
echo "== container: passed"
