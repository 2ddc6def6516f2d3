#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compares the ABI of the built library with the committed baseline.
# Any difference fails: an intended change (a new release's additions) is
# recorded by running tests/abi/update.sh and committing the new baseline
# together with the new version-script node.
set -euo pipefail
src=$1 lib=$2
baseline=$src/tests/abi/libimage.abi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v abidw >/dev/null || { echo "FAIL: abidw missing (apt-get install abigail-tools)"; exit 1; }
[ -f "$baseline" ] || { echo "FAIL: no baseline; run tests/abi/update.sh"; exit 1; }
abidw --exported-interfaces-only --drop-private-types --no-corpus-path --no-comp-dir-path --short-locs --headers-dir "$src/include/libimage" --out-file "$tmp/current.abi" "$lib"
set +e
abidiff --no-added-syms "$baseline" "$tmp/current.abi" > "$tmp/report"
rc=$?
abidiff "$baseline" "$tmp/current.abi" > "$tmp/full"
full=$?
set -e
if [ $rc -ne 0 ] || [ $full -ne 0 ]; then
  cat "$tmp/full"
  if [ $((rc & 8)) -ne 0 ]; then
    echo "FAIL: incompatible ABI change against tests/abi/libimage.abi"
  else
    echo "FAIL: the ABI changed compatibly; if intended, run tests/abi/update.sh and commit the baseline"
  fi
  exit 1
fi
echo "ABI matches tests/abi/libimage.abi"
