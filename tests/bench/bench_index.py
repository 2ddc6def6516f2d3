#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Memory and time of listing and tagging with a huge index.json (default
200 MB, about 450,000 tags of distinct images with cached listing facts):
peak RSS of limg-images and limg-tag as a multiple of the file's size.

    /usr/bin/python3 tests/bench/bench_index.py [BUILD_DIR] [MB]
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchutil  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build")
MB = int(sys.argv[2]) if len(sys.argv) > 2 else 200


def put_blob(store, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(store, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(store, "blobs", "sha256", digest[7:]), "wb") as f:
        f.write(data)
    return digest, len(data)


def real_image(store):
    """Entry 0 is a whole image, so that it can be tagged."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}})
    c, csize = put_blob(store, config.encode())
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": c,
                                      "size": csize}, "layers": []})
    return put_blob(store, manifest.encode())


def entry(i, first=None):
    digest = "sha256:" + hashlib.sha256(b"image %d" % i).hexdigest()
    size = 1234 + i % 97
    if first:
        digest, size = first
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size,
            "annotations": {"org.opencontainers.image.ref.name": "docker.io/team/app%d:v%d" % (i % 5000, i),
                            "io.libimage.image.id": "sha256:" + hashlib.sha256(b"config %d" % i).hexdigest(),
                            "io.libimage.image.created": "2024-01-%02dT10:00:00Z" % (1 + i % 28),
                            "io.libimage.image.size": str(7000000 + i)}}


def measure(cmd):
    start = time.perf_counter()
    p = subprocess.run([os.path.join(BUILD, "tests", "peak_rss")] + cmd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - start
    if p.returncode:
        raise RuntimeError("%s failed: %s" % (cmd[0], p.stderr))
    return took, int(p.stderr.strip().splitlines()[-1].split()[1]) * 1024, p.stdout.count("\n")


def main():
    benchutil.header("bench_index.py")
    store = tempfile.mkdtemp()
    try:
        # an OCI layout (the programs that only read never make a store: without one,
        # limg-images lists an empty store and this measured nothing)
        with open(os.path.join(store, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        target = MB << 20
        first = real_image(store)
        with open(os.path.join(store, "index.json"), "w") as f:
            f.write('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[')
            written, i = 0, 0
            while written < target:
                text = ("," if i else "") + json.dumps(entry(i, first if i == 0 else None), separators=(",", ":"))
                f.write(text)
                written += len(text)
                i += 1
            f.write("]}")
        size = os.path.getsize(os.path.join(store, "index.json"))
        print("index.json of %.0f MB, %d tags" % (size / 1e6, i))
        images = os.path.join(BUILD, "examples", "limg-images")
        t, rss, rows = measure([images, "--store", store])
        if rows != i + 1:  # every tag a row, under the header: else nothing was measured
            raise RuntimeError("limg-images listed %d rows of %d tags" % (rows - 1, i))
        print("  limg-images        %6.2f s  peak RSS %6.0f MB  = %.2fx the file" % (t, rss / 1e6, rss / size))
        t, rss, rows = measure([images, "--store", store, "--filter", "reference=team/app7"])
        print("  limg-images app7   %6.2f s  peak RSS %6.0f MB  = %.2fx the file (%d rows)" % (t, rss / 1e6,
                                                                                           rss / size, rows - 1))
        tag = os.path.join(BUILD, "examples", "limg-tag")
        t, rss, _ = measure([tag, "--store", store, "team/app0:v0", "team/renamed:v1"])
        print("  limg-tag           %6.2f s  peak RSS %6.0f MB  = %.2fx the file" % (t, rss / 1e6, rss / size))
    finally:
        shutil.rmtree(store)


if __name__ == "__main__":
    main()
