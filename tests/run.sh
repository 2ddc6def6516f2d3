#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets everything up on a fresh Debian machine and runs every test:
# build, unit and conformance tests, valgrind, header/symbol/ABI/install
# gates, the whole suite again under ASan+UBSan and under TSan, and a short
# fuzz run.
#   LIMG_FUZZ_SECONDS=N  seconds per fuzz target (default 10)
# As root (CI) every peer and privilege the tests need is here, so a skipped
# test is a failure (LIMG_REQUIRE_ALL=1); otherwise every skip is printed and
# counted in the summary.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
jobs=$(nproc)
summary=()

.ci/install-deps

if [ "$(id -u)" = 0 ]; then
  export LIMG_REQUIRE_ALL=1
fi
mkdir -p build
export LIMG_SKIP_LOG=$src/build/skipped.log
: > "$LIMG_SKIP_LOG"

started=$SECONDS
step() { echo; echo "=== $* (at $((SECONDS - started)) s)"; }

step "build (RelWithDebInfo) and ctest"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIMG_WERROR=ON > /dev/null
cmake --build build -j"$jobs" > build/build.log 2>&1 || { cat build/build.log; exit 1; }
(cd build && ctest -j"$jobs" --output-on-failure)
summary+=("ctest (unit, conformance, valgrind, gates): passed")

step "AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLIMG_SANITIZE=address,undefined -DLIMG_WERROR=ON > /dev/null
cmake --build build-asan -j"$jobs" > build-asan/build.log 2>&1 || { cat build-asan/build.log; exit 1; }
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j"$jobs" --output-on-failure)
summary+=("ctest under ASan+UBSan: passed")

step "ThreadSanitizer (parallel layers, byte ranges, digesters, leases)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DLIMG_SANITIZE=thread -DLIMG_WERROR=ON > /dev/null
cmake --build build-tsan -j"$jobs" > build-tsan/build.log 2>&1 || { cat build-tsan/build.log; exit 1; }
# The unit tests and the integration tests labelled "threads" (tests/CMakeLists.txt:
# those driving the library's own threads); the rest, single-threaded paths or
# many processes on one store (test_store_processes: minutes under TSan), and
# allocation failure site by site (test_alloc_failure), ran in the two stages above.
(cd build-tsan && TSAN_OPTIONS="halt_on_error=1 exitcode=66" ctest -j"$jobs" --output-on-failure \
  -L '^(unit|threads)$' -E '^(test_store_processes|test_alloc_failure)$')
summary+=("ctest under ThreadSanitizer: passed")

step "libFuzzer"
LIMG_FUZZ_BUILD=$src/build-fuzz tests/fuzz/run.sh "${LIMG_FUZZ_SECONDS:-10}"
summary+=("fuzz targets: no crashes")

step "summary"
echo "took $((SECONDS - started)) s"
printf '%s\n' "${summary[@]}"
skips=$(wc -l < "$LIMG_SKIP_LOG")
echo "skipped tests: $skips${LIMG_REQUIRE_ALL:+ (none allowed as root)}"
[ "$skips" = 0 ] || sed 's/^/  /' "$LIMG_SKIP_LOG"
