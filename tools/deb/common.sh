# Shared by tools/deb-check.sh and tools/container.sh (sourced, not run): the .deb of a
# build tree, and the cached Debian 12 minbase root both start from.

# deb_of_tree TREE: builds TREE (configured already), packages it with CPack and prints the
# .deb's path. Returns non-zero, with the reason on stderr, when a step fails.
deb_of_tree() {
  local tree=$1
  cmake --build "$tree" -j"$(nproc)" >/dev/null || {
    echo "the build failed (run cmake --build $tree to see why)" >&2
    return 1
  }
  rm -f "$tree"/nt35e-sim_*.deb
  (cd "$tree" && cpack -G DEB >/dev/null) || {
    echo "cpack failed in $tree" >&2
    return 1
  }
  ls "$tree"/nt35e-sim_*.deb
}

# bookworm_root_tarball TARBALL MIRROR: makes TARBALL with mmdebstrap (bookworm, minbase,
# apt lists kept so apt-get install works at once) unless it exists. Made once, reused.
bookworm_root_tarball() {
  local tarball=$1 mirror=$2
  [[ -s $tarball ]] && return 0
  mkdir -p "$(dirname "$tarball")"
  echo "making $tarball with mmdebstrap (once; later runs reuse it)"
  mmdebstrap --quiet --variant=minbase --skip=cleanup/apt/lists bookworm "$tarball.tmp.tar" \
    "deb $mirror/debian bookworm main" "deb $mirror/debian bookworm-updates main" \
    "deb $mirror/debian-security bookworm-security main" || {
    rm -f "$tarball.tmp.tar"
    echo "mmdebstrap failed" >&2
    return 1
  }
  mv "$tarball.tmp.tar" "$tarball"
}
