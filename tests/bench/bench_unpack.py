#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Unpacking the realistic image (the speed issue's: 7 layers, ~58 MB of gzip,
~160 MB and ~4,600 files unpacked) side by side in one run: limg-unpack (every
byte verified: layer digests and diff_ids), `umoci unpack` of the same store,
and `tar -xzf` of its layers one after another (GNU tar, gzip, no verification).
Wall and CPU time, peak RSS and the ratios the targets speak of.

Outputs go to a directory on the file system of DIR (default: the system's
temporary directory; pass /dev/shm for tmpfs); each run unpacks into a fresh
one, and all are removed at the end: ext4 makes new inodes slowly for ~30 s
after many deletions (recently_deleted() in the kernel), which would charge
one run for the clean-up of the one before.

    /usr/bin/python3 tests/bench/bench_unpack.py [BUILD_DIR] [RUNS] [--dir DIR]
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import images, registry  # noqa: E402

argv = sys.argv[1:]
out_base = None
if "--dir" in argv:
    i = argv.index("--dir")
    out_base = argv[i + 1]
    del argv[i:i + 2]
BUILD = os.path.abspath(argv[0] if argv else os.path.join(HERE, "..", "..", "build"))
RUNS = int(argv[1]) if len(argv) > 1 else 5
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent")
PEAK = os.path.join(BUILD, "tests", "peak_rss")


def measure(cmd, cwd=None):
    start = time.perf_counter()
    p = subprocess.run([PEAK] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, text=True, cwd=cwd)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd, p.stderr))
    fields = p.stderr.strip().splitlines()[-1].split()
    return elapsed, float(fields[3]), int(fields[1]) * 1024


def series(label, make_cmd, work):
    """RUNS runs into fresh directories (kept until the end); prints best and median."""
    results = []
    for _ in range(RUNS):
        d = tempfile.mkdtemp(dir=work)
        results.append(measure(*make_cmd(os.path.join(d, "out"))))
    walls = sorted(r[0] for r in results)
    cpu = min(r[1] for r in results)
    rss = max(r[2] for r in results)
    print("  %-36s best %6.3f s  median %6.3f s  cpu %6.3f s  peak RSS %5.1f MB" %
          (label, walls[0], walls[len(walls) // 2], cpu, rss / 1e6))
    return walls[len(walls) // 2], rss


def main():
    work = tempfile.mkdtemp(dir=out_base)
    reg = registry.Registry()
    try:
        img = images.realistic_image(os.path.join(BUILD, "bench-cache"))
        reg.push("bench/unpack", "v1", img)
        ref = "%s/bench/unpack:v1" % reg.host
        store = os.path.join(work, "store")
        subprocess.run([os.path.join(BUILD, "examples", "limg-pull"), "-q", "--store", store, ref], check=True,
                       env=ENV, stdout=subprocess.DEVNULL)
        blobs = [os.path.join(store, "blobs", "sha256", l.blob.digest[7:]) for l in img.layers]
        fs = subprocess.run(["stat", "-f", "-c", "%T", out_base or tempfile.gettempdir()], capture_output=True,
                            text=True).stdout.strip()
        print("realistic image: %d layers, %.1f MB compressed, %.1f MB unpacked; outputs on %s; %d runs" %
              (len(img.layers), sum(l.blob.size for l in img.layers) / 1e6, img.uncompressed_size / 1e6, fs, RUNS))
        unpack = os.path.join(BUILD, "examples", "limg-unpack")
        ours, rss = series("limg-unpack (verified)", lambda d: ([unpack, "--store", store, ref, d],), work)
        bundle, _ = series("limg-unpack --bundle", lambda d: ([unpack, "--store", store, "--bundle", ref, d],), work)
        script = "mkdir -p \"$0\" && for b in \"$@\"; do tar -xzf \"$b\" -C \"$0\" || exit 1; done"
        tar, _ = series("tar -xzf of each layer", lambda d: (["sh", "-c", script, d] + blobs,), work)
        umoci = None
        if shutil.which("umoci"):
            umoci, _ = series("umoci unpack", lambda d: (["umoci", "unpack", "--image", "%s:%s" % (store, ref), d],), work)
        print("ratios (medians): limg-unpack / tar -xzf %.2fx (target <= 1.0x)" % (ours / tar))
        if umoci:
            print("                  limg-unpack / umoci unpack %.2fx (target <= 0.3x); --bundle / umoci %.2fx" %
                  (ours / umoci, bundle / umoci))
        print("peak RSS of limg-unpack: %.1f MB (target <= 24 MB)" % (rss / 1e6))
    finally:
        reg.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
