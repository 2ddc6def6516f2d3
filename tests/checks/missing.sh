#!/bin/sh
# SPDX-License-Identifier: MIT
# Stands in for a test whose tool is missing: says so, logs it as a skip to
# $LIMG_SKIP_LOG, and fails under LIMG_REQUIRE_ALL=1 (tests/run.sh as root).
#     sh missing.sh TEST "WHAT IS MISSING"
echo "SKIPPED $1: $2 is missing"
[ -n "${LIMG_SKIP_LOG:-}" ] && echo "$1: $1: $2 is missing" >> "$LIMG_SKIP_LOG"
if [ "${LIMG_REQUIRE_ALL:-}" = 1 ]; then
  echo "FAIL: every test must run here (LIMG_REQUIRE_ALL=1)"
  exit 1
fi
exit 0
