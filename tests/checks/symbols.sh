#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The names declared in include/, the names in the version script and the
# symbols the shared library exports must be one set, all prefixed limg_.
set -euo pipefail
src=$1 lib=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -ho 'LIMG_EXTERN([^)]*)[[:space:]]*limg_[a-z0-9_]*' "$src"/include/libimage/*.h \
  | sed 's/.*)[[:space:]]*//' | sort -u > "$tmp/declared"
sed -n '/global:/,/local:/p' "$src/lib/libimage.map" | grep -o 'limg_[a-z0-9_]*' | sort -u > "$tmp/script"
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort -u > "$tmp/exported"

status=0
for pair in "declared script" "declared exported"; do
  set -- $pair
  if ! diff -u "$tmp/$1" "$tmp/$2" > "$tmp/diff"; then
    echo "FAIL: the $1 and $2 symbol sets differ:"; cat "$tmp/diff"; status=1
  fi
done
if grep -v '^limg_' "$tmp/exported"; then
  echo "FAIL: exported names above lack the limg_ prefix"; status=1
fi
if ! readelf -d "$lib" | grep -q 'SONAME.*libimage\.so\.1'; then
  echo "FAIL: SONAME is not libimage.so.1"; status=1
fi
[ $status -eq 0 ] && echo "$(wc -l < "$tmp/declared") symbols: headers, version script and nm -D agree"
exit $status
