#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Registry to root filesystem for the realistic image (7 layers, ~58 MB of
gzip, ~160 MB unpacked), side by side in one run, each from a cold store:

- limg-pull --unpack DIR: the fused pull (limg_pull_unpack), one pass;
- limg-pull then limg-unpack: today's two passes, as one series;
- limg-unpack from a warm store (the image already stored): the floor the
  fused path is held to (<= 1.15x);
- skopeo copy docker:// oci: then umoci unpack, when both are installed;
- podman pull (overlay: it unpacks every layer into its store), when installed;
- containerd's ctr images pull (fetch, then unpack into the overlayfs
  snapshotter), through a containerd of the benchmark's own on a private
  socket, started fresh and untimed for each run; its CPU is the command's
  plus the daemon's during the pull;
- tar -xzf of the same layers in order (no download, no verification);
- a second image on the same base (one layer of its own) fused into a
  store that holds the first: only its own layer is downloaded, but every
  layer is applied again (a root of its own);
- shared unpacked layers (limg-unpack --shared, as root): the first image's
  layers applied as snapshots (the overlay returned, not mounted), then the
  second image on the same base with the first's snapshots there, as an
  overlay (only its own layer applied) and as a copy (its own layer
  applied, then every layer copied, reflinked where the file system can).

Wall, CPU (the command's own, its children included) and peak RSS. Outputs
on the file system of --dir (default the system's temporary directory; pass
/dev/shm for tmpfs).

    /usr/bin/python3 tests/bench/bench_rootfs.py [BUILD_DIR] [RUNS] [--dir DIR]
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
import benchutil  # noqa: E402

argv = sys.argv[1:]
out_base = None
if "--dir" in argv:
    i = argv.index("--dir")
    out_base = argv[i + 1]
    del argv[i:i + 2]
BUILD = os.path.abspath(argv[0] if argv else os.path.join(HERE, "..", "..", "build"))
RUNS = int(argv[1]) if len(argv) > 1 else 3
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent")
PEAK = os.path.join(BUILD, "tests", "peak_rss")
PULL = os.path.join(BUILD, "examples", "limg-pull")
UNPACK = os.path.join(BUILD, "examples", "limg-unpack")


def measure(cmd):
    start = time.perf_counter()
    p = subprocess.run([PEAK] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, text=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd, p.stderr))
    fields = p.stderr.strip().splitlines()[-1].split()
    return elapsed, float(fields[3]), int(fields[1]) * 1024


