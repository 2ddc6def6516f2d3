#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A layer from the root filesystem of the realistic image (~160 MB, ~4,600
entries: the speed issue's image unpacked), side by side in one run:

- limg-append --dir ROOTFS (a reproducible tar, gzip by libdeflate level 6,
  diff_id and digest, stored), against `tar --sort=name -cf - | gzip -6`
  (GNU tar, GNU gzip, to /dev/null), with the output sizes of both;
- the same layer made by `umoci repack` (ROOTFS copied into the bundle of an
  empty image), against limg-append;
- a small change (a file edited, one removed, one added) of the unpacked
  image: `umoci repack` against `limg-append --diff`.

Wall and CPU time, peak RSS, and the ratios the targets speak of (at most
0.5x tar|gzip -6 with an output no larger; faster than umoci repack; peak
RSS under 32 MiB). The files live on a tmpfs this program mounts (as root;
else on DIR's file system), and the disk figure is given beside it.

    /usr/bin/python3 tests/bench/bench_build.py [BUILD_DIR] [RUNS] [--no-disk]
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
import benchutil  # noqa: E402

argv = [a for a in sys.argv[1:] if not a.startswith("--")]
BUILD = os.path.abspath(argv[0] if argv else os.path.join(HERE, "..", "..", "build"))
RUNS = int(argv[1]) if len(argv) > 1 else 3
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent")
ENV.pop("SOURCE_DATE_EPOCH", None)
PEAK = os.path.join(BUILD, "tests", "peak_rss")
EX = os.path.join(BUILD, "examples")


def measure(cmd, shell=False):
    """(wall s, cpu s, peak RSS bytes) of one run."""
    start = time.perf_counter()
    full = [PEAK, "sh", "-c", cmd] if shell else [PEAK] + cmd
    p = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, text=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd, p.stderr))
    fields = p.stderr.strip().splitlines()[-1].split()
    return elapsed, float(fields[3]), int(fields[1]) * 1024


