#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""limg-sync against skopeo sync, the same list in one run:

  cold sync     the realistic image and four more sharing its layers (5 images in 4
                repositories) to a fresh destination registry: limg-sync vs skopeo sync
  re-sync       nothing changed, to the destination of the cold run: wall time, and the
                requests each side received (counted by a proxy in front of each registry);
                also limg-sync --referrers (each image's .sig tag and referrers asked on each
                side: what looking for signatures added since costs)

Both registries are Debian's docker-registry on loopback; each cold run goes to
a fresh destination (started untimed) so that neither tool finds blobs there.
The floor of a cold sync: every distinct blob sent once into a fresh destination
by curl -T, 4 at a time (upload_floor.sh), what the registry itself can take in.
skopeo gets --all and --preserve-digests (the index whole, as limg-sync copies it).
Median wall time of RUNS runs.

    /usr/bin/python3 tests/bench/bench_sync.py [BUILD_DIR] [RUNS]
"""
import collections
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import faultproxy, images, registry  # noqa: E402
import benchutil  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build"))
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent")
LIMG = os.path.join(BUILD, "examples", "limg-sync")


def timed(cmd):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, text=True)
    took = time.perf_counter() - start
    if p.returncode:
        raise RuntimeError("%s failed: %s" % (cmd[0], p.stderr))
    return took


def limg_cmd(listing, dest, *extra):
    return [LIMG, "-q", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", *extra, listing, dest]


def skopeo_cmd(listing, dest):
    return ["skopeo", "sync", "--all", "--preserve-digests", "--src", "yaml", "--dest", "docker",
            "--dest-tls-verify=false", listing, dest]


def kinds(proxy):
    """The requests a proxy saw, by method and kind of path."""
    out = collections.Counter()
    for method, path, _ in proxy.requests:
        kind = ("manifest" if "/manifests/" in path else "blob" if "/blobs/" in path else
                "tags" if "/tags/list" in path else "other")
        out["%s %s" % (method, kind)] += 1
    return dict(sorted(out.items()))


def main():
    benchutil.header("bench_sync.py")
    have_skopeo = shutil.which("skopeo") is not None
    work = tempfile.mkdtemp(prefix="limg-bench-sync-")
    src = registry.Registry()
    try:
        base = images.realistic_image(os.path.join(BUILD, "bench-cache"))
        # the realistic image and four more: its first layers and one of their own each
        lists = {"bench/app:v1": base.layers, "bench/app:v2": base.layers + images.sample_layers("v2")[1:]}
        for i, repo in enumerate(("bench/web", "bench/db", "bench/tool")):
            lists["%s:v1" % repo] = base.layers[:4 + i % 3] + images.sample_layers(repo)[1:]
        unique = {}
        for ref, layers in lists.items():
            repo, tag = ref.split(":")
            img = images.Image(layers, cmd=["/bin/sh"])
            src.push(repo, tag, img)
            unique.update((b.digest, b) for b in [img.config] + [l.blob for l in layers])
        # the floor: every distinct blob once into the destination by curl, 4 at a time (upload_floor.sh)
        blob_dir = os.path.join(work, "blobs")
        os.mkdir(blob_dir)
        for digest, b in unique.items():
            with open(os.path.join(blob_dir, digest[7:]), "wb") as f:
                f.write(b.data)
        size = sum(l.blob.size for l in base.layers) / 1e6
        listing = os.path.join(work, "list.yaml")
        with open(listing, "w") as f:
            f.write("%s:\n  images:\n    bench/app: []\n    bench/web: []\n    bench/db: []\n    bench/tool: []\n"
                    "  tls-verify: false\n" % src.host)
        print("5 images in 4 repositories sharing the realistic image's layers (%.1f MB of gzip); %d runs"
              % (size, RUNS))

        def floor_cmd(listing, dest):
            return ["sh", os.path.join(HERE, "upload_floor.sh"), dest.split("/")[0]] + \
                [os.path.join(blob_dir, n) for n in sorted(os.listdir(blob_dir))]

        cold = {"limg-sync": [], "skopeo sync": [], "curl -T floor": []}
        for i in range(RUNS):
            for tool, make in (("limg-sync", limg_cmd), ("skopeo sync", skopeo_cmd), ("curl -T floor", floor_cmd)):
                if (tool == "skopeo sync" and not have_skopeo) or (tool == "curl -T floor" and not shutil.which("curl")):
                    continue
                fresh = registry.Registry()
                try:
                    cold[tool].append(timed(make(listing, fresh.host + "/mirror")))
                finally:
                    fresh.stop()
        print("cold sync to a fresh registry:")
        med = {}
        for tool, runs in cold.items():
            if runs:
                med[tool] = statistics.median(runs)
                print("  %-14s median %6.3f s  best %6.3f s" % (tool, med[tool], min(runs)))
        if "limg-sync" in med and "skopeo sync" in med:
            print("  ratio limg-sync / skopeo sync: %.2fx (target <= 0.5x)" % (med["limg-sync"] / med["skopeo sync"]))
        if "curl -T floor" in med and "skopeo sync" in med:
            print("  the floor (%d distinct blobs, each once into the destination by curl -T) / skopeo sync: %.2fx;"
                  " limg-sync / floor: %.2fx" % (len(unique), med["curl -T floor"] / med["skopeo sync"],
                                                 med["limg-sync"] / med["curl -T floor"]))

        # re-sync, nothing changed: timed directly; then, untimed, limg-sync through proxies that count what
        # each side receives (skopeo's go through no proxy: the fixture's proxy folds its several Accept
        # headers into one, which docker-registry then refuses for OCI manifests)
        dst = registry.Registry()
        sp = faultproxy.FaultProxy(src.host)
        dp = faultproxy.FaultProxy(dst.host)
        try:
            again = {}
            for tool, make in (("limg-sync", limg_cmd), ("skopeo sync", skopeo_cmd)):
                if tool == "skopeo sync" and not have_skopeo:
                    continue
                dest = dst.host + ("/limg" if tool == "limg-sync" else "/skopeo")
                timed(make(listing, dest))
                again[tool] = statistics.median([timed(make(listing, dest)) for _ in range(RUNS)])
            again["limg-sync --referrers"] = statistics.median(
                [timed(limg_cmd(listing, dst.host + "/limg", "--referrers")) for _ in range(RUNS)])
            plisting = os.path.join(work, "plist.yaml")
            with open(listing) as f, open(plisting, "w") as g:
                g.write(f.read().replace(src.host, sp.host))
            timed(limg_cmd(plisting, dp.host + "/counted"))
            sp.requests.clear()
            dp.requests.clear()
            timed(limg_cmd(plisting, dp.host + "/counted"))
            print("re-sync, nothing changed (5 tags, 4 repositories):")
            for tool, t in again.items():
                print("  %-14s median %6.3f s" % (tool, t))
            print("  limg-sync's requests: source %s" % kinds(sp))
            print("                        destination %s" % kinds(dp))
            sp.requests.clear()
            dp.requests.clear()
            timed(limg_cmd(plisting, dp.host + "/counted", "--referrers"))
            print("  limg-sync --referrers: source %s" % kinds(sp))
            print("                        destination %s" % kinds(dp))
            if "skopeo sync" in again:
                print("  ratio limg-sync / skopeo sync: %.2fx (target <= 1.0x)"
                      % (again["limg-sync"] / again["skopeo sync"]))
        finally:
            sp.stop()
            dp.stop()
            dst.stop()
    finally:
        src.stop()
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
