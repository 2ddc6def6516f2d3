#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Push, copy and archives of the realistic image. Each group's contenders
run once per round, rounds interleaved (A B C A B C ...), medians against
medians:

  push to an empty repository   limg-push      vs skopeo copy oci:STORE:REF docker://...
  registry to registry          limg-copy      vs skopeo copy docker://... docker://...
                                and its floor: curl -T of every blob into the destination, 4 at a time
  re-push, unchanged            limg-push      (HEADs and one manifest check)
  save                          limg-save -o   vs its floor: cat of the blobs into a file, + sync of it
  load                          limg-load -i   vs tar -x of the archive, and tar -x then sync (the store's
                                               blobs are durable)
  load, uncompressed layers     the same, of the layers as Docker 25+ `docker save` writes them

Both registries are Debian's docker-registry on loopback. Each push or copy
goes to a fresh destination registry (started untimed): skopeo remembers
where blobs went (its blob-info cache) and would mount them from earlier
runs, and libimage's store would too (its sources are forgotten as well).

    /usr/bin/python3 tests/bench/bench_push.py [BUILD_DIR] [RUNS]
"""
import gzip
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import images, registry  # noqa: E402
import benchutil  # noqa: E402
from benchutil import ENV, median  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build"))
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
EX = os.path.join(BUILD, "examples")


def to_fresh_registry(make, store=None, src_ref=None):
    """A contender that sends to a new destination registry (started untimed): make(host) -> argv."""
    def run(d):
        fresh = registry.Registry()
        try:
            cmd = make(fresh.host)
            if store:  # limg-push pushes a tag of the store: the tag first, and no memory of earlier pushes
                subprocess.run([os.path.join(EX, "limg-tag"), "--store", store, src_ref, cmd[-1]], check=True,
                               env=ENV)
                shutil.rmtree(os.path.join(store, ".libimage", "sources"), ignore_errors=True)
            return benchutil.timed(cmd)
        finally:
            fresh.stop()
    return run


def settled(make):
    """A contender whose earlier runs' writes reach the disk first (untimed)."""
    def run(d):
        subprocess.run(["sync"], check=True)
        return benchutil.timed(make(d))
    return run


def report(res):
    for label, r in res.items():
        print("  %-50s median %6.3f s  best %6.3f s" % (label, median(r), benchutil.best(r)))
    return {label: median(r) for label, r in res.items()}


def load_group(what, archive):
    untar = "mkdir -p \"$0\" && tar -xf \"$1\" -C \"$0\""
    return report(benchutil.interleaved(RUNS, [
        ("limg-load -i " + what, settled(lambda d: [os.path.join(EX, "limg-load"), "-q", "--store",
                                                    os.path.join(d, "store"), "-i", archive])),
        ("tar -x of that archive", settled(lambda d: ["sh", "-c", untar, os.path.join(d, "x"), archive])),
        ("tar -x of that archive, then sync",
         settled(lambda d: ["sh", "-c", untar + " && sync -f \"$0\"", os.path.join(d, "x"), archive]))]))


