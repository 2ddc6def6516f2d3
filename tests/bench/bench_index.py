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

    /usr/bin/python3 tests/bench/bench_index.py [BUILD_DIR] [--tags N] [--load-tags K] [--runs R] [--mb MB]
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
args = ap.parse_args()
BUILD = args.build
EX = os.path.join(BUILD, "examples")

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


def measure(cmd, stdin=None):
    start = time.perf_counter()
    p = subprocess.run([os.path.join(BUILD, "tests", "peak_rss")] + cmd, stdout=subprocess.DEVNULL,
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
        empty = os.path.join(base, "empty")
        fill(empty)  # a store without tags (read-only opens need its layout)
        start = [measure([images, "--store", empty]) for _ in range(args.runs)]
        n, reals = fill(store, tags=args.tags)
        size = os.path.getsize(os.path.join(store, "index.json"))
        print("index.json of %.1f MB with %d tags, written by another program" % (size / 1e6, n))
        row("limg-images on an empty store (start)", start)
        row("first limg-images team/app7", [measure([images, "--store", store, "team/app7"])])
        row("limg-images team/app7 (a lookup)", [measure([images, "--store", store, "team/app7"])
                                                 for _ in range(args.runs)])
        row("limg-tag (a new tag)", [measure([tag, "--store", store, "team/app0:v0", "team/renamed:v%d" % i])
                                     for i in range(args.runs)])
        row("limg-tag (a tag moved)", [measure([tag, "--store", store, "team/app1:v1", "team/renamed:v%d" % i])
                                       for i in range(args.runs)])
        row("limg-images (all %d)" % n, [measure([images, "--store", store]) for _ in range(min(args.runs, 3))])
        if args.load_tags:
            path = os.path.join(base, "tags.tar")
            archive(path, args.load_tags)
            targets = [("an empty store", os.path.join(base, "fresh"))] + ([] if args.skip_big_load else [("that store", store)])
            for where, s in targets:
                with open(path, "rb") as f:
                    row("limg-load, %d tags, into %s" % (args.load_tags, where), [measure([load, "--store", s], f)])
        print("index.json now %.1f MB" % (os.path.getsize(os.path.join(store, "index.json")) / 1e6))
        subprocess.run([os.path.join(BUILD, "tests", "bench_store"), "tagops", store, str(n), "200",
                        reals[0][0], reals[1][0]], check=True)
    finally:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
