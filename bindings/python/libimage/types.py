# SPDX-License-Identifier: MIT
"""What the binding hands back: dataclasses and enums (no ctypes here)."""
import datetime
import enum
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union


class Event(enum.IntEnum):
    """What a progress report says: one set for every operation (limg_event;
    the values are the C library's ABI). A newer library may send events this
    binding does not know: they arrive as plain ints, never as an error."""
    # moving blobs (pull, push, copy)
    WAITING = 1       # "Pulling fs layer", "Preparing", "Waiting"
    EXISTS = 2        # "Already exists", "Layer already exists"
    DOWNLOADING = 3   # done of total
    VERIFYING = 4     # "Verifying Checksum"
    DOWNLOADED = 5    # "Download complete"
    COMPLETE = 6      # "Pull complete"
    SKIPPED = 7       # a foreign layer that is not moved
    OVERALL = 8       # all blobs together (digest None)
    MOUNTED = 9       # "Mounted from REPO" (detail: REPO)
    UPLOADING = 10    # "Pushing": done of total
    PUSHED = 11       # "Pushed"
    MANIFEST_PUT = 12  # a manifest was put (detail: the tag, or None)
    # applying layers (unpack)
    LAYER_START = 20  # a layer starts: done is its index, total the count
    APPLYING = 21     # compressed bytes of the layer applied
    LAYER_DONE = 22
    BUNDLE = 23       # a bundle's config.json was written
    # archives (save, load)
    WRITING = 30      # a blob goes into the archive
    READING = 31      # archive bytes read (total -1: unknown)
    # the names of 0.x, kept
    MANIFEST = 12
    LAYER = 20
    BYTES = 21


# One event set serves every operation; the 0.x per-operation names stay.
PullEvent = PushEvent = UnpackEvent = Event


class BlobKind(enum.IntEnum):
    """What a progress report is about (limg_blob_kind)."""
    NONE = 0      # the whole operation
    LAYER = 1
    CONFIG = 2
    MANIFEST = 3


class RemoveEvent(enum.IntEnum):
    UNTAGGED = 1
    DELETED = 2


