#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The tag index at scale: a store whose index.json another program wrote
with N tags (default 100,000: distinct images with cached listing facts, as
a CI cache or a mirror node holds), then, each as its own process with its
peak RSS: `limg-images REPO` (a lookup), `limg-tag` (a set), the full
`limg-images`, and `limg-load` of one archive with K tags (default 10,000)
into that store and into an empty one; then `bench_store tagops`, the same
calls inside one process (lookup, set, move, remove, listings), median and
worst per call. `--mb MB` instead fills index.json up to MB megabytes (the
earlier figure: peak RSS as a multiple of the file's size).

    /usr/bin/python3 tests/bench/bench_index.py [BUILD_DIR] [--before OTHER_BUILD] [--tags N] [--load-tags K]
                                                [--runs R] [--mb MB]

With --before, every case runs for both builds, interleaved run by run
(each build on its own copy of the stores), and the rows show both medians.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchutil  # noqa: E402
ap = argparse.ArgumentParser()
ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
ap.add_argument("--tags", type=int, default=100000)
ap.add_argument("--load-tags", type=int, default=10000)
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("--mb", type=int, default=0)
ap.add_argument("--skip-big-load", action="store_true", help="no load into the big store (it took 805 s for 1,000 tags before)")
ap.add_argument("--dir", default=None, help="where the stores go (default: $TMPDIR)")
ap.add_argument("--before", default=None, help="another build (e.g. main's) measured in the same run")
args = ap.parse_args()
BUILD = args.build
EX = os.path.join(BUILD, "examples")
BUILDS = [("after", BUILD)] + ([("before", args.before)] if args.before else [])

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def put_blob(store, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(store, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(store, "blobs", "sha256", digest[7:]), "wb") as f:
        f.write(data)
    return digest, len(data)


def layer(name):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = ("file of %s\n" % name).encode()
        info = tarfile.TarInfo(name + ".txt")
        info.size, info.mtime = len(data), 1700000000
        t.addfile(info, io.BytesIO(data))
    return raw.getvalue(), gzip.compress(raw.getvalue(), mtime=0)


def image_blobs(name):
    """A small whole image: (config, layer, manifest) bytes."""
    tar, gz = layer(name)
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-15T10:00:00Z",
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
                         "config": {}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + hashlib.sha256(config).hexdigest(), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": "sha256:" + hashlib.sha256(gz).hexdigest(), "size": len(gz)}]}).encode()
    return config, gz, manifest, len(tar)


def real_image(store, name):
    config, gz, manifest, usize = image_blobs(name)
    put_blob(store, config)
    put_blob(store, gz)
    digest, size = put_blob(store, manifest)
    return digest, size, "sha256:" + hashlib.sha256(config).hexdigest(), usize


def entry(i, real=None):
    digest = "sha256:" + hashlib.sha256(b"image %d" % i).hexdigest()
    size, config, usize = 1234 + i % 97, "sha256:" + hashlib.sha256(b"config %d" % i).hexdigest(), 7000000 + i
    if real:
        digest, size, config, usize = real
    return {"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
            "annotations": {"org.opencontainers.image.ref.name": "docker.io/team/app%d:v%d" % (i % 5000, i),
                            "io.libimage.image.id": config,
                            "io.libimage.image.created": "2024-01-%02dT10:00:00Z" % (1 + i % 28),
                            "io.libimage.image.size": str(usize)}}


def fill(store, tags=0, mb=0):
    """index.json as another program writes it (one line, no libimage sidecar)."""
    os.makedirs(store)
    with open(os.path.join(store, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    reals = [real_image(store, "a"), real_image(store, "b")]
    with open(os.path.join(store, "index.json"), "w") as f:
        f.write('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[')
        written, i = 0, 0
        while (tags and i < tags) or (mb and written < mb << 20):
            text = ("," if i else "") + json.dumps(entry(i, reals[i] if i < 2 else None), separators=(",", ":"))
            f.write(text)
            written += len(text)
            i += 1
        f.write("]}")
    return i, reals


def archive(path, k):
    """One image with k tags, as docker save writes it (manifest.json, blobs)."""
    config, gz, manifest, _ = image_blobs("loaded")
    names = ["docker.io/load/app%d:t%d" % (i % 100, i) for i in range(k)]
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1700000000
            t.addfile(info, io.BytesIO(data))
        cfg = "blobs/sha256/" + hashlib.sha256(config).hexdigest()
        lay = "blobs/sha256/" + hashlib.sha256(gz).hexdigest()
        add(cfg, config)
        add(lay, gz)
        add("blobs/sha256/" + hashlib.sha256(manifest).hexdigest(), manifest)
        add("manifest.json", json.dumps([{"Config": cfg, "RepoTags": names, "Layers": [lay]}]).encode())


def measure(cmd, stdin=None, build=None):
    start = time.perf_counter()
    p = subprocess.run([os.path.join(build or BUILD, "tests", "peak_rss")] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, stdin=stdin)
    took = time.perf_counter() - start
    if p.returncode:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), p.stderr))
    return took, int(p.stderr.strip().splitlines()[-1].split()[1]) * 1024


def row(what, runs):
    ts = [t for t, _ in runs]
    rss = max(r for _, r in runs)
    print("  %-40s %8.1f ms median (%5.1f-%6.1f)  peak RSS %6.1f MB" % (
        what, statistics.median(ts) * 1e3, min(ts) * 1e3, max(ts) * 1e3, rss / 1e6))


def rows(what, by_build):
    """One case for every build: its median, range and peak RSS, and with --before the ratio."""
    for name, runs in by_build.items():
        row("%s [%s]" % (what, name) if len(by_build) > 1 else what, runs)
    if len(by_build) > 1:
        after = statistics.median(t for t, _ in by_build["after"])
        before = statistics.median(t for t, _ in by_build["before"])
        print("  %-40s %8.2fx" % ("  after / before", after / before))


def interleaved(runs, make_cmd, stdin_path=None):
    """make_cmd(build_name, build_dir, i) for i in range(runs), the builds taking turns run by run."""
    out = {name: [] for name, _ in BUILDS}
    for i in range(runs):
        for name, build in BUILDS:
            if stdin_path:
                with open(stdin_path, "rb") as f:
                    out[name].append(measure(make_cmd(name, build, i), f, build))
            else:
                out[name].append(measure(make_cmd(name, build, i), None, build))
    return out


def ex(build, prog):
    return os.path.join(build, "examples", prog)


def main():
    benchutil.header("bench_index.py")
    base = tempfile.mkdtemp(prefix="limg-bench-index-", dir=args.dir)
    images, tag, load = (os.path.join(EX, p) for p in ("limg-images", "limg-tag", "limg-load"))
    try:
        store = os.path.join(base, "store")
        if args.mb:
            n, _ = fill(store, mb=args.mb)
            size = os.path.getsize(os.path.join(store, "index.json"))
            print("index.json of %.0f MB, %d tags" % (size / 1e6, n))
            for what, cmd in (("limg-images", [images, "--store", store]),
                              ("limg-images team/app7", [images, "--store", store, "team/app7"]),
                              ("limg-tag", [tag, "--store", store, "team/app0:v0", "team/renamed:v1"])):
                t, rss = measure(cmd)
                print("  %-22s %6.2f s  peak RSS %6.0f MB  = %.2fx the file" % (what, t, rss / 1e6, rss / size))
            return
        stores, empties = {}, {}
        for name, _ in BUILDS:
            empties[name] = os.path.join(base, "empty-" + name)
            fill(empties[name])  # a store without tags (read-only opens need its layout)
            stores[name] = os.path.join(base, "store-" + name)
            n, reals = fill(stores[name], tags=args.tags)
        size = os.path.getsize(os.path.join(stores["after"], "index.json"))
        print("index.json of %.1f MB with %d tags, written by another program%s" % (
            size / 1e6, n, "; builds: after %s, before %s" % (BUILD, args.before) if args.before else ""))
        rows("limg-images on an empty store (start)",
             interleaved(args.runs, lambda k, b, i: [ex(b, "limg-images"), "--store", empties[k]]))
        rows("first limg-images team/app7",
             interleaved(1, lambda k, b, i: [ex(b, "limg-images"), "--store", stores[k], "team/app7"]))
        rows("limg-images team/app7 (a lookup)",
             interleaved(args.runs, lambda k, b, i: [ex(b, "limg-images"), "--store", stores[k], "team/app7"]))
        rows("first limg-tag (sidecar built)",
             interleaved(1, lambda k, b, i: [ex(b, "limg-tag"), "--store", stores[k], "team/app0:v0", "team/first:v1"]))
        rows("limg-tag (a new tag)",
             interleaved(args.runs, lambda k, b, i: [ex(b, "limg-tag"), "--store", stores[k], "team/app0:v0",
                                                     "team/renamed:v%d" % i]))
        rows("limg-tag (a tag moved)",
             interleaved(args.runs, lambda k, b, i: [ex(b, "limg-tag"), "--store", stores[k], "team/app1:v1",
                                                     "team/renamed:v%d" % i]))
        rows("limg-images team/app7 after changes",
             interleaved(args.runs, lambda k, b, i: [ex(b, "limg-images"), "--store", stores[k], "team/app7"]))
        rows("limg-inspect team/app0:v0",
             interleaved(args.runs, lambda k, b, i: [ex(b, "limg-inspect"), "--store", stores[k], "team/app0:v0"]))
        rows("limg-images (all %d)" % n,
             interleaved(min(args.runs, 3), lambda k, b, i: [ex(b, "limg-images"), "--store", stores[k]]))
        if args.load_tags:
            path = os.path.join(base, "tags.tar")
            archive(path, args.load_tags)
            rows("limg-load, %d tags, into an empty store" % args.load_tags,
                 interleaved(1, lambda k, b, i: [ex(b, "limg-load"), "--store", os.path.join(base, "fresh-" + k)],
                             path))
            # every tag of one image named by inspect (RepoTags): linear in them
            rows("limg-inspect of that image (%d tags on it)" % args.load_tags,
                 interleaved(args.runs, lambda k, b, i: [ex(b, "limg-inspect"), "--store", os.path.join(base, "fresh-" + k),
                                                         "load/app0:t0"]))
            if not args.skip_big_load:
                rows("limg-load, %d tags, into that store" % args.load_tags,
                     interleaved(1, lambda k, b, i: [ex(b, "limg-load"), "--store", stores[k]], path))
        print("index.json now %.1f MB" % (os.path.getsize(os.path.join(stores["after"], "index.json")) / 1e6))
        for name, build in BUILDS:
            if len(BUILDS) > 1:
                print("[%s] %s" % (name, build))
            sys.stdout.flush()
            subprocess.run([os.path.join(build, "tests", "bench_store"), "tagops", stores[name], str(n), "200",
                            reals[0][0], reals[1][0]], check=True)
    finally:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
