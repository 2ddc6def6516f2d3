#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Cold pulls from a local registry, side by side in one run: limg-pull
(diff_ids verified, and --no-diff-ids), `skopeo copy docker://... oci:DIR`
(which verifies no diff_ids) and `podman pull` when installed; wall and CPU
time, peak RSS, the registry's own CPU per pull (it shares the cores), and
the ratios the targets speak of. Then the same through
a proxy that caps every connection at 16 MB/s, as many registries and CDNs
cap one connection.

The realistic image is built from this machine's files (7 layers, ~58 MB of
gzip, ~160 MB uncompressed; see fixtures/images.py) and cached in
BUILD_DIR/bench-cache; the synthetic one (4 x 30 MB, half random) is kept
for comparison with earlier figures.

    /usr/bin/python3 tests/bench/bench_pull.py [BUILD_DIR] [RUNS] [--no-throttle] [--synthetic]
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import images, registry, throttle  # noqa: E402

args = [a for a in sys.argv[1:] if not a.startswith("--")]
BUILD = os.path.abspath(args[0] if args else os.path.join(HERE, "..", "..", "build"))
RUNS = int(args[1]) if len(args) > 1 else 3
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent")
PULL = os.path.join(BUILD, "examples", "limg-pull")


def synthetic_image():
    """Four layers of 30 MB each: half incompressible, half text."""
    layers = []
    for i in range(4):
        text = (b"libimage benchmark line %d\n" % i) * (15 * 1024 * 1024 // 26)
        layers.append(images.Layer({"data/random.bin": images.pseudo_random(15 << 20, 100 + i),
                                    "data/text.txt": text}, level=6))
    return images.Image(layers)


def measure(cmd):
    """Wall time, CPU time and peak RSS (bytes) of a command, through peak_rss."""
    start = time.perf_counter()
    p = subprocess.run([os.path.join(BUILD, "tests", "peak_rss")] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=ENV, text=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd[0], p.stderr))
    fields = p.stderr.strip().splitlines()[-1].split()
    return elapsed, float(fields[3]), int(fields[1]) * 1024


SERVER = None  # the registry's process: it shares the two cores with the client


def server_cpu():
    """CPU seconds the registry process has used so far (0 when unknown)."""
    try:
        with open("/proc/%d/stat" % SERVER.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, IndexError, ValueError):
        return 0.0


def best(label, make_cmd, compressed, runs=RUNS):
    results = []
    served = server_cpu()
    for _ in range(runs):
        tmp = tempfile.mkdtemp()
        try:
            results.append(measure(make_cmd(tmp)))
        finally:
            subprocess.run(["rm", "-rf", tmp])
    served = (server_cpu() - served) / runs
    t = min(r[0] for r in results)
    cpu = min(r[1] for r in results)
    rss = max(r[2] for r in results)
    print("  %-40s %6.3f s  cpu %6.3f s  %7.1f MB/s  peak RSS %5.1f MB  registry cpu %5.3f s" %
          (label, t, cpu, compressed / t / 1e6, rss / 1e6, served))
    return t, rss, cpu + served  # the CPU the command and its registry needed together


def skopeo(ref, d):
    return ["skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false", "docker://" + ref, "oci:%s:v1" % d]


def podman(ref, d):
    with open(d + "/auth.json", "w") as f:
        f.write("{}")
    return ["podman", "--root", d, "--runroot", d + "/run", "pull", "-q", "--authfile", d + "/auth.json",
            "--tls-verify=false", ref]


def run_set(title, ref, compressed, peers=True):
    print(title)
    ours, rss, ours_cpu = best("limg-pull (diff_ids verified)", lambda d: [PULL, "-q", "--store", d, ref],
                               compressed)
    fast, rss2, fast_cpu = best("limg-pull --no-diff-ids",
                                lambda d: [PULL, "-q", "--no-diff-ids", "--store", d, ref], compressed)
    out = {"verified": ours, "fast": fast, "rss": max(rss, rss2)}
    if peers and shutil.which("skopeo"):
        sk, _, _ = best("skopeo copy docker:// oci:", lambda d: skopeo(ref, d), compressed)
        out["skopeo"] = sk
        # the floor: every core busy all the time with what the pull and its registry need
        cores = os.cpu_count()
        print("  verified / skopeo     %.2fx  (CPU floor %.3f s, the pull's and the registry's CPU over %d cores: "
              "%.2fx)" % (ours / sk, ours_cpu / cores, cores, ours_cpu / cores / sk))
        print("  --no-diff-ids / skopeo %.2fx  (CPU floor %.3f s: %.2fx)"
              % (fast / sk, fast_cpu / cores, fast_cpu / cores / sk))
    if peers and shutil.which("podman"):
        pd, _, _ = best("podman pull", lambda d: podman(ref, d), compressed, runs=1)
        out["podman"] = pd
        print("  verified / podman     %.2fx" % (ours / pd))
    print("  peak RSS of limg-pull  %.1f MB" % (out["rss"] / 1e6))
    return out


def serial_floor(img, skopeo_s):
    """The inflate of the largest layer alone, from memory: a deflate stream
    cannot be split, so no verified pull of this image is faster."""
    largest = max(img.layers, key=lambda l: l.blob.size)
    with tempfile.NamedTemporaryFile(suffix=".gz") as f:
        f.write(largest.blob.data)
        f.flush()
        p = subprocess.run([os.path.join(BUILD, "tests", "bench_inflate"), f.name, str(max(RUNS, 3))],
                           capture_output=True, text=True, check=True)
    fields = p.stdout.split()
    inflate, with_hash = float(fields[1]), float(fields[3])
    print("  inflate of the largest layer alone       %6.3f s  (with its SHA-256 on the same thread %.3f s)"
          % (inflate, with_hash))
    if skopeo_s:
        print("  that inflate / skopeo's whole copy  %.2fx" % (inflate / skopeo_s))


def main():
    img = synthetic_image() if "--synthetic" in sys.argv else \
        images.realistic_image(os.path.join(BUILD, "bench-cache"))
    compressed = sum(l.blob.size for l in img.layers)
    global SERVER
    with registry.Registry() as reg:
        SERVER = reg.proc
        reg.push("bench/img", "v1", img)
        ref = "%s/bench/img:v1" % reg.host
        cold = run_set("cold pull of %s: %d layers, %.1f MB compressed (largest %.1f MB), %.1f MB uncompressed, "
                       "best of %d" % (ref, len(img.layers), compressed / 1e6,
                                       max(l.blob.size for l in img.layers) / 1e6, img.uncompressed_size / 1e6,
                                       RUNS), ref, compressed)
        serial_floor(img, cold.get("skopeo"))
        if "--no-throttle" not in sys.argv:
            cap = throttle.Throttle(reg.host, 16 << 20)
            try:
                run_set("\nthe same through a proxy capping every connection at 16 MB/s",
                        "%s/bench/img:v1" % cap.host, compressed, peers=shutil.which("skopeo") is not None)
            finally:
                cap.stop()


if __name__ == "__main__":
    main()
