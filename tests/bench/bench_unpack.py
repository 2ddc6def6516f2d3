#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Unpacking the realistic image (7 layers, ~58 MB of gzip, ~160 MB and
~4,600 files unpacked), every contender once per round, rounds interleaved,
medians compared with medians:

  limg-unpack --bundle   a runtime bundle: rootfs and config.json, every byte
                         verified (layer digests and diff_ids)
  umoci unpack           the same bundle from the same store, plus its mtree
                         manifest (umoci's own record of the rootfs)
  limg-unpack            the root filesystem alone
  tar -xzf               of the layers one after another (GNU tar, gzip, nothing verified)

Like for like: --bundle against umoci (both write a bundle), the rootfs alone
against tar. Outputs go to a directory on DIR's file system (default the
system's temporary directory), or with --tmpfs to a tmpfs this benchmark
mounts and unmounts itself (root only); run it both ways and quote both.
Every run writes into a fresh directory, all removed at the end: ext4 makes
new inodes slowly for ~30 s after many deletions (recently_deleted() in the
kernel), which would charge one run for the clean-up of the one before.

    /usr/bin/python3 tests/bench/bench_unpack.py [BUILD_DIR] [RUNS] [--dir DIR | --tmpfs]
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import images, registry  # noqa: E402
import benchutil  # noqa: E402
from benchutil import best, median  # noqa: E402

argv = sys.argv[1:]
out_base = None
use_tmpfs = "--tmpfs" in argv
if use_tmpfs:
    argv.remove("--tmpfs")
if "--dir" in argv:
    i = argv.index("--dir")
    out_base = argv[i + 1]
    del argv[i:i + 2]
BUILD = os.path.abspath(argv[0] if argv else os.path.join(HERE, "..", "..", "build"))
RUNS = int(argv[1]) if len(argv) > 1 else 5


def main():
    benchutil.header("bench_unpack.py")
    mounted = None
    if use_tmpfs:
        mounted = tempfile.mkdtemp(prefix="limg-bench-tmpfs-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4g", "limg-bench", mounted], check=True)
    work = tempfile.mkdtemp(dir=mounted or out_base)
    reg = registry.Registry()
    try:
        img = images.realistic_image(os.path.join(BUILD, "bench-cache"))
        reg.push("bench/unpack", "v1", img)
        ref = "%s/bench/unpack:v1" % reg.host
        store = os.path.join(work, "store")
        subprocess.run([os.path.join(BUILD, "examples", "limg-pull"), "-q", "--store", store, ref], check=True,
                       env=benchutil.ENV, stdout=subprocess.DEVNULL)
        blobs = [os.path.join(store, "blobs", "sha256", l.blob.digest[7:]) for l in img.layers]
        fs = subprocess.run(["stat", "-f", "-c", "%T", work], capture_output=True, text=True).stdout.strip()
        print("realistic image: %d layers, %.1f MB compressed, %.1f MB unpacked; outputs on %s%s; %d interleaved rounds"
              % (len(img.layers), sum(l.blob.size for l in img.layers) / 1e6, img.uncompressed_size / 1e6, fs,
                 " (mounted for this run)" if mounted else "", RUNS))
        unpack = os.path.join(BUILD, "examples", "limg-unpack")
        script = "mkdir -p \"$0\" && for b in \"$@\"; do tar -xzf \"$b\" -C \"$0\" || exit 1; done"

        def run(make):
            return lambda d: benchutil.measure(BUILD, make(os.path.join(d, "out")))
        contenders = [("limg-unpack --bundle", run(lambda o: [unpack, "--store", store, "--bundle", ref, o]))]
        if shutil.which("umoci"):
            contenders.append(("umoci unpack (bundle + mtree)",
                               run(lambda o: ["umoci", "unpack", "--image", "%s:%s" % (store, ref), o])))
        contenders += [("limg-unpack (rootfs)", run(lambda o: [unpack, "--store", store, ref, o])),
                       ("tar -xzf of each layer", run(lambda o: ["sh", "-c", script, o] + blobs))]
        res = benchutil.interleaved(RUNS, contenders, work=work, keep=True)
        for label, _ in contenders:
            r = res[label]
            print("  %-32s median %6.3f s (best %6.3f)  cpu %6.3f s  peak RSS %5.1f MB" %
                  (label, median(r), best(r), median(r, "cpu"), max(x.rss for x in r) / 1e6))
        bundle, rootfs, tar = (median(res[k]) for k in ("limg-unpack --bundle", "limg-unpack (rootfs)",
                                                          "tar -xzf of each layer"))
        print("ratios (medians):")
        if shutil.which("umoci"):
            print("  limg-unpack --bundle / umoci unpack  %.2fx (like for like: both a bundle; target <= 0.3x)"
                  % (bundle / median(res["umoci unpack (bundle + mtree)"])))
        print("  limg-unpack / tar -xzf               %.2fx (target <= 1.0x)" % (rootfs / tar))
        print("peak RSS of limg-unpack: %.1f MB (target <= 24 MB)" %
              (max(x.rss for k in ("limg-unpack --bundle", "limg-unpack (rootfs)") for x in res[k]) / 1e6))
    finally:
        reg.stop()
        subprocess.run(["rm", "-rf", work])
        if mounted:
            subprocess.run(["umount", mounted], check=True)
            os.rmdir(mounted)


if __name__ == "__main__":
    main()
