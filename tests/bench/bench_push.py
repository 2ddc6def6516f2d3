#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Push, copy and archives of the realistic image, side by side in one run:

  push to an empty repository   limg-push      vs skopeo copy oci:STORE:REF docker://...
  registry to registry          limg-copy      vs skopeo copy docker://... docker://...
                                (and the floor: curl -T of every blob into the destination, 4 at a time)
  re-push, unchanged            limg-push      (HEADs and one manifest check)
  save                          limg-save -o   vs cat of the blobs into a file, + sync of it
  load                          limg-load -i   vs tar -x of the archive
  load, uncompressed layers     limg-load -i   vs tar -x (the layers as Docker 25+ `docker save` writes them)
                                (each load also against tar -x then sync: the store's blobs are durable)

Both registries are Debian's docker-registry on loopback. Each push or copy
goes to a fresh destination registry (started untimed): skopeo remembers
where blobs went (its blob-info cache) and would mount them from earlier
runs, and libimage's store would too (its sources are forgotten as well).
Median wall time of RUNS runs.

    /usr/bin/python3 tests/bench/bench_push.py [BUILD_DIR] [RUNS]
"""
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import images, registry  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build"))
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent")
EX = os.path.join(BUILD, "examples")


def timed(cmd, before=None):
    if before:
        cmd = before(cmd) or cmd
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, text=True)
    took = time.perf_counter() - start
    if p.returncode:
        raise RuntimeError("%s failed: %s" % (cmd[0], p.stderr))
    return took


def series(label, make, before=None):
    runs = []
    for i in range(RUNS):
        fresh = None
        if before is FRESH:
            fresh = registry.Registry()
            cmd = [a.replace("DST", fresh.host) for a in make(i)]
            if cmd[0].endswith("limg-push"):
                subprocess.run([os.path.join(EX, "limg-tag"), "--store", STORE[0], SRC_REF[0], cmd[-1]], check=True,
                               env=ENV)
                shutil.rmtree(os.path.join(STORE[0], ".libimage", "sources"), ignore_errors=True)
            try:
                runs.append(timed(cmd))
            finally:
                fresh.stop()
        else:
            runs.append(timed(make(i), before))
    m = statistics.median(runs)
    print("  %-44s median %6.3f s  best %6.3f s" % (label, m, min(runs)))
    return m


def settled(cmd):
    """Before a timed load or tar -x (untimed): the earlier runs' writes reach the disk first."""
    subprocess.run(["sync"], check=True)


def load_series(what, archive, work, prefix):
    """limg-load of @archive, tar -x of it, and tar -x then sync: their medians."""
    untar = "mkdir -p \"$0\" && tar -xf \"$1\" -C \"$0\""
    out = lambda i, kind: os.path.join(work, "%s-%s%d" % (prefix, kind, i))
    return (series("limg-load -i " + what,
                   lambda i: [os.path.join(EX, "limg-load"), "-q", "--store", out(i, "load"), "-i", archive], settled),
            series("tar -x of that archive", lambda i: ["sh", "-c", untar, out(i, "tar"), archive], settled),
            series("tar -x of that archive, then sync",
                   lambda i: ["sh", "-c", untar + " && sync -f \"$0\"", out(i, "sync"), archive], settled))


FRESH = object()  # series(): each run against a new destination registry ("DST" in the command)
STORE, SRC_REF = [None], [None]


def main():
    work = tempfile.mkdtemp(prefix="limg-bench-push-")
    src = registry.Registry()
    dst = registry.Registry()
    try:
        img = images.realistic_image(os.path.join(BUILD, "bench-cache"))
        src.push("bench/app", "v1", img)
        ref = "%s/bench/app:v1" % src.host
        store = os.path.join(work, "store")
        subprocess.run([os.path.join(EX, "limg-pull"), "-q", "--store", store, ref], check=True, env=ENV,
                       stdout=subprocess.DEVNULL)
        size = sum(l.blob.size for l in img.layers) / 1e6
        print("realistic image: %d layers, %.1f MB compressed; %d runs" % (len(img.layers), size, RUNS))
        have_skopeo = shutil.which("skopeo") is not None

        blobs = [os.path.join(store, "blobs", "sha256", b.digest[7:])
                 for b in [img.config] + [l.blob for l in img.layers] + [img.manifest]]
        STORE[0], SRC_REF[0] = store, ref
        push = series("limg-push (empty registry)",
                      lambda i: [os.path.join(EX, "limg-push"), "-q", "--store", store, "DST/limg/push:v1"], FRESH)
        subprocess.run([os.path.join(EX, "limg-tag"), "--store", store, ref, "%s/limg/push:v1" % dst.host], check=True,
                       env=ENV)
        subprocess.run([os.path.join(EX, "limg-push"), "-q", "--store", store, "%s/limg/push:v1" % dst.host],
                       check=True, env=ENV, stdout=subprocess.DEVNULL)
        again = series("limg-push again (unchanged)",
                       lambda i: [os.path.join(EX, "limg-push"), "-q", "--store", store, "%s/limg/push:v1" % dst.host])
        skopeo_push = skopeo_copy = None
        if have_skopeo:
            skopeo_push = series("skopeo copy oci:STORE:REF docker://",
                                 lambda i: ["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                                            "oci:%s:%s" % (store, ref), "docker://DST/skopeo/push:v1"], FRESH)
        copy = series("limg-copy (registry to registry)",
                      lambda i: [os.path.join(EX, "limg-copy"), ref, "DST/limg/copy:v1"], FRESH)
        if have_skopeo:
            skopeo_copy = series("skopeo copy docker:// docker://",
                                 lambda i: ["skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false",
                                            "--dest-tls-verify=false", "docker://" + ref, "docker://DST/skopeo/copy:v1"],
                                 FRESH)
        floor_copy = None
        if shutil.which("curl"):
            floor_copy = series("curl -T of every blob into the destination",
                                lambda i: ["sh", os.path.join(HERE, "upload_floor.sh"), "DST"] + blobs, FRESH)
        archive = os.path.join(work, "saved.tar")
        save = series("limg-save -o (verified, fsync)",
                      lambda i: [os.path.join(EX, "limg-save"), "--store", store, "-o",
                                 os.path.join(work, "s%d.tar" % i), ref])
        floor_save = series("cat of the blobs > file && sync file",
                            lambda i: ["sh", "-c", "cat \"$@\" > \"$0\" && sync \"$0\"",
                                       os.path.join(work, "c%d.tar" % i)] + blobs)
        shutil.copy(os.path.join(work, "s0.tar"), archive)
        load, floor_load, durable_load = load_series("(every digest and diff_id)", archive, work, "l")
        # the image again with uncompressed layers, as docker save writes them: a load hashes, never inflates
        plain = images.Image([images.Layer(None, media_type=images.OCI_LAYER_TAR, tar=gzip.decompress(l.blob.data))
                              for l in img.layers], cmd=["/bin/sh"])
        src.push("bench/plain", "v1", plain)
        plain_ref = "%s/bench/plain:v1" % src.host
        subprocess.run([os.path.join(EX, "limg-pull"), "-q", "--store", store, plain_ref], check=True, env=ENV,
                       stdout=subprocess.DEVNULL)
        plain_archive = os.path.join(work, "plain.tar")
        subprocess.run([os.path.join(EX, "limg-save"), "--store", store, "-o", plain_archive, plain_ref], check=True,
                       env=ENV)
        load_plain, floor_plain, durable_plain = load_series("of uncompressed layers", plain_archive, work, "p")
        print("ratios (medians):")
        if skopeo_push:
            print("  push / skopeo push   %.2fx (target <= 0.8x)" % (push / skopeo_push))
            print("  copy / skopeo copy   %.2fx (target <= 0.6x)" % (copy / skopeo_copy))
            if floor_copy:
                print("  the destination's intake alone / skopeo copy   %.2fx (curl, from the page cache)"
                      % (floor_copy / skopeo_copy))
        print("  re-push              %.3f s, no blob bytes (see test_push: HEADs only)" % again)
        print("  save: floor / ours   %.0f%% (target >= 80%%)" % (100 * floor_save / save))
        print("  load: floor / ours   %.0f%% (target >= 80%%; ours inflates every compressed layer for its diff_id)"
              % (100 * floor_load / load))
        print("  load, gzip layers: (tar -x + sync) / ours   %.0f%% (as durable as the store)" % (100 * durable_load / load))
        print("  load, uncompressed layers: floor / ours   %.0f%% (target >= 80%%)" % (100 * floor_plain / load_plain))
        print("  load, uncompressed layers: (tar -x + sync) / ours   %.0f%%" % (100 * durable_plain / load_plain))
    finally:
        src.stop()
        dst.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
