#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Cold pulls from a local registry, every contender once per round, rounds
interleaved (A B C ... A B C ...), medians compared with medians:

  limg-pull (diff_ids verified) and limg-pull --no-diff-ids
  skopeo copy docker://... oci:DIR          (verifies no diff_ids)
  limg-pull then limg-unpack of the image   (the layers applied, as podman leaves them)
  podman pull                               (which also applies every layer to its storage)

Wall and CPU time, peak RSS and the registry's own CPU per pull (it shares the
cores). Floors, from the same runs: the pull's and the registry's CPU spread
over all cores, and the inflate of the largest layer alone (bench_inflate; a
deflate stream cannot be split). Then the verified pulls and skopeo again
through a proxy that caps every connection at 16 MB/s, as many registries
and CDNs cap one connection.

The realistic image is built from this machine's files (7 layers, ~58 MB of
gzip, ~160 MB uncompressed; see fixtures/images.py) and cached in
BUILD_DIR/bench-cache; the synthetic one (4 x 30 MB, half random) is kept for
comparison with earlier figures.

    /usr/bin/python3 tests/bench/bench_pull.py [BUILD_DIR] [RUNS] [--no-throttle] [--synthetic]
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import images, registry, throttle  # noqa: E402
import benchutil  # noqa: E402
from benchutil import best, median  # noqa: E402

args = [a for a in sys.argv[1:] if not a.startswith("--")]
BUILD = os.path.abspath(args[0] if args else os.path.join(HERE, "..", "..", "build"))
RUNS = int(args[1]) if len(args) > 1 else 5
PULL = os.path.join(BUILD, "examples", "limg-pull")
UNPACK = os.path.join(BUILD, "examples", "limg-unpack")
SERVER = None  # the registry's process: it shares the cores with the client


