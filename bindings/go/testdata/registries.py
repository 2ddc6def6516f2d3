#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The registries the Go tests use: a plain one with a few images, a proxy in
front of it that sends blobs slowly (for cancellation), one with TLS and
basic auth, and two more with TLS and basic auth, each with its own CA and
its own user (a copy from one to the other must give each its own
credentials). Prints their addresses as one JSON line, then serves until
its standard input closes."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "integration"))
from fixtures import faultproxy, images, registry  # noqa: E402

SECRET = "go-Passw0rd"
USER_A, SECRET_A = "alice", "a-Secret-1"
USER_B, SECRET_B = "bob", "b-Secret-2"


def main():
    plain = registry.Registry()
    servers = [plain]
    try:
        slow = faultproxy.FaultProxy(plain.host)
        servers.append(slow)
        tls = registry.Registry(tls=True, users={"gopher": SECRET})
        servers.append(tls)
        reg_a = registry.Registry(tls=True, users={USER_A: SECRET_A})
        servers.append(reg_a)
        reg_b = registry.Registry(tls=True, users={USER_B: SECRET_B})
        servers.append(reg_b)
        plain.push("go/busybox", "v1", images.busybox_image())
        plain.push("go/app", "v1", images.Image(images.sample_layers("go-app"), labels={"tier": "app"}))
        plain.push("go/big", "v1", images.Image(images.sample_layers("go-big", size=4 << 20)))
        plain.push("go/full", "v1", images.Image(
            images.sample_layers("go-full"), author="gopher", cmd=["serve", "--port", "80"],
            labels={"tier": "web", "team": "go"},
            settings={"Entrypoint": ["/bin/app"], "WorkingDir": "/srv", "User": "1000:1000",
                      "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}}, "StopSignal": "SIGTERM"}))
        tls.push("go/secure", "v1", images.Image(images.sample_layers("go-secure")))
        reg_a.push("go/source", "v1", images.Image(images.sample_layers("go-source")))
        slow.add(r"/blobs/sha256:", "slow", times=-1, method="GET", rate=100000)
        print(json.dumps({"plain": plain.host, "slow": slow.host, "tls": tls.host, "ca": tls.ca.cert_path,
                          "user": "gopher", "password": SECRET,
                          "a": reg_a.host, "a_ca": reg_a.ca.cert_path, "a_user": USER_A, "a_password": SECRET_A,
                          "b": reg_b.host, "b_ca": reg_b.ca.cert_path, "b_user": USER_B, "b_password": SECRET_B}),
              flush=True)
        sys.stdin.read()
    finally:
        for s in reversed(servers):
            s.stop()


if __name__ == "__main__":
    main()
