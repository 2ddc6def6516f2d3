# SPDX-License-Identifier: MIT
"""Building images without a daemon: layers from directories, files, tars and
image differences, written reproducibly; a builder for the config; commit
under a tag.

    with libimage.Store("/var/lib/myapp/images") as store:
        with store.build("debian:bookworm") as b:
            b.add_dir("rootfs", prefix="/app")
            b.config(entrypoint=["/app/run"], env={"MODE": "prod"}, expose=["8080/tcp"])
            digest = b.commit("myapp:1.0")

SOURCE_DATE_EPOCH (or created=) is every time in what is built: the image's
created, its new history entries, every file's mtime."""
import os
from contextlib import ExitStack
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from . import _ffi
from .cancel import Cancel, Handle

PathLike = Union[str, os.PathLike]


class BuiltLayer(NamedTuple):
    """A layer in the store: its blob's digest and size, its tar's digest (the
    config's diff_id) and size, its compression ("gzip", "zstd", "none")."""
    digest: str
    diff_id: str
    size: int
    tar_size: int
    compression: str


class File(NamedTuple):
    """An entry of add_files(): in-image path; a regular file's bytes from
    source (a host path) or data; a directory (type="dir") or a symlink
    (type="symlink", link=target); mode (0: the source's, else 0644, 0755,
    0777), uid, gid."""
    path: str
    source: Optional[PathLike] = None
    data: Optional[bytes] = None
    type: str = "file"
    mode: int = 0
    link: Optional[str] = None
    uid: int = 0
    gid: int = 0


def source_date_epoch() -> Optional[int]:
    """$SOURCE_DATE_EPOCH as a number, or None when unset (ValueError when it is not one)."""
    text = os.environ.get("SOURCE_DATE_EPOCH")
    if not text:
        return None
    value = int(text)
    if value < 0:
        raise ValueError("SOURCE_DATE_EPOCH must be seconds since 1970, not %r" % text)
    return value


def _seconds(value) -> int:
    """Durations as nanoseconds: a number of seconds (float or int) or a datetime.timedelta."""
    if value is None:
        return 0
    if hasattr(value, "total_seconds"):
        value = value.total_seconds()
    return int(round(float(value) * 1e9))


