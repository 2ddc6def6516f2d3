"""libimage's error codes as exceptions: one place maps them."""
from ._ffi import lib


class LibimageError(Exception):
    """A libimage failure: code, name ("LIMG_ENOTFOUND"), message, and for
    registry answers the HTTP status and the registry's own code."""

    def __init__(self, code, name, message, http_status=0, registry_code=""):
        super().__init__(message)
        self.code, self.name, self.message = code, name, message
        self.http_status, self.registry_code = http_status, registry_code


class NotFound(LibimageError):
    pass


class AuthError(LibimageError):
    pass


class InvalidReference(LibimageError):
    pass


class DigestMismatch(LibimageError):
    pass


_BY_NAME = {"LIMG_ENOTFOUND": NotFound, "LIMG_EAUTH": AuthError, "LIMG_EDIGEST_MISMATCH": DigestMismatch}


def check(rc):
    """Raises the last error when rc is negative; returns rc otherwise."""
    if rc >= 0:
        return rc
    err = lib.limg_error_last()
    name = (lib.limg_error_name(rc) or b"LIMG_UNKNOWN").decode()
    cls = _BY_NAME.get(name) or (InvalidReference if name.startswith("LIMG_EREF") else LibimageError)
    raise cls(rc, name, lib.limg_error_message(err).decode(errors="replace"), lib.limg_error_http_status(err),
              lib.limg_error_registry_code(err).decode())
