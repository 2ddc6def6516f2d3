# SPDX-License-Identifier: MIT
"""Registries: a Session (limg_session) that shares registries between
pulls, pushes and copies, with settings and credentials per registry; and a
Registry asked directly: tags, manifests, the catalog, blobs."""
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from . import _ffi
from .cancel import Cancel, Handle, run
from .reference import Reference
from .types import Credentials, Manifest, RegistryConfig

# What people write for Docker Hub, and what the library calls it.
_HUB_ALIASES = ("index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/", "registry.hub.docker.com")


def _host(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError("a registry host must be a str, not %s" % type(name).__name__)
    return "docker.io" if name in _HUB_ALIASES else name


def _credentials_source(creds: Optional[Credentials]) -> Optional[Callable[[str], Optional[Tuple[str, str]]]]:
    if creds is None:
        return None
    if callable(creds):
        return creds
    if isinstance(creds, Mapping):
        table = {_host(k): v for k, v in creds.items()}
        return table.get
    raise TypeError("credentials must be a mapping {host: (user, secret)} or a callable host -> (user, secret)")


class _CredentialTable:
    """Where a session's credentials come from, host by host (the C callback
    holds this, not the Session, so that a Session is freed when dropped)."""

    def __init__(self, credentials, default):
        self.per_host: Dict[str, Callable] = {}
        self.credentials = _credentials_source(credentials)
        self.default = _credentials_source(default)

    def provide(self, host: str) -> Optional[Tuple[str, str]]:
        """The credentials of @host, or None: look in Docker's config.json."""
        for source in (self.per_host.get(host), self.credentials, self.default):
            if source is not None:
                got = source(host)
                if got is not None:
                    return got
        return None


class Session:
    """Registries shared between calls (limg_session): the pulls, pushes,
    copies and Registry handles given one session reuse its connections, TLS
    sessions and tokens.

        with libimage.Session(credentials={"registry.example.com": ("me", "secret")},
                              registries={"localhost:5000": libimage.RegistryConfig(insecure=True),
                                          "registry.example.com": libimage.RegistryConfig(ca_file="ca.pem")}) as s:
            store.pull("registry.example.com/team/app:1", session=s)
            libimage.copy("registry.example.com/team/app:1", "localhost:5000/app:1", session=s)
            print(s.registry("localhost:5000").tags("app"))

    config: the settings of every registry not in @registries. registries:
    {host: RegistryConfig}, settings of their own (TLS verification, CA file,
    certs dir, mirrors, timeouts), given before the registry's first use (see
    configure()). credentials: {host: (user, secret)} or a callable host ->
    (user, secret) or None, asked after a host's own RegistryConfig.credentials
    and before config.credentials; a host none of them knows is looked up in
    Docker's config.json and its helpers (LIMG_PASSTHROUGH); ("", "") is
    anonymous. A session may be used from several threads; close() waits for
    nothing: calls running with it keep it until they return.
    """

    def __init__(self, config: Optional[RegistryConfig] = None,
                 registries: Optional[Mapping[str, RegistryConfig]] = None,
                 credentials: Optional[Credentials] = None):
        self._keep: List[object] = []  # what the C side points at: settings' strings, the callback
        self._creds = _CredentialTable(credentials, config.credentials if config else None)
        h = _ffi.session_new(config, self._creds.provide, self._keep)
        self._handle = Handle(h, _ffi.session_free, "session")
        try:
            for host, cfg in (registries or {}).items():
                self.configure(host, cfg)
        except BaseException:
            self.close()
            raise

    def configure(self, host: str, config: RegistryConfig) -> None:
        """Gives one registry its own settings (and credentials, when the
        config has some), before its first use in the session: ExistsError
        after it."""
        host = _host(host)
        if not isinstance(config, RegistryConfig):
            raise TypeError("config must be a RegistryConfig, not %s" % type(config).__name__)
        with self._handle.use() as h:
            _ffi.session_set_registry(h, host, config, self._keep)
        source = _credentials_source(config.credentials)
        if source is not None:
            self._creds.per_host[host] = source

    def registry(self, host: str) -> "Registry":
        """The session's handle of a registry ("docker.io", "localhost:5000")."""
        return Registry(host, session=self)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close_quietly()


def session_for(session: Optional[Session], registry: Optional[RegistryConfig]):
    """The session a call uses: the caller's, or one of its own for a
    RegistryConfig (closed by the caller), or None (the library's defaults).
    Returns (session, made_here)."""
    if session is not None:
        if registry is not None:
            raise TypeError("give either session= or registry=, not both")
        if not isinstance(session, Session):
            raise TypeError("session must be a Session, not %s" % type(session).__name__)
        return session, False
    if registry is not None:
        if not isinstance(registry, RegistryConfig):
            raise TypeError("registry must be a RegistryConfig, not %s" % type(registry).__name__)
        return Session(registry), True
    return None, False


class Registry:
    """One registry ("docker.io", "localhost:5000"), with its connections and
    tokens: its own (Registry(host, config)) or a session's
    (session.registry(host), or Registry(host, session=s)). Safe to use from
    several threads."""

    def __init__(self, host: str, config: Optional[RegistryConfig] = None, *, session: Optional[Session] = None):
        host = _host(host)
        if session is not None:
            if config is not None:
                raise TypeError("a session's registry has the session's settings: configure them with "
                                "Session(registries=...) or session.configure()")
            self._keep = session._keep  # its callbacks stay valid while this handle lives (past the session)
            with session._handle.use() as sh:
                h = _ffi.session_registry(sh, host)
        else:
            self._keep = []
            creds = _credentials_source(config.credentials if config else None)
            h = _ffi.registry_open(host, config, creds, self._keep)
        self._handle = Handle(h, _ffi.registry_close, "registry")
        self.domain, self.base_url = _ffi.registry_info(h)
        self.host = self.domain

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close_quietly()

    def _call(self, fn, cancel):
        with self._handle.use() as h:
            return run(lambda token: fn(h, token), (cancel,))

    def _split(self, reference: str) -> Tuple[str, str]:
        """"repo:tag", "repo@digest" or "repo" (this registry's, or with its
        host) as (repository, tag or digest), read by the C parser."""
        r = Reference.parse(reference, "normalized")
        if r.domain != self.domain:
            r = Reference.parse("%s/%s" % (self.domain, reference), "normalized")
        return r.path, r.digest or r.tag or "latest"

    def _repository(self, repository: str) -> str:
        r = Reference.parse(repository, "name") if "/" in repository else None
        if r is not None and r.domain == self.domain:
            return r.path
        return Reference.parse("%s/%s" % (self.domain, repository), "normalized").path

    def ping(self, cancel: Optional[Cancel] = None) -> None:
        """GET /v2/: raises when the registry cannot be reached or is no registry."""
        self._call(lambda h, token: _ffi.registry_ping(h, token), cancel)

    def login(self, cancel: Optional[Cancel] = None) -> None:
        """docker login's check: GET /v2/ at the registry itself with this
        handle's credentials (its config's, else config.json's), answering
        its challenge. Refused or missing credentials raise AuthError with
        subject "CREDENTIALS"; a registry that asks for none takes anyone.
        Nothing is stored (libimage.login() stores them)."""
        self._call(lambda h, token: _ffi.registry_login(h, token), cancel)

    def manifest(self, reference: str, cancel: Optional[Cancel] = None) -> Manifest:
        """GET "repo:tag" or "repo@digest": the bytes, their digest checked."""
        repo, ref = self._split(reference)
        return Manifest(**self._call(lambda h, token: _ffi.registry_manifest(h, repo, ref, False, token), cancel))

    def head(self, reference: str, cancel: Optional[Cancel] = None) -> Manifest:
        """HEAD: what a tag names, without the body."""
        repo, ref = self._split(reference)
        return Manifest(**self._call(lambda h, token: _ffi.registry_manifest(h, repo, ref, True, token), cancel))

    def tags(self, repository: str, page_size: int = 0, cancel: Optional[Cancel] = None) -> List[str]:
        """The repository's tags ("library/redis", or "redis" on docker.io)."""
        names: List[str] = []
        repo = self._repository(repository)
        self._call(lambda h, token: _ffi.registry_names(h, repo, page_size, token, names.append), cancel)
        return names

    def catalog(self, page_size: int = 0, cancel: Optional[Cancel] = None) -> List[str]:
        names: List[str] = []
        self._call(lambda h, token: _ffi.registry_names(h, None, page_size, token, names.append), cancel)
        return names

    def blob(self, repository: str, digest: str, size: int = -1, max_size: int = 64 << 20,
             cancel: Optional[Cancel] = None) -> bytes:
        """A blob's bytes (checked against its digest), at most max_size of them."""
        parts: List[bytes] = []
        total = [0]

        def write(data):
            total[0] += len(data)
            if total[0] > max_size:
                raise _ffi.error("LIMG_ETOOBIG", "blob %s is larger than %d bytes" % (digest, max_size),
                                 object=digest)
            parts.append(data)

        def restart():  # a mirror's bytes did not verify: the blob comes again from its start
            parts.clear()
            total[0] = 0
        repo = self._repository(repository)
        self._call(lambda h, token: _ffi.registry_blob(h, repo, digest, size, token, write, restart), cancel)
        return b"".join(parts)

    # -- referrers (OCI 1.1) ---------------------------------------------------------

    def referrers(self, reference: str, artifact_type: Optional[str] = None, mode: str = "auto",
                  cancel: Optional[Cancel] = None) -> List[dict]:
        """What refers to "repo:tag" or "repo@digest" (oras discover, one
        level): dicts of media_type, digest, size, artifact_type, created.
        mode: "auto" (the referrers API, else the referrers tag), "api" or "tag"."""
        if mode not in _ffi.REFERRERS_MODES:
            raise ValueError("mode must be 'auto', 'api' or 'tag', not %r" % (mode,))
        repo, ref = self._split(reference)
        digest = ref if ":" in ref else self.head(reference, cancel=cancel).digest
        found: List[dict] = []
        self._call(lambda h, token: _ffi.registry_referrers(h, repo, digest, artifact_type, mode, token,
                                                            found.append), cancel)
        return found

    def attach(self, reference: str, artifact_type: str, files=(), media_types: Optional[List[Optional[str]]] = None,
               annotations: Optional[Mapping[str, str]] = None, mode: str = "auto",
               cancel: Optional[Cancel] = None) -> str:
        """oras attach: @files as an artifact of @artifact_type referring to
        "repo:tag" or "repo@digest"; returns the artifact's digest."""
        if mode not in _ffi.REFERRERS_MODES:
            raise ValueError("mode must be 'auto', 'api' or 'tag', not %r" % (mode,))
        files = list(files)
        if media_types is not None and len(media_types) != len(files):
            raise ValueError("one media type per file (None for the default)")
        repo, ref = self._split(reference)
        return self._call(lambda h, token: _ffi.registry_attach(h, repo, ref, artifact_type, files, media_types,
                                                                annotations, mode, token), cancel)
