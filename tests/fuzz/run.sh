#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each one
# from its corpus. Any crash or assertion fails the run.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]   SECONDS per target (default 10); all targets by default
#   LIMG_FUZZ_JOBS=N  targets (and compiles) at a time (default: the number of cores)
#
# The corpus is kept: each target runs on $LIMG_FUZZ_BUILD/corpus/<target>
# (default build-fuzz/), seeded from tests/fuzz/corpus/<target>/ (every
# hostile case the tests know) and grown by every run; a longer run goes on
# from what the last one found. LIMG_FUZZ_MERGE=1 merges what the runs found
# back into tests/fuzz/corpus/<target>/ (minimized), to be committed.
# Crashes are kept in $LIMG_FUZZ_BUILD/artifacts/.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-10}
shift || true
cc=$(command -v clang-14 || command -v clang)
out=${LIMG_FUZZ_BUILD:-$src/build-fuzz}
all="reference digest challenge manifest json tar layer hosts archive_listing archive_load credentials headers decompress policy signature sync_yaml"
targets=${*:-$all}
mkdir -p "$out/obj" "$out/corpus" "$out/artifacts"

# longest input per target: archives and compressed streams need room
max_len() {
  case "$1" in
    archive_load | decompress) echo 65536 ;;
    archive_listing | credentials) echo 16384 ;;
    policy) echo 8192 ;; # containers/image's own policy.json is 5.4 kB
    *) echo 4096 ;;
  esac
}

jobs=${LIMG_FUZZ_JOBS:-$(nproc)}
export cc src out
export flags="-g -O1 -fno-sanitize-recover=all -D_GNU_SOURCE -DLIMG_HAVE_ISAL -std=c11 -I$src/include -I$src/lib"
libs="-lmbedcrypto -lcjson -lzstd -ldeflate -lisal -larchive -lsqlite3 -lz -lcurl -lsodium -lyaml -lcrypto -lm -lpthread"

# the library once, instrumented for coverage (not linked with the fuzzer's main),
# only what changed, $jobs at a time
stale=()
objs=()
for c in $(cd "$src/lib" && find . -name '*.c' | sort); do
  o="$out/obj/$(echo "${c#./}" | tr / _).o"
  if [ ! -e "$o" ] || [ "$src/lib/$c" -nt "$o" ] || [ -n "$(find "$src/lib" -name '*.h' -newer "$o" -print -quit)" ]; then
    stale+=("${c#./}")
  fi
  objs+=("$o")
done
if [ ${#stale[@]} -gt 0 ]; then
  printf '%s\n' "${stale[@]}" | xargs -P "$jobs" -I{} sh -c \
    '"$cc" $flags -fsanitize=fuzzer-no-link,address,undefined -c "$src/lib/$1" -o "$out/obj/$(echo "$1" | tr / _).o"' \
    sh {}
fi

# one target: linked, seeded, run for $seconds; its report (and a crash's tail) in $out/fuzz_<target>.report
fuzz_one() {
  target=$1
  report="$out/fuzz_$target.report"
  "$cc" $flags -fsanitize=fuzzer,address,undefined "$src/tests/fuzz/fuzz_$target.c" "${objs[@]}" $libs \
    -o "$out/fuzz_$target" > "$report" 2>&1 || return 1
  corpus="$out/corpus/$target"
  mkdir -p "$corpus"
  cp -n "$src/tests/fuzz/corpus/$target/"* "$corpus/" 2>/dev/null || true
  echo "fuzz_$target: ${seconds}s ($(ls "$corpus" | wc -l) inputs kept)" >> "$report"
  "$out/fuzz_$target" -max_total_time="$seconds" -max_len="$(max_len "$target")" -print_final_stats=0 \
    -artifact_prefix="$out/artifacts/$target-" "$corpus" > "$out/fuzz_$target.log" 2>&1 ||
    { tail -n 40 "$out/fuzz_$target.log" >> "$report"; return 1; }
  grep -E '^Done [0-9]+ runs' "$out/fuzz_$target.log" >> "$report" || true
  if [ "${LIMG_FUZZ_MERGE:-0}" = 1 ]; then
    mkdir -p "$src/tests/fuzz/corpus/$target"
    "$out/fuzz_$target" -merge=1 -max_len="$(max_len "$target")" "$src/tests/fuzz/corpus/$target" "$corpus" \
      > "$out/fuzz_$target.merge.log" 2>&1 || { tail -n 20 "$out/fuzz_$target.merge.log" >> "$report"; return 1; }
  fi
}

# the targets $jobs at a time (each has its seconds of one core); every report printed in order
pids=()
failed=0
set -- $targets
while [ $# -gt 0 ] || [ ${#pids[@]} -gt 0 ]; do
  while [ $# -gt 0 ] && [ ${#pids[@]} -lt "$jobs" ]; do
    fuzz_one "$1" &
    pids+=("$!:$1")
    shift
  done
  first=${pids[0]}
  pids=("${pids[@]:1}")
  wait "${first%%:*}" || failed=1
  cat "$out/fuzz_${first#*:}.report"
done
[ "$failed" = 0 ] || { echo "fuzz: a target failed (above)"; exit 1; }
echo "fuzz: no crashes"
