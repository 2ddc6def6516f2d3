#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each one
# briefly from its seed corpus. Any crash or assertion fails the run.
#   tests/fuzz/run.sh [seconds-per-target]   (default 10)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-10}
cc=$(command -v clang-14 || command -v clang)
out=${LIMG_FUZZ_BUILD:-$src/build-fuzz}
mkdir -p "$out"
libsrc=$(find "$src/lib" -name '*.c' | sort)
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -DLIMG_HAVE_ISAL -std=c11"
for target in reference digest challenge manifest json tar hosts; do
  "$cc" $flags -I"$src/include" -I"$src/lib" $libsrc "$src/tests/fuzz/fuzz_$target.c" \
    -lmbedcrypto -lcjson -lzstd -lisal -larchive -lz -lcurl -lpthread -o "$out/fuzz_$target"
  work=$(mktemp -d)
  cp "$src/tests/fuzz/corpus/$target/"* "$work/" 2>/dev/null || true
  echo "fuzz_$target: ${seconds}s"
  "$out/fuzz_$target" -max_total_time="$seconds" -max_len=4096 -print_final_stats=0 "$work" \
    > "$out/fuzz_$target.log" 2>&1 || { tail -n 40 "$out/fuzz_$target.log"; rm -rf "$work"; exit 1; }
  grep -E '^Done [0-9]+ runs' "$out/fuzz_$target.log" || true
  rm -rf "$work"
done
echo "fuzz: no crashes"
