"""A registry, asked directly: tags, manifests, the catalog, blobs."""
import threading
from typing import List, Optional, Tuple

from . import _ffi, errors
from .types import Manifest, RegistryConfig


def _split(reference: str) -> Tuple[str, str]:
    """"repo:tag" or "repo@sha256:..." (without the host) as (repository, tag or digest)."""
    if not isinstance(reference, str):
        raise TypeError("reference must be a str, not %s" % type(reference).__name__)
    if "@" in reference:
        repo, ref = reference.split("@", 1)
    elif ":" in reference.rsplit("/", 1)[-1]:
        repo, ref = reference.rsplit(":", 1)
    else:
        repo, ref = reference, "latest"
    return repo, ref


class Registry:
    """One registry ("docker.io", "localhost:5000"), with its own connections
    and tokens. Safe to use from several threads."""

    def __init__(self, host: str, config: Optional[RegistryConfig] = None):
        self.host = host
        self._h, self._calls = _ffi.registry_open(host, config)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            h, self._h = self._h, None
        if h:
            _ffi.registry_close(h)

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_h", None):
            self.close()

    def _handle(self):
        if not self._h:
            raise errors.LibimageError("the registry is closed", code=-2, name="LIMG_EINVALID")
        return self._h

    def ping(self) -> None:
        _ffi.check(_ffi.lib.limg_registry_ping(self._handle()))

    def manifest(self, reference: str) -> Manifest:
        """GET "repo:tag" or "repo@digest": the bytes, their digest checked."""
        repo, ref = _split(reference)
        return Manifest(**_ffi.registry_manifest(self._handle(), repo, ref, head=False))

    def head(self, reference: str) -> Manifest:
        """HEAD: what a tag names, without the body."""
        repo, ref = _split(reference)
        return Manifest(**_ffi.registry_manifest(self._handle(), repo, ref, head=True))

    def tags(self, repository: str, page_size: int = 0) -> List[str]:
        return _ffi.registry_names(self._handle(), repository, page_size)

    def catalog(self, page_size: int = 0) -> List[str]:
        return _ffi.registry_names(self._handle(), None, page_size)

    def blob(self, repository: str, digest: str, size: int = -1, max_size: int = 64 << 20) -> bytes:
        """A blob's bytes (checked against its digest), at most max_size of them."""
        parts: List[bytes] = []
        total = [0]

        def sink(data):
            total[0] += len(data)
            if total[0] > max_size:
                raise errors.LibimageError("blob %s is larger than %d bytes" % (digest, max_size), code=-12,
                                           name="LIMG_ETOOBIG")
            parts.append(data)
        _ffi.registry_blob(self._handle(), repository, digest, size, sink)
        return b"".join(parts)
