"""What the binding hands back: dataclasses and enums (no ctypes here)."""
import datetime
import enum
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


class PullEvent(enum.IntEnum):
    WAITING = 1      # "Pulling fs layer"
    EXISTS = 2       # "Already exists"
    DOWNLOADING = 3  # done of total
    VERIFYING = 4
    DOWNLOADED = 5   # "Download complete"
    COMPLETE = 6     # "Pull complete"
    SKIPPED = 7      # a foreign layer
    OVERALL = 8      # all blobs: done of total (digest None)


class BlobKind(enum.IntEnum):
    LAYER = 1
    CONFIG = 2
    MANIFEST = 3


class PushEvent(enum.IntEnum):
    WAITING = 1      # "Preparing"
    EXISTS = 2       # "Layer already exists"
    MOUNTED = 3      # "Mounted from REPO"
    UPLOADING = 4    # done of total
    PUSHED = 5       # "Pushed"
    MANIFEST = 6     # a manifest put (source: the tag, or None)


class UnpackEvent(enum.IntEnum):
    LAYER = 1        # a layer starts: done is its index, total the count
    BYTES = 2        # compressed bytes of the layer applied
    LAYER_DONE = 3
    BUNDLE = 4       # config.json written


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
class PullProgress:
    digest: Optional[str]
    kind: Optional[BlobKind]  # None for OVERALL
    event: PullEvent
    done: int
    total: int


@dataclass(frozen=True)
class PushProgress:
    digest: str
    kind: BlobKind
    event: PushEvent
    done: int
    total: int
    source: Optional[str]  # the repository mounted from, or the tag of a manifest


@dataclass(frozen=True)
class UnpackProgress:
    digest: Optional[str]
    event: UnpackEvent
    done: int
    total: int


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
    size: int
    media_type: str
    diff_id: Optional[str]


@dataclass(frozen=True)
class ImageConfig:
    env: List[str]
    cmd: List[str]
    entrypoint: List[str]
    labels: Dict[str, str]
    working_dir: str
    user: str
    exposed_ports: List[str]
    volumes: List[str]


@dataclass
class Image:
    """A stored image, as `docker image inspect` sees it."""
    id: str
    digest: str                   # what the lookup found: an index or a manifest
    manifest_digest: str          # the platform's image manifest
    tags: List[str]
    config: ImageConfig
    layers: List[Layer]
    history: List[Dict[str, Any]]
    attrs: Dict[str, Any]         # the whole image config, as stored
    created: Optional[datetime.datetime]
    architecture: str
    os: str
    size: Optional[int]
    up_to_date: Optional[bool] = None      # after a pull: nothing new was fetched
    bytes_downloaded: Optional[int] = None

    @property
    def short_id(self) -> str:
        return self.id[7:19]

    def __repr__(self):
        return "<Image %s %s>" % (self.short_id, " ".join(self.tags) or "<none>")


@dataclass(frozen=True)
class RemoveStep:
    event: RemoveEvent
    what: str   # the tag untagged, or the image ID deleted

    def __str__(self):
        return "%s: %s" % ("Untagged" if self.event == RemoveEvent.UNTAGGED else "Deleted", self.what)


@dataclass(frozen=True)
class Problem:
    """One thing fsck found wrong."""
    subject: str
    code: int
    message: str


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


def config_of(attrs: Dict[str, Any]) -> ImageConfig:
    c = attrs.get("config") or {}

    def strings(v):
        return [v] if isinstance(v, str) else list(v or [])
    return ImageConfig(env=strings(c.get("Env")), cmd=strings(c.get("Cmd")), entrypoint=strings(c.get("Entrypoint")),
                       labels=dict(c.get("Labels") or {}), working_dir=c.get("WorkingDir") or "",
                       user=c.get("User") or "", exposed_ports=sorted((c.get("ExposedPorts") or {}).keys()),
                       volumes=sorted((c.get("Volumes") or {}).keys()))


@dataclass
class RegistryConfig:
    """How to reach registries.

    credentials: a callable host -> (user, secret) or None, or a mapping
    {host: (user, secret)}; by default Docker's config.json (in
    docker_config_dir, else $DOCKER_CONFIG or ~/.docker). insecure: None
    (loopback may be plain HTTP, as Docker allows), True, False. mirrors:
    URLs or dicts (url, capabilities, skip_verify, ca_file, override_path,
    headers, dial_timeout) tried before the registry. Timeouts in seconds.
    """
    credentials: Any = None
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
    docker_hub_mirror: Optional[str] = None
    hosts_toml: bool = True
