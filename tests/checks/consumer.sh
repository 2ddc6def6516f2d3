#!/usr/bin/env bash
# Installs the build into a scratch prefix and builds a small program
# against it three ways: pkg-config (shared), pkg-config --static, and
# CMake's find_package(libimage).
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
libdir=$(ls -d "$prefix"/lib*/ | head -n1)
export PKG_CONFIG_PATH=$libdir/pkgconfig

cc -std=c99 -Wall -Werror "$src/tests/consumer/main.c" -o "$tmp/shared" $(pkg-config --cflags --libs libimage)
LD_LIBRARY_PATH=$libdir "$tmp/shared" | grep -q '^docker.io/library/redis:latest$'
echo "pkg-config (shared): ok"

cc -std=c99 -Wall -Werror "$src/tests/consumer/main.c" -o "$tmp/static" \
  $(pkg-config --cflags libimage) "$libdir/libimage.a" $(pkg-config --static --libs-only-l libimage | sed 's/-limage//')
"$tmp/static" | grep -q '^docker.io/library/redis:latest$'
! ldd "$tmp/static" | grep -q libimage
echo "pkg-config (static): ok"

cmake -S "$src/tests/consumer" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" > "$tmp/cmake.log"
cmake --build "$tmp/cmake" > "$tmp/build.log"
LD_LIBRARY_PATH=$libdir "$tmp/cmake/consumer" | grep -q '^docker.io/library/redis:latest$'
echo "find_package(libimage): ok"
