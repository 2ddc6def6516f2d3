#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""docker images, on libimage: the classic table.

    python3 images.py [--store DIR] [-a] [--digests] [-q] [--filter K=V]... [REPOSITORY[:TAG]]
"""
import argparse
import sys

import libimage
from _common import ago, human_size, store_path, table


def main():
    p = argparse.ArgumentParser(description="List images")
    p.add_argument("reference", nargs="?")
    p.add_argument("--store")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("--digests", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("-f", "--filter", action="append", default=[])
    a = p.parse_args()
    filters = list(a.filter) + (["reference=" + a.reference] if a.reference else [])
    try:
        path = store_path(a.store)
    except libimage.LibimageError as e:
        print("Error: %s (use --store DIR)" % e.message, file=sys.stderr)
        return 1
    rows = []
    try:
        # only reads: a store that does not exist yet is an empty one
        with libimage.Store(path, create=False) as store:
            rows = store.images(all=a.all, filters=filters)
    except libimage.NotFoundError as e:
        if e.subject != "STORE":
            print("Error response from daemon: %s" % e.message, file=sys.stderr)
            return 1
    except libimage.LibimageError as e:
        print("Error response from daemon: %s" % e.message, file=sys.stderr)
        return 1
    if a.quiet:
        for r in rows:
            print(r.short_id or "<missing>")
        return 0
    out = [["REPOSITORY", "TAG"] + (["DIGEST"] if a.digests else []) + ["IMAGE ID", "CREATED", "SIZE"]]
    for r in rows:
        out.append([r.repository or "<none>", r.tag or "<none>"] + ([r.digest] if a.digests else []) +
                   [r.short_id or "<missing>", ago(r.created) if r.created else "N/A",
                    human_size(r.size) if r.size is not None else "N/A"])
    sys.stdout.write(table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
