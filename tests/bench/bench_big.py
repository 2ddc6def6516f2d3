#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A big image: 32 gzip layers (about 1.7 GB, 3.9 GB unpacked), each a
different 122 MB window over the realistic image's root filesystem (this
machine's files, as tests/integration/fixtures/images.py picks them), built
once into BUILD_DIR/bench-cache/big and pushed to a local registry. Then,
on a tmpfs this script mounts (and unmounts) and on the disk, one after the
other: limg-pull; limg-save against its floor, `cat` of the blobs to a file
and `openssl dgst -sha256` (a SHA-NI hasher) of them, measured in the same
run; limg-load of the saved archive; limg-images right after the load (it
must not inflate the layers again: the load recorded their facts).

    /usr/bin/python3 tests/bench/bench_big.py [BUILD_DIR] [--runs N] [--disk DIR] [--no-tmpfs]
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import images, registry  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--disk", default=tempfile.gettempdir(), help="a directory on the disk (default $TMPDIR)")
ap.add_argument("--no-tmpfs", action="store_true")
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
EX = os.path.join(BUILD, "examples")
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent")
LAYERS, WINDOW = 32, 122 << 20
OCI_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


def rootfs_paths():
    """The realistic image's files, in its layers' order."""
    paths = []
    for spec in images.REALISTIC_LAYERS:
        for root, budget in spec:
            paths += images.tree_files(root, budget)
    return paths


def write_layer(paths, out):
    """A tar of paths gzipped (level 1, as a fast CI build would) into out; (diff_id, tar size, digest, gz size)."""
    raw, gz = hashlib.sha256(), hashlib.sha256()
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    sizes = [0, 0]

    class Sink:
        def write(self, data):
            raw.update(data)
            sizes[0] += len(data)
            z = comp.compress(data)
            gz.update(z)
            sizes[1] += len(z)
            f.write(z)
            return len(data)

    with open(out, "wb") as f:
        with tarfile.open(fileobj=Sink(), mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for path in paths:
                info = tar.gettarinfo(path, arcname=path.lstrip("/"))
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = 1700000000
                if info.isreg():
                    with open(path, "rb") as src:
                        tar.addfile(info, src)
                else:
                    tar.addfile(info)
        z = comp.flush()
        gz.update(z)
        sizes[1] += len(z)
        f.write(z)
    return "sha256:" + raw.hexdigest(), sizes[0], "sha256:" + gz.hexdigest(), sizes[1]


def build(cache):
    """The OCI layout of the big image in cache (kept between runs)."""
    done = os.path.join(cache, "index.json")
    if os.path.exists(done):
        return json.load(open(done))["manifests"][0]["digest"]
    blobs = os.path.join(cache, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    files = [p for p in rootfs_paths() if not os.path.islink(p)]
    sizes = [os.path.getsize(p) for p in files]
    total = sum(sizes)
    layers, diff_ids = [], []
    for i in range(LAYERS):
        # a window of the file list, rotating: every layer different, all of them real files
        start, acc, picked = (i * len(files)) // LAYERS, 0, []
        for k in range(len(files)):
            j = (start + k) % len(files)
            if acc + sizes[j] > WINDOW and picked:
                break
            picked.append(files[j])
            acc += sizes[j]
        tmp = os.path.join(cache, "layer.tmp")
        diff_id, usize, digest, size = write_layer(sorted(picked), tmp)
        os.rename(tmp, os.path.join(blobs, digest[7:]))
        layers.append({"mediaType": OCI_GZIP, "digest": digest, "size": size})
        diff_ids.append(diff_id)
        print("  layer %2d: %6.1f MB unpacked, %6.1f MB gzip" % (i, usize / 1e6, size / 1e6), flush=True)
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-15T10:00:00Z",
                         "config": {"Cmd": ["/bin/sh"]}, "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cdigest = "sha256:" + hashlib.sha256(config).hexdigest()
    open(os.path.join(blobs, cdigest[7:]), "wb").write(config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest,
                                      "size": len(config)}, "layers": layers}).encode()
    mdigest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    open(os.path.join(blobs, mdigest[7:]), "wb").write(manifest)
    open(os.path.join(cache, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                  "digest": mdigest, "size": len(manifest)}]}, open(done, "w"))
    return mdigest


