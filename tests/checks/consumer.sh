#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the build into a scratch prefix and builds a small program
# against it every way a project would: pkg-config (shared), pkg-config
# --static, and CMake's find_package(libimage) with libimage::libimage and
# libimage::libimage_static. Each program runs; the static ones must not
# load libimage.so.
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
libdir=$(ls -d "$prefix"/lib*/ | head -n1)
export PKG_CONFIG_PATH=$libdir/pkgconfig
expect='^docker.io/library/redis:latest$'

fail() { echo "FAIL: $*"; exit 1; }
# (if/then on captured output: a `!` pipeline would not stop a `set -e`
# script, and grep -q closing a pipe early fails it under pipefail)
loads_libimage() {
  local deps
  deps=$(LD_LIBRARY_PATH=$libdir ldd "$1")
  grep -q 'libimage\.so\.1 => /' <<< "$deps"
}

cc -std=c99 -Wall -Werror "$src/tests/consumer/main.c" -o "$tmp/shared" $(pkg-config --cflags --libs libimage)
LD_LIBRARY_PATH=$libdir "$tmp/shared" | grep -q "$expect" || fail "pkg-config (shared) program"
if ! loads_libimage "$tmp/shared"; then fail "the shared program does not load libimage.so.1"; fi
echo "pkg-config (shared): ok"

cc -std=c99 -Wall -Werror "$src/tests/consumer/main.c" -o "$tmp/static" $(pkg-config --cflags libimage) \
  -Wl,-Bstatic -limage -Wl,-Bdynamic $(pkg-config --static --libs libimage | sed 's/-limage//')
"$tmp/static" | grep -q "$expect" || fail "pkg-config --static program"
if loads_libimage "$tmp/static"; then fail "the static program loads libimage.so"; fi
echo "pkg-config --static: ok"

cmake -S "$src/tests/consumer" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" > "$tmp/cmake.log" ||
  { cat "$tmp/cmake.log"; fail "find_package(libimage)"; }
cmake --build "$tmp/cmake" > "$tmp/build.log" || { cat "$tmp/build.log"; fail "building the CMake consumer"; }
LD_LIBRARY_PATH=$libdir "$tmp/cmake/consumer" | grep -q "$expect" || fail "libimage::libimage program"
echo "find_package: libimage::libimage ok"
"$tmp/cmake/consumer_static" | grep -q "$expect" || fail "libimage::libimage_static program"
if loads_libimage "$tmp/cmake/consumer_static"; then fail "libimage::libimage_static loads libimage.so"; fi
echo "find_package: libimage::libimage_static ok"

# README: "The installed libimage.pc finds its prefix relative to itself, so an
# installed tree can be moved": the same program from the tree moved elsewhere
mv "$prefix" "$tmp/moved"
moved_lib=$tmp/moved/${libdir#"$prefix"/}
export PKG_CONFIG_PATH=$moved_lib/pkgconfig
case "$(pkg-config --cflags --libs libimage)" in
  *"$prefix"*) fail "the moved tree's libimage.pc still names the old prefix" ;;
esac
cc -std=c99 -Wall -Werror "$src/tests/consumer/main.c" -o "$tmp/moved-shared" $(pkg-config --cflags --libs libimage)
LD_LIBRARY_PATH=$moved_lib "$tmp/moved-shared" | grep -q "$expect" || fail "pkg-config program from the moved tree"
echo "pkg-config from a moved tree: ok"
