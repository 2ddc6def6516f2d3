# SPDX-License-Identifier: MIT
"""libimage's errors as exceptions, chosen by the library's error name (and,
for a few, by what the failure was about). No number is copied from C: the
codes' names come from limg_error_name(), the subjects' from limg_subject_name()."""
from typing import Optional


class LibimageError(Exception):
    """A libimage failure.

    code: the library's (negative) code; name: its name ("LIMG_ENOTFOUND");
    message: what the library says; subject: what the failure was about, the
    limg_subject name without its prefix ("IMAGE", "TAG", "MANIFEST",
    "REGISTRY", "STORE", ...), None when nothing more specific; object: the
    name of that thing (an image reference, a digest, a host, a path), "" when
    none applies; http_status, registry_code ("MANIFEST_UNKNOWN", "DENIED", ...),
    retry_after: from the registry's answer when one was the cause (0, "" and
    None otherwise).
    """

    def __init__(self, message: str, code: int = -1, name: str = "LIMG_ERROR", subject: Optional[str] = None,
                 object: str = "", http_status: int = 0, registry_code: str = "",
                 retry_after: Optional[int] = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.name = name
        self.subject = subject
        self.object = object
        self.http_status = http_status
        self.registry_code = registry_code
        self.retry_after = retry_after

    def __repr__(self):
        extra = "".join(", %s=%r" % (k, getattr(self, k)) for k in ("subject", "object", "http_status", "registry_code")
                        if getattr(self, k))
        return "%s(%r, name=%r%s)" % (type(self).__name__, self.message, self.name, extra)


class NotFoundError(LibimageError):
    """No such image, tag, blob, manifest, repository or store (subject says which)."""


class ImageNotFoundError(NotFoundError):
    """No such image in the store (docker-py's ImageNotFound): LIMG_ENOTFOUND about an IMAGE."""


class ExistsError(LibimageError):
    """The thing to create exists already."""


class AuthError(LibimageError):
    """Authentication required or refused (subject CREDENTIALS: the credentials given were refused)."""


class RateLimitedError(LibimageError):
    """Too many requests; retry_after says how long to wait, when the registry said."""


class DigestMismatchError(LibimageError):
    """Content is not what its digest says."""


class InvalidReferenceError(LibimageError, ValueError):
    """Not a valid image reference or pattern (also a ValueError)."""


class InvalidDigestError(LibimageError, ValueError):
    """Not a valid digest (also a ValueError)."""


class InvalidArgumentError(LibimageError, ValueError):
    """An argument the library refused (also a ValueError)."""


class TLSError(LibimageError):
    """TLS failed: an untrusted certificate, a failed handshake."""


class NetworkError(LibimageError):
    """The registry could not be reached, or the transfer stalled."""


class ProtocolError(LibimageError):
    """The registry answered with an unexpected status, a bad redirect or a malformed answer."""


class ConflictError(LibimageError):
    """The request conflicts with the store's state (an image shared by repositories, an ambiguous ID)."""


class CancelledError(LibimageError):
    """The operation was cancelled."""


class PlatformError(LibimageError):
    """No image for the platform asked for."""


class CorruptError(LibimageError):
    """Stored or received data is damaged."""


class ManifestError(LibimageError):
    """An invalid manifest, index or image config."""


class UnsupportedError(LibimageError):
    """A valid but unsupported format (schema 1 manifests, ...)."""


class TooBigError(LibimageError):
    """Input larger than the limit for its kind."""


class NoSpaceError(LibimageError):
    """No space left on the device."""


class RejectedError(LibimageError):
    """The signature policy rejected the image (LIMG_EREJECTED); .verdict says
    which requirement and why, when the call made one."""

    verdict = None


class SignatureError(LibimageError):
    """A signature that does not verify with the key, or is no signature (LIMG_ESIGNATURE)."""


# The library's code names this binding gives a class of its own; the tests
# check that each is a name the loaded library knows.
BY_NAME = {
    "LIMG_ENOTFOUND": NotFoundError, "LIMG_EEXISTS": ExistsError, "LIMG_EAUTH": AuthError,
    "LIMG_ERATELIMIT": RateLimitedError, "LIMG_EDIGEST_MISMATCH": DigestMismatchError, "LIMG_ETLS": TLSError,
    "LIMG_ENETWORK": NetworkError, "LIMG_ETIMEOUT": NetworkError, "LIMG_EHTTP": ProtocolError,
    "LIMG_EREDIRECT": ProtocolError, "LIMG_EPROTOCOL": ProtocolError, "LIMG_ECONFLICT": ConflictError,
    "LIMG_ECANCELLED": CancelledError, "LIMG_EPLATFORM": PlatformError, "LIMG_ECORRUPT": CorruptError,
    "LIMG_EPATTERN": InvalidReferenceError, "LIMG_EINVALID": InvalidArgumentError,
    "LIMG_EMANIFEST": ManifestError, "LIMG_EUNSUPPORTED": UnsupportedError, "LIMG_ETOOBIG": TooBigError,
    "LIMG_ENOSPACE": NoSpaceError, "LIMG_EREJECTED": RejectedError, "LIMG_ESIGNATURE": SignatureError,
}
# Families, by prefix: every reference error (LIMG_EREF_*) and digest error
# (LIMG_EDIGEST_*, but the mismatch above).
BY_PREFIX = (("LIMG_EREF_", InvalidReferenceError), ("LIMG_EDIGEST_", InvalidDigestError))
# (code name, subject) pairs that choose a narrower class.
BY_SUBJECT = {("LIMG_ENOTFOUND", "IMAGE"): ImageNotFoundError}


def class_of(name: str, subject: Optional[str] = None) -> type:
    cls = BY_SUBJECT.get((name, subject)) or BY_NAME.get(name)
    if cls is None:
        cls = next((c for prefix, c in BY_PREFIX if name.startswith(prefix)), LibimageError)
    return cls


def from_details(code, name, message, subject=None, object="", http_status=0, registry_code="", retry_after=-1):
    """The exception for a C error."""
    cls = class_of(name, subject)
    return cls(message, code=code, name=name, subject=subject, object=object, http_status=http_status,
               registry_code=registry_code, retry_after=retry_after if retry_after and retry_after > 0 else None)
