#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""limg-load of archives with many members: 100,000 members beside an image
of 600 layers (Docker's legacy layout: every layer found by its path), and a
crafted 9 MB archive (4,000 members whose names share a 900-byte prefix, one
layer reached through a chain of 16 symlinks, the most a load follows, and
listed 1,000 times). Times next to `tar -x` of the same archive
(and skopeo's docker-archive: reader, when installed), on a tmpfs this script
mounts and unmounts (root) and on the disk; with --before BUILD_DIR, the same
loads by another build (capped at --cap seconds).

    /usr/bin/python3 tests/bench/bench_archive.py [BUILD_DIR] [--before BUILD_DIR] [--cap S] [--peer-cap S]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import archives, images  # noqa: E402

ENV = dict(os.environ, NO_PROXY="*", DOCKER_CONFIG="/nonexistent/libimage-bench")


def many_members(path, members=100000, layers=600):
    ls = [images.Layer({"l/%d" % i: b"layer %d\n" % i}) for i in range(layers)]
    img = images.Image(ls)
    out = [("m/%d" % i, b"x") for i in range(members)]
    paths = []
    for i, l in enumerate(ls):
        out.append(("%064x/layer.tar" % (i + 1), l.blob.data))
        paths.append("%064x/layer.tar" % (i + 1))
    out.append((img.config.digest[7:] + ".json", img.config.data))
    out.append(("manifest.json", json.dumps([{"Config": img.config.digest[7:] + ".json",
                                              "RepoTags": ["bench/many:v1"], "Layers": paths}]).encode()))
    with open(path, "wb") as f:
        f.write(archives.tar_of(out))
    return "bench/many:v1"


def crafted(path, members=4000, repeats=1000, links=16):
    # every name shares a 900-byte prefix (four directories): comparing two names costs a walk through it
    pre = ("p" * 224 + "/") * 4
    layer = images.Layer({"a": b"a"})
    img = images.Image([layer] * repeats)
    # the layer and its links first: a scan from the end (the last entry of a name wins) meets every filler
    out = [(pre + "real/layer.tar", layer.blob.data)]
    chain = [pre + "c/%d" % i for i in range(links)]  # c/0 -> c/1 -> ... -> real/layer.tar: @links links in all
    for i in range(links - 1):
        out.append((chain[i], ("symlink", chain[i + 1].rsplit("/", 1)[1])))
    out.append((chain[-1], ("symlink", "../real/layer.tar")))
    out += [(pre + "f/%d" % i, b"") for i in range(members)]
    out.append((img.config.digest[7:] + ".json", img.config.data))
    out.append(("manifest.json", json.dumps([{"Config": img.config.digest[7:] + ".json",
                                              "RepoTags": ["bench/crafted:v1"], "Layers": [chain[0]] * repeats}]).encode()))
    with open(path, "wb") as f:
        f.write(archives.tar_of(out))
    return "bench/crafted:v1"


def timed(cmd, cap, env=None):
    start = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env or ENV, timeout=cap)
    except subprocess.TimeoutExpired:
        return None, "over %d s" % cap
    took = time.perf_counter() - start
    return took, (p.stdout + p.stderr).strip().splitlines()[-1] if p.returncode else "ok"


def load(build, archive, work, cap):
    store = tempfile.mkdtemp(prefix="store-", dir=work)
    took, what = timed([os.path.join(build, "examples", "limg-load"), "-i", archive],
                       cap, dict(ENV, LIBIMAGE_STORE=store))
    shutil.rmtree(store, ignore_errors=True)
    return took, what


def tar_x(archive, work, cap):
    out = tempfile.mkdtemp(prefix="tar-", dir=work)
    took, what = timed(["tar", "-xf", archive, "-C", out], cap)
    shutil.rmtree(out, ignore_errors=True)
    return took, what


def skopeo(archive, ref, work, cap):
    if not shutil.which("skopeo"):
        return None, "not installed"
    out = tempfile.mkdtemp(prefix="skopeo-", dir=work)
    took, what = timed(["skopeo", "--insecure-policy", "copy", "-q", "docker-archive:%s:%s" % (archive, ref),
                        "oci:%s:x" % os.path.join(out, "layout")], cap)
    shutil.rmtree(out, ignore_errors=True)
    return took, what


def show(label, result, base=None):
    took, what = result
    if took is None:
        print("  %-34s %s" % (label, what))
        return
    ratio = " (%.2fx tar -x)" % (took / base) if base else ""
    print("  %-34s %8.3f s%s%s" % (label, took, ratio, "" if what == "ok" else "  [%s]" % what))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--before", help="another build to compare with")
    ap.add_argument("--cap", type=int, default=120, help="longest a run may take")
    ap.add_argument("--peer-cap", type=int, default=60, help="longest skopeo may take")
    ap.add_argument("--case", help="only the case whose title starts so (\"100,000\", \"crafted\")")
    a = ap.parse_args()
    src = tempfile.mkdtemp(prefix="limg-bench-archive-")
    tmpfs = tempfile.mkdtemp(prefix="limg-bench-archive-tmpfs-")
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4g", "tmpfs", tmpfs]).returncode == 0
    try:
        cases = [("100,000 members + 600 layers", os.path.join(src, "many.tar"), many_members),
                 ("crafted: 16 links x 1,000 layers, 900-byte prefixes", os.path.join(src, "crafted.tar"), crafted)]
        if a.case:
            cases = [c for c in cases if c[0].startswith(a.case)]
        for title, path, build_it in cases:
            ref = build_it(path)
            print("%s (%.1f MB)" % (title, os.path.getsize(path) / 1e6))
            for where, work in (("tmpfs", tmpfs if mounted else None), ("disk", src)):
                if not work:
                    print("  (no tmpfs: not root)")
                    continue
                base = tar_x(path, work, a.cap)
                show("tar -x (%s)" % where, base)
                show("limg-load (%s)" % where, load(a.build, path, work, a.cap), base[0])
                if a.before:
                    show("limg-load before (%s)" % where, load(a.before, path, work, a.cap), base[0])
                show("skopeo docker-archive: (%s)" % where, skopeo(path, ref, work, a.peer_cap), base[0])
    finally:
        if mounted:
            subprocess.run(["umount", tmpfs])
        os.rmdir(tmpfs)
        shutil.rmtree(src, ignore_errors=True)


if __name__ == "__main__":
    main()
