# SPDX-License-Identifier: MIT
"""Stores: pull, list, inspect, tag, remove, push, save, load, unpack; and copy."""
import io
import os
import tempfile
from contextlib import ExitStack
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _ffi
from .cancel import Cancel, Handle, run
from .reference import Reference
from .registry import Session, session_for
from .types import (Image, ImageRow, Loaded, Problem, Progress, RegistryConfig, RemoveEvent, RemoveStep, enum_of,
                    from_unix, image_of, progress_of)

PathLike = Union[str, os.PathLike]
Data = (bytes, bytearray, memoryview)


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


def _fileno(f) -> Optional[int]:
    """The descriptor of a file object, or None (io.BytesIO and the like have none)."""
    fileno = getattr(f, "fileno", None)
    if fileno is None:
        return None
    try:
        return fileno()
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def _seekable(f) -> bool:
    try:
        return bool(f.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _write_all(f, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = f.write(view)
        if n is None:  # a non-blocking raw file that could take nothing
            raise BlockingIOError("the output is non-blocking and full")
        view = view[n:]


def _check_bytes(data):
    if not isinstance(data, Data):
        raise TypeError("the archive source must give bytes, not %s (open files in binary mode)"
                        % type(data).__name__)
    return data


class Store:
    """An image store (an OCI image layout). Safe to use from many threads,
    and to close while they work: their operations stop (CancelledError) and
    the store goes when the last one has.

    create=False opens only an existing store: a missing one raises
    NotFoundError with subject "STORE" (for programs that only read).
    read_only=True also opens only an existing store, and nothing in it is
    created or changed (a layout another tool wrote, or one this user may
    not write): listings cache nothing, and every call that would write
    raises InvalidArgumentError with subject "STORE"."""

    def __init__(self, path: PathLike, create: bool = True, *, read_only: bool = False):
        h, self.path = _ffi.store_open(path, create, read_only)
        self._closing = Cancel()
        self._handle = Handle(h, self._free, "store", on_close=self._closing.cancel)

    @staticmethod
    def default_path() -> str:
        """Where a program keeps its store when the user does not say
        ($LIBIMAGE_STORE, else $XDG_DATA_HOME/libimage, else
        ~/.local/share/libimage), as the C library decides it."""
        return _ffi.store_default_path()

    @classmethod
    def default(cls, create: bool = True, *, read_only: bool = False) -> "Store":
        """The store at default_path()."""
        return cls(cls.default_path(), create=create, read_only=read_only)

    # -- lifetime --------------------------------------------------------------

    def close(self) -> None:
        """Closes the store; operations running in other threads stop."""
        self._handle.close()

    def _free(self, h):
        _ffi.store_close(h)
        self._closing.close()

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close_quietly()

    def __repr__(self):
        return "<Store %s%s>" % (self.path, " (closed)" if self.closed else "")

    def _use(self):
        return self._handle.use()

    def _run(self, fn, cancel=None, session: Optional[Session] = None):
        """fn(store handle, token[, session handle]) on a worker thread (Ctrl-C cancels it)."""
        with ExitStack() as stack:
            h = stack.enter_context(self._use())
            if session is None:
                return run(lambda token: fn(h, token, None), (self._closing, cancel))
            sh = stack.enter_context(session._handle.use())
            return run(lambda token: fn(h, token, sh), (self._closing, cancel))

    # -- images ------------------------------------------------------------------

    def pull(self, repository: str, tag: Optional[str] = None, all_tags: bool = False, *,
             platform: Optional[str] = None, progress: Optional[Callable[[Progress], Any]] = None,
             cancel: Optional[Cancel] = None, session: Optional[Session] = None,
             registry: Optional[RegistryConfig] = None, verify_diff_ids: bool = True, policy=None,
             index_signatures: bool = True, referrers: bool = False) -> Union[Image, List[Image]]:
        """Pulls as `docker pull` does ("redis" is docker.io/library/redis:latest)
        and returns the Image. tag: added to @repository. all_tags: every tag
        of the repository (Registry.tags(), then one pull each, in one
        session), returned as a list. progress gets a Progress per event; an
        exception it raises stops the pull (what was downloaded stays, to be
        resumed) and is raised here. session: registries' settings,
        credentials, connections and tokens; registry: a RegistryConfig for a
        session of this call's own. policy: a Policy checked before any layer
        is fetched (RejectedError, nothing stored); index_signatures: whether
        an index's signatures admit its image; referrers: also keep what
        refers to the image (signatures, SBOMs) beside it."""
        reference = repository if tag is None else "%s:%s" % (repository, tag)
        if all_tags:
            return self._pull_all_tags(reference, platform=platform, progress=progress, cancel=cancel,
                                       session=session, registry=registry, verify_diff_ids=verify_diff_ids,
                                       policy=policy, index_signatures=index_signatures, referrers=referrers)
        raw = progress_of(progress)
        session, own = session_for(session, registry)
        try:
            with ExitStack() as stack:
                ph = stack.enter_context(policy._handle.use()) if policy is not None else None
                r = self._run(lambda h, token, sh: _ffi.pull(h, reference, platform, not verify_diff_ids, sh, token,
                                                             raw, ph, not index_signatures, referrers),
                              cancel, session)
        finally:
            if own:
                session.close()
        img = self.get(r["reference"], platform=platform)
        img.up_to_date = r["up_to_date"]
        img.bytes_downloaded = r["bytes_downloaded"]
        return img

    def _pull_all_tags(self, repository, session, registry, **kw) -> List[Image]:
        ref = Reference.parse(repository, "normalized")
        if ref.tag or ref.digest:
            raise ValueError("all_tags pulls a repository: %r names a tag or digest" % repository)
        session, own = session_for(session, registry)
        if session is None:
            session, own = Session(), True
        try:
            with session.registry(ref.domain) as r:
                tags = r.tags(ref.path, cancel=kw.get("cancel"))
            return [self.pull("%s:%s" % (ref.name, t), session=session, **kw) for t in tags]
        finally:
            if own:
                session.close()

    def images(self, all: bool = False, filters=None, platform: Optional[str] = None,
               name: Optional[str] = None) -> List[ImageRow]:
        """The rows of `docker images [name]` (-a with all=True); filters as
        `docker images --filter` takes them: {"reference": "redis*",
        "label": ["tier=app"], "dangling": False, "before": "img", "since": "img"}."""
        texts = _filters(filters) + (["reference=%s" % name] if name else [])
        with self._use() as h:
            rows = _ffi.images_list(h, _ffi.LIST_ALL if all else _ffi.LIST_TAGGED, platform, texts)
        return [ImageRow(repository=r["repository"], tag=r["tag"], image_id=r["id"], digest=r["digest"],
                         created=from_unix(r["created"]), size=r["size"] if r["size"] >= 0 else None,
                         reference=r["reference"]) for r in rows]

    def list(self, name: Optional[str] = None, all: bool = False, filters=None,
             platform: Optional[str] = None) -> List[ImageRow]:
        """docker-py's images.list(name, all, filters): images() in that order."""
        return self.images(all=all, filters=filters, platform=platform, name=name)

    def get(self, image: str, platform: Optional[str] = None) -> Image:
        """An image by reference or ID (or unique ID prefix), as `docker image
        inspect` finds it; ImageNotFoundError when there is none."""
        with self._use() as h:
            d = _ffi.image_lookup(h, image, platform)
        return image_of(d, self)

    def tag(self, source: str, target: str) -> None:
        """docker tag SOURCE TARGET."""
        with self._use() as h:
            _ffi.tag_image(h, source, target)

    def _tag_digest(self, target: str, digest: str) -> None:
        with self._use() as h:
            _ffi.tags_set(h, target, digest)

    def untag(self, reference: str) -> None:
        """Removes a tag; the image stays (untagged) until removed or collected."""
        with self._use() as h:
            _ffi.untag(h, reference)

    def remove(self, image: str, force: bool = False) -> List[RemoveStep]:
        """docker rmi: the steps, as "Untagged: ..." and "Deleted: ..." lines say them."""
        steps: List[RemoveStep] = []
        with self._use() as h:
            _ffi.remove(h, image, force, lambda ev, what: steps.append(RemoveStep(enum_of(RemoveEvent, ev), what)))
        return steps

    def gc(self, dry_run: bool = False, cancel: Optional[Cancel] = None) -> List[Tuple[str, int]]:
        """Removes what no image needs; returns (blob or file, size) removed."""
        removed: List[Tuple[str, int]] = []
        self._run(lambda h, token, _: _ffi.gc(h, dry_run, token, lambda what, size: removed.append((what, size))),
                  cancel)
        return removed

    def fsck(self, digest: Optional[str] = None, cancel: Optional[Cancel] = None) -> List[Problem]:
        """Checks every blob (or one) against its digest, and what index.json reaches."""
        problems: List[Problem] = []

        def problem(obj, code, message):
            problems.append(Problem(obj, code, _ffi.code_name(code) or str(code), message))
        self._run(lambda h, token, _: _ffi.fsck(h, digest, token, problem), cancel)
        return problems

    # -- building ---------------------------------------------------------------------

    def build(self, base: Optional[str] = None, *, platform: Optional[str] = None, format: Optional[str] = None,
              created: Optional[int] = None, base_annotations: bool = True,
              cancel: Optional[Cancel] = None) -> "Builder":
        """A Builder for an image on @base (a stored image; None or "scratch"
        for none): add layers, set the config, commit under a tag. format:
        "oci" or "docker" (default: the base's, OCI from scratch); created:
        seconds since 1970 for the image and its files (default:
        $SOURCE_DATE_EPOCH, else the base's time and 1970 for files)."""
        from .build import Builder
        return Builder(self, base, platform=platform, format=format, created=created,
                       base_annotations=base_annotations, cancel=cancel)

    def build_spec(self, spec: Union[str, bytes, Mapping, PathLike], *, tag: Optional[str] = None,
                   directory: Optional[PathLike] = None, created: Optional[int] = None,
                   cancel: Optional[Cancel] = None, progress: Optional[Callable[..., Any]] = None) -> str:
        """An image from limg-build's JSON description: a dict, the JSON text,
        or a path to it (its relative paths are then relative to the file's
        directory). progress: told of each layer's blob as it is written, as
        for flatten(). Returns the manifest's digest."""
        import json
        from .build import source_date_epoch
        if isinstance(spec, Mapping):
            text = json.dumps(spec)
        elif isinstance(spec, bytes):
            text = spec
        elif isinstance(spec, str) and spec.lstrip().startswith("{"):
            text = spec
        else:
            path = os.fspath(spec)
            with open(path, "rb") as f:
                text = f.read()
            if directory is None:
                directory = os.path.dirname(os.path.abspath(path))
        epoch = created if created is not None else source_date_epoch()
        return self._run(lambda h, token, _: _ffi.build_spec(h, text, directory, tag, epoch, token, progress),
                         cancel)

    def flatten(self, image: str, tag: Optional[str] = None, *, compression: str = "gzip",
                level: Optional[int] = None, progress: Optional[Callable[..., Any]] = None,
                cancel: Optional[Cancel] = None) -> str:
        """crane flatten: one layer of what the image unpacks to (each stored
        platform of an index); returns the new manifest's (or index's) digest."""
        return self._run(lambda h, token, _: _ffi.flatten(h, image, tag, compression, level, token, progress), cancel)

    def rebase(self, image: str, old_base: str, new_base: str, tag: Optional[str] = None, *,
               platform: Optional[str] = None, base_annotations: bool = True,
               cancel: Optional[Cancel] = None) -> str:
        """crane rebase: the image's own layers onto @new_base, after checking
        that it sits on @old_base (ConflictError when not)."""
        return self._run(lambda h, token, _: _ffi.rebase(h, image, old_base, new_base, tag, platform,
                                                         base_annotations, token), cancel)

    def index(self, images: Sequence[str], tag: Optional[str] = None, *, format: Optional[str] = None,
              cancel: Optional[Cancel] = None) -> str:
        """An index (manifest list) of per-platform images; returns its digest."""
        return self._run(lambda h, token, _: _ffi.index(h, list(images), tag, format, token), cancel)

    # -- the other direction ------------------------------------------------------

    def push(self, reference: str, source: Optional[str] = None, platform: Optional[str] = None,
             progress: Optional[Callable[[Progress], Any]] = None, cancel: Optional[Cancel] = None,
             session: Optional[Session] = None, registry: Optional[RegistryConfig] = None, *, sign=None,
             sign_format: str = "simple", sign_identity: Optional[str] = None, sign_recursive: bool = False,
             referrers: bool = False) -> str:
        """docker push; returns the digest the tag names. sign: a Signer that
        signs what was pushed (sign_format "simple": the .sig tag; "bundle": a
        Sigstore bundle referrer); referrers: also push what the store keeps
        beside the image (its signatures, SBOMs)."""
        from .trust import _signing
        raw = progress_of(progress)
        session, own = session_for(session, registry)
        try:
            with ExitStack() as stack:
                signing = _signing(sign, sign_format, sign_identity, sign_recursive, stack)
                return self._run(lambda h, token, sh: _ffi.push(h, reference, source, platform, sh, token, raw,
                                                                signing, referrers), cancel, session)
        finally:
            if own:
                session.close()

    def save(self, images: Union[str, Sequence[str]], output=None, platform: Optional[str] = None,
             cancel: Optional[Cancel] = None, progress: Optional[Callable[[Progress], Any]] = None):
        """docker save: to a path (written whole or not at all), a binary file
        object (with or without a file descriptor), or, with output None,
        returned as bytes."""
        names = [images] if isinstance(images, str) else list(images)
        if not names:
            raise ValueError("save needs at least one image")
        raw = progress_of(progress)

        def save(fd, write):
            self._run(lambda h, token, _: _ffi.save(h, names, fd, platform, token, write, raw), cancel)
        if output is None:
            parts: List[bytes] = []
            save(-1, parts.append)
            return b"".join(parts)
        if hasattr(output, "write"):
            fd = _fileno(output)
            if fd is None:
                save(-1, lambda data: _write_all(output, data))
                return None
            output.flush()
            save(fd, None)
            if _seekable(output):  # the descriptor moved on: so does the file object
                output.seek(os.lseek(fd, 0, os.SEEK_CUR))
            return None
        path = os.fsdecode(os.fspath(output))
        _ffi.arg(path, "output", path=True)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s.tmp-" % os.path.basename(path))
        try:
            save(fd, None)
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
        return None

    def load(self, source, cancel: Optional[Cancel] = None,
             progress: Optional[Callable[[Progress], Any]] = None) -> List[Loaded]:
        """docker load, from a path, the archive's bytes (bytes, bytearray,
        memoryview), or a binary file object (with or without a file
        descriptor). Returns what was loaded."""
        loaded: List[Loaded] = []
        raw = progress_of(progress)

        def load(fd, read):
            self._run(lambda h, token, _: _ffi.load(h, fd, token, read, lambda r, i: loaded.append(Loaded(r, i)),
                                                    raw), cancel)
        if isinstance(source, Data):
            view = memoryview(source).cast("B")
            at = [0]

            def read_bytes(n):
                chunk = view[at[0]:at[0] + n]
                at[0] += len(chunk)
                return chunk.tobytes()
            load(-1, read_bytes)
        elif hasattr(source, "read"):
            fd = _fileno(source)
            if fd is not None and _seekable(source):
                os.lseek(fd, source.tell(), os.SEEK_SET)  # where the file object is, past what it buffered
                load(fd, None)
                source.seek(os.lseek(fd, 0, os.SEEK_CUR))
            elif fd is not None and isinstance(source, io.FileIO):  # unbuffered: nothing read ahead
                load(fd, None)
            else:
                load(-1, lambda n: _check_bytes(source.read(n)))
        else:
            path = os.fspath(source)
            _ffi.arg(path, "source", path=True)
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                load(fd, None)
            finally:
                os.close(fd)
        return loaded

    def unpack(self, image: str, directory: PathLike, bundle: bool = False, rootless: Optional[bool] = None,
               platform: Optional[str] = None, terminal: bool = False,
               uid_map: Sequence[Tuple[int, int, int]] = (), gid_map: Sequence[Tuple[int, int, int]] = (),
               progress: Optional[Callable[[Progress], Any]] = None, cancel: Optional[Cancel] = None,
               keep_failed: bool = False) -> None:
        """umoci unpack: the root filesystem (or, with bundle, an OCI runtime bundle) in @directory
        (absent, empty, or left incomplete by an earlier unpack). Until it is finished the
        directory carries the xattr user.libimage.incomplete; a failure removes what was made,
        or with keep_failed leaves it, still marked."""
        raw = progress_of(progress)
        self._run(lambda h, token, _: _ffi.unpack(h, image, directory, platform, bundle, rootless, terminal, uid_map,
                                                  gid_map, keep_failed, token, raw), cancel)

    def snapshot_prepare(self, image: str, directory: PathLike, *, copy: bool = False,
                         platform: Optional[str] = None, progress: Optional[Callable[[Progress], Any]] = None,
                         cancel: Optional[Cancel] = None) -> Optional[Mapping[str, str]]:
        """A root filesystem from layers shared with other images (limg_snapshot_prepare):
        each layer is applied once into the store, keyed by its chain ID; a layer already
        there reports Event.EXISTS, one applied now LAYER_START and LAYER_DONE. Returns the
        overlay to mount on @directory/rootfs (type, source, target, options: mount it as
        root), or with copy, None: @directory/rootfs is then a copy of the layers."""
        raw = progress_of(progress)
        return self._run(lambda h, token, _: _ffi.snapshot_prepare(h, image, directory, platform, copy, token, raw),
                         cancel)

    def snapshot_gc(self, dry_run: bool = False, cancel: Optional[Cancel] = None) -> List[Tuple[str, int]]:
        """Removes the shared layers no stored image, running operation or standing root
        needs (after gc()); returns ("snapshot HEX", size) removed."""
        removed: List[Tuple[str, int]] = []
        self._run(lambda h, token, _: _ffi.snapshot_gc(h, dry_run, token,
                                                       lambda what, size: removed.append((what, size))), cancel)
        return removed

    def snapshot_fsck(self, cancel: Optional[Cancel] = None) -> List[Problem]:
        """Checks the shared layers: each one's chain and the digest of its tree."""
        problems: List[Problem] = []

        def problem(obj, code, message):
            problems.append(Problem(obj, code, _ffi.code_name(code) or str(code), message))
        self._run(lambda h, token, _: _ffi.snapshot_fsck(h, token, problem), cancel)
        return problems

    def pull_unpack(self, reference: str, directory: PathLike, *, bundle: bool = False,
                    rootless: Optional[bool] = None, platform: Optional[str] = None, terminal: bool = False,
                    uid_map: Sequence[Tuple[int, int, int]] = (), gid_map: Sequence[Tuple[int, int, int]] = (),
                    keep_failed: bool = False, discard_layers: bool = False,
                    progress: Optional[Callable[[Progress], Any]] = None, cancel: Optional[Cancel] = None,
                    session: Optional[Session] = None, registry: Optional[RegistryConfig] = None) -> Image:
        """pull() and unpack() in one pass (limg_pull_unpack): each layer is applied beneath
        @directory while later ones download, inflated once. A run killed or stopped resumes
        its downloads when called again and makes the directory again. discard_layers: the
        layer blobs this pull brought are removed once the root is made (the image is then
        incomplete in the store). Returns the Image, as pull() does."""
        raw = progress_of(progress)
        session, own = session_for(session, registry)
        try:
            r = self._run(lambda h, token, sh: _ffi.pull_unpack(h, reference, directory, platform, bundle, rootless,
                                                                terminal, uid_map, gid_map, keep_failed,
                                                                discard_layers, sh, token, raw),
                          cancel, session)
        finally:
            if own:
                session.close()
        img = self.get(r["reference"], platform=platform)
        img.up_to_date = r["up_to_date"]
        img.bytes_downloaded = r["bytes_downloaded"]
        return img


def copy(source: str, destination: str, platform: Optional[str] = None,
         progress: Optional[Callable[[Progress], Any]] = None, cancel: Optional[Cancel] = None,
         session: Optional[Session] = None, source_registry: Optional[RegistryConfig] = None,
         destination_registry: Optional[RegistryConfig] = None, *, policy=None, index_signatures: bool = True,
         sign=None, sign_format: str = "simple", sign_identity: Optional[str] = None, sign_recursive: bool = False,
         referrers: bool = False) -> str:
    """crane copy: registry to registry, without a store; returns the digest
    copied. session: the registries' settings (each its own: see
    Session(registries=...)); source_registry and destination_registry: the
    settings of each side, for a session of this call's own. policy: a Policy
    the source must satisfy before any blob moves (RejectedError); sign: a
    Signer that signs the destination; referrers: also copy what refers to
    the image (signatures, SBOMs)."""
    from .trust import _signing
    raw = progress_of(progress)
    own = False
    if source_registry is not None or destination_registry is not None:
        if session is not None:
            raise TypeError("give either session= or source_registry=/destination_registry=, not both")
        configs = {}
        for text, cfg in ((source, source_registry), (destination, destination_registry)):
            host = Reference.parse(text).domain
            if cfg is not None:
                if configs.get(host, cfg) != cfg:
                    raise ValueError("source and destination are both on %s: one RegistryConfig serves both" % host)
                configs[host] = cfg
        session, own = Session(registries=configs), True
    elif session is not None and not isinstance(session, Session):
        raise TypeError("session must be a Session, not %s" % type(session).__name__)
    try:
        with ExitStack() as stack:
            ph = stack.enter_context(policy._handle.use()) if policy is not None else None
            signing = _signing(sign, sign_format, sign_identity, sign_recursive, stack)
            sh = stack.enter_context(session._handle.use()) if session is not None else None
            return run(lambda token: _ffi.copy(sh, source, destination, platform, token, raw, ph, not index_signatures,
                                               signing, referrers), (cancel,))
    finally:
        if own:
            session.close()
