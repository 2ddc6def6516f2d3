# SPDX-License-Identifier: MIT
"""Who published an image: signature policies (containers-policy.json and
registries.d, as podman and skopeo read them), keys, cosign signatures in
both formats (the .sig tag's simple signing, cosign v3's Sigstore bundle
referrers), checking images where they are and signing them.

    with libimage.Policy("/etc/containers/policy.json") as policy:
        verdict = policy.verify("registry.example.com/app:1")   # RejectedError when refused
        print(verdict.scope, [r.reason for r in verdict.requirements])
        store.pull("registry.example.com/app:1", policy=policy)

    with libimage.Signer.load("cosign.key", passphrase="...") as signer:
        store.push("registry.example.com/app:1", sign=signer)
        libimage.sign("registry.example.com/app:2", signer, format="bundle")
"""
import os
from typing import Iterable, List, NamedTuple, Optional, Tuple, Union

from . import _ffi
from .cancel import Cancel, Handle, run
from .errors import RejectedError
from .registry import Session

PathLike = Union[str, bytes, "os.PathLike[str]"]


class Requirement(NamedTuple):
    """One requirement of the scope that applied: its type ("sigstoreSigned"),
    whether it held, and why (which signature, which key; or what failed)."""
    type: str
    accepted: bool
    reason: str


class Verdict(NamedTuple):
    """What a policy decided about an image."""
    accepted: bool
    image: str             # as the policy saw it ("docker.io/library/busybox:latest")
    scope: Optional[str]   # the transports.docker scope that applied ("" its default), None: the policy's default
    message: str
    requirements: List[Requirement]


def _verdict(facts) -> Verdict:
    v = Verdict(facts["accepted"], facts["image"], facts["scope"], facts["message"],
                [Requirement(*r) for r in facts["requirements"]])
    if not v.accepted:
        e = _ffi.errors.from_details(**facts["error"])
        e.verdict = v
        raise e
    return v


class _Owned:
    """A C handle freed by close() (or leaving a with block) once no call uses it."""

    def close(self) -> None:
        self._handle.close()

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close_quietly()


class Signatures:
    """Signatures found for an image, untrusted until a policy accepts one:
    .sig layers (payload, base64 signature) and Sigstore bundles."""

    def __init__(self):
        self._items: List[Tuple[str, bytes, Optional[str], Optional[str]]] = []

    def add_simple(self, payload: bytes, signature: Optional[str], source: Optional[str] = None) -> None:
        self._items.append(("simple", bytes(payload), signature, source))

    def add_bundle(self, bundle: bytes, source: Optional[str] = None) -> None:
        self._items.append(("bundle", bytes(bundle), None, source))

    def __len__(self) -> int:
        return len(self._items)


class Policy(_Owned):
    """A signature policy. path: a containers-policy.json file; None (and no
    text): podman's and skopeo's default (default_path()). text: the
    document itself. registries_d: where use-sigstore-attachments is set
    (None: podman's default directory; "": none, so no signature is read
    from registries)."""

    def __init__(self, path: Optional[PathLike] = None, *, text: Optional[Union[str, bytes]] = None,
                 registries_d: Optional[PathLike] = None):
        if path is not None and text is not None:
            raise TypeError("give a path or a text, not both")
        self._handle = Handle(_ffi.policy_new(path, text, registries_d), _ffi.policy_free, "policy")

    @staticmethod
    def default_path() -> str:
        """$HOME/.config/containers/policy.json when it exists, else /etc/containers/policy.json."""
        return _ffi.policy_default_path()

    def check(self, reference: str, digest: str, signatures: Optional[Signatures] = None,
              index_digest: Optional[str] = None, index_signatures: bool = True) -> Verdict:
        """Decides offline: the image @reference at @digest with the signatures
        given (@index_digest: the index it was chosen from, whose signatures
        count unless index_signatures is False). RejectedError when refused."""
        sigs = _ffi.signatures_new(signatures._items) if signatures is not None and len(signatures) else None
        try:
            with self._handle.use() as h:
                return _verdict(_ffi.policy_check(h, reference, digest, sigs, index_digest, not index_signatures))
        finally:
            if sigs:
                _ffi.lib.limg_signatures_free(sigs)

    def verify(self, reference: str, platform: Optional[str] = None, *, index_signatures: bool = True,
               session: Optional[Session] = None, store=None, cancel: Optional[Cancel] = None) -> Verdict:
        """Checks the image in its registry as a pull would (or, with store,
        the stored image and the signatures kept beside it). Returns the
        Verdict when admitted; raises RejectedError (.verdict) when not."""
        with self._handle.use() as h:
            if store is not None:
                with store._use() as sh:
                    return _verdict(run(lambda token: _ffi.verify(h, reference, platform, not index_signatures, None,
                                                                  sh, token), (cancel,)))
            if session is not None:
                with session._handle.use() as sess:
                    return _verdict(run(lambda token: _ffi.verify(h, reference, platform, not index_signatures,
                                                                  sess, None, token), (cancel,)))
            return _verdict(run(lambda token: _ffi.verify(h, reference, platform, not index_signatures, None, None,
                                                          token), (cancel,)))