def series(label, make_cmd, work, runs=RUNS, prepare=None):
    """Runs into fresh directories (kept until the end: ext4 makes inodes slowly
    right after many deletions); prints the median wall, the least CPU, the
    highest peak RSS; returns (wall, cpu, rss)."""
    results = []
    for _ in range(runs):
        d = tempfile.mkdtemp(dir=work)
        if prepare:
            prepare(d)
        results.append(measure(make_cmd(d)))
    walls = sorted(r[0] for r in results)
    wall, cpu, rss = walls[len(walls) // 2], min(r[1] for r in results), max(r[2] for r in results)
    print("  %-40s median %6.3f s  best %6.3f s  cpu %6.3f s  peak RSS %6.1f MB" %
          (label, wall, walls[0], cpu, rss / 1e6))
    return wall, cpu, rss


def sh(script, *args):
    return ["sh", "-c", script, "sh"] + list(args)


def cpu_of(pid):
    """User + system seconds a process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def containerd_series(label, ref, work, runs=RUNS):
    """ctr images pull (unpacked into overlayfs) through a fresh containerd of
    our own for each run: median wall, least CPU (ctr's and the daemon's
    during the pull), highest peak RSS of ctr and of the daemon."""
    results = []
    for _ in range(runs):
        d = tempfile.mkdtemp(dir=work)
        sock = d + "/ctd.sock"
        with open(d + "/config.toml", "w") as f:
            f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s.ttrpc"\n'
                    '[debug]\n  address = ""\n[metrics]\n  address = ""\n' % (d, d, sock, sock))
        log = open(d + "/containerd.log", "w")
        daemon = subprocess.Popen(["containerd", "--config", d + "/config.toml"], stdout=log, stderr=log)
        try:
            for _ in range(100):
                if subprocess.run(["ctr", "-a", sock, "version"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode == 0:
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("containerd did not start: see %s/containerd.log" % d)
            before = cpu_of(daemon.pid)
            wall, cpu, rss = measure(["ctr", "-a", sock, "-n", "bench", "images", "pull", "--plain-http",
                                      "--snapshotter", "overlayfs", ref])
            cpu += cpu_of(daemon.pid) - before
            with open("/proc/%d/status" % daemon.pid) as f:
                hwm = [int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:")][0]
            results.append((wall, cpu, max(rss, hwm)))
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
            log.close()
            # what the snapshotter left mounted (nothing, after a pull) must go before the directory does
            subprocess.run(["sh", "-c", 'grep -o " %s/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount' % d])
    walls = sorted(r[0] for r in results)
    wall, cpu, rss = walls[len(walls) // 2], min(r[1] for r in results), max(r[2] for r in results)
    print("  %-40s median %6.3f s  best %6.3f s  cpu %6.3f s  peak RSS %6.1f MB" %
          (label, wall, walls[0], cpu, rss / 1e6))
    return wall, cpu, rss


def main():
    benchutil.header("bench_rootfs.py")
    work = tempfile.mkdtemp(dir=out_base)
    reg = registry.Registry()
    try:
        img = images.realistic_image(os.path.join(BUILD, "bench-cache"))
        reg.push("bench/rootfs", "v1", img)
        own = images.Layer({"app/data": images.pseudo_random(4 << 20, 11)})
        second = images.Image(img.layers + [own])
        reg.push("bench/second", "v1", second)
        ref, ref2 = "%s/bench/rootfs:v1" % reg.host, "%s/bench/second:v1" % reg.host
        warm = os.path.join(work, "warm-store")
        subprocess.run([PULL, "-q", "--store", warm, ref], check=True, env=ENV, stdout=subprocess.DEVNULL)
        blobs = [os.path.join(warm, "blobs", "sha256", l.blob.digest[7:]) for l in img.layers]
        fs = subprocess.run(["stat", "-f", "-c", "%T", out_base or tempfile.gettempdir()], capture_output=True,
                            text=True).stdout.strip()
        compressed = sum(l.blob.size for l in img.layers)
        print("realistic image: %d layers, %.1f MB compressed, %.1f MB unpacked; outputs on %s; %d runs; %d cores" %
              (len(img.layers), compressed / 1e6, img.uncompressed_size / 1e6, fs, RUNS, os.cpu_count()))
        fused = series("limg-pull --unpack (one pass)",
                       lambda d: [PULL, "-q", "--store", d + "/store", "--unpack", d + "/root", ref], work)
        two = series("limg-pull, then limg-unpack",
                     lambda d: sh('"$1" -q --store "$3/store" "$4" && "$2" --store "$3/store" "$4" "$3/root"',
                                  PULL, UNPACK, d, ref), work)
        warm_unpack = series("limg-unpack, warm store", lambda d: [UNPACK, "--store", warm, ref, d + "/root"], work)
        tar = series("tar -xzf of each layer (floor)",
                     lambda d: sh('r="$1" && mkdir "$r" && shift && for b in "$@"; do tar -xzf "$b" -C "$r" || '
                                  'exit 1; done', d + "/root", *blobs), work)
        peers = {}
        if shutil.which("skopeo") and shutil.which("umoci"):
            peers["skopeo + umoci"] = series(
                "skopeo copy + umoci unpack",
                lambda d: sh('skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$2" "oci:$1/oci:v1" '
                             '&& umoci unpack --image "$1/oci:v1" "$1/bundle"', d, ref), work)
        if shutil.which("podman"):
            def auth(d):
                with open(d + "/auth.json", "w") as f:
                    f.write("{}")
            peers["podman pull"] = series(
                "podman pull (overlay)",
                lambda d: ["podman", "--root", d + "/root", "--runroot", d + "/run", "--storage-driver", "overlay",
                           "pull", "-q", "--authfile", d + "/auth.json", "--tls-verify=false", ref],
                work, runs=1, prepare=auth)
        if shutil.which("containerd") and shutil.which("ctr") and os.geteuid() == 0:
            peers["containerd"] = containerd_series("containerd: ctr images pull (overlayfs)", ref, work)

        def first_stored(d):
            subprocess.run([PULL, "-q", "--store", d + "/store", ref], check=True, env=ENV,
                           stdout=subprocess.DEVNULL)
        second_run = series("second image on the same base (fused)",
                            lambda d: [PULL, "-q", "--store", d + "/store", "--unpack", d + "/root", ref2], work,
                            prepare=first_stored)
        shared = {}
        if os.geteuid() == 0:
            def both_stored(d):
                for r in (ref, ref2):
                    subprocess.run([PULL, "-q", "--store", d + "/store", r], check=True, env=ENV,
                                   stdout=subprocess.DEVNULL)

            def base_shared(d):
                both_stored(d)
                subprocess.run([UNPACK, "--store", d + "/store", "--shared", "--no-mount", ref, d + "/base"],
                               check=True, env=ENV, stdout=subprocess.DEVNULL)
            shared["first"] = series("shared: first image, every layer",
                                     lambda d: [UNPACK, "--store", d + "/store", "--shared", "--no-mount", ref,
                                                d + "/root"], work, prepare=both_stored)
            shared["second"] = series("shared: second image, overlay",
                                      lambda d: [UNPACK, "--store", d + "/store", "--shared", "--no-mount", ref2,
                                                 d + "/root"], work, prepare=base_shared)
            shared["second copy"] = series("shared: second image, copy",
                                           lambda d: [UNPACK, "--store", d + "/store", "--shared", "--copy", ref2,
                                                      d + "/root"], work, prepare=base_shared)
        print("ratios (medians, wall):")
        print("  one pass / two passes            %.2fx (target <= 0.6x)" % (fused[0] / two[0]))
        print("  one pass / warm limg-unpack      %.2fx (target <= 1.15x)" % (fused[0] / warm_unpack[0]))
        print("  one pass / tar -xzf floor        %.2fx" % (fused[0] / tar[0]))
        for name, m in peers.items():
            print("  one pass / %-22s %.2fx (target <= %s)" %
                  (name, fused[0] / m[0], {"podman pull": "0.2x", "skopeo + umoci": "0.2x", "containerd": "0.22x"}[name]))
        print("  CPU per compressed MB: one pass %.1f ms, two passes %.1f ms" %
              (fused[1] * 1e3 / (compressed / 1e6), two[1] * 1e3 / (compressed / 1e6)))
        print("  second image (its own layer %.1f MB): %.3f s" % (own.blob.size / 1e6, second_run[0]))
        if shared:
            own_share = own.blob.size / (compressed + own.blob.size)
            print("  shared layers: second image %.3f s = %.2fx the first's %.3f s (its own layer is %.2f of the "
                  "compressed bytes); as a copy %.3f s" % (shared["second"][0], shared["second"][0] / shared["first"][0],
                                                          shared["first"][0], own_share, shared["second copy"][0]))
            print("  shared first image / warm limg-unpack %.2fx" % (shared["first"][0] / warm_unpack[0]))
        print("peak RSS of the one pass: %.1f MB (target < 24 MiB = 25.2 MB)" % (fused[2] / 1e6))
    finally:
        reg.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
