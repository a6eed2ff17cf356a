#!/usr/bin/env bash
# Formats every C++ file of the tree with the house style (.clang-format).
# --check: change nothing, list the files that differ and exit 1 if any does.
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=$(command -v clang-format-14 || command -v clang-format)
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! diff -q <("$fmt" --style=file "$f") "$f" >/dev/null; then echo "$f"; bad=1; fi
  done
  exit $bad
fi
"$fmt" --style=file -i "${files[@]}"