def enum_of(cls, value):
    """The member, or the number itself for a value this binding does not know (a newer library)."""
    try:
        return cls(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class Progress:
    """One progress report of a pull, push, copy, unpack, save or load."""
    digest: Optional[str]                  # the blob, or None for the whole operation
    kind: Union[BlobKind, int]
    event: Union[Event, int]
    done: int
    total: int                             # -1 when unknown
    detail: Optional[str] = None           # what the event names (MOUNTED: the repository; MANIFEST_PUT: the tag)

    @property
    def source(self) -> Optional[str]:
        """0.x name of detail (the repository mounted from, or the tag of a manifest)."""
        return self.detail


PullProgress = PushProgress = UnpackProgress = Progress


def progress_of(fn: Optional[Callable[[Progress], Any]]):
    """The raw callback (digest, kind, event, done, total, detail) for a
    function of Progress: unknown kinds and events stay ints."""
    if fn is None:
        return None

    def raw(digest, kind, event, done, total, detail):
        fn(Progress(digest, enum_of(BlobKind, kind), enum_of(Event, event), done, total, detail))
    return raw


@dataclass(frozen=True)
class ImageRow:
    """One row of `docker images`."""
    repository: Optional[str]   # familiar ("redis", "ghcr.io/o/r"); None for <none>
    tag: Optional[str]
    image_id: Optional[str]     # "sha256:..."
    digest: str                 # of the manifest or index
    created: Optional[datetime.datetime]
    size: Optional[int]
    reference: Optional[str]    # the canonical tag reference

    @property
    def short_id(self) -> Optional[str]:
        return self.image_id[7:19] if self.image_id else None


@dataclass(frozen=True)
class Layer:
    digest: str
    size: int                          # as stored: compressed
    media_type: str
    diff_id: Optional[str]
    uncompressed_size: Optional[int] = None  # what it unpacks to (docker history's SIZE); None when unknown


@dataclass(frozen=True)
class ImageConfig:
    """The container settings of an image config (its "config")."""
    env: List[str]
    cmd: List[str]
    entrypoint: List[str]
    labels: Dict[str, str]
    working_dir: str
    user: str
    exposed_ports: List[str]
    volumes: List[str]
    stop_signal: Optional[str] = None


@dataclass
class Image:
    """A stored image, as `docker image inspect` sees it; attrs is what that
    command prints (Id, RepoTags, RepoDigests, Created, Architecture, Os,
    Config with Env, Cmd, Entrypoint, Labels, ..., RootFS, Size)."""
    id: str
    digest: str                   # what the lookup found: an index or a manifest
    manifest_digest: str          # the platform's image manifest
    tags: List[str]               # familiar ("redis:latest")
    repo_digests: List[str]       # "redis@sha256:..."
    config: ImageConfig
    layers: List[Layer]
    attrs: Dict[str, Any]         # `docker image inspect`
    created: Optional[datetime.datetime]
    architecture: str
    os: str
    size: Optional[int]
    config_bytes: bytes = field(default=b"", repr=False)   # the image config as stored
    up_to_date: Optional[bool] = None      # after a pull: nothing new was fetched
    bytes_downloaded: Optional[int] = None
    _history: List[Dict[str, Any]] = field(default_factory=list, repr=False, compare=False)
    _store: Any = field(default=None, repr=False, compare=False)

    @property
    def short_id(self) -> str:
        return self.id[7:19]

    @property
    def labels(self) -> Dict[str, str]:
        return dict(self.config.labels)

    def history(self) -> List[Dict[str, Any]]:
        """As `docker history` (and docker-py's Image.history()): newest first,
        with Docker's keys Id (the image ID on the newest entry, else
        "<missing>"), Created (seconds since the epoch, 0 when unknown),
        CreatedBy, Tags (on the newest entry), Size (bytes the step's layer
        unpacks to, as docker shows; 0 for a step that made none) and Comment;
        and Author, EmptyLayer and Layer (the digest of that layer, or None)."""
        out = []
        layers = iter(self.layers)
        for h in self._history:
            layer = None if h["empty_layer"] else next(layers, None)
            created = parse_created(h["created"])
            out.append({"Id": "<missing>", "Created": int(created.timestamp()) if created else 0,
                        "CreatedBy": h["created_by"] or "", "Tags": None,
                        "Size": (layer.uncompressed_size or 0) if layer else 0,
                        "Comment": h["comment"] or "", "Author": h["author"] or "", "EmptyLayer": h["empty_layer"],
                        "Layer": layer.digest if layer else None})
        out.reverse()
        if out:
            out[0]["Id"] = self.id
            out[0]["Tags"] = list(self.tags) or None
        return out

    def tag(self, repository: str, tag: Optional[str] = None) -> bool:
        """docker tag: tags this image as repository[:tag] (no tag: "latest")."""
        self._need_store()._tag_digest("%s:%s" % (repository, tag) if tag else repository, self.digest)
        return True

    def save(self, output=None, named: bool = True, **kw):
        """docker save of this image: to a path, a binary file object, or (output
        None) returned as bytes. named: under its first tag (so that a load
        sets it), else by ID."""
        name = self.tags[0] if named and self.tags else self.id
        return self._need_store().save([name], output, **kw)

    def reload(self) -> "Image":
        """Reads the image again (tags may have changed)."""
        fresh = self._need_store().get(self.id)
        for f in ("tags", "repo_digests", "attrs", "size"):
            setattr(self, f, getattr(fresh, f))
        return self

    def _need_store(self):
        if self._store is None:
            raise RuntimeError("this Image is not attached to a Store")
        return self._store

    def __repr__(self):
        return "<Image %s %s>" % (self.short_id, " ".join(self.tags) or "<none>")


def image_of(d: Dict[str, Any], store=None) -> Image:
    """An Image from what _ffi.image_lookup() read."""
    c = d["config"]
    diff_ids = c["diff_ids"]
    layers = [Layer(l["digest"], l["size"], l["media_type"], diff_ids[i] if i < len(diff_ids) else None,
                    l.get("uncompressed_size"))
              for i, l in enumerate(d["layers"])]
    config = ImageConfig(env=c["env"], cmd=c["cmd"], entrypoint=c["entrypoint"], labels=c["labels"],
                         working_dir=c["working_dir"] or "", user=c["user"] or "", exposed_ports=c["exposed_ports"],
                         volumes=c["volumes"], stop_signal=c["stop_signal"])
    size = d["size"] if d["size"] >= 0 else None
    created = from_unix(c["created_unix"]) if c["created_unix"] >= 0 else parse_created(c["created"])
    return Image(id=d["id"], digest=d["digest"], manifest_digest=d["manifest_digest"], tags=d["tags"],
                 repo_digests=d["repo_digests"], config=config, layers=layers, attrs=inspect_attrs(d, size),
                 created=created, architecture=c["architecture"], os=c["os"], size=size,
                 config_bytes=d["config_bytes"], _history=c["history"], _store=store)


def inspect_attrs(d: Dict[str, Any], size: Optional[int]) -> Dict[str, Any]:
    """`docker image inspect`'s object, from the config's accessors."""
    c = d["config"]
    try:  # what the accessors do not cover (Healthcheck, OnBuild, Shell, ...), as the config has it
        container = json.loads(c["container_json"])
        if not isinstance(container, dict):
            container = {}
    except ValueError:
        container = {}
    cfg = dict(container)
    cfg.update({"User": c["user"] or "", "Env": list(c["env"]), "Cmd": list(c["cmd"]) or None,
                "WorkingDir": c["working_dir"] or "", "Entrypoint": list(c["entrypoint"]) or None,
                "Labels": dict(c["labels"])})
    if c["exposed_ports"]:
        cfg["ExposedPorts"] = {p: {} for p in c["exposed_ports"]}
    if c["volumes"]:
        cfg["Volumes"] = {v: {} for v in c["volumes"]}
    if c["stop_signal"]:
        cfg["StopSignal"] = c["stop_signal"]
    attrs = {"Id": d["id"], "RepoTags": list(d["tags"]), "RepoDigests": list(d["repo_digests"]), "Parent": "",
             "Comment": "", "Created": c["created"] or "", "DockerVersion": "", "Author": c["author"] or "",
             "Config": cfg, "Architecture": c["architecture"]}
    if c["variant"]:
        attrs["Variant"] = c["variant"]
    attrs["Os"] = c["os"]
    if c["os_version"]:
        attrs["OsVersion"] = c["os_version"]
    attrs["Size"] = size
    attrs["RootFS"] = {"Type": "layers", "Layers": list(c["diff_ids"])}
    return attrs


@dataclass(frozen=True)
class RemoveStep:
    event: Union[RemoveEvent, int]
    what: str   # the tag untagged, or the image ID deleted

    def __str__(self):
        return "%s: %s" % ("Untagged" if self.event == RemoveEvent.UNTAGGED else "Deleted", self.what)


@dataclass(frozen=True)
class Problem:
    """One thing fsck found wrong."""
    object: str       # the digest or file concerned
    code: int
    name: str         # the code's name: "LIMG_ECORRUPT" (damaged) or "LIMG_ENOTFOUND" (missing)
    message: str

    @property
    def subject(self) -> str:
        """0.x name of object."""
        return self.object


@dataclass(frozen=True)
class Loaded:
    reference: Optional[str]   # "busybox:latest", or None for an image the archive does not name
    image_id: str


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    size: int
    data: Optional[bytes]      # None after a HEAD

    def json(self) -> Any:
        return json.loads(self.data) if self.data is not None else None


def from_unix(seconds: int) -> Optional[datetime.datetime]:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc) if seconds is not None and seconds >= 0 \
        else None