class Key(_Owned):
    """A public key (PEM or DER SubjectPublicKeyInfo: ECDSA P-256, RSA)."""

    def __init__(self, data: bytes):
        self._handle = Handle(_ffi.key_new(data), _ffi.key_free, "key")

    @classmethod
    def load(cls, path: PathLike) -> "Key":
        with open(path, "rb") as f:
            return cls(f.read())

    @property
    def algorithm(self) -> str:
        with self._handle.use() as h:
            return _ffi.key_algorithm(h)

    def verify(self, data: bytes, signature: str) -> None:
        """Raises SignatureError unless @signature (base64) signs @data."""
        with self._handle.use() as h:
            _ffi.key_verify(h, data, signature)


class Signer(_Owned):
    """A private key that signs: ECDSA P-256 PEM, or cosign's encrypted key
    (with its passphrase)."""

    def __init__(self, data: bytes, passphrase: Optional[str] = None):
        self._handle = Handle(_ffi.signer_new(data, passphrase), _ffi.signer_free, "signer")

    @classmethod
    def load(cls, path: PathLike, passphrase: Optional[str] = None) -> "Signer":
        with open(path, "rb") as f:
            return cls(f.read(), passphrase)

    @property
    def public_key(self) -> str:
        """The public half, PEM."""
        with self._handle.use() as h:
            return _ffi.signer_public_key(h)

    def sign(self, data: bytes) -> str:
        """ECDSA over SHA-256 of @data, DER, standard base64."""
        with self._handle.use() as h:
            return _ffi.signer_sign(h, data)

    def bundle(self, digest: str, name: Optional[str] = None) -> bytes:
        """A Sigstore bundle signing @digest, as cosign sign --key (v3) makes it."""
        with self._handle.use() as h:
            return _ffi.signature_bundle(h, digest, name)

    @staticmethod
    def payload(digest: str, identity: str) -> bytes:
        """A simple-signing payload naming @digest and @identity."""
        return _ffi.signature_payload(digest, identity)


def sign(reference: str, signer: Signer, format: str = "simple", identity: Optional[str] = None,
         recursive: bool = False, session: Optional[Session] = None, cancel: Optional[Cancel] = None) -> str:
    """Signs an image in its registry (cosign sign --key): format "simple"
    (the .sig tag) or "bundle" (a Sigstore bundle referrer); returns the digest
    signed."""
    if format not in _ffi.SIGNATURE_FORMATS:
        raise ValueError("format must be 'simple' or 'bundle', not %r" % (format,))
    with signer._handle.use() as h:
        if session is None:
            return run(lambda token: _ffi.sign(h, reference, format, identity, recursive, None, token), (cancel,))
        with session._handle.use() as sh:
            return run(lambda token: _ffi.sign(h, reference, format, identity, recursive, sh, token), (cancel,))


def _signing(sign, sign_format, sign_identity, sign_recursive, stack):
    """The (handle, format, identity, recursive) a push or copy signs with, or None."""
    if sign is None:
        return None
    if sign_format not in _ffi.SIGNATURE_FORMATS:
        raise ValueError("sign_format must be 'simple' or 'bundle', not %r" % (sign_format,))
    return (stack.enter_context(sign._handle.use()), sign_format, sign_identity, sign_recursive)


__all__ = ["Policy", "Verdict", "Requirement", "Key", "Signer", "Signatures", "sign", "RejectedError"]
