"""libimage for Python: container images without a daemon.

    import libimage

    with libimage.Store("~/.local/share/libimage") as store:
        image = store.pull("busybox")
        print(image.short_id, image.config.cmd)
        for row in store.images():
            print(row.repository, row.tag, row.short_id, row.created)

Every blob is verified; errors are exceptions chosen by the library's error
name (NotFoundError, AuthError, ...); Ctrl-C stops a running operation and
raises KeyboardInterrupt; an exception raised in a callback stops the
operation and is raised where it was called.
"""
from . import _ffi
from .cancel import Cancel
from .errors import (AuthError, CancelledError, ConflictError, CorruptError, DigestMismatchError,
                     InvalidReferenceError, LibimageError, NetworkError, NotFoundError, PlatformError,
                     RateLimitedError, TLSError)
from .reference import Reference
from .registry import Registry
from .store import Store, copy
from .types import (BlobKind, Image, ImageConfig, ImageRow, Layer, Loaded, Manifest, Problem, PullEvent,
                    PullProgress, PushEvent, PushProgress, RegistryConfig, RemoveEvent, RemoveStep, UnpackEvent,
                    UnpackProgress)

__version__ = "0.2.0"

__all__ = [
    "Store", "Registry", "RegistryConfig", "Reference", "Cancel", "copy", "version", "platform",
    "Image", "ImageConfig", "ImageRow", "Layer", "Loaded", "Manifest", "Problem", "RemoveStep",
    "PullProgress", "PushProgress", "UnpackProgress", "PullEvent", "PushEvent", "UnpackEvent", "BlobKind",
    "RemoveEvent",
    "LibimageError", "NotFoundError", "AuthError", "RateLimitedError", "DigestMismatchError",
    "InvalidReferenceError", "TLSError", "NetworkError", "ConflictError", "CancelledError", "PlatformError",
    "CorruptError",
]


def version() -> str:
    """The C library's version ("0.2.0")."""
    return _ffi.version()


def platform() -> str:
    """This machine's platform, as images name it ("linux/amd64")."""
    return _ffi.platform_host()
