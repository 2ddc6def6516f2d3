#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every public header compiles alone, as C99 and as C++, with warnings as errors.
set -euo pipefail
incdir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
# a compiler the gate names that is missing is a skip: said, logged, and a failure under LIMG_REQUIRE_ALL=1
for c in gcc clang-14 g++ clang++-14; do
  command -v "$c" >/dev/null || sh "$(dirname "$0")/missing.sh" headers_compile_alone "$c" || status=1
done
for h in "$incdir"/libimage/*.h; do
  name=$(basename "$h")
  printf '#include <libimage/%s>\nint limg_header_check_%s;\n' "$name" "${name%.h}" > "$tmp/c.c"
  cp "$tmp/c.c" "$tmp/c.cpp"
  for cc in gcc clang-14; do
    command -v "$cc" >/dev/null || continue
    if ! "$cc" -std=c99 -Wall -Wextra -pedantic -Werror -I"$incdir" -c "$tmp/c.c" -o "$tmp/c.o"; then
      echo "FAIL: $name does not compile alone as C99 with $cc"; status=1
    fi
  done
  for cxx in g++ clang++-14; do
    command -v "$cxx" >/dev/null || continue
    if ! "$cxx" -std=c++11 -Wall -Wextra -pedantic -Werror -I"$incdir" -c "$tmp/c.cpp" -o "$tmp/c.o"; then
      echo "FAIL: $name does not compile alone as C++ with $cxx"; status=1
    fi
  done
done
[ $status -eq 0 ] && echo "all headers compile alone as C99 and C++"
exit $status
