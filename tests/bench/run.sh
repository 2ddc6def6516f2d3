#!/bin/bash
# SPDX-License-Identifier: MIT
# Every benchmark behind the figures of README.md and tests/bench/README.md,
# in the order those tables give them, each printing the commit, date and
# load its figures belong to. Run as root for the tmpfs runs (a tmpfs of its
# own, mounted and unmounted here); the disk figure is printed beside it.
#   bash tests/bench/run.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
RUNS=${2:-5}
echo "tests/bench/run.sh: commit $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
"$B/tests/bench_reference"
"$B/tests/bench_store" tags
"$B/tests/bench_store" ingest 1024 "${TMPDIR:-/tmp}" "$RUNS"
if [ "$(id -u)" = 0 ]; then
	mnt=$(mktemp -d "${TMPDIR:-/tmp}/limg-bench-tmpfs-XXXXXX")
	mount -t tmpfs -o size=3g limg-bench "$mnt"
	trap 'umount "$mnt"; rmdir "$mnt"' EXIT
	"$B/tests/bench_store" ingest 1024 "$mnt" "$RUNS"
	umount "$mnt"
	rmdir "$mnt"
	trap - EXIT
else
	echo "bench_store ingest on tmpfs: not run (needs root to mount one)"
fi
/usr/bin/python3 tests/bench/bench_pull.py "$B" "$RUNS"
/usr/bin/python3 tests/bench/bench_unpack.py "$B" "$RUNS"
if [ "$(id -u)" = 0 ]; then
	/usr/bin/python3 tests/bench/bench_unpack.py "$B" "$RUNS" --tmpfs
fi
/usr/bin/python3 tests/bench/bench_push.py "$B" "$RUNS"
/usr/bin/python3 tests/bench/bench_build.py "$B" "$RUNS"
/usr/bin/python3 tests/bench/bench_mirror.py "$B" "$RUNS"
/usr/bin/python3 tests/bench/bench_index.py "$B" --runs "$RUNS" --mb 200
/usr/bin/python3 tests/bench/bench_big.py "$B" --runs "$RUNS"
"$B/tests/bench_signatures" tests/data/sign/ec-private.pem
/usr/bin/python3 tests/bench/bench_verify.py "$B" "$RUNS"
