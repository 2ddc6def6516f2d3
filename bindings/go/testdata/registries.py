#!/usr/bin/python3
"""The registries the Go tests use: a plain one with a few images, a proxy in
front of it that sends blobs slowly (for cancellation), and one with TLS and
basic auth. Prints their addresses as one JSON line, then serves until its
standard input closes."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "integration"))
from fixtures import faultproxy, images, registry  # noqa: E402

SECRET = "go-Passw0rd"


def main():
    plain = registry.Registry()
    slow = faultproxy.FaultProxy(plain.host)
    tls = registry.Registry(tls=True, users={"gopher": SECRET})
    try:
        plain.push("go/busybox", "v1", images.busybox_image())
        plain.push("go/app", "v1", images.Image(images.sample_layers("go-app"), labels={"tier": "app"}))
        plain.push("go/big", "v1", images.Image(images.sample_layers("go-big", size=4 << 20)))
        tls.push("go/secure", "v1", images.Image(images.sample_layers("go-secure")))
        slow.add(r"/blobs/sha256:", "slow", times=-1, method="GET", rate=100000)
        print(json.dumps({"plain": plain.host, "slow": slow.host, "tls": tls.host, "ca": tls.ca.cert_path,
                          "user": "gopher", "password": SECRET}), flush=True)
        sys.stdin.read()
    finally:
        slow.stop()
        plain.stop()
        tls.stop()


if __name__ == "__main__":
    main()