def synthetic_image():
    """Four layers of 30 MB each: half incompressible, half text."""
    layers = []
    for i in range(4):
        text = (b"libimage benchmark line %d\n" % i) * (15 * 1024 * 1024 // 26)
        layers.append(images.Layer({"data/random.bin": images.pseudo_random(15 << 20, 100 + i),
                                    "data/text.txt": text}, level=6))
    return images.Image(layers)


def server_cpu():
    """CPU seconds the registry process has used so far (0 when unknown)."""
    try:
        with open("/proc/%d/stat" % SERVER.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, IndexError, ValueError):
        return 0.0


def with_registry_cpu(make_cmd):
    """A contender: the command's Result, with the registry's CPU during it in .extra."""
    def run(d):
        before = server_cpu()
        r = benchutil.measure(BUILD, make_cmd(d))
        r.extra = server_cpu() - before
        return r
    return run


def skopeo(ref, d):
    return ["skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false", "docker://" + ref, "oci:%s:v1" % d]


def podman(ref, d):
    with open(d + "/auth.json", "w") as f:
        f.write("{}")
    return ["podman", "--root", d + "/root", "--runroot", d + "/run", "pull", "-q", "--authfile", d + "/auth.json",
            "--tls-verify=false", ref]


def pull_and_unpack(ref, d):
    script = '"$0" -q --store "$1/store" "$2" && "$3" --store "$1/store" "$2" "$1/rootfs"'
    return ["sh", "-c", script, PULL, d, ref, UNPACK]


def line(label, results, compressed):
    m = median(results)
    print("  %-40s median %6.3f s (best %6.3f)  cpu %6.3f s  %6.1f MB/s  peak RSS %5.1f MB  registry cpu %5.3f s" %
          (label, m, best(results), median(results, "cpu"), compressed / m / 1e6,
           max(r.rss for r in results) / 1e6, median(results, "extra")))


def run_set(title, ref, compressed, with_podman=True):
    print(title)
    contenders = [("limg-pull (diff_ids verified)", with_registry_cpu(lambda d: [PULL, "-q", "--store", d, ref])),
                  ("limg-pull --no-diff-ids",
                   with_registry_cpu(lambda d: [PULL, "-q", "--no-diff-ids", "--store", d, ref]))]
    have_skopeo = shutil.which("skopeo")
    have_podman = with_podman and shutil.which("podman")
    if have_skopeo:
        contenders.append(("skopeo copy docker:// oci:", with_registry_cpu(lambda d: skopeo(ref, d))))
    if have_podman:
        contenders.append(("limg-pull + limg-unpack", with_registry_cpu(lambda d: pull_and_unpack(ref, d))))
        contenders.append(("podman pull (layers applied)", with_registry_cpu(lambda d: podman(ref, d))))
    res = benchutil.interleaved(RUNS, contenders)
    for label, _ in contenders:
        line(label, res[label], compressed)
    verified, fast = res["limg-pull (diff_ids verified)"], res["limg-pull --no-diff-ids"]
    cores = os.cpu_count()
    # a floor per run: the pull's and the registry's CPU, every core busy all the time
    floor = [type(r)((r.cpu + r.extra) / cores) for r in verified]
    fast_floor = [type(r)((r.cpu + r.extra) / cores) for r in fast]
    out = {"verified": median(verified), "fast": median(fast),
           "rss": max(r.rss for r in verified + fast)}
    if have_skopeo:
        sk = median(res["skopeo copy docker:// oci:"])
        out["skopeo"] = sk
        print("  verified / skopeo       %.2fx  (its CPU floor, the pull's and the registry's CPU over %d cores: "
              "%.3f s, %.2fx)" % (out["verified"] / sk, cores, median(floor), median(floor) / sk))
        print("  --no-diff-ids / skopeo  %.2fx  (its CPU floor %.3f s, %.2fx)"
              % (out["fast"] / sk, median(fast_floor), median(fast_floor) / sk))
    if have_podman:
        pd = median(res["podman pull (layers applied)"])
        both = median(res["limg-pull + limg-unpack"])
        out["podman"], out["pull_unpack"] = pd, both
        print("  limg-pull + limg-unpack / podman pull  %.2fx  (like for like: both leave the layers applied)"
              % (both / pd))
        print("  limg-pull alone / podman pull          %.2fx  (not like for like: podman also applies the layers)"
              % (out["verified"] / pd))
    print("  peak RSS of limg-pull  %.1f MB" % (out["rss"] / 1e6))
    return out


def serial_floor(img, skopeo_s):
    """The inflate of the largest layer alone, from memory: a deflate stream
    cannot be split, so no verified pull of this image is faster. Medians of
    RUNS, as the pulls'; zlib's own inflate of it beside (ISA-L's gain)."""
    largest = max(img.layers, key=lambda l: l.blob.size)
    with tempfile.NamedTemporaryFile(suffix=".gz") as f:
        f.write(largest.blob.data)
        f.flush()
        p = subprocess.run([os.path.join(BUILD, "tests", "bench_inflate"), f.name, str(max(RUNS, 3))],
                           capture_output=True, text=True, check=True)
    fields = p.stdout.split()
    got = dict(zip(fields[::2], fields[1::2]))
    inflate, with_hash = float(got["median_inflate_s"]), float(got["median_inflate_hash_s"])
    zlib = float(got["median_zlib_inflate_s"])
    print("  inflate of the largest layer (%.1f MB) alone  median %6.3f s  (with its SHA-256 on the same thread "
          "%.3f s; zlib's inflate %.3f s: ISA-L %.1fx zlib)" % (largest.blob.size / 1e6, inflate, with_hash, zlib,
                                                              zlib / inflate))
    if skopeo_s:
        print("  that inflate / skopeo's whole copy  %.2fx" % (inflate / skopeo_s))


def main():
    benchutil.header("bench_pull.py")
    img = synthetic_image() if "--synthetic" in sys.argv else \
        images.realistic_image(os.path.join(BUILD, "bench-cache"))
    compressed = sum(l.blob.size for l in img.layers)
    global SERVER
    with registry.Registry() as reg:
        SERVER = reg.proc
        reg.push("bench/img", "v1", img)
        ref = "%s/bench/img:v1" % reg.host
        cold = run_set("cold pull of %s: %d layers, %.1f MB compressed (largest %.1f MB), %.1f MB uncompressed, "
                       "%d interleaved rounds" % (ref, len(img.layers), compressed / 1e6,
                                                  max(l.blob.size for l in img.layers) / 1e6,
                                                  img.uncompressed_size / 1e6, RUNS), ref, compressed)
        serial_floor(img, cold.get("skopeo"))
        if "--no-throttle" not in sys.argv:
            cap = throttle.Throttle(reg.host, 16 << 20)
            try:
                run_set("\nthe same through a proxy capping every connection at 16 MB/s (podman not run)",
                        "%s/bench/img:v1" % cap.host, compressed, with_podman=False)
            finally:
                cap.stop()


if __name__ == "__main__":
    main()