def push(reg, cache, repo, tag, mdigest):
    """Blobs streamed from their files (urllib reads a file object)."""
    blobs = os.path.join(cache, "blobs", "sha256")
    manifest = json.load(open(os.path.join(blobs, mdigest[7:])))
    for d in [manifest["config"]] + manifest["layers"]:
        r = reg._request("POST", "%s/v2/%s/blobs/uploads/" % (reg.url, repo), repo, data=b"")
        loc = r.headers["Location"]
        loc = reg.url + loc if loc.startswith("/") else loc
        with open(os.path.join(blobs, d["digest"][7:]), "rb") as f:
            reg._request("PUT", "%s%sdigest=%s" % (loc, "&" if "?" in loc else "?", d["digest"]), repo, data=f,
                         headers={"Content-Type": "application/octet-stream", "Content-Length": str(d["size"])})
    with open(os.path.join(blobs, mdigest[7:]), "rb") as f:
        reg._request("PUT", "%s/v2/%s/manifests/%s" % (reg.url, repo, tag), repo, data=f.read(),
                     headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    return manifest


def measure(cmd, stdin=None, stdout=subprocess.DEVNULL):
    start = time.perf_counter()
    p = subprocess.run([os.path.join(BUILD, "tests", "peak_rss")] + cmd, stdin=stdin, stdout=stdout,
                       stderr=subprocess.PIPE, env=ENV, text=True)
    took = time.perf_counter() - start
    if p.returncode:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), p.stderr))
    fields = p.stderr.strip().splitlines()[-1].split()
    return took, int(fields[1]) * 1024, float(fields[3])


def timed(shell):
    start = time.perf_counter()
    subprocess.run(shell, shell=True, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def run_at(where, base, ref, manifest, total):
    print("\n%s (%s):" % (where, base), flush=True)
    store, loaded, out = (os.path.join(base, n) for n in ("store", "loaded", "saved.tar"))
    t, rss, cpu = measure([os.path.join(EX, "limg-pull"), "-q", "--store", store, ref])
    print("  limg-pull                %7.2f s  cpu %6.2f s  peak RSS %6.1f MB" % (t, cpu, rss / 1e6), flush=True)
    blobs = [os.path.join(store, "blobs", "sha256", d["digest"][7:]) for d in manifest["layers"]]
    blobs += [os.path.join(store, "blobs", "sha256", manifest["config"]["digest"][7:])]
    ours, floors = [], []
    for _ in range(args.runs):
        if os.path.exists(out):
            os.unlink(out)
        t, rss, cpu = measure([os.path.join(EX, "limg-save"), "-o", out, "--store", store, ref])
        ours.append((t, rss, cpu))
        os.unlink(out)
        cat = timed("cat %s > %s" % (" ".join(blobs), out))
        os.unlink(out)
        dgst = timed("openssl dgst -sha256 %s" % " ".join(blobs))
        floors.append((cat, dgst))
    t = min(o[0] for o in ours)
    cat, dgst = min(f[0] for f in floors), min(f[1] for f in floors)
    print("  limg-save -o             %7.2f s  cpu %6.2f s  peak RSS %6.1f MB  (%.0f MB/s; best of %d: %s)"
          % (t, min(o[2] for o in ours), max(o[1] for o in ours) / 1e6, total / t / 1e6, args.runs,
             " ".join("%.2f" % o[0] for o in ours)))
    print("  cat of the blobs         %7.2f s   openssl dgst -sha256 of them %5.2f s   floor (both) %5.2f s"
          % (cat, dgst, cat + dgst))
    print("  save / floor             %7.2fx  (save / cat alone %.2fx)" % (t / (cat + dgst), t / cat), flush=True)
    measure([os.path.join(EX, "limg-save"), "-o", out, "--store", store, ref])
    with open(out, "rb") as f:
        t, rss, cpu = measure([os.path.join(EX, "limg-load"), "--store", loaded], stdin=f)
    print("  limg-load                %7.2f s  cpu %6.2f s  peak RSS %6.1f MB" % (t, cpu, rss / 1e6), flush=True)
    t, rss, cpu = measure([os.path.join(EX, "limg-images"), "--store", loaded])
    print("  limg-images after load   %7.3f s  cpu %6.3f s  peak RSS %6.1f MB" % (t, cpu, rss / 1e6))
    t, rss, cpu = measure([os.path.join(EX, "limg-images"), "--store", store])
    print("  limg-images after pull   %7.3f s  cpu %6.3f s" % (t, cpu), flush=True)


def main():
    cache = os.path.join(BUILD, "bench-cache", "big")
    print("building the big image (once, cached in %s)" % cache, flush=True)
    mdigest = build(cache)
    with registry.Registry() as reg:
        manifest = push(reg, cache, "bench/big", "v1", mdigest)
        total = sum(l["size"] for l in manifest["layers"])
        ref = "%s/bench/big:v1" % reg.host
        print("%s: %d layers, %.2f GB gzip" % (ref, len(manifest["layers"]), total / 1e9))
        places = []
        if not args.no_tmpfs:
            mnt = tempfile.mkdtemp(prefix="limg-bench-big-tmpfs-")
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % (4 * total + (1 << 30)), "tmpfs", mnt], check=True)
            places.append(("tmpfs", mnt, True))
        places.append(("disk", tempfile.mkdtemp(prefix="limg-bench-big-", dir=args.disk), False))
        for where, base, mounted in places:
            try:
                run_at(where, base, ref, manifest, total)
            finally:
                if mounted:
                    subprocess.run(["umount", base], check=True)
                    os.rmdir(base)
                else:
                    shutil.rmtree(base)


if __name__ == "__main__":
    main()
