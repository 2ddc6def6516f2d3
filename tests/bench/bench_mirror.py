#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Mirrors: what failover costs, and what a shared pull-through cache saves.

  failover    a cold pull of a small image with hosts.toml naming a mirror that
              refuses connections, and one that accepts them and never answers
              (default dial timeout), against the same pull with no mirror,
              the three interleaved round by round
  cache       ten stores pull the realistic image through Debian's
              docker-registry in proxy mode: how often the origin served each blob

    /usr/bin/python3 tests/bench/bench_mirror.py [BUILD_DIR] [RUNS]
"""
import concurrent.futures
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from fixtures import faultproxy, images, netutil, registry  # noqa: E402
import benchutil  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build"))
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent")
PULL = os.path.join(BUILD, "examples", "limg-pull")


def pull(ref, store, certs):
    start = time.perf_counter()
    subprocess.run([PULL, "-q", "--cert-dir", certs, "--store", store, ref], check=True, env=ENV,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def hosts(certs, host, mirror):
    d = os.path.join(certs, host)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "hosts.toml"), "w") as f:
        if mirror:
            f.write('[host."%s"]\n  capabilities = ["pull", "resolve"]\n' % mirror)


def failover(work):
    reg = registry.Registry()
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(256)
    refusing = netutil.RefusingPort()
    try:
        img = images.Image(images.sample_layers("failover"))
        reg.push("team/app", "v1", img)
        ref = "%s/team/app:v1" % reg.host
        cases = [("no mirror", None), ("refused mirror", "http://" + refusing.host),
                 ("blackholed mirror (dial 3 s)", "http://127.0.0.1:%d" % hole.getsockname()[1])]
        def contender(mirror):
            def run(d):
                certs = os.path.join(d, "certs")
                hosts(certs, reg.host, mirror)
                return benchutil.Result(pull(ref, os.path.join(d, "store"), certs))
            return run
        res = benchutil.interleaved(RUNS, [(label, contender(mirror)) for label, mirror in cases], work=work)
        base = benchutil.median(res["no mirror"])
        for label, _ in cases:
            m = benchutil.median(res[label])
            print("  %-32s median %6.3f s  (+%.3f s)" % (label, m, m - base))
    finally:
        refusing.close()
        hole.close()
        reg.stop()


def cache(work):
    reg = registry.Registry()
    upstream = faultproxy.FaultProxy(reg.host)
    proxy = registry.Registry(proxy_of="http://" + upstream.host)
    try:
        img = images.realistic_image(os.path.join(BUILD, "bench-cache"))
        reg.push("library/app", "v1", img)
        ref = "%s/library/app:v1" % reg.host
        certs = os.path.join(work, "cache-certs")
        hosts(certs, reg.host, "http://" + proxy.host)
        first = pull(ref, os.path.join(work, "m0"), certs)
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            rest = list(pool.map(lambda i: pull(ref, os.path.join(work, "m%d" % i), certs), range(1, 10)))
        blobs = [b.digest for b in [img.config] + [l.blob for l in img.layers]]
        served = [sum(1 for m, p, _ in upstream.requests if m == "GET" and p.endswith("/blobs/" + d)) for d in blobs]
        print("  first store %.3f s (cold cache); nine more, three at a time: median %.3f s" %
              (first, statistics.median(rest)))
        print("  the origin served each blob %s times in all (docker-registry's proxy fetches a cold blob twice: "
              "one copy to keep, one to stream)" % sorted(set(served)))
    finally:
        proxy.stop()
        upstream.stop()
        reg.stop()


def main():
    benchutil.header("bench_mirror.py")
    work = tempfile.mkdtemp(prefix="limg-bench-mirror-")
    try:
        print("failover (%d interleaved rounds, medians):" % RUNS)
        failover(work)
        print("pull-through cache, realistic image, ten stores:")
        cache(work)
    finally:
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
