# SPDX-License-Identifier: MIT
"""Mirroring many images (limg_sync), as skopeo sync does: a SyncList of
repositories and tag selections (or skopeo's YAML as it is), to a registry
or to a store, with a report of what was copied, up to date or failed."""
import enum
import json
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional

from . import _ffi
from .cancel import Cancel, Handle, run
from .types import Progress, RegistryConfig, progress_of


class SyncStatus(enum.IntEnum):
    PENDING = 0
    RUNNING = 1
    COPIED = 2
    UP_TO_DATE = 3
    FAILED = 4
    WOULD_COPY = 5


@dataclass(frozen=True)
class SyncImage:
    """One image of a sync: where from, where to, and what became of it."""
    source: str
    destination: str
    status: SyncStatus
    digest: Optional[str]
    reason: str                 # "new tag", "tag moved", "up to date (HEAD)", or the error's message
    error: Optional[str]        # the error's name (LIMG_ENOTFOUND, ...) when it failed
    bytes: int                  # blob bytes it moved


@dataclass(frozen=True)
class SyncReport:
    """What a sync did. ok: every image is at the destination. requests: per
    registry, the requests it received by kind (manifest_head, manifest_get,
    blob_upload, tags_list, ...) and the 429s it answered (throttled)."""
    images: List[SyncImage]
    seconds: float
    requests: Dict[str, Dict[str, int]]
    json: str = field(repr=False)

    def _of(self, status):
        return [i for i in self.images if i.status == status]

    @property
    def copied(self) -> List[SyncImage]:
        return self._of(SyncStatus.COPIED)

    @property
    def up_to_date(self) -> List[SyncImage]:
        return self._of(SyncStatus.UP_TO_DATE)

    @property
    def failed(self) -> List[SyncImage]:
        return self._of(SyncStatus.FAILED)

    @property
    def would_copy(self) -> List[SyncImage]:
        return self._of(SyncStatus.WOULD_COPY)

    @property
    def ok(self) -> bool:
        return not self.failed


def _image(d) -> SyncImage:
    try:
        status = SyncStatus(d["status"])
    except ValueError:
        status = d["status"]
    return SyncImage(d["source"], d["destination"] or "", status, d["digest"], d["reason"],
                     _ffi.code_name(d["error"]) if d["error"] else None, d["bytes"])


class SyncList:
    """What to mirror. SyncList.parse(text) reads skopeo sync's YAML;
    add() names a repository (every tag, named tags, or filters) or one
    image; add_store() every tagged image of a store (an air gap's way back);
    add_dir() every image of a directory in skopeo's dir: layout."""

    def __init__(self, _h=None):
        self._handle = Handle(_h if _h is not None else _ffi.sync_list_new(), _ffi.sync_list_free, "sync list")

    @classmethod
    def parse(cls, text: str, name: Optional[str] = None) -> "SyncList":
        return cls(_ffi.sync_list_parse(text, name))

    @classmethod
    def from_file(cls, path: "os.PathLike[str] | str") -> "SyncList":
        with open(path, "rb") as f:
            return cls(_ffi.sync_list_parse(f.read(), os.fspath(path)))

    def add(self, source: str, tags: Optional[Iterable[str]] = None, tag_regex: Optional[str] = None,
            tag_exclude: Optional[str] = None, semver: Optional[str] = None, latest: int = 0) -> "SyncList":
        with self._handle.use() as h:
            _ffi.sync_list_add(h, source, tags, tag_regex, tag_exclude, semver, latest)
        return self

    def add_store(self, path: "os.PathLike[str] | str") -> "SyncList":
        with self._handle.use() as h:
            _ffi.sync_list_add_store(h, os.fspath(path))
        return self

    def add_dir(self, path: "os.PathLike[str] | str") -> "SyncList":
        """Every image of a directory in skopeo's dir: layout (skopeo sync --src dir)."""
        with self._handle.use() as h:
            _ffi.sync_list_add_dir(h, os.fspath(path))
        return self

    def set_registry(self, domain: str, config: RegistryConfig) -> "SyncList":
        """Settings of a registry the list names (skopeo's tls-verify, cert-dir, credentials)."""
        with self._handle.use() as h:
            _ffi.sync_list_set_registry(h, domain, config)
        return self

    def close(self) -> None:
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close_quietly()


def sync(sources: SyncList, destination: str, to_store: bool = False, scoped: bool = False,
         platform: Optional[str] = None, dry_run: bool = False, fail_fast: bool = False, images_parallel: int = 0,
         session=None, on_image: Optional[Callable[[SyncImage], Any]] = None,
         progress: Optional[Callable[[Progress], Any]] = None, cancel: Optional[Cancel] = None, *,
         referrers: bool = False, policy=None, to_dir: bool = False) -> SyncReport:
    """Mirrors @sources to @destination ("registry[:port][/prefix]", a
    store's directory with to_store, or with to_dir a directory of NAME:TAG
    directories in skopeo's dir: layout). Returns the report also when some
    images failed (report.ok is then False, report.failed says why); raises
    for a sync that could not run (a bad destination, cancelled, ...).
    referrers: each image's signatures and referrers go with it (and reach
    images up to date when the source has new ones); policy: a Policy each
    source image must satisfy before anything of it moves (an image it
    refuses fails with RejectedError's name in the report, the others go on)."""
    if to_store and to_dir:
        raise ValueError("to_store and to_dir: one destination kind")
    target = _ffi.SYNC_TO_DIR if to_dir else _ffi.SYNC_TO_STORE if to_store else _ffi.SYNC_TO_REGISTRY
    raw = progress_of(progress)
    image_cb = (lambda d: on_image(_image(d))) if on_image is not None else None
    with ExitStack() as stack:
        lh = stack.enter_context(sources._handle.use())
        ph = stack.enter_context(policy._handle.use()) if policy is not None else None

        def call(token, sh):
            return _ffi.sync(sh, lh, os.fspath(destination) if to_store or to_dir else destination, target, scoped,
                             platform, dry_run, fail_fast, images_parallel, token, image_cb, raw, referrers, ph)
        if session is None:
            rc, images, text, details = run(lambda token: call(token, None), (cancel,))
        else:
            sh = stack.enter_context(session._handle.use())
            rc, images, text, details = run(lambda token: call(token, sh), (cancel,))
    doc = json.loads(text)
    report = SyncReport([_image(d) for d in images], doc["seconds"], doc["registries"], text)
    if rc < 0 and details and details["name"] != "LIMG_EPARTIAL":
        from . import errors
        raise errors.from_details(**details)
    return report