def series(label, make, runs=RUNS):
    """@runs runs of make() -> (cmd, shell) after its set-up; best and median wall, best cpu, worst RSS."""
    results = [measure(*make()) for _ in range(runs)]
    walls = sorted(r[0] for r in results)
    cpu = min(r[1] for r in results)
    rss = max(r[2] for r in results)
    print("  %-44s best %6.2f s  median %6.2f s  cpu %6.2f s  peak RSS %5.1f MB" %
          (label, walls[0], walls[len(walls) // 2], cpu, rss / 1e6))
    return walls[0], walls[len(walls) // 2], cpu, rss


def last_layer_size(store, tag):
    import json
    with open(os.path.join(store, "index.json")) as f:
        for m in json.load(f)["manifests"]:
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith(tag):
                with open(os.path.join(store, "blobs", "sha256", m["digest"][7:])) as g:
                    return json.load(g)["layers"][-1]["size"]
    raise RuntimeError("no " + tag)


def run_in(work, label):
    fs = subprocess.run(["stat", "-f", "-c", "%T", work], capture_output=True, text=True).stdout.strip()
    print("\n%s (files on %s)" % (label, fs))
    reg = registry.Registry()
    try:
        img = images.realistic_image(os.path.join(BUILD, "bench-cache"))
        reg.push("bench/build", "v1", img)
        ref = "%s/bench/build:v1" % reg.host
        store = os.path.join(work, "store")
        subprocess.run([os.path.join(EX, "limg-pull"), "-q", "--store", store, ref], check=True, env=ENV,
                       stdout=subprocess.DEVNULL)
        rootfs = os.path.join(work, "rootfs")
        subprocess.run([os.path.join(EX, "limg-unpack"), "--store", store, ref, rootfs], check=True, env=ENV)
        entries = sum(len(d) + len(f) for _, d, f in os.walk(rootfs))
        size = sum(os.lstat(os.path.join(p, n)).st_size for p, _, fs_ in os.walk(rootfs) for n in fs_)
        print("  root filesystem: %d entries, %.1f MB of files; %d runs each" % (entries, size / 1e6, RUNS))

        # 1. a layer of the whole tree, against GNU tar | gzip -6
        tar_out = os.path.join(work, "tar.gz")
        tg = series("tar --sort=name -c | gzip -6",
                    lambda: ("tar --sort=name -C '%s' -cf - . | gzip -6 > '%s'" % (rootfs, tar_out), True))
        tar_size = os.path.getsize(tar_out)
        ours_store = os.path.join(work, "ours")
        counter = [0]

        def ours_cmd():
            counter[0] += 1
            shutil.rmtree(ours_store, ignore_errors=True)
            return ([os.path.join(EX, "limg-append"), "--store", ours_store, "-b", "scratch", "--dir", rootfs, "-t",
                     "layer:%d" % counter[0]], False)
        us = series("limg-append --dir (gzip 6, stored)", ours_cmd)
        our_size = last_layer_size(ours_store, "layer:%d" % counter[0])
        print("  output: ours %.2f MB, tar|gzip -6 %.2f MB (%.3fx)" % (our_size / 1e6, tar_size / 1e6,
                                                                      our_size / tar_size))

        # 2. the same layer by umoci repack: the tree copied into an empty image's bundle
        layout = os.path.join(work, "umoci")
        subprocess.run(["umoci", "init", "--layout", layout], check=True)
        subprocess.run(["umoci", "new", "--image", layout + ":empty"], check=True)

        def umoci_full():
            bundle = os.path.join(work, "bundle-full")
            shutil.rmtree(bundle, ignore_errors=True)
            subprocess.run(["umoci", "unpack", "--image", layout + ":empty", bundle], check=True,
                           stdout=subprocess.DEVNULL)
            os.rmdir(os.path.join(bundle, "rootfs"))
            subprocess.run(["cp", "-a", rootfs, os.path.join(bundle, "rootfs")], check=True)
            return (["umoci", "repack", "--image", layout + ":full", bundle], False)
        um = series("umoci repack (the same tree, new)", umoci_full)

        # 3. a small change of the unpacked image
        def change(root):
            with open(os.path.join(root, "etc", "hostname"), "a") as f:
                f.write("changed\n")
            shutil.rmtree(os.path.join(root, "usr", "share", "doc"), ignore_errors=True)
            with open(os.path.join(root, "added"), "wb") as f:
                f.write(b"new\n" * 1000)
        subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + ref,
                        "oci:%s:real" % layout], check=True, env=ENV)

        def umoci_small():
            bundle = os.path.join(work, "bundle-small")
            shutil.rmtree(bundle, ignore_errors=True)
            subprocess.run(["umoci", "unpack", "--image", layout + ":real", bundle], check=True,
                           stdout=subprocess.DEVNULL)
            change(os.path.join(bundle, "rootfs"))
            return (["umoci", "repack", "--image", layout + ":real-changed", bundle], False)
        ums = series("umoci repack (a small change)", umoci_small)
        changed = os.path.join(work, "changed")

        def ours_small():
            shutil.rmtree(changed, ignore_errors=True)
            subprocess.run(["cp", "-a", rootfs, changed], check=True)
            change(changed)
            return ([os.path.join(EX, "limg-append"), "--store", store, "-b", ref, "--diff", changed], False)
        uss = series("limg-append --diff (a small change)", ours_small)

        print("  ratios (median wall): ours / tar|gzip -6 = %.2f (target <= 0.5; best %.2f); "
              "ours / umoci repack (new tree) = %.2f; ours / umoci repack (small change) = %.2f; "
              "peak RSS %.1f MiB (target < 32)" % (us[1] / tg[1], us[0] / tg[0], us[1] / um[1], uss[1] / ums[1],
                                                   max(us[3], uss[3]) / 1048576))
        print("  ratios (cpu): ours / tar|gzip -6 = %.2f; ours / umoci repack (new tree) = %.2f"
              % (us[2] / tg[2], us[2] / um[2]))
    finally:
        reg.stop()


def main():
    benchutil.header("bench_build.py")
    base = "/tmp"
    if os.geteuid() == 0:
        mnt = tempfile.mkdtemp(prefix="limg-bench-build-tmpfs-", dir=base)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3g", "tmpfs", mnt], check=True)
        try:
            run_in(mnt, "on a tmpfs mounted here")
        finally:
            subprocess.run(["umount", mnt], check=True)
            os.rmdir(mnt)
    if "--no-disk" not in sys.argv:
        work = tempfile.mkdtemp(prefix="limg-bench-build-", dir=base)
        try:
            run_in(work, "on disk")
        finally:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
