#!/usr/bin/env python3
"""docker pull, on libimage: prints what docker prints off a terminal.

    python3 pull.py [--store DIR] [--platform P] [--registry-mirror URL] NAME[:TAG|@DIGEST]
"""
import argparse
import sys

import libimage
from _common import store_path

STATUS = {libimage.PullEvent.WAITING: "Pulling fs layer", libimage.PullEvent.EXISTS: "Already exists",
          libimage.PullEvent.VERIFYING: "Verifying Checksum", libimage.PullEvent.DOWNLOADED: "Download complete",
          libimage.PullEvent.COMPLETE: "Pull complete", libimage.PullEvent.SKIPPED: "Skipped foreign layer"}


def main():
    p = argparse.ArgumentParser(description="Download an image from a registry")
    p.add_argument("name")
    p.add_argument("--store")
    p.add_argument("--platform")
    p.add_argument("--registry-mirror", dest="mirror")
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args()
    try:
        given = libimage.Reference.parse(a.name, "normalized")
        ref = libimage.Reference.parse(a.name)
    except libimage.InvalidReferenceError as e:
        print("invalid reference format: %s" % e, file=sys.stderr)
        return 1
    hide = [False]

    def progress(ev):
        if ev.kind == libimage.BlobKind.CONFIG and ev.event == libimage.PullEvent.EXISTS:
            hide[0] = True  # a config already stored: docker shows no layers
        if a.quiet or hide[0] or ev.kind != libimage.BlobKind.LAYER or ev.event not in STATUS:
            return
        print("%s: %s" % (ev.digest[7:19], STATUS[ev.event]), flush=True)
    if not a.quiet:
        if not given.tag and not given.digest:
            print("Using default tag: latest")
        print("%s: Pulling from %s" % (ref.tag or ref.digest, ref.path), flush=True)
    config = libimage.RegistryConfig(docker_hub_mirror=a.mirror)
    with libimage.Store(store_path(a.store)) as store:
        try:
            image = store.pull(a.name, platform=a.platform, progress=progress, registry=config)
        except libimage.NotFoundError as e:
            if e.registry_code == "MANIFEST_UNKNOWN":
                print("Error response from daemon: manifest for %s not found: manifest unknown: manifest unknown"
                      % ref.familiar, file=sys.stderr)
            else:
                print("Error response from daemon: %s" % e.message, file=sys.stderr)
            return 1
        except libimage.LibimageError as e:
            print("Error response from daemon: %s" % e.message, file=sys.stderr)
            return 1
    if not a.quiet:
        print("Digest: %s" % image.digest)
        print("Status: %s for %s" % ("Image is up to date" if image.up_to_date else "Downloaded newer image",
                                     ref.familiar))
    print(ref.string)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
