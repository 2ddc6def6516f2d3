#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of the fuzz targets that read archives, config.json,
registry headers and compressed streams: every hostile case the integration
tests try (tests/integration/test_archive_hostile.py, test_push_hostile.py,
test_hosts_trust.py, ...), small enough to mutate. Deterministic: run it again
after changing a case, and commit tests/fuzz/corpus/.

    /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import gzip
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import archives, images  # noqa: E402

CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def small_image(tag, docker=False):
    return images.Image([images.Layer({"%s/a" % tag: b"a" * 40})], docker=docker)


def small_uncompressed(tag):
    return images.Image([images.Layer({"%s/a" % tag: b"a" * 40}, images.OCI_LAYER_TAR)])


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "-19"], input=data, stdout=subprocess.PIPE, check=True).stdout


def archive_load():
    img = small_image("ok")
    legacy = small_uncompressed("legacy")
    members, paths = archives.legacy_members(legacy, ["legacy/app:v1"])
    oci = archives.oci_members(img, ["ok/app:v1"])
    cases = {
        "oci": oci,
        "legacy": members,
        "oci-index-only": [m for m in oci if m[0] != "manifest.json"],
        "repotag-escape": archives.legacy_members(legacy, ["x/\x1b]0;PWNED\x07:y"])[0],
        "repotag-newline": archives.legacy_members(legacy, ["a/b:c\nLoaded image: evil:latest"])[0],
        "name-leaves": [("../\x1b[2Jevil", b"x")],
        "config-missing": [("manifest.json", json.dumps([{"Config": "no\x1b.json", "RepoTags": ["a/b:c"],
                                                          "Layers": []}]).encode())],
        "link-out": [(n, ("symlink", "../../../etc/passwd")) if n == paths[0] else (n, d) for n, d in members],
        "hardlink-out": [(n, d) for n, d in members if n != paths[0]] + [(paths[0], ("hardlink", "../outside"))],
        "link-loop": [(n, d) for n, d in members if n != paths[0]] + [
            (paths[0], ("symlink", "loop")), (os.path.dirname(paths[0]) + "/loop", ("symlink", "layer.tar"))],
        "blob-lies": [("blobs/sha256/" + img.layers[0].blob.digest[7:], img.layers[0].blob.data + b"x")] + oci,
        "junk-and-image": [("junk/%d" % i, b"x") for i in range(10)] + oci,
        "no-image": [("m/%d" % i, b"x") for i in range(30)],
        "empty-manifest": [("manifest.json", b"[]")],
        "dup-keys": [("manifest.json", b'[{"Config":"a","config":"b","Layers":[]}]')],
    }
    layer = images.Layer({"a": b"a"})
    layer.blob.media_type = "application/x-\x1b]0;PWNED\x07"
    bad_type = images.Image([layer])
    cases["media-type-escape"] = [m for m in archives.oci_members(bad_type) if m[0] != "manifest.json"]
    for name, members in cases.items():
        write("archive_load", name, archives.tar_of(members))
    whole = archives.tar_of(oci)
    write("archive_load", "oci.tar.gz", gzip.compress(whole, 9, mtime=0))
    write("archive_load", "oci.tar.zst", zstd(whole))
    write("archive_load", "cut", whole[:len(whole) // 2])
    bomb = archives.tar_of([("big.bin", bytes(4 << 20))])
    write("archive_load", "bomb.tar.gz", gzip.compress(bomb, 9, mtime=0))


def archive_listing():
    img = small_image("l")
    oci = dict(archives.oci_members(img, ["l/app:v1"]))
    cases = {
        "both": b"\x03" + oci["manifest.json"] + b"\x00" + oci["index.json"],
        "manifest": b"\x01" + oci["manifest.json"],
        "index": b"\x02\x00" + oci["index.json"],
        "escape": b"\x01" + json.dumps([{"Config": "c\x1b.json", "RepoTags": ["x/\x1b]0;PWNED\x07:y"],
                                          "Layers": ["a\nb"]}]).encode(),
        "fold": b"\x01" + b'[{"Config":"a","CONFIG":"b","Layers":[]}]',
        "types": b"\x01" + b'[{"Config":"a","RepoTags":[1,null],"Layers":{}}]',
        "bad-digest": b"\x02\x00" + b'{"manifests":[{"digest":"sha256:zz"}]}',
        "annotations": b"\x02\x00" + json.dumps({"manifests": [{"digest": img.manifest.digest, "annotations": {
            "io.containerd.image.name": "a/b:c", "org.opencontainers.image.ref.name": "d/e:f"}}]}).encode(),
    }
    for name, data in cases.items():
        write("archive_listing", name, data)


def credentials():
    auth = lambda s: __import__("base64").b64encode(s.encode()).decode()
    cases = {
        "auths": {"auths": {"r.io": {"auth": auth("bob:pw")}}},
        "hub": {"auths": {"https://index.docker.io/v1/": {"auth": auth("u:p")}}},
        "helpers": {"credHelpers": {"r.io": "pass", "docker.io": "desktop"}, "credsStore": "osxkeychain",
                    "auths": {"r.io": {"auth": auth("a:b")}}},
        "token": {"auths": {"127.0.0.1:5000": {"identitytoken": "tok"}}},
        "bad-base64": {"auths": {"r.io": {"auth": "!!!"}}},
        "no-colon": {"auths": {"r.io": {"auth": auth("nocolon")}}},
    }
    for name, doc in cases.items():
        write("credentials", name, json.dumps(doc))
    write("credentials", "dup", '{"auths":{},"auths":{}}')
    write("credentials", "not-object", "[1,2]")


def headers():
    cases = {
        "link": '</v2/_catalog?last=b&n=2>; rel="next"',
        "link-two": '<https://r/prev>; rel="prev", <https://r/next>; rel="next"',
        "link-quoted": '<a>; title="x, rel=next; y"; rel=prev, <b>; rel=next',
        "link-multi-rel": '<a>; rel="prev next"',
        "link-open": '<a; rel="next"',
        "range": "bytes 0-99/100",
        "range-star": "bytes 100-199/*",
        "range-bad": "bytes 5-4/10",
        "range-long": "bytes 0-99999999999999999999/*",
    }
    for name, text in cases.items():
        write("headers", name, text)


def decompress():
    data = images.pseudo_random(2000, 1) + b"text " * 400
    write("decompress", "gzip", b"\x00" + gzip.compress(data, 6, mtime=0))
    write("decompress", "gzip-concat", b"\x00" + gzip.compress(b"one", mtime=0) + gzip.compress(b"two", mtime=0))
    write("decompress", "gzip-bomb", b"\x00" + gzip.compress(bytes(8 << 20), 9, mtime=0))
    write("decompress", "gzip-cut", b"\x00" + gzip.compress(data, mtime=0)[:500])
    write("decompress", "gzip-trailing", b"\x00" + gzip.compress(data, mtime=0) + b"junk")
    write("decompress", "zstd", b"\x01" + zstd(data))
    write("decompress", "zstd-bomb", b"\x01" + zstd(bytes(8 << 20)))
    write("decompress", "zstd-cut", b"\x01" + zstd(data)[:300])


if __name__ == "__main__":
    archive_load()
    archive_listing()
    credentials()
    headers()
    decompress()
    for t in ("archive_load", "archive_listing", "credentials", "headers", "decompress"):
        d = os.path.join(CORPUS, t)
        print("%s: %d seeds, largest %d bytes" % (t, len(os.listdir(d)), max(os.path.getsize(os.path.join(d, f))
                                                                              for f in os.listdir(d))))
