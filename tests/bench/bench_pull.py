#!/usr/bin/python3
"""Cold pull of a multi-layer image (about 60 MB compressed, 120 MB
uncompressed) from a local registry: wall time, MB/s and peak RSS of
limg-pull (with and without diff_id verification), next to
`skopeo copy docker://... oci:...` and `podman pull` when installed.

    /usr/bin/python3 tests/bench/bench_pull.py [BUILD_DIR] [RUNS]
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

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*")


def big_image():
    """Four layers of 30 MB each: half incompressible, half text."""
    layers = []
    for i in range(4):
        text = (b"libimage benchmark line %d\n" % i) * (15 * 1024 * 1024 // 26)
        layers.append(images.Layer({"data/random.bin": images.pseudo_random(15 << 20, 100 + i),
                                    "data/text.txt": text}, level=6))
    return images.Image(layers)


def measure(cmd, env=None):
    """Wall time and peak RSS (KiB) of a command, through the small peak_rss parent."""
    start = time.perf_counter()
    p = subprocess.run([os.path.join(BUILD, "tests", "peak_rss")] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=env or ENV, text=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd[0], p.stderr))
    return elapsed, int(p.stderr.strip().splitlines()[-1].split()[-1])


def best(label, make_cmd, compressed):
    times, rss = [], []
    for _ in range(RUNS):
        tmp = tempfile.mkdtemp()
        try:
            t, r = measure(make_cmd(tmp))
        finally:
            shutil.rmtree(tmp)
        times.append(t)
        rss.append(r)
    t = min(times)
    print("  %-38s %7.3f s  %7.1f MB/s  peak RSS %6.1f MB" % (label, t, compressed / t / 1e6, max(rss) / 1024))
    return t, max(rss)


def main():
    img = big_image()
    compressed = sum(l.blob.size for l in img.layers)
    uncompressed = img.uncompressed_size
    with registry.Registry() as reg:
        reg.push("bench/big", "v1", img)
        ref = "%s/bench/big:v1" % reg.host
        pull = os.path.join(BUILD, "examples", "limg-pull")
        print("cold pull of %s: %d layers, %.1f MB compressed, %.1f MB uncompressed, best of %d" %
              (ref, len(img.layers), compressed / 1e6, uncompressed / 1e6, RUNS))
        full, rss = best("limg-pull (diff_ids verified)", lambda d: [pull, "--store", d, ref], compressed)
        four, _ = best("limg-pull --max-concurrent-downloads 4",
                       lambda d: [pull, "--max-concurrent-downloads", "4", "--store", d, ref], compressed)
        fast, _ = best("limg-pull --no-diff-ids", lambda d: [pull, "--no-diff-ids", "--store", d, ref], compressed)
        if shutil.which("skopeo"):
            sk, _ = best("skopeo copy docker:// oci:",
                         lambda d: ["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false",
                                    "docker://" + ref, "oci:%s:v1" % d], compressed)
            print("  limg-pull --no-diff-ids vs skopeo: %.2fx faster (target >= 1.5x)" % (sk / fast))
        else:
            print("  skopeo not installed")
        if shutil.which("podman"):
            pd, _ = best("podman pull", lambda d: ["podman", "--root", d, "--runroot", d + "/run", "pull",
                                                   "--tls-verify=false", ref], compressed)
            print("  limg-pull vs podman pull: %.2fx faster (target >= 5x); with 4 downloads at once %.2fx"
                  % (pd / full, pd / four))
        else:
            print("  podman not installed (target: 5x faster than podman's ~3.4 s here)")
        print("  peak RSS of limg-pull: %.1f MB (target <= 16 MB)" % (rss / 1024))


if __name__ == "__main__":
    main()