class Builder:
    """An image being built on a store (Store.build()). A context manager; a
    layer added is in the store at once (kept from a gc while the builder
    lives), the image at commit()."""

    def __init__(self, store, base: Optional[str] = None, *, platform: Optional[str] = None,
                 format: Optional[str] = None, created: Optional[int] = None, base_annotations: bool = True,
                 cancel: Optional[Cancel] = None):
        self._store = store
        self._stack = ExitStack()
        if created is None:
            created = source_date_epoch()
        self.epoch = created or 0  # the layers' mtimes
        try:
            sh = self._stack.enter_context(store._use())
            # the builder's own calls (commit) stop when the store closes
            closing = self._stack.enter_context(store._closing._handle.use())
            h = _ffi.builder_new(sh, base, platform, format, created, base_annotations, closing)
        except BaseException:
            self._stack.close()
            raise
        self._handle = Handle(h, _ffi.builder_free, "builder")
        self._cancel = cancel
        # the directories a layer writes above its files are taken from the base (not new 0755 ones)
        self._base = base if base and base != "scratch" else None
        self._platform = platform

    # -- lifetime ----------------------------------------------------------------------

    def close(self) -> None:
        self._handle.close()
        self._stack.close()

    def __enter__(self) -> "Builder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close_quietly()

    # -- layers ---------------------------------------------------------------------

    def _add(self, kind, source, created_by, comment, opts, progress, cancel):
        opts = dict(dict(compression="gzip", level=None, times="epoch", epoch=self.epoch, owner="root", prefix=None,
                         removed=(), xattrs=True, platform=self._platform, base=self._base), **opts)

        def make(h, token, _):
            layer, facts = _ffi.layer_new(h, kind, source, opts, token, progress)
            try:
                with self._handle.use() as b:
                    _ffi.builder_append(b, layer, created_by, comment)
            finally:
                _ffi.layer_free(layer)
            return facts
        return BuiltLayer(**self._store._run(make, cancel or self._cancel))

    def add_dir(self, directory: PathLike, prefix: Optional[str] = None, *, removed: Sequence[str] = (),
                owner: Union[str, Tuple[int, int]] = "root", times: str = "epoch", compression: str = "gzip",
                level: Optional[int] = None, xattrs: bool = True, created_by: Optional[str] = None,
                comment: Optional[str] = None, progress: Optional[Callable[..., Any]] = None,
                cancel: Optional[Cancel] = None) -> BuiltLayer:
        """A layer of everything beneath @directory, at @prefix in the image:
        sorted, parents present, owner "root" (0:0), "keep" (the files') or
        (uid, gid); times "epoch" (SOURCE_DATE_EPOCH or created=, else 1970),
        "clamp" or "keep"; removed: in-image paths the layer whites out."""
        return self._add("dir", directory, created_by, comment,
                         dict(prefix=prefix, removed=removed, owner=owner, times=times, compression=compression,
                              level=level, xattrs=xattrs), progress, cancel)

    def add_files(self, files: Union[Mapping[str, Union[bytes, str, File]], Iterable[File]], *,
                  removed: Sequence[str] = (), times: str = "epoch", compression: str = "gzip",
                  level: Optional[int] = None, created_by: Optional[str] = None, comment: Optional[str] = None,
                  progress: Optional[Callable[..., Any]] = None, cancel: Optional[Cancel] = None) -> BuiltLayer:
        """A layer of listed files (as ko and jib make): {"/app/run": b"bytes"}
        or File entries. Parents are made 0755, 0:0."""
        if isinstance(files, Mapping):
            items = []
            for path, v in files.items():
                if isinstance(v, File):
                    items.append(v._replace(path=path))
                elif isinstance(v, (bytes, bytearray, memoryview)):
                    items.append(File(path, data=bytes(v)))
                elif isinstance(v, str):
                    items.append(File(path, data=v.encode()))
                else:
                    raise TypeError("%s: give bytes, str or a File, not %s" % (path, type(v).__name__))
        else:
            items = list(files)
        entries = [(f.path, f.type, f.source, f.data, f.mode, f.link, f.uid, f.gid) for f in items]
        return self._add("files", entries, created_by, comment,
                         dict(removed=removed, times=times, compression=compression, level=level), progress, cancel)

    def add_tar(self, tar: Union[PathLike, Any], *, compression: str = "gzip", level: Optional[int] = None,
                created_by: Optional[str] = None, comment: Optional[str] = None,
                progress: Optional[Callable[..., Any]] = None, cancel: Optional[Cancel] = None) -> BuiltLayer:
        """A tar as a layer (crane append -f): a path or a binary file with a
        descriptor; plain (compressed as asked), gzip or zstd (kept as it is)."""
        if hasattr(tar, "fileno"):
            return self._add("tar", tar.fileno(), created_by, comment, dict(compression=compression, level=level),
                             progress, cancel)
        path = os.fspath(tar)
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            return self._add("tar", fd, created_by, comment, dict(compression=compression, level=level), progress,
                             cancel)
        finally:
            os.close(fd)

    def add_diff(self, image: str, directory: PathLike, *, platform: Optional[str] = None,
                 times: str = "epoch", compression: str = "gzip", level: Optional[int] = None,
                 created_by: Optional[str] = None, comment: Optional[str] = None,
                 progress: Optional[Callable[..., Any]] = None, cancel: Optional[Cancel] = None) -> BuiltLayer:
        """What @directory (a changed copy of @image's root filesystem) changes
        (umoci repack): new and changed files, whiteouts for removed ones."""
        return self._add("diff", (image, directory), created_by, comment,
                         dict(platform=platform, times=times, compression=compression, level=level), progress,
                         cancel)

    def add_blob(self, digest: str, *, created_by: Optional[str] = None, comment: Optional[str] = None) -> BuiltLayer:
        """A layer already in the store, by its blob's digest."""
        return self._add("blob", digest, created_by, comment, {}, None, None)

    def history(self, created_by: str, comment: Optional[str] = None) -> None:
        """A history entry without a layer (as Docker records ENV or CMD)."""
        with self._handle.use() as h:
            _ffi.builder_history(h, created_by, comment)

    # -- config ------------------------------------------------------------------------

    _UNSET = object()

    def config(self, *, entrypoint=_UNSET, cmd=_UNSET, env: Optional[Mapping[str, Optional[str]]] = None,
               labels: Optional[Mapping[str, Optional[str]]] = None, user=_UNSET, workdir=_UNSET,
               expose: Iterable[str] = (), volumes: Iterable[str] = (), stop_signal=_UNSET,
               healthcheck=_UNSET, platform: Optional[str] = None, author=_UNSET, shell=_UNSET,
               onbuild=_UNSET) -> "Builder":
        """Sets what a Dockerfile can: entrypoint, cmd, shell and onbuild (lists; None removes),
        env and labels (mappings; a None value removes), user, workdir,
        stop_signal, author (None removes), expose ("80", "53/udp",
        "8000-8010/tcp") and volumes (added), healthcheck (a dict with "test"
        and interval, timeout, start_period, start_interval in seconds, and
        retries; or None), platform ("linux/arm64/v8"). Returns the builder."""
        with self._handle.use() as h:
            if entrypoint is not self._UNSET:
                _ffi.builder_set_list(h, "entrypoint", entrypoint)
            for which, value in (("cmd", cmd), ("shell", shell), ("onbuild", onbuild)):
                if value is not self._UNSET:
                    _ffi.builder_set_list(h, which, value)
            for k, v in (env or {}).items():
                _ffi.builder_set_pair(h, "env", k, v)
            for k, v in (labels or {}).items():
                _ffi.builder_set_pair(h, "label", k, v)
            for name, value in (("user", user), ("working_dir", workdir), ("stop_signal", stop_signal),
                                ("author", author)):
                if value is not self._UNSET:
                    _ffi.builder_set(h, name, value)
            for port in ([expose] if isinstance(expose, str) else expose):
                _ffi.builder_add(h, "exposed_port", port)
            for v in ([volumes] if isinstance(volumes, str) else volumes):
                _ffi.builder_add(h, "volume", v)
            if healthcheck is not self._UNSET:
                if healthcheck is None:
                    _ffi.builder_healthcheck(h, None, 0, 0, 0, 0, 0)
                else:
                    hc = dict(healthcheck)
                    _ffi.builder_healthcheck(h, hc.pop("test"), _seconds(hc.pop("interval", None)),
                                             _seconds(hc.pop("timeout", None)), _seconds(hc.pop("start_period", None)),
                                             _seconds(hc.pop("start_interval", None)), hc.pop("retries", 0))
                    if hc:
                        raise TypeError("unknown healthcheck keys: %s" % ", ".join(sorted(hc)))
            if platform is not None:
                _ffi.builder_set(h, "platform", platform)
        return self

    def annotate(self, key: str, value: Optional[str]) -> "Builder":
        """A manifest annotation (None removes it)."""
        with self._handle.use() as h:
            _ffi.builder_set_pair(h, "annotation", key, value)
        return self

    def commit(self, tag: Optional[str] = None) -> str:
        """Stores config and manifest; tags the image (else keeps it untagged).
        Returns the manifest's digest. The builder may go on and commit again."""
        with self._handle.use() as h:
            return _ffi.builder_commit(h, tag)