def parse_created(text: Optional[str]) -> Optional[datetime.datetime]:
    if not text:
        return None
    t = text.replace("Z", "+00:00")
    if "." in t:  # Python before 3.11 reads at most 6 digits of fraction
        head, rest = t.split(".", 1)
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        t = "%s.%s%s" % (head, (digits + "000000")[:6], zone)
    try:
        return datetime.datetime.fromisoformat(t)
    except ValueError:
        return None


Credentials = Union[Mapping[str, Tuple[str, str]], Callable[[str], Optional[Tuple[str, str]]]]


@dataclass
class RegistryConfig:
    """How to reach a registry (limg_registry_opts), alone (Registry) or in a
    Session (for every registry, or per registry).

    credentials: a mapping {host: (user, secret)} or a callable host ->
    (user, secret); a host it does not name (the callable returns None) is
    looked up in Docker's config.json (in docker_config_dir, else
    $DOCKER_CONFIG or ~/.docker; docker_config_dir="" reads none); ("", "")
    means anonymous. insecure: None (a loopback registry may answer over plain
    HTTP, as Docker allows), True (plain HTTP and unverified TLS allowed),
    False (verified HTTPS only, loopback too); tls_verify=False is insecure=True.
    mirrors: URLs or dicts (url, capabilities, skip_verify, ca_file,
    client_cert, client_key, override_path, headers, dial_timeout) tried before
    the registry. hosts_toml: read certs_dir/<host>/hosts.toml as containerd
    does. Timeouts in seconds.
    """
    credentials: Optional[Credentials] = None
    docker_config_dir: Optional[str] = None
    ca_file: Optional[str] = None
    certs_dir: Optional[str] = None
    insecure: Optional[bool] = None
    tls_verify: bool = True
    connect_timeout: Optional[float] = None
    request_timeout: Optional[float] = None
    operation_timeout: Optional[float] = None
    max_attempts: Optional[int] = None
    mirrors: List[Any] = field(default_factory=list)
    hosts_toml: bool = True
    max_blob_size: Optional[int] = None
    max_requests_per_second: Optional[int] = None
    max_connections: Optional[int] = None  # requests in flight at the registry at once
