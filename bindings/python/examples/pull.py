#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""docker pull, on libimage: prints what docker prints off a terminal.

    python3 pull.py [--store DIR] [--platform P] [--tls-verify=BOOL] [--cert-dir DIR]
                    [--registry-mirror URL] [-q] NAME[:TAG|@DIGEST]
"""
import argparse
import os
import sys

import libimage
from _common import store_path

Event, BlobKind = libimage.Event, libimage.BlobKind
STATUS = {Event.WAITING: "Pulling fs layer", Event.EXISTS: "Already exists", Event.VERIFYING: "Verifying Checksum",
          Event.DOWNLOADED: "Download complete", Event.COMPLETE: "Pull complete",
          Event.SKIPPED: "Skipped foreign layer"}


def report_failure(e, ref):
    """What docker says when the pull fails: the registry's refusals in its words, the rest as it is."""
    if isinstance(e, libimage.NotFoundError) and e.subject == "MANIFEST":
        print("Error response from daemon: manifest for %s not found: manifest unknown: manifest unknown"
              % ref.familiar, file=sys.stderr)
    elif isinstance(e, libimage.AuthError) and e.subject == "CREDENTIALS":
        print("Error response from daemon: %s" % e.message, file=sys.stderr)
        print("hint: log in to %s again: limg-login %s" % (e.object, e.object), file=sys.stderr)
    elif (isinstance(e, libimage.NotFoundError) and e.subject == "REPOSITORY") or \
            (isinstance(e, libimage.AuthError) and e.http_status):
        print("Error response from daemon: pull access denied for %s, repository does not exist or may require "
              "'docker login': %s" % (ref.familiar_name, e.message), file=sys.stderr)
    elif e.subject in ("BLOB", "LAYER", "CONFIG"):
        # a blob the registry lacks or one that does not verify: said in the pull's stream, no daemon prefix
        print(e.message, file=sys.stderr)
    else:
        print("Error response from daemon: %s" % e.message, file=sys.stderr)
        if e.subject == "CERTIFICATE":
            print("hint: to trust the registry's certificate, put its CA in DIR/%s/ca.crt and pass --cert-dir DIR "
                  "(default /etc/docker/certs.d), or use --tls-verify=false" % e.object, file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description="Download an image from a registry")
    p.add_argument("name")
    p.add_argument("--store")
    p.add_argument("--platform")
    p.add_argument("--tls-verify", choices=("true", "false"))
    p.add_argument("--cert-dir")
    p.add_argument("--registry-mirror", dest="mirror", default=os.environ.get("LIBIMAGE_REGISTRY_MIRROR"))
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args()
    try:
        given = libimage.Reference.parse(a.name, "normalized")
        ref = libimage.Reference.parse(a.name)
    except libimage.InvalidReferenceError as e:
        print(e.message, file=sys.stderr)
        return 1
    hide = [False]

    def progress(ev):
        if ev.kind == BlobKind.CONFIG and ev.event == Event.EXISTS:
            hide[0] = True  # a config already stored: docker shows no layers
        if a.quiet or hide[0] or ev.kind != BlobKind.LAYER or not ev.digest or ev.event not in STATUS:
            return
        print("%s: %s" % (ev.digest[7:19], STATUS[ev.event]), flush=True)
    try:
        path = store_path(a.store)
    except libimage.LibimageError as e:
        print("Error: %s (use --store DIR)" % e.message, file=sys.stderr)
        return 1
    # the registries' settings: --tls-verify and --cert-dir for every one, Docker's registry-mirrors for docker.io
    config = libimage.RegistryConfig(insecure={"true": False, "false": True}.get(a.tls_verify), certs_dir=a.cert_dir)
    mirrors = {"docker.io": libimage.RegistryConfig(insecure=config.insecure, certs_dir=a.cert_dir,
                                                    mirrors=[a.mirror])} if a.mirror else {}
    if not a.quiet:
        if not given.tag and not given.digest:
            print("Using default tag: latest")
        print("%s: Pulling from %s" % (ref.tag or ref.digest, ref.path), flush=True)
    with libimage.Session(config, registries=mirrors) as session, libimage.Store(path) as store:
        try:
            image = store.pull(a.name, platform=a.platform, progress=progress, session=session)
        except libimage.LibimageError as e:
            report_failure(e, ref)
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
