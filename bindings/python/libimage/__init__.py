"""Python binding of libimage (ctypes): references, stores, pull, images.

    import libimage
    with libimage.Store("/tmp/images") as store:
        image = store.pull("redis", platform="linux/amd64")
        for row in store.images():
            print(row["repository"], row["tag"], row["id"][7:19])
"""
import ctypes

from ._ffi import (Buf, ListOpts, PROGRESS, PullCallbacks, PullOpts, REMOVE, RegistryOpts, RemoveOpts, lib)
from .errors import AuthError, DigestMismatch, InvalidReference, LibimageError, NotFound, check

__all__ = ["Reference", "Store", "LibimageError", "NotFound", "AuthError", "InvalidReference", "DigestMismatch",
           "version"]

ITEROVER = -31


def version():
    return lib.limg_version().decode()


def _text(b):
    return b.decode() if b is not None else None


class Reference:
    """An image reference. mode: "docker" (as docker pull reads it), "normalized",
    "strict", "canonical", "any" or "name"."""

    _PARSERS = {"docker": lib.limg_reference_parse_docker, "normalized": lib.limg_reference_parse_normalized,
                "strict": lib.limg_reference_parse, "canonical": lib.limg_reference_parse_canonical,
                "any": lib.limg_reference_parse_any, "name": lib.limg_reference_parse_name}

    def __init__(self, text, mode="docker"):
        handle = ctypes.c_void_p()
        check(self._PARSERS[mode](ctypes.byref(handle), text.encode()))
        try:
            get = lambda n: _text(getattr(lib, "limg_reference_" + n)(handle))
            self.string, self.name, self.domain = get("string"), get("name"), get("domain")
            self.path, self.tag, self.digest = get("path"), get("tag"), get("digest")
            self.familiar, self.familiar_name = get("familiar_string"), get("familiar_name")
        finally:
            lib.limg_reference_free(handle)

    def __str__(self):
        return self.string

    def __repr__(self):
        return "Reference(%r)" % self.string


class Store:
    """An image store (an OCI layout directory). A context manager."""

    def __init__(self, path):
        self._h = ctypes.c_void_p()
        check(lib.limg_store_open(ctypes.byref(self._h), None, path.encode(), None))

    def close(self):
        if self._h:
            lib.limg_store_close(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def pull(self, reference, platform=None, verify_diff_ids=True, progress=None, insecure=None, mirror=None):
        """Pulls like docker pull. progress(digest, kind, event, done, total) may return True to stop.
        Returns a dict: reference, digest, manifest_digest, id, up_to_date."""
        opts, reg, cbs = PullOpts(), RegistryOpts(), PullCallbacks()
        lib.limg_pull_opts_init(ctypes.byref(opts), ctypes.sizeof(opts))
        lib.limg_registry_opts_init(ctypes.byref(reg), ctypes.sizeof(reg))
        lib.limg_pull_callbacks_init(ctypes.byref(cbs), ctypes.sizeof(cbs))
        if insecure is not None:
            reg.insecure = 1 if insecure else 0
        opts.registry = ctypes.pointer(reg)
        opts.platform = platform.encode() if platform else None
        opts.verify_diff_ids = 1 if verify_diff_ids else 0
        opts.docker_hub_mirror = mirror.encode() if mirror else None
        errors = []

        def on_progress(digest, kind, event, done, total, payload):
            try:
                return 1 if progress(_text(digest), kind, event, done, total) else 0
            except Exception as e:  # never let an exception cross the C frames
                errors.append(e)
                return 1

        if progress:
            cbs.progress = PROGRESS(on_progress)  # kept alive by cbs until the call returns
        image = ctypes.c_void_p()
        rc = lib.limg_pull(ctypes.byref(image), self._h, reference.encode(), ctypes.byref(opts), ctypes.byref(cbs))
        if errors:
            raise errors[0]
        check(rc)
        try:
            return {"reference": _text(lib.limg_image_reference(image)), "digest": _text(lib.limg_image_digest(image)),
                    "manifest_digest": _text(lib.limg_image_manifest_digest(image)),
                    "id": _text(lib.limg_image_id(image)), "up_to_date": bool(lib.limg_image_up_to_date(image))}
        finally:
            lib.limg_image_free(image)

    def images(self, untagged=0, platform=None):
        """What docker images lists: dicts of reference, repository, tag, digest, id, created, size."""
        opts = ListOpts()
        lib.limg_images_list_opts_init(ctypes.byref(opts), ctypes.sizeof(opts))
        opts.untagged = untagged
        opts.platform = platform.encode() if platform else None
        it, entry, rows = ctypes.c_void_p(), ctypes.c_void_p(), []
        check(lib.limg_images_list(ctypes.byref(it), self._h, ctypes.byref(opts)))
        try:
            while lib.limg_image_iterator_next(ctypes.byref(entry), it) == 0:
                get = lambda n: _text(getattr(lib, "limg_image_entry_" + n)(entry))
                rows.append({"reference": get("reference"), "repository": get("repository"), "tag": get("tag"),
                             "digest": get("digest"), "id": get("id"),
                             "created": lib.limg_image_entry_created(entry), "size": lib.limg_image_entry_size(entry)})
        finally:
            lib.limg_image_iterator_free(it)
        return rows

    def tag(self, source, target):
        """docker tag: source by reference or image ID prefix."""
        buf = Buf()
        try:
            check(lib.limg_images_lookup(ctypes.byref(buf), self._h, source.encode()))
            check(lib.limg_tags_set(self._h, Reference(target).string.encode(), buf.text().encode()))
        finally:
            lib.limg_buf_dispose(ctypes.byref(buf))

    def remove(self, image, force=False):
        """docker rmi; returns the steps as ("Untagged"|"Deleted", what) pairs."""
        opts, steps = RemoveOpts(), []
        lib.limg_images_remove_opts_init(ctypes.byref(opts), ctypes.sizeof(opts))
        opts.force = 1 if force else 0

        def on_step(event, what, payload):
            steps.append(("Untagged" if event == 1 else "Deleted", _text(what)))
            return 0

        opts.cb = REMOVE(on_step)
        check(lib.limg_images_remove(self._h, image.encode(), ctypes.byref(opts)))
        return steps

    def fsck(self):
        """Raises LibimageError (LIMG_ECORRUPT) when something is wrong."""
        check(lib.limg_store_fsck(self._h, None, None, None))
