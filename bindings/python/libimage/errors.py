"""libimage's errors as exceptions, chosen by the library's error name."""
from typing import Optional


class LibimageError(Exception):
    """A libimage failure.

    code: the library's (negative) code; name: its name ("LIMG_ENOTFOUND");
    message: what the library says; http_status, registry_code, retry_after:
    from the registry's answer, when one was the cause (0, "" and None otherwise).
    """

    def __init__(self, message: str, code: int = -1, name: str = "LIMG_ERROR", http_status: int = 0,
                 registry_code: str = "", retry_after: Optional[int] = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.name = name
        self.http_status = http_status
        self.registry_code = registry_code
        self.retry_after = retry_after

    def __repr__(self):
        return "%s(%r, name=%r)" % (type(self).__name__, self.message, self.name)


class NotFoundError(LibimageError):
    """No such image, tag, blob or repository."""


class AuthError(LibimageError):
    """Authentication required or refused."""


class RateLimitedError(LibimageError):
    """Too many requests; retry_after says how long to wait, when the registry said."""


class DigestMismatchError(LibimageError):
    """Content is not what its digest says."""


class InvalidReferenceError(LibimageError, ValueError):
    """Not a valid image reference (also a ValueError)."""


class TLSError(LibimageError):
    """TLS failed: an untrusted certificate, a failed handshake."""


class NetworkError(LibimageError):
    """The registry could not be reached, or the transfer stalled."""


class ConflictError(LibimageError):
    """The request conflicts with the store's state (an image shared by repositories, an ambiguous ID)."""


class CancelledError(LibimageError):
    """The operation was cancelled."""


class PlatformError(LibimageError):
    """No image for the platform asked for."""


class CorruptError(LibimageError):
    """Stored or received data is damaged."""


_BY_NAME = {
    "LIMG_ENOTFOUND": NotFoundError, "LIMG_EAUTH": AuthError, "LIMG_ERATELIMIT": RateLimitedError,
    "LIMG_EDIGEST_MISMATCH": DigestMismatchError, "LIMG_ETLS": TLSError, "LIMG_ENETWORK": NetworkError,
    "LIMG_ETIMEOUT": NetworkError, "LIMG_ECONFLICT": ConflictError, "LIMG_ECANCELLED": CancelledError,
    "LIMG_EPLATFORM": PlatformError, "LIMG_ECORRUPT": CorruptError, "LIMG_EPATTERN": InvalidReferenceError,
}


def from_details(code, name, message, http_status=0, registry_code="", retry_after=-1):
    """The exception for a C error."""
    cls = _BY_NAME.get(name) or (InvalidReferenceError if name.startswith("LIMG_EREF") else LibimageError)
    return cls(message, code=code, name=name, http_status=http_status, registry_code=registry_code,
               retry_after=retry_after if retry_after and retry_after > 0 else None)
