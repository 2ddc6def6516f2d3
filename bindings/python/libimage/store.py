"""Stores: pull, list, inspect, tag, remove, push, save, load, unpack."""
import json
import os
import tempfile
import threading
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _ffi, errors
from .cancel import Cancel, run
from .reference import Reference
from .types import (BlobKind, Image, ImageRow, Layer, Loaded, Problem, PullEvent, PullProgress, PushEvent,
                    PushProgress, RegistryConfig, RemoveEvent, RemoveStep, UnpackEvent, UnpackProgress, config_of,
                    enum_of, from_unix, parse_created)

PathLike = Union[str, bytes, os.PathLike]


def _filters(filters) -> List[str]:
    """{"label": ["a=1", "b"], "dangling": True} or ["label=a=1", ...] as "key=value" texts."""
    if filters is None:
        return []
    if isinstance(filters, Mapping):
        out = []
        for key, values in filters.items():
            for v in (values if isinstance(values, (list, tuple, set)) else [values]):
                out.append("%s=%s" % (key, ("true" if v else "false") if isinstance(v, bool) else v))
        return out
    if isinstance(filters, (str, bytes)):
        raise TypeError("filters must be a mapping or a list of \"key=value\" strings")
    return list(filters)


class Store:
    """An image store (an OCI image layout). Safe to use from many threads,
    and to close while they work: their operations stop (CancelledError) and
    the store goes when the last one has."""

    def __init__(self, path: PathLike, create: bool = True):
        self._h = _ffi.store_open(path, create)
        self.path = os.fsdecode(os.fspath(path)) if not isinstance(path, bytes) else os.fsdecode(path)
        self._lock = threading.Lock()
        self._inflight = 0
        self._closed = False
        self._closing = Cancel()

    # -- lifetime --------------------------------------------------------------

    def close(self) -> None:
        """Closes the store; operations running in other threads stop."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._closing.cancel()
            free = self._inflight == 0
        if free:
            self._free()

    def _free(self):
        h, self._h = self._h, None
        if h:
            _ffi.store_close(h)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_h", None):
            self.close()

    @contextmanager
    def _use(self):
        with self._lock:
            if self._closed:
                raise errors.LibimageError("the store is closed", code=-2, name="LIMG_EINVALID")
            self._inflight += 1
            h = self._h
        try:
            yield h
        finally:
            with self._lock:
                self._inflight -= 1
                last = self._closed and self._inflight == 0
            if last:
                self._free()

    def _run(self, fn, cancel=None):
        with self._use() as h:
            return run(lambda token: fn(h, token), (self._closing, cancel))

    # -- images ------------------------------------------------------------------

    def pull(self, reference: str, platform: Optional[str] = None,
             progress: Optional[Callable[[PullProgress], Any]] = None, cancel: Optional[Cancel] = None,
             registry: Optional[RegistryConfig] = None, verify_diff_ids: bool = True) -> Image:
        """Pulls as `docker pull` does. progress gets a PullProgress per event;
        an exception it raises stops the pull (what was downloaded stays, to be
        resumed) and is raised here."""
        cb = None
        if progress is not None:
            def cb(d, k, e, done, total):
                progress(PullProgress(d, enum_of(BlobKind, k) if k else None, enum_of(PullEvent, e), done, total))
        r = self._run(lambda h, token: _ffi.pull(h, reference, platform, verify_diff_ids, token, registry, cb), cancel)
        img = self.get(r["reference"], platform=platform)
        img.up_to_date = r["up_to_date"]
        img.bytes_downloaded = r["bytes_downloaded"]
        return img

    def images(self, all: bool = False, filters=None, platform: Optional[str] = None) -> List[ImageRow]:
        """The rows of `docker images` (-a with all=True); filters as
        `docker images --filter` takes them: {"reference": "redis*",
        "label": ["tier=app"], "dangling": False, "before": "img", "since": "img"}."""
        texts = _filters(filters)
        with self._use() as h:
            rows = _ffi.images_list(h, 2 if all else 0, platform, texts)
        return [ImageRow(repository=r["repository"], tag=r["tag"], image_id=r["id"], digest=r["digest"],
                         created=from_unix(r["created"]), size=r["size"] if r["size"] >= 0 else None,
                         reference=r["reference"]) for r in rows]

    def get(self, image: str, platform: Optional[str] = None) -> Image:
        """An image by reference or ID (or unique ID prefix), as `docker image inspect`."""
        with self._use() as h:
            d = _ffi.inspect(h, image, platform)
            tags = _ffi.tags_of(h, d["digest"])
        attrs = json.loads(d["config"]) if d["config"] else {}
        diff_ids = (attrs.get("rootfs") or {}).get("diff_ids") or []
        layers = [Layer(l["digest"], l["size"], l["media_type"], diff_ids[i] if i < len(diff_ids) else None)
                  for i, l in enumerate(d["layers"])]
        return Image(id=d["id"], digest=d["digest"], manifest_digest=d["manifest_digest"],
                     tags=[Reference.parse(t, "normalized").familiar for t in tags], config=config_of(attrs),
                     layers=layers, history=list(attrs.get("history") or []), attrs=attrs,
                     created=parse_created(attrs.get("created")), architecture=attrs.get("architecture") or "",
                     os=attrs.get("os") or "", size=d["size"] if d["size"] >= 0 else None)

    def tag(self, source: str, target: str) -> None:
        """docker tag SOURCE TARGET."""
        dst = Reference.parse(target)
        with self._use() as h:
            _ffi.tag(h, dst.string, _ffi.lookup(h, source))

    def untag(self, reference: str) -> None:
        """Removes a tag; the image stays (untagged) until removed or collected."""
        with self._use() as h:
            _ffi.untag(h, Reference.parse(reference).string)

    def remove(self, image: str, force: bool = False) -> List[RemoveStep]:
        """docker rmi: the steps, as "Untagged: ..." and "Deleted: ..." lines say them."""
        steps: List[RemoveStep] = []
        with self._use() as h:
            _ffi.remove(h, image, force, lambda ev, what: steps.append(RemoveStep(enum_of(RemoveEvent, ev), what)))
        return steps

    def gc(self, dry_run: bool = False) -> List[Tuple[str, int]]:
        """Removes what no image needs; returns (blob or file, size) removed."""
        removed: List[Tuple[str, int]] = []
        with self._use() as h:
            _ffi.gc(h, dry_run, lambda what, size: removed.append((what, size)))
        return removed

    def fsck(self, digest: Optional[str] = None) -> List[Problem]:
        """Checks every blob (or one) against its digest, and what index.json reaches."""
        problems: List[Problem] = []
        with self._use() as h:
            _ffi.fsck(h, digest, lambda s, c, m: problems.append(Problem(s, c, m)))
        return problems

    # -- the other direction ------------------------------------------------------

    def push(self, reference: str, source: Optional[str] = None, platform: Optional[str] = None,
             progress: Optional[Callable[[PushProgress], Any]] = None, cancel: Optional[Cancel] = None,
             registry: Optional[RegistryConfig] = None) -> str:
        """docker push; returns the digest the tag names."""
        cb = None
        if progress is not None:
            def cb(d, k, e, done, total, frm):
                progress(PushProgress(d, enum_of(BlobKind, k), enum_of(PushEvent, e), done, total, frm))
        return self._run(lambda h, token: _ffi.push(h, reference, source, platform, token, registry, cb), cancel)

    def save(self, images: Union[str, Sequence[str]], output, platform: Optional[str] = None,
             cancel: Optional[Cancel] = None) -> None:
        """docker save: to a path (written whole or not at all) or a binary file object."""
        names = [images] if isinstance(images, (str, bytes)) else list(images)
        if not names:
            raise ValueError("save needs at least one image")
        if hasattr(output, "fileno"):
            output.flush()
            fd = output.fileno()
            self._run(lambda h, token: _ffi.save(h, names, fd, platform, token), cancel)
            return
        path = os.fspath(output)
        _ffi.arg(path, "output", path=True)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s.tmp-" % os.path.basename(path))
        try:
            self._run(lambda h, token: _ffi.save(h, names, fd, platform, token), cancel)
            os.fsync(fd)
            os.close(fd)
            fd = -1
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            os.unlink(tmp)
            raise

    def load(self, source, cancel: Optional[Cancel] = None) -> List[Loaded]:
        """docker load, from a path or a binary file object."""
        loaded: List[Loaded] = []

        def do(fd):
            self._run(lambda h, token: _ffi.load(h, fd, token, lambda r, i: loaded.append(Loaded(r, i))), cancel)
        if hasattr(source, "fileno"):
            do(source.fileno())
        else:
            path = os.fspath(source)
            _ffi.arg(path, "source", path=True)
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                do(fd)
            finally:
                os.close(fd)
        return loaded

    def unpack(self, image: str, directory: PathLike, bundle: bool = False, rootless: Optional[bool] = None,
               platform: Optional[str] = None, terminal: bool = False,
               uid_map: Sequence[Tuple[int, int, int]] = (), gid_map: Sequence[Tuple[int, int, int]] = (),
               progress: Optional[Callable[[UnpackProgress], Any]] = None, cancel: Optional[Cancel] = None) -> None:
        """umoci unpack: the root filesystem (or, with bundle, an OCI runtime bundle) in @directory."""
        cb = None
        if progress is not None:
            def cb(d, e, done, total):
                progress(UnpackProgress(d, enum_of(UnpackEvent, e), done, total))
        self._run(lambda h, token: _ffi.unpack(h, image, directory, platform, bundle, rootless, terminal, uid_map,
                                               gid_map, token, cb), cancel)


def copy(source: str, destination: str, platform: Optional[str] = None,
         progress: Optional[Callable[[PushProgress], Any]] = None, cancel: Optional[Cancel] = None,
         source_registry: Optional[RegistryConfig] = None,
         destination_registry: Optional[RegistryConfig] = None) -> str:
    """crane copy: registry to registry, without a store; returns the digest copied."""
    cb = None
    if progress is not None:
        def cb(d, k, e, done, total, frm):
            progress(PushProgress(d, BlobKind(k), PushEvent(e), done, total, frm))
    return run(lambda token: _ffi.copy(source, destination, platform, token, source_registry, destination_registry,
                                       cb), (cancel,))
