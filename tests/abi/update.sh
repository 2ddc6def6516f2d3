#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates tests/abi/libimage.abi from a fresh build. Run it only when the
# ABI is meant to change (new functions in a new version-script node), and
# commit the result with that change.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIMG_BUILD_TESTS=OFF -DLIMG_BUILD_EXAMPLES=OFF > /dev/null
cmake --build "$build" --target libimage -j"$(nproc)" > /dev/null
abidw --exported-interfaces-only --drop-private-types --no-corpus-path --no-comp-dir-path --short-locs --headers-dir "$src/include/libimage" --out-file "$src/tests/abi/libimage.abi" "$build/libimage.so"
echo "wrote tests/abi/libimage.abi"
