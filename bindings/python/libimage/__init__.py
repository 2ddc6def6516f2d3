# SPDX-License-Identifier: MIT
"""libimage for Python: container images without a daemon.

    import libimage

    with libimage.Store(libimage.Store.default_path()) as store:
        image = store.pull("busybox")
        print(image.short_id, image.attrs["Config"]["Cmd"], image.tags)
        for row in store.images():
            print(row.repository, row.tag, row.short_id, row.created)
        with store.build("busybox") as b:                 # an image from a directory
            b.add_dir("rootfs", prefix="/app")
            b.config(entrypoint=["/app/run"])
            b.commit("myapp:1")

Every blob is verified; errors are exceptions chosen by the library's error
name (NotFoundError, AuthError, ...) and carry what the failure was about
(subject, object) and the registry's answer (http_status, registry_code);
Ctrl-C stops a running operation and raises KeyboardInterrupt; an exception
raised in a callback stops the operation and is raised where it was called.

The C library is $LIBIMAGE_LIBRARY when set, else libimage.so.1 on the
loader's path; importing fails (LibraryNotFoundError, an ImportError) when it
is missing or of another major version.
"""
from . import _ffi
from ._ffi import LibraryNotFoundError
from .build import Builder, BuiltLayer, File
from .cancel import Cancel
from .errors import (AuthError, CancelledError, ConflictError, CorruptError, DigestMismatchError, ExistsError,
                     ImageNotFoundError, InvalidArgumentError, InvalidDigestError, InvalidReferenceError,
                     LibimageError, ManifestError, NetworkError, NoSpaceError, NotFoundError, PlatformError,
                     ProtocolError, RateLimitedError, RejectedError, SignatureError, TLSError, TooBigError,
                     UnsupportedError)
from .login import erase_credentials, login, logout, store_credentials
from .reference import Reference
from .registry import Registry, Session
from .store import Store, copy
from .trust import Key, Policy, Requirement, Signatures, Signer, Verdict, sign
from .sync import SyncImage, SyncList, SyncReport, SyncStatus, sync
from .types import (BlobKind, Event, Image, ImageConfig, ImageRow, Layer, Loaded, Manifest, Problem, Progress,
                    PullEvent, PullProgress, PushEvent, PushProgress, RegistryConfig, RemoveEvent, RemoveStep,
                    UnpackEvent, UnpackProgress)

__version__ = "1.0.0"

__all__ = [
    "Store", "Session", "Registry", "RegistryConfig", "Reference", "Cancel", "copy", "version", "platform",
    "login", "logout", "store_credentials", "erase_credentials",
    "Policy", "Verdict", "Requirement", "Key", "Signer", "Signatures", "sign", "RejectedError", "SignatureError",
    "sync", "SyncList", "SyncImage", "SyncReport", "SyncStatus",
    "Builder", "BuiltLayer", "File",
    "Image", "ImageConfig", "ImageRow", "Layer", "Loaded", "Manifest", "Problem", "RemoveStep", "Progress",
    "PullProgress", "PushProgress", "UnpackProgress", "Event", "PullEvent", "PushEvent", "UnpackEvent", "BlobKind",
    "RemoveEvent", "LibraryNotFoundError",
    "LibimageError", "NotFoundError", "ImageNotFoundError", "ExistsError", "AuthError", "RateLimitedError",
    "DigestMismatchError", "InvalidReferenceError", "InvalidDigestError", "InvalidArgumentError", "TLSError",
    "NetworkError", "ProtocolError", "ConflictError", "CancelledError", "PlatformError", "CorruptError",
    "ManifestError", "UnsupportedError", "TooBigError", "NoSpaceError",
]


def version() -> str:
    """The C library's version ("1.0.0")."""
    return _ffi.version()


def platform() -> str:
    """This machine's platform, as images name it ("linux/amd64")."""
    return _ffi.platform_native()
