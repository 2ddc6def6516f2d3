#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""docker tag, on libimage.

    python3 tag.py [--store DIR] SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]
"""
import argparse
import sys

import libimage
from _common import store_path


def main():
    p = argparse.ArgumentParser(description="Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
    p.add_argument("source")
    p.add_argument("target")
    p.add_argument("--store")
    a = p.parse_args()
    # docker's client checks the target itself: no daemon prefix
    try:
        if libimage.Reference.parse(a.target).digest:
            print("refusing to create a tag with a digest reference", file=sys.stderr)
            return 1
    except libimage.LibimageError as e:
        print("Error parsing reference: \"%s\" is not a valid repository/tag: %s" % (a.target, e.message),
              file=sys.stderr)
        return 1
    try:
        path = store_path(a.store)
    except libimage.LibimageError as e:
        print("Error: %s (use --store DIR)" % e.message, file=sys.stderr)
        return 1
    try:
        with libimage.Store(path) as store:
            store.tag(a.source, a.target)
    except libimage.LibimageError as e:
        print("Error response from daemon: %s" % e.message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