def main():
    benchutil.header("bench_push.py")
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
        print("realistic image: %d layers, %.1f MB compressed; %d interleaved rounds" % (len(img.layers), size, RUNS))
        have_skopeo = shutil.which("skopeo") is not None
        blobs = [os.path.join(store, "blobs", "sha256", b.digest[7:])
                 for b in [img.config] + [l.blob for l in img.layers] + [img.manifest]]

        print("push to an empty registry:")
        group = [("limg-push", to_fresh_registry(
            lambda host: [os.path.join(EX, "limg-push"), "-q", "--store", store, "%s/limg/push:v1" % host],
            store, ref))]
        if have_skopeo:
            group.append(("skopeo copy oci:STORE:REF docker://", to_fresh_registry(
                lambda host: ["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                              "oci:%s:%s" % (store, ref), "docker://%s/skopeo/push:v1" % host])))
        push = report(benchutil.interleaved(RUNS, group))

        print("registry to registry:")
        group = [("limg-copy", to_fresh_registry(lambda host: [os.path.join(EX, "limg-copy"), ref,
                                                                 "%s/limg/copy:v1" % host]))]
        if have_skopeo:
            group.append(("skopeo copy docker:// docker://", to_fresh_registry(
                lambda host: ["skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false",
                              "--dest-tls-verify=false", "docker://" + ref, "docker://%s/skopeo/copy:v1" % host])))
        if shutil.which("curl"):
            group.append(("curl -T of every blob into the destination", to_fresh_registry(
                lambda host: ["sh", os.path.join(HERE, "upload_floor.sh"), host] + blobs)))
        copy = report(benchutil.interleaved(RUNS, group))

        print("re-push, unchanged:")
        subprocess.run([os.path.join(EX, "limg-tag"), "--store", store, ref, "%s/limg/push:v1" % dst.host], check=True,
                       env=ENV)
        subprocess.run([os.path.join(EX, "limg-push"), "-q", "--store", store, "%s/limg/push:v1" % dst.host],
                       check=True, env=ENV, stdout=subprocess.DEVNULL)
        again = report(benchutil.interleaved(RUNS, [("limg-push again", lambda d: benchutil.timed(
            [os.path.join(EX, "limg-push"), "-q", "--store", store, "%s/limg/push:v1" % dst.host]))]))

        print("save:")
        archive = os.path.join(work, "saved.tar")
        save = report(benchutil.interleaved(RUNS, [
            ("limg-save -o (verified, fsync)", lambda d: benchutil.timed(
                [os.path.join(EX, "limg-save"), "--store", store, "-o", os.path.join(d, "s.tar"), ref])),
            ("cat of the blobs > file && sync file", lambda d: benchutil.timed(
                ["sh", "-c", "cat \"$@\" > \"$0\" && sync \"$0\"", os.path.join(d, "c.tar")] + blobs))], work=work))
        subprocess.run([os.path.join(EX, "limg-save"), "--store", store, "-o", archive, ref], check=True, env=ENV)

        print("load of our archive (gzip layers):")
        load = load_group("(every digest and diff_id)", archive)
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
        print("load of an archive of uncompressed layers:")
        load_plain = load_group("of uncompressed layers", plain_archive)

        print("ratios (medians):")
        if have_skopeo:
            print("  push / skopeo push   %.2fx (target <= 0.8x)" % (push["limg-push"] /
                                                                  push["skopeo copy oci:STORE:REF docker://"]))
            sk = copy["skopeo copy docker:// docker://"]
            print("  copy / skopeo copy   %.2fx (target <= 0.6x)" % (copy["limg-copy"] / sk))
            if "curl -T of every blob into the destination" in copy:
                print("  the destination's intake alone (curl, from the page cache) / skopeo copy   %.2fx"
                      % (copy["curl -T of every blob into the destination"] / sk))
        print("  re-push              %.3f s, no blob bytes (see test_push: HEADs only)" % again["limg-push again"])
        print("  save: floor / ours   %.0f%% (target >= 80%%)" % (100 * save["cat of the blobs > file && sync file"] /
                                                               save["limg-save -o (verified, fsync)"]))
        ours = load["limg-load -i (every digest and diff_id)"]
        print("  load: tar -x / ours   %.0f%% (target >= 80%%; ours inflates every compressed layer for its diff_id)"
              % (100 * load["tar -x of that archive"] / ours))
        print("  load, gzip layers: (tar -x + sync) / ours   %.0f%% (as durable as the store)"
              % (100 * load["tar -x of that archive, then sync"] / ours))
        ours = load_plain["limg-load -i of uncompressed layers"]
        print("  load, uncompressed layers: tar -x / ours   %.0f%% (target >= 80%%)"
              % (100 * load_plain["tar -x of that archive"] / ours))
        print("  load, uncompressed layers: (tar -x + sync) / ours   %.0f%%"
              % (100 * load_plain["tar -x of that archive, then sync"] / ours))
    finally:
        src.stop()
        dst.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
