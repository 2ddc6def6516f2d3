#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Starts a local registry (Debian's docker-registry) on a free loopback port
and seeds it with a small busybox-based sample image built from local files,
as library/busybox:latest. Prints the registry's host:port, then serves
until its standard input closes.

    exec 3< <(/usr/bin/python3 examples/sample_registry.py)   # then read the port from fd 3
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from fixtures import images, registry  # noqa: E402


def main():
    reg = registry.Registry()
    try:
        image = images.busybox_image()
        reg.push("library/busybox", "latest", image)
        print(reg.host, flush=True)
        sys.stdin.read()  # until the caller closes our stdin
    finally:
        reg.stop()


if __name__ == "__main__":
    main()
