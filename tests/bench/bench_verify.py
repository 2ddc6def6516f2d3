#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What a signature policy costs a pull: cold pulls of the realistic image
without a policy, then with one that requires a signature, in the same run
and alternating, so that the page cache and the neighbours weigh on both
alike. Two signed copies of the image: one with a .sig tag signature made
by an independent signer (python3-cryptography, tests/integration/fixtures/
cosign.py), one with a cosign v3 bundle referrer that limg-copy attached
(found through the referrers tag: Debian's docker-registry has no referrers
API). Then one pull of each through a proxy that counts the requests.

    /usr/bin/python3 tests/bench/bench_verify.py [BUILD_DIR] [RUNS]

The issue's target: verification adds at most 2 requests and 20 ms.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import cosign, faultproxy, images, registry  # noqa: E402
import benchutil  # noqa: E402

args = [a for a in sys.argv[1:] if not a.startswith("--")]
BUILD = os.path.abspath(args[0] if args else os.path.join(HERE, "..", "..", "build"))
RUNS = int(args[1]) if len(args) > 1 else 5
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent")
TOOLS = os.path.join(BUILD, "examples")


def run(cmd):
    """Wall and CPU seconds (user + system) of a command that must succeed."""
    start = time.perf_counter()
    p = subprocess.run([os.path.join(BUILD, "tests", "peak_rss")] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=ENV, text=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), p.stderr))
    return elapsed, float(p.stderr.strip().splitlines()[-1].split()[3])


def pull(ref, extra):
    store = tempfile.mkdtemp(prefix="sign-bench-")
    try:
        return run([os.path.join(TOOLS, "limg-pull"), "-q", "--store", store] + extra + [ref])
    finally:
        shutil.rmtree(store)


def spread(values):
    v = sorted(values)
    return v[0], v[len(v) // 2]


def main():
    benchutil.header("bench_verify.py")
    work = tempfile.mkdtemp(prefix="sign-bench-keys-")
    try:
        key = cosign.new_ec_key()
        with open(os.path.join(work, "ec.pub"), "wb") as f:
            f.write(cosign.public_pem(key))
        with open(os.path.join(work, "ec.key"), "wb") as f:
            f.write(cosign.private_pem(key))
        regd = os.path.join(work, "registries.d")
        os.makedirs(regd)
        with open(os.path.join(regd, "default.yaml"), "w") as f:
            f.write("default-docker:\n  use-sigstore-attachments: true\n")

        img = images.realistic_image(os.path.join(BUILD, "bench-cache"))
        compressed = sum(l.blob.size for l in img.layers)
        with registry.Registry() as reg:
            proxy = faultproxy.FaultProxy(reg.host)
            try:
                reg.push("bench/sig", "v1", img)
                reg.push("bench/bundle", "v1", img)
                # cosign's identity for the .sig tag: the repository, as `cosign sign` writes it
                # (and a copy signed for the counting proxy's name, which the counted pulls use)
                reg.push("bench/counted", "v1", img)
                cosign.sign(reg, "bench/sig", img.manifest.digest, "%s/bench/sig" % reg.host, key)
                cosign.sign(reg, "bench/counted", img.manifest.digest, "%s/bench/counted" % proxy.host, key)
                run([os.path.join(TOOLS, "limg-copy"), "--sign-key", os.path.join(work, "ec.key"),
                     "--sign-format", "bundle", "%s/bench/bundle:v1" % reg.host, "%s/bench/bundle:v1" % reg.host])

                def policy(host):
                    path = os.path.join(work, "policy-%s.json" % host.replace(":", "-"))
                    with open(path, "w") as f:
                        json.dump({"default": [{"type": "reject"}],
                                   "transports": {"docker": {host: [{
                                       "type": "sigstoreSigned", "keyPath": os.path.join(work, "ec.pub"),
                                       "signedIdentity": {"type": "matchRepository"}}]}}}, f)
                    return ["--policy", path, "--registries.d", regd]

                kinds = [("no policy", "bench/sig", []), (".sig tag signature", "bench/sig", policy(reg.host)),
                         ("bundle referrer", "bench/bundle", policy(reg.host))]
                times = {k: [] for k, _, _ in kinds}
                for _ in range(RUNS):
                    for name, repo, extra in kinds:
                        times[name].append(pull("%s/%s:v1" % (reg.host, repo), extra))
                print("cold pull of the realistic image (%d layers, %.1f MB gzip), %d runs alternating "
                      "(best, median), load average %.1f:" % (len(img.layers), compressed / 1e6, RUNS,
                                                              os.getloadavg()[0]))
                base = {"wall": spread(t[0] for t in times["no policy"]),
                        "cpu": spread(t[1] for t in times["no policy"])}
                for name, _, _ in kinds:
                    wall, cpu = spread(t[0] for t in times[name]), spread(t[1] for t in times[name])
                    line = "  %-22s wall %.3f %.3f s  cpu %.3f %.3f s" % (name, wall[0], wall[1], cpu[0], cpu[1])
                    if name != "no policy":
                        line += "   added: wall %+.0f %+.0f ms, cpu %+.0f %+.0f ms" % (
                            (wall[0] - base["wall"][0]) * 1e3, (wall[1] - base["wall"][1]) * 1e3,
                            (cpu[0] - base["cpu"][0]) * 1e3, (cpu[1] - base["cpu"][1]) * 1e3)
                    print(line)
                # the check alone: a process that fetches the manifest and the signatures, and verifies
                for name, repo, extra in kinds[1:]:
                    res = [run([os.path.join(TOOLS, "limg-verify")] + extra + ["%s/%s:v1" % (reg.host, repo)])
                           for _ in range(RUNS)]
                    wall, cpu = spread(t[0] for t in res), spread(t[1] for t in res)
                    print("  limg-verify alone, %-18s wall %.3f %.3f s  cpu %.3f %.3f s  (the whole process)"
                          % (name, wall[0], wall[1], cpu[0], cpu[1]))

                print("requests per pull (through a counting proxy):")
                counts = {}
                for name, repo, extra in [("no policy", "bench/counted", []),
                                          (".sig tag signature", "bench/counted", policy(proxy.host)),
                                          ("bundle referrer", "bench/bundle", policy(proxy.host))]:
                    proxy.clear()
                    pull("%s/%s:v1" % (proxy.host, repo), extra)
                    with proxy.lock:
                        counts[name] = [(m, p) for m, p, _ in proxy.requests]
                for name, asked in counts.items():
                    extra = len(asked) - len(counts["no policy"])
                    print("  %-22s %2d requests (%+d)%s" % (name, len(asked), extra, "" if name == "no policy" else
                                                            ": " + ", ".join("%s %s" % (m, p.split("/v2/")[-1][:60])
                                                                             for m, p in asked if "sha256-" in p or
                                                                             "/referrers/" in p or not any(
                                                                                 b.digest in p for b in img.blobs())
                                                                             and "/manifests/v1" not in p)))
            finally:
                proxy.stop()
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
