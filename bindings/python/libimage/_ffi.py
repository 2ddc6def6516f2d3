# SPDX-License-Identifier: MIT
"""The only module that touches ctypes: the library, its structs, and one
Python function per C operation. Everything here takes and returns plain
Python values; a C failure is read (on the thread that failed: libimage's
error is thread-local) and raised as the exception its name chooses; an
exception raised inside a callback stops the C call and is raised again
when it returns.

No number is copied from the C headers where the library can say it:
error codes and subjects are asked of the library at import
(limg_error_name(), limg_subject_name()). What has no such function (the
values of limg_event, limg_blob_kind and the option enums) is ABI and
spelled once, below or in types.py."""
import ctypes
import itertools
import os
import threading

from . import errors

c_int, c_uint, c_long, c_size_t, c_int64 = ctypes.c_int, ctypes.c_uint, ctypes.c_long, ctypes.c_size_t, ctypes.c_int64
c_char_p, c_void_p, POINTER, byref = ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER, ctypes.byref
c_uint32 = ctypes.c_uint32

SONAME = "libimage.so.1"  # libimage.so.LIBIMAGE_SOVERSION: the ABI this binding speaks
ABI_MAJOR = 1


class LibraryNotFoundError(ImportError):
    """The C library could not be loaded, or is not the version this binding speaks."""


def _load():
    """$LIBIMAGE_LIBRARY when set (and then only it), else the SONAME on the
    loader's path (ld.so.cache, LD_LIBRARY_PATH, /usr/local/lib after
    `cmake --install` and ldconfig). Never find_library("image"): that can find
    a development symlink of another major version, or another project's
    libimage."""
    explicit = os.environ.get("LIBIMAGE_LIBRARY")
    name = explicit or SONAME
    try:
        lib = ctypes.CDLL(name)
    except OSError as e:
        if explicit:
            hint = "LIBIMAGE_LIBRARY=%s cannot be loaded: point it at a built or installed %s" % (explicit, SONAME)
        else:
            hint = ("%s is not on the loader's path: install the C library (cmake --install BUILD, then ldconfig), "
                    "or set LIBIMAGE_LIBRARY to the path of %s (e.g. BUILD/%s)" % (SONAME, SONAME, SONAME))
        raise LibraryNotFoundError("libimage: %s (%s)" % (hint, e)) from None
    try:
        fn = lib.limg_version_number
    except AttributeError:
        raise LibraryNotFoundError("libimage: %s is not libimage %d.x (it has no limg_version_number)"
                                   % (name, ABI_MAJOR)) from None
    fn.restype, fn.argtypes = c_int, [POINTER(c_int), POINTER(c_int), POINTER(c_int)]
    major, minor, patch = c_int(), c_int(), c_int()
    fn(byref(major), byref(minor), byref(patch))
    if major.value != ABI_MAJOR:
        raise LibraryNotFoundError("libimage: %s is version %d.%d.%d; this binding needs %d.x (set LIBIMAGE_LIBRARY "
                                   "to a %s)" % (name, major.value, minor.value, patch.value, ABI_MAJOR, SONAME))
    return lib


lib = _load()


def _declare(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


def _text(b):
    return b.decode("utf-8", "replace") if b is not None else None


# ---- error codes and subjects, as the library names them ----------------------

_declare("limg_error_name", c_char_p, c_int)
_declare("limg_subject_name", c_char_p, c_int)
_declare("limg_strerror", c_char_p, c_int)


def _tables():
    """Every code and subject the loaded library knows, by asking it: codes in
    the ranges errors.h reserves (0 to -999), subjects from 0 up."""
    codes = {}
    for code in (-n for n in range(1000)):
        name = lib.limg_error_name(code)
        if name:
            codes[name.decode()] = code
    subjects = {}
    for value in range(0, 1000):
        name = lib.limg_subject_name(value)
        if name:
            subjects[value] = name.decode()
    return codes, subjects


CODES, SUBJECT_NAMES = _tables()          # "LIMG_ENOTFOUND" -> code; subject value -> "LIMG_SUBJECT_IMAGE"
CODE_NAMES = {v: k for k, v in CODES.items()}
for _needed in ("LIMG_OK", "LIMG_EINVALID", "LIMG_ENOTFOUND", "LIMG_ECANCELLED", "LIMG_ETOOBIG", "LIMG_PASSTHROUGH",
                "LIMG_ITEROVER"):
    if _needed not in CODES:
        raise LibraryNotFoundError("libimage: the loaded library does not name %s" % _needed)
OK, ITEROVER, PASSTHROUGH = CODES["LIMG_OK"], CODES["LIMG_ITEROVER"], CODES["LIMG_PASSTHROUGH"]


def subject_name(value):
    """"IMAGE" for LIMG_SUBJECT_IMAGE; None for LIMG_SUBJECT_NONE; "UNKNOWN" for a value the library cannot name."""
    name = SUBJECT_NAMES.get(value) or _text(lib.limg_subject_name(value))
    if name is None:
        return "UNKNOWN"
    name = name[len("LIMG_SUBJECT_"):] if name.startswith("LIMG_SUBJECT_") else name
    return None if name == "NONE" else name


def error(name, message, subject=None, object=""):
    """An exception of the binding's own for the code named @name (the store is closed, ...)."""
    return errors.from_details(code=CODES[name], name=name, message=message, subject=subject, object=object)


# ---- plain data ----------------------------------------------------------


class Buf(ctypes.Structure):
    _c_name_ = "limg_buf"
    _fields_ = [("ptr", c_void_p), ("size", c_size_t), ("reserved", c_size_t)]

    def take(self):
        """The bytes, then frees them."""
        data = ctypes.string_at(self.ptr, self.size) if self.ptr else b""
        lib.limg_buf_dispose(byref(self))
        return data


def arg(value, what, path=False, optional=False):
    """A string argument for C: str (UTF-8), bytes, or with path=True any PathLike.
    None only where optional. NUL refused: C would cut the string there."""
    if value is None:
        if optional:
            return None
        raise TypeError("%s must be a string, not None" % what)
    if path and isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        data = value.encode("utf-8") if not path else os.fsencode(value)
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise TypeError("%s must be a %s, not %s" % (what, "path" if path else "str", type(value).__name__))
    if b"\0" in data:
        raise ValueError("%s contains a NUL character" % what)
    return data


def strings(values, what):
    """A C array of strings (and its length), or (None, 0)."""
    texts = [arg(v, what) for v in values]
    if not texts:
        return None, 0
    return (c_char_p * len(texts))(*texts), len(texts)


# ---- callbacks (common.h, errors.h) -------------------------------------------

PROGRESS_CB = ctypes.CFUNCTYPE(c_int, c_char_p, c_int, c_int, c_int64, c_int64, c_char_p, c_void_p)
READ_CB = ctypes.CFUNCTYPE(c_int, POINTER(c_size_t), c_void_p, c_size_t, c_void_p)
WRITE_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
RESTART_CB = ctypes.CFUNCTYPE(c_int, c_void_p)
REMOVE_CB = ctypes.CFUNCTYPE(c_int, c_int, c_char_p, c_void_p)
REMOVED_CB = ctypes.CFUNCTYPE(c_int, c_char_p, c_int64, c_void_p)
PROBLEM_CB = ctypes.CFUNCTYPE(c_int, c_char_p, c_int, c_char_p, c_void_p)
NAME_CB = ctypes.CFUNCTYPE(c_int, c_char_p, c_void_p)
LOADED_CB = ctypes.CFUNCTYPE(c_int, c_char_p, c_char_p, c_void_p)
CREDENTIALS_CB = ctypes.CFUNCTYPE(c_int, POINTER(Buf), POINTER(Buf), c_char_p, c_void_p)
REFERRER_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p)


class _Pending:
    """Exceptions raised inside callbacks, each under the code its callback
    returned to stop the C call. errors.h: a negative value comes back from
    the call as it is, and codes below -10000 are never the library's, so the
    code a call returns names the exception to raise, whichever thread the
    callback ran on and whichever call (of a shared session) it served."""
    FIRST, COUNT = -10001, 1 << 24

    def __init__(self):
        self.lock = threading.Lock()
        self.by_code = {}
        self.counter = itertools.count()

    def put(self, exc):
        with self.lock:
            code = self.FIRST - next(self.counter) % self.COUNT
            self.by_code[code] = exc
            return code

    def take(self, code):
        with self.lock:
            return self.by_code.pop(code, None)


pending = _Pending()


def raising(fn, result=None):
    """A trampoline body: calls fn; an exception (KeyboardInterrupt too) is
    kept under a fresh code, which is returned to stop the C call."""
    def call(*a):
        try:
            r = fn(*a)
            return 0 if result is None else result(r)
        except BaseException as e:  # noqa: B902 - raised again when the C call returns
            return pending.put(e)
    return call


class Calls:
    """Callbacks of one C call: each Python function is wrapped so that an
    exception stops the call (what a function returns means nothing)."""

    def __init__(self):
        self.code = None
        self.keep = []  # the C function objects (and arrays) must live as long as the call

    def wrap(self, ctype, fn, convert=None):
        if fn is None:
            return ctype()

        def trampoline(*a):
            if self.code is not None:  # stopped already: stop again, raise once
                return self.code
            try:
                fn(*(convert(*a) if convert else a))
                return 0
            except BaseException as e:  # noqa: B902 - re-raised after C returns
                self.code = pending.put(e)
                return self.code

        c = ctype(trampoline)
        self.keep.append(c)
        return c

    def check(self, rc):
        """Raises the callback's exception, else the C error for a negative rc."""
        if self.code is not None:
            code, self.code = self.code, None
            e = pending.take(code)
            if e is not None:
                raise e
        return check(rc)


def error_details(rc):
    err = lib.limg_error_last()
    name = CODE_NAMES.get(rc) or _text(lib.limg_error_name(rc)) or "LIMG_ERROR"
    subject = lib.limg_error_subject(err) if lib.limg_error_code(err) == rc else 0
    return dict(code=rc, name=name, message=_text(lib.limg_error_message(err)) or _text(lib.limg_strerror(rc)),
                subject=subject_name(subject), object=_text(lib.limg_error_object(err)) or "",
                http_status=lib.limg_error_http_status(err),
                registry_code=_text(lib.limg_error_registry_code(err)) or "",
                retry_after=lib.limg_error_retry_after(err))


def check(rc):
    """Raises the error of this thread's failed call (rc < 0): the exception a
    callback raised when rc is its code, else the library's; returns rc otherwise."""
    if rc is not None and rc < 0:
        if rc <= _Pending.FIRST:
            e = pending.take(rc)
            if e is not None:
                raise e
        raise errors.from_details(**error_details(rc))
    return rc


# ---- structs (as include/libimage/*.h lays them out; names as in C) -------------

class Endpoint(ctypes.Structure):
    _c_name_ = "limg_endpoint"
    _fields_ = [("size", c_size_t), ("url", c_char_p), ("capabilities", c_uint), ("skip_verify", c_int),
                ("ca_file", c_char_p), ("client_cert", c_char_p), ("client_key", c_char_p),
                ("override_path", c_int), ("headers", POINTER(c_char_p)), ("headers_len", c_size_t),
                ("dial_timeout_ms", c_long)]


class ContextOpts(ctypes.Structure):
    _c_name_ = "limg_context_opts"
    # allocator: C programs' business; Python's objects live in the C library's malloc
    _fields_ = [("size", c_size_t), ("user_agent", c_char_p), ("allocator", c_void_p)]


class StoreOpts(ctypes.Structure):
    _c_name_ = "limg_store_opts"
    _fields_ = [("size", c_size_t), ("mode", c_int)]


class StoreFsckOpts(ctypes.Structure):
    _c_name_ = "limg_store_fsck_opts"
    _fields_ = [("size", c_size_t), ("digest", c_char_p), ("cancel", c_void_p)]


class StoreFsckCallbacks(ctypes.Structure):
    _c_name_ = "limg_store_fsck_callbacks"
    _fields_ = [("size", c_size_t), ("problem", PROBLEM_CB), ("payload", c_void_p)]


class StoreGcOpts(ctypes.Structure):
    _c_name_ = "limg_store_gc_opts"
    _fields_ = [("size", c_size_t), ("ingest_max_age", c_int64), ("keep_ingests", c_int), ("dry_run", c_int),
                ("cancel", c_void_p)]


class StoreGcCallbacks(ctypes.Structure):
    _c_name_ = "limg_store_gc_callbacks"
    _fields_ = [("size", c_size_t), ("removed", REMOVED_CB), ("payload", c_void_p)]


class TagIteratorOpts(ctypes.Structure):
    _c_name_ = "limg_tag_iterator_opts"
    _fields_ = [("size", c_size_t), ("repository", c_char_p), ("digest", c_char_p), ("select", c_int)]


class ImagesIteratorOpts(ctypes.Structure):
    _c_name_ = "limg_images_iterator_opts"
    _fields_ = [("size", c_size_t), ("select", c_int), ("platform", c_char_p), ("filters", POINTER(c_char_p)),
                ("filters_len", c_size_t), ("cancel", c_void_p)]


class ImageLookupOpts(ctypes.Structure):
    _c_name_ = "limg_image_lookup_opts"
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("cancel", c_void_p)]


class ImagesRemoveOpts(ctypes.Structure):
    _c_name_ = "limg_images_remove_opts"
    _fields_ = [("size", c_size_t), ("force", c_int), ("cancel", c_void_p)]


class ImagesRemoveCallbacks(ctypes.Structure):
    _c_name_ = "limg_images_remove_callbacks"
    _fields_ = [("size", c_size_t), ("removed", REMOVE_CB), ("payload", c_void_p)]


class RegistryOpts(ctypes.Structure):
    _c_name_ = "limg_registry_opts"
    _fields_ = [("size", c_size_t), ("tls", c_int), ("ca_file", c_char_p), ("certs_dir", c_char_p),
                ("docker_config_dir", c_char_p), ("mirrors", POINTER(POINTER(Endpoint))), ("mirrors_len", c_size_t),
                ("skip_hosts_toml", c_int), ("max_attempts", c_int), ("backoff_ms", c_long),
                ("backoff_max_ms", c_long), ("retry_after_max_s", c_long), ("connect_timeout_ms", c_long),
                ("low_speed_time_s", c_long), ("request_timeout_s", c_long), ("operation_timeout_s", c_long),
                ("max_blob_size", c_int64), ("max_requests_per_second", c_int), ("username", c_char_p),
                ("password", c_char_p), ("client_cert", c_char_p), ("client_key", c_char_p),
                ("max_connections", c_int)]


class RegistryCallbacks(ctypes.Structure):
    _c_name_ = "limg_registry_callbacks"
    _fields_ = [("size", c_size_t), ("credentials", CREDENTIALS_CB), ("payload", c_void_p)]


class RegistryCallOpts(ctypes.Structure):
    _c_name_ = "limg_registry_call_opts"
    _fields_ = [("size", c_size_t), ("cancel", c_void_p)]


class RegistryFetchOpts(ctypes.Structure):
    _c_name_ = "limg_registry_fetch_opts"
    _fields_ = [("size", c_size_t), ("offset", c_int64), ("skip_verify", c_int), ("cancel", c_void_p)]


class RegistryFetchCallbacks(ctypes.Structure):
    _c_name_ = "limg_registry_fetch_callbacks"
    _fields_ = [("size", c_size_t), ("write", WRITE_CB), ("restart", RESTART_CB), ("payload", c_void_p)]


class RegistryListOpts(ctypes.Structure):
    _c_name_ = "limg_registry_list_opts"
    _fields_ = [("size", c_size_t), ("page_size", c_int), ("cancel", c_void_p)]


class RegistryListCallbacks(ctypes.Structure):
    _c_name_ = "limg_registry_list_callbacks"
    _fields_ = [("size", c_size_t), ("name", NAME_CB), ("payload", c_void_p)]


class PullOpts(ctypes.Structure):
    _c_name_ = "limg_pull_opts"
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("concurrency", c_int), ("skip_diff_ids", c_int),
                ("foreign_layers", c_int), ("session", c_void_p), ("cancel", c_void_p), ("max_layer_size", c_int64),
                ("no_ranges", c_int), ("range_threshold", c_int64), ("range_chunk", c_int64),
                ("range_parallel", c_int), ("policy", c_void_p), ("index_signatures", c_int), ("referrers", c_int)]


class PullCallbacks(ctypes.Structure):
    _c_name_ = "limg_pull_callbacks"
    _fields_ = [("size", c_size_t), ("progress", PROGRESS_CB), ("payload", c_void_p)]


class PushOpts(ctypes.Structure):
    _c_name_ = "limg_push_opts"
    _fields_ = [("size", c_size_t), ("source", c_char_p), ("platform", c_char_p), ("concurrency", c_int),
                ("no_mount", c_int), ("chunk_size", c_int64), ("session", c_void_p), ("cancel", c_void_p),
                ("sign_by", c_void_p), ("sign_format", c_int), ("sign_identity", c_char_p), ("sign_recursive", c_int),
                ("referrers", c_int)]


class PushCallbacks(ctypes.Structure):
    _c_name_ = "limg_push_callbacks"
    _fields_ = [("size", c_size_t), ("progress", PROGRESS_CB), ("payload", c_void_p)]


class CopyOpts(ctypes.Structure):
    _c_name_ = "limg_copy_opts"
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("concurrency", c_int), ("no_mount", c_int),
                ("chunk_size", c_int64), ("cancel", c_void_p), ("policy", c_void_p), ("index_signatures", c_int),
                ("sign_by", c_void_p), ("sign_format", c_int), ("sign_identity", c_char_p), ("sign_recursive", c_int),
                ("referrers", c_int)]


class CopyCallbacks(ctypes.Structure):
    _c_name_ = "limg_copy_callbacks"
    _fields_ = [("size", c_size_t), ("progress", PROGRESS_CB), ("payload", c_void_p)]


SYNC_IMAGE_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p)


class SyncSelect(ctypes.Structure):
    _c_name_ = "limg_sync_select"
    _fields_ = [("size", c_size_t), ("tags", POINTER(c_char_p)), ("tags_len", c_size_t), ("tag_regex", c_char_p),
                ("tag_exclude", c_char_p), ("semver", c_char_p), ("latest", c_int)]


class SyncOpts(ctypes.Structure):
    _c_name_ = "limg_sync_opts"
    _fields_ = [("size", c_size_t), ("target", c_int), ("scoped", c_int), ("platform", c_char_p),
                ("dry_run", c_int), ("fail_fast", c_int), ("images_parallel", c_int), ("blobs_parallel", c_int),
                ("chunk_size", c_int64), ("cancel", c_void_p), ("referrers", c_int), ("policy", c_void_p)]


class SyncCallbacks(ctypes.Structure):
    _c_name_ = "limg_sync_callbacks"
    _fields_ = [("size", c_size_t), ("image", SYNC_IMAGE_CB), ("progress", PROGRESS_CB), ("payload", c_void_p)]


class ArchiveSaveOpts(ctypes.Structure):
    _c_name_ = "limg_archive_save_opts"
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("cancel", c_void_p)]


class ArchiveSaveCallbacks(ctypes.Structure):
    _c_name_ = "limg_archive_save_callbacks"
    _fields_ = [("size", c_size_t), ("write", WRITE_CB), ("progress", PROGRESS_CB), ("payload", c_void_p)]


class ArchiveLoadOpts(ctypes.Structure):
    _c_name_ = "limg_archive_load_opts"
    _fields_ = [("size", c_size_t), ("max_blob_size", c_int64), ("cancel", c_void_p), ("platform", c_char_p)]


class ArchiveLoadCallbacks(ctypes.Structure):
    _c_name_ = "limg_archive_load_callbacks"
    _fields_ = [("size", c_size_t), ("read", READ_CB), ("loaded", LOADED_CB), ("progress", PROGRESS_CB),
                ("retagged", LOADED_CB), ("payload", c_void_p)]


class IdMap(ctypes.Structure):
    _c_name_ = "limg_id_map"
    _fields_ = [("container_id", c_uint32), ("host_id", c_uint32), ("size", c_uint32)]


class UnpackOpts(ctypes.Structure):
    _c_name_ = "limg_unpack_opts"
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("rootless", c_int), ("uid_map", POINTER(IdMap)),
                ("uid_map_len", c_size_t), ("gid_map", POINTER(IdMap)), ("gid_map_len", c_size_t),
                ("bundle", c_int), ("no_terminal", c_int), ("max_layer_size", c_int64), ("max_entries", c_int64),
                ("cancel", c_void_p), ("on_failure", c_int)]


class UnpackCallbacks(ctypes.Structure):
    _c_name_ = "limg_unpack_callbacks"
    _fields_ = [("size", c_size_t), ("progress", PROGRESS_CB), ("payload", c_void_p)]


class SnapshotOpts(ctypes.Structure):
    _c_name_ = "limg_snapshot_opts"
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("kind", c_int), ("max_layer_size", c_int64),
                ("max_entries", c_int64), ("cancel", c_void_p)]


class SnapshotCallbacks(ctypes.Structure):
    _c_name_ = "limg_snapshot_callbacks"
    _fields_ = [("size", c_size_t), ("progress", PROGRESS_CB), ("payload", c_void_p)]


class PolicyOpts(ctypes.Structure):
    _c_name_ = "limg_policy_opts"
    _fields_ = [("size", c_size_t), ("registries_d", c_char_p)]


class PolicyCheckOpts(ctypes.Structure):
    _c_name_ = "limg_policy_check_opts"
    _fields_ = [("size", c_size_t), ("index_digest", c_char_p), ("index_signatures", c_int)]


class SignerOpts(ctypes.Structure):
    _c_name_ = "limg_signer_opts"
    _fields_ = [("size", c_size_t), ("passphrase", c_char_p)]


class VerifyOpts(ctypes.Structure):
    _c_name_ = "limg_verify_opts"
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("index_signatures", c_int), ("session", c_void_p),
                ("store", c_void_p), ("cancel", c_void_p)]


class SignOpts(ctypes.Structure):
    _c_name_ = "limg_sign_opts"
    _fields_ = [("size", c_size_t), ("format", c_int), ("identity", c_char_p), ("recursive", c_int),
                ("session", c_void_p), ("cancel", c_void_p)]


class RegistryReferrersOpts(ctypes.Structure):
    _c_name_ = "limg_registry_referrers_opts"
    _fields_ = [("size", c_size_t), ("artifact_type", c_char_p), ("mode", c_int), ("cancel", c_void_p)]


class RegistryReferrersCallbacks(ctypes.Structure):
    _c_name_ = "limg_registry_referrers_callbacks"
    _fields_ = [("size", c_size_t), ("referrer", REFERRER_CB), ("payload", c_void_p)]


class RegistryAttachOpts(ctypes.Structure):
    _c_name_ = "limg_registry_attach_opts"
    _fields_ = [("size", c_size_t), ("media_types", POINTER(c_char_p)), ("annotations", POINTER(c_char_p)),
                ("annotations_len", c_size_t), ("mode", c_int), ("cancel", c_void_p)]
class PullUnpackOpts(ctypes.Structure):
    _c_name_ = "limg_pull_unpack_opts"
    _fields_ = [("size", c_size_t), ("pull", POINTER(PullOpts)), ("unpack", POINTER(UnpackOpts)),
                ("layer_blobs", c_int), ("cancel", c_void_p)]


class PullUnpackCallbacks(ctypes.Structure):
    _c_name_ = "limg_pull_unpack_callbacks"
    _fields_ = [("size", c_size_t), ("progress", PROGRESS_CB), ("payload", c_void_p)]


class LayerOpts(ctypes.Structure):
    _c_name_ = "limg_layer_opts"
    _fields_ = [("size", c_size_t), ("compression", c_int), ("level", c_int), ("times", c_int), ("epoch", c_int64),
                ("owner", c_int), ("uid", c_uint32), ("gid", c_uint32), ("prefix", c_char_p),
                ("removed", POINTER(c_char_p)), ("removed_len", c_size_t), ("no_xattrs", c_int), ("threads", c_int),
                ("max_entries", c_int64), ("platform", c_char_p), ("cancel", c_void_p), ("base", c_char_p)]


class LayerCallbacks(ctypes.Structure):
    _c_name_ = "limg_layer_callbacks"
    _fields_ = [("size", c_size_t), ("progress", PROGRESS_CB), ("payload", c_void_p)]


class LayerFile(ctypes.Structure):
    _c_name_ = "limg_layer_file"
    _fields_ = [("size", c_size_t), ("path", c_char_p), ("type", c_int), ("source", c_char_p), ("data", c_void_p),
                ("data_len", c_size_t), ("mode", c_uint), ("link", c_char_p), ("uid", c_uint32), ("gid", c_uint32)]


class BuilderOpts(ctypes.Structure):
    _c_name_ = "limg_builder_opts"
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("format", c_int), ("set_created", c_int),
                ("created", c_int64), ("no_base_annotations", c_int), ("cancel", c_void_p)]


class HealthcheckOpts(ctypes.Structure):
    _c_name_ = "limg_healthcheck_opts"
    _fields_ = [("size", c_size_t), ("interval", c_int64), ("timeout", c_int64), ("start_period", c_int64),
                ("start_interval", c_int64), ("retries", c_int)]


class FlattenOpts(ctypes.Structure):
    _c_name_ = "limg_flatten_opts"
    _fields_ = [("size", c_size_t), ("compression", c_int), ("level", c_int), ("threads", c_int),
                ("cancel", c_void_p)]


class RebaseOpts(ctypes.Structure):
    _c_name_ = "limg_rebase_opts"
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("no_base_annotations", c_int), ("cancel", c_void_p)]


class IndexOpts(ctypes.Structure):
    _c_name_ = "limg_index_opts"
    _fields_ = [("size", c_size_t), ("format", c_int), ("cancel", c_void_p)]


class SpecOpts(ctypes.Structure):
    _c_name_ = "limg_spec_opts"
    _fields_ = [("size", c_size_t), ("dir", c_char_p), ("tag", c_char_p), ("set_epoch", c_int), ("epoch", c_int64),
                ("cancel", c_void_p)]


# Every struct declared here, by its C name: the tests compile a C program
# from this table and compare sizes and offsets with the C compiler's.
STRUCTS = {cls._c_name_: cls for cls in (
    Buf, Endpoint, ContextOpts, StoreOpts, StoreFsckOpts, StoreFsckCallbacks, StoreGcOpts, StoreGcCallbacks,
    TagIteratorOpts, ImagesIteratorOpts, ImageLookupOpts, ImagesRemoveOpts, ImagesRemoveCallbacks, RegistryOpts,
    RegistryCallbacks, RegistryCallOpts, RegistryFetchOpts, RegistryFetchCallbacks, RegistryListOpts,
    RegistryListCallbacks, PullOpts, PullCallbacks, PushOpts, PushCallbacks, CopyOpts, CopyCallbacks,
    ArchiveSaveOpts, ArchiveSaveCallbacks, ArchiveLoadOpts, ArchiveLoadCallbacks, IdMap, UnpackOpts,
    UnpackCallbacks, PolicyOpts, PolicyCheckOpts, SignerOpts, VerifyOpts, SignOpts, RegistryReferrersOpts,
    RegistryReferrersCallbacks, RegistryAttachOpts, PullUnpackOpts, PullUnpackCallbacks, LayerOpts, LayerCallbacks,
    LayerFile, BuilderOpts, HealthcheckOpts, FlattenOpts, RebaseOpts, IndexOpts, SpecOpts, SnapshotOpts,
    SnapshotCallbacks)}

# Values of the option enums (ABI, spelled as in the headers; no name function exists for them).
STORE_CREATE, STORE_EXISTING, STORE_READ_ONLY = 0, 1, 2      # limg_store_mode
LIST_TAGGED, LIST_UNTAGGED, LIST_ALL = 0, 1, 2              # limg_list_select
TLS_DEFAULT, TLS_VERIFY, TLS_INSECURE = 0, 1, 2             # limg_tls_mode
ROOTLESS_AUTO, ROOTLESS_ON, ROOTLESS_OFF = 0, 1, 2          # limg_rootless_mode
UNPACK_FAILED_REMOVE, UNPACK_FAILED_KEEP = 0, 1      # limg_unpack_failure
LAYER_BLOBS_KEEP, LAYER_BLOBS_DISCARD = 0, 1        # limg_layer_blobs
FOREIGN_REGISTRY, FOREIGN_URLS, FOREIGN_SKIP = 0, 1, 2      # limg_foreign_layers
ENDPOINT_CAPS = {"pull": 1, "resolve": 2, "push": 4}        # limg_endpoint_capability
SIGNATURE_FORMATS = {"simple": 0, "bundle": 1}              # limg_signature_format
INDEX_ACCEPT, INDEX_IGNORE = 0, 1                           # limg_index_signatures
REFERRERS_MODES = {"auto": 0, "api": 1, "tag": 2}           # limg_referrers_mode
LAYER_CODECS = {"gzip": 0, "zstd": 1, "none": 2}            # limg_layer_codec
LAYER_TIMES = {"epoch": 0, "clamp": 1, "keep": 2}           # limg_layer_times
OWNER_FIXED, OWNER_KEEP = 0, 1                              # limg_layer_owner
FILE_TYPES = {"file": 0, "dir": 1, "symlink": 2}            # limg_file_type
BUILD_FORMATS = {None: 0, "oci": 1, "docker": 2}            # limg_build_format
COMPRESSION_NAMES = {0: "none", 1: "gzip", 2: "zstd"}       # limg_compression

# ---- functions ------------------------------------------------------------------

P = POINTER
_declare("limg_version", c_char_p)
_declare("limg_platform_native", c_char_p)
_declare("limg_error_last", c_void_p)
_declare("limg_error_code", c_int, c_void_p)
_declare("limg_error_message", c_char_p, c_void_p)
_declare("limg_error_subject", c_int, c_void_p)
_declare("limg_error_object", c_char_p, c_void_p)
_declare("limg_error_http_status", c_int, c_void_p)
_declare("limg_error_registry_code", c_char_p, c_void_p)
_declare("limg_error_retry_after", c_long, c_void_p)
_declare("limg_buf_dispose", None, P(Buf))
_declare("limg_buf_set", c_int, P(Buf), c_void_p, c_size_t)
_declare("limg_cancel_new", c_int, P(c_void_p))
_declare("limg_cancel_free", None, c_void_p)
_declare("limg_cancel_request", None, c_void_p)
_declare("limg_cancel_requested", c_int, c_void_p)
_declare("limg_cancel_link", c_int, c_void_p, c_void_p)
for _n in ("parse", "parse_normalized", "parse_docker", "parse_canonical", "parse_any", "parse_name"):
    _declare("limg_reference_" + _n, c_int, P(c_void_p), c_char_p)
_declare("limg_reference_free", None, c_void_p)
for _n in ("string", "name", "domain", "path", "tag", "digest", "familiar_string", "familiar_name"):
    _declare("limg_reference_" + _n, c_char_p, c_void_p)
_declare("limg_reference_familiar_match", c_int, P(c_int), c_void_p, c_char_p)
_declare("limg_endpoint_init", c_int, P(Endpoint), c_size_t)
# store.h
_declare("limg_store_opts_init", c_int, P(StoreOpts), c_size_t)
_declare("limg_store_open", c_int, P(c_void_p), c_void_p, c_char_p, P(StoreOpts))
_declare("limg_store_close", None, c_void_p)
_declare("limg_store_path", c_char_p, c_void_p)
_declare("limg_store_default_path", c_int, P(Buf))
_declare("limg_store_fsck_opts_init", c_int, P(StoreFsckOpts), c_size_t)
_declare("limg_store_fsck_callbacks_init", c_int, P(StoreFsckCallbacks), c_size_t)
_declare("limg_store_fsck", c_int, P(c_size_t), c_void_p, P(StoreFsckOpts), P(StoreFsckCallbacks))
_declare("limg_store_gc_opts_init", c_int, P(StoreGcOpts), c_size_t)
_declare("limg_store_gc_callbacks_init", c_int, P(StoreGcCallbacks), c_size_t)
_declare("limg_store_gc", c_int, P(c_int64), c_void_p, P(StoreGcOpts), P(StoreGcCallbacks))
# tags.h
_declare("limg_tags_set", c_int, c_void_p, c_char_p, c_char_p)
_declare("limg_tags_lookup", c_int, P(Buf), c_void_p, c_char_p)
_declare("limg_tags_remove", c_int, c_void_p, c_char_p)
_declare("limg_tag_iterator_opts_init", c_int, P(TagIteratorOpts), c_size_t)
_declare("limg_tag_iterator_new", c_int, P(c_void_p), c_void_p, P(TagIteratorOpts))
_declare("limg_tag_iterator_next", c_int, P(c_void_p), c_void_p)
_declare("limg_tag_iterator_free", None, c_void_p)
_declare("limg_tag_reference", c_char_p, c_void_p)
# images.h
_declare("limg_images_iterator_opts_init", c_int, P(ImagesIteratorOpts), c_size_t)
_declare("limg_images_iterator_new", c_int, P(c_void_p), c_void_p, P(ImagesIteratorOpts))
_declare("limg_images_iterator_next", c_int, P(c_void_p), c_void_p)
_declare("limg_images_iterator_free", None, c_void_p)
for _n in ("reference", "repository", "tag", "digest", "id"):
    _declare("limg_images_row_" + _n, c_char_p, c_void_p)
_declare("limg_images_row_created", c_int64, c_void_p)
_declare("limg_images_row_size", c_int64, c_void_p)
_declare("limg_image_lookup_opts_init", c_int, P(ImageLookupOpts), c_size_t)
_declare("limg_image_lookup", c_int, P(c_void_p), c_void_p, c_char_p, P(ImageLookupOpts))
_declare("limg_image_free", None, c_void_p)
for _n in ("id", "digest", "manifest_digest"):
    _declare("limg_image_" + _n, c_char_p, c_void_p)
_declare("limg_image_manifest", c_void_p, c_void_p)
_declare("limg_image_config", c_void_p, c_void_p)
_declare("limg_image_config_bytes", c_void_p, c_void_p)
_declare("limg_image_config_size", c_size_t, c_void_p)
_declare("limg_image_size", c_int64, c_void_p)
_declare("limg_image_layer_size", c_int64, c_void_p, c_size_t)
_declare("limg_image_tag_count", c_size_t, c_void_p)
_declare("limg_image_tag", c_char_p, c_void_p, c_size_t)
_declare("limg_image_repo_digest_count", c_size_t, c_void_p)
_declare("limg_image_repo_digest", c_char_p, c_void_p, c_size_t)
_declare("limg_images_lookup", c_int, P(Buf), c_void_p, c_char_p)
_declare("limg_images_tag", c_int, c_void_p, c_char_p, c_char_p)
_declare("limg_images_remove_opts_init", c_int, P(ImagesRemoveOpts), c_size_t)
_declare("limg_images_remove_callbacks_init", c_int, P(ImagesRemoveCallbacks), c_size_t)
_declare("limg_images_remove", c_int, c_void_p, c_char_p, P(ImagesRemoveOpts), P(ImagesRemoveCallbacks))
# manifest.h
_declare("limg_manifest_count", c_size_t, c_void_p)
_declare("limg_manifest_entry", c_void_p, c_void_p, c_size_t)
_declare("limg_manifest_media_type", c_char_p, c_void_p)
_declare("limg_manifest_config", c_void_p, c_void_p)
_declare("limg_descriptor_digest", c_char_p, c_void_p)
_declare("limg_descriptor_size", c_int64, c_void_p)
_declare("limg_descriptor_media_type", c_char_p, c_void_p)
for _n in ("created", "author", "architecture", "os", "variant", "os_version", "user", "working_dir", "stop_signal",
           "container_json"):
    _declare("limg_config_" + _n, c_char_p, c_void_p)
_declare("limg_config_created_unix", c_int64, c_void_p)
for _n in ("diff_id", "env", "entrypoint", "cmd", "label_key", "exposed_port", "volume"):
    _declare("limg_config_%s_count" % ("label" if _n == "label_key" else _n), c_size_t, c_void_p)
    _declare("limg_config_" + _n, c_char_p, c_void_p, c_size_t)
_declare("limg_config_label", c_char_p, c_void_p, c_char_p)
_declare("limg_config_history_count", c_size_t, c_void_p)
for _n in ("created", "created_by", "comment", "author"):
    _declare("limg_config_history_" + _n, c_char_p, c_void_p, c_size_t)
_declare("limg_config_history_empty_layer", c_int, c_void_p, c_size_t)
# registry.h
_declare("limg_registry_opts_init", c_int, P(RegistryOpts), c_size_t)
_declare("limg_registry_callbacks_init", c_int, P(RegistryCallbacks), c_size_t)
_declare("limg_registry_open", c_int, P(c_void_p), c_void_p, c_char_p, P(RegistryOpts), P(RegistryCallbacks))
_declare("limg_registry_close", None, c_void_p)
_declare("limg_registry_domain", c_char_p, c_void_p)
_declare("limg_registry_base_url", c_char_p, c_void_p)
_declare("limg_session_new", c_int, P(c_void_p), c_void_p, P(RegistryOpts), P(RegistryCallbacks))
_declare("limg_session_set_registry_opts", c_int, c_void_p, c_char_p, P(RegistryOpts))
_declare("limg_session_registry", c_int, P(c_void_p), c_void_p, c_char_p)
_declare("limg_session_free", None, c_void_p)
_declare("limg_registry_call_opts_init", c_int, P(RegistryCallOpts), c_size_t)
_declare("limg_registry_ping", c_int, c_void_p, P(RegistryCallOpts))
_declare("limg_registry_login", c_int, c_void_p, P(RegistryCallOpts))
_declare("limg_credentials_store", c_int, P(Buf), c_char_p, c_char_p, c_char_p, c_char_p)
_declare("limg_credentials_erase", c_int, c_char_p, c_char_p)
_declare("limg_registry_manifest_head", c_int, P(c_void_p), c_void_p, c_char_p, c_char_p, P(RegistryCallOpts))
_declare("limg_registry_manifest_fetch", c_int, P(c_void_p), c_void_p, c_char_p, c_char_p, P(RegistryCallOpts))
_declare("limg_remote_manifest_free", None, c_void_p)
_declare("limg_remote_manifest_digest", c_char_p, c_void_p)
_declare("limg_remote_manifest_media_type", c_char_p, c_void_p)
_declare("limg_remote_manifest_size", c_int64, c_void_p)
_declare("limg_remote_manifest_body", c_void_p, c_void_p)
_declare("limg_registry_list_opts_init", c_int, P(RegistryListOpts), c_size_t)
_declare("limg_registry_list_callbacks_init", c_int, P(RegistryListCallbacks), c_size_t)
_declare("limg_registry_tags_foreach", c_int, c_void_p, c_char_p, P(RegistryListOpts), P(RegistryListCallbacks))
_declare("limg_registry_catalog_foreach", c_int, c_void_p, P(RegistryListOpts), P(RegistryListCallbacks))
_declare("limg_registry_fetch_opts_init", c_int, P(RegistryFetchOpts), c_size_t)
_declare("limg_registry_fetch_callbacks_init", c_int, P(RegistryFetchCallbacks), c_size_t)
_declare("limg_registry_blob_fetch", c_int, c_void_p, c_char_p, c_char_p, c_int64, P(RegistryFetchOpts),
         P(RegistryFetchCallbacks))
# pull.h, push.h, copy.h
_declare("limg_pull_opts_init", c_int, P(PullOpts), c_size_t)
_declare("limg_pull_callbacks_init", c_int, P(PullCallbacks), c_size_t)
_declare("limg_pull", c_int, P(c_void_p), c_void_p, c_char_p, P(PullOpts), P(PullCallbacks))
_declare("limg_pull_result_free", None, c_void_p)
for _n in ("reference", "digest", "manifest_digest", "image_id"):
    _declare("limg_pull_result_" + _n, c_char_p, c_void_p)
_declare("limg_pull_result_up_to_date", c_int, c_void_p)
_declare("limg_pull_result_bytes_downloaded", c_int64, c_void_p)
_declare("limg_push_opts_init", c_int, P(PushOpts), c_size_t)
_declare("limg_push_callbacks_init", c_int, P(PushCallbacks), c_size_t)
_declare("limg_push", c_int, P(Buf), c_void_p, c_char_p, P(PushOpts), P(PushCallbacks))
_declare("limg_copy_opts_init", c_int, P(CopyOpts), c_size_t)
_declare("limg_copy_callbacks_init", c_int, P(CopyCallbacks), c_size_t)
_declare("limg_copy", c_int, P(Buf), c_void_p, c_char_p, c_char_p, P(CopyOpts), P(CopyCallbacks))
# sync.h
_declare("limg_sync_list_parse", c_int, P(c_void_p), c_char_p, c_size_t, c_char_p)
_declare("limg_sync_list_new", c_int, P(c_void_p))
_declare("limg_sync_list_free", None, c_void_p)
_declare("limg_sync_select_init", c_int, P(SyncSelect), c_size_t)
_declare("limg_sync_list_add", c_int, c_void_p, c_char_p, P(SyncSelect))
_declare("limg_sync_list_add_store", c_int, c_void_p, c_char_p)
_declare("limg_sync_list_add_dir", c_int, c_void_p, c_char_p)
_declare("limg_sync_list_set_registry_opts", c_int, c_void_p, c_char_p, P(RegistryOpts))
_declare("limg_sync_opts_init", c_int, P(SyncOpts), c_size_t)
_declare("limg_sync_callbacks_init", c_int, P(SyncCallbacks), c_size_t)
_declare("limg_sync", c_int, P(c_void_p), c_void_p, c_void_p, c_char_p, P(SyncOpts), P(SyncCallbacks))
_declare("limg_sync_report_free", None, c_void_p)
_declare("limg_sync_report_count", c_size_t, c_void_p)
_declare("limg_sync_report_image", c_void_p, c_void_p, c_size_t)
_declare("limg_sync_report_json", c_int, P(Buf), c_void_p)
for _n in ("source", "destination", "digest", "reason"):
    _declare("limg_sync_image_" + _n, c_char_p, c_void_p)
_declare("limg_sync_image_status", c_int, c_void_p)
_declare("limg_sync_image_error", c_int, c_void_p)
_declare("limg_sync_image_bytes", c_int64, c_void_p)
# archive.h, unpack.h
_declare("limg_archive_save_opts_init", c_int, P(ArchiveSaveOpts), c_size_t)
_declare("limg_archive_save_callbacks_init", c_int, P(ArchiveSaveCallbacks), c_size_t)
_declare("limg_archive_save", c_int, c_void_p, P(c_char_p), c_size_t, c_int, P(ArchiveSaveOpts),
         P(ArchiveSaveCallbacks))
_declare("limg_archive_load_opts_init", c_int, P(ArchiveLoadOpts), c_size_t)
_declare("limg_archive_load_callbacks_init", c_int, P(ArchiveLoadCallbacks), c_size_t)
_declare("limg_archive_load", c_int, c_void_p, c_int, P(ArchiveLoadOpts), P(ArchiveLoadCallbacks))
_declare("limg_unpack_opts_init", c_int, P(UnpackOpts), c_size_t)
_declare("limg_unpack_callbacks_init", c_int, P(UnpackCallbacks), c_size_t)
_declare("limg_unpack", c_int, c_void_p, c_char_p, c_char_p, P(UnpackOpts), P(UnpackCallbacks))
_declare("limg_snapshot_opts_init", c_int, P(SnapshotOpts), c_size_t)
_declare("limg_snapshot_callbacks_init", c_int, P(SnapshotCallbacks), c_size_t)
_declare("limg_snapshot_prepare", c_int, P(c_void_p), c_void_p, c_char_p, c_char_p, P(SnapshotOpts),
         P(SnapshotCallbacks))
for _name in ("type", "source", "target", "options"):
    _declare("limg_mount_" + _name, c_char_p, c_void_p)
_declare("limg_mount_free", None, c_void_p)
_declare("limg_snapshot_gc", c_int, P(c_int64), c_void_p, P(StoreGcOpts), P(StoreGcCallbacks))
_declare("limg_snapshot_fsck", c_int, P(c_size_t), c_void_p, P(StoreFsckOpts), P(StoreFsckCallbacks))
# sign.h
_declare("limg_policy_opts_init", c_int, P(PolicyOpts), c_size_t)
_declare("limg_policy_parse", c_int, P(c_void_p), c_char_p, c_size_t, P(PolicyOpts))
_declare("limg_policy_load", c_int, P(c_void_p), c_char_p, P(PolicyOpts))
_declare("limg_policy_default_path", c_int, P(Buf))
_declare("limg_policy_free", None, c_void_p)
_declare("limg_key_parse", c_int, P(c_void_p), c_char_p, c_size_t)
_declare("limg_key_free", None, c_void_p)
_declare("limg_key_algorithm", c_char_p, c_void_p)
_declare("limg_key_verify", c_int, c_void_p, c_char_p, c_size_t, c_char_p)
_declare("limg_signer_opts_init", c_int, P(SignerOpts), c_size_t)
_declare("limg_signer_parse", c_int, P(c_void_p), c_char_p, c_size_t, P(SignerOpts))
_declare("limg_signer_free", None, c_void_p)
_declare("limg_signer_public_key", c_int, P(Buf), c_void_p)
_declare("limg_signer_sign", c_int, P(Buf), c_void_p, c_char_p, c_size_t)
_declare("limg_signature_payload", c_int, P(Buf), c_char_p, c_char_p)
_declare("limg_signature_bundle", c_int, P(Buf), c_void_p, c_char_p, c_char_p)
_declare("limg_signatures_new", c_int, P(c_void_p))
_declare("limg_signatures_free", None, c_void_p)
_declare("limg_signatures_add_simple", c_int, c_void_p, c_char_p, c_size_t, c_char_p, c_char_p)
_declare("limg_signatures_add_bundle", c_int, c_void_p, c_char_p, c_size_t, c_char_p)
_declare("limg_signatures_count", c_size_t, c_void_p)
_declare("limg_policy_check_opts_init", c_int, P(PolicyCheckOpts), c_size_t)
_declare("limg_policy_check", c_int, P(c_void_p), c_void_p, c_char_p, c_char_p, c_void_p, P(PolicyCheckOpts))
_declare("limg_verdict_free", None, c_void_p)
_declare("limg_verdict_accepted", c_int, c_void_p)
for _n in ("image", "scope", "message"):
    _declare("limg_verdict_" + _n, c_char_p, c_void_p)
_declare("limg_verdict_count", c_size_t, c_void_p)
_declare("limg_verdict_requirement", c_char_p, c_void_p, c_size_t)
_declare("limg_verdict_requirement_accepted", c_int, c_void_p, c_size_t)
_declare("limg_verdict_reason", c_char_p, c_void_p, c_size_t)
# trust.h
_declare("limg_verify_opts_init", c_int, P(VerifyOpts), c_size_t)
_declare("limg_verify", c_int, P(c_void_p), c_void_p, c_char_p, P(VerifyOpts))
_declare("limg_sign_opts_init", c_int, P(SignOpts), c_size_t)
_declare("limg_sign", c_int, P(Buf), c_void_p, c_char_p, P(SignOpts))
# registry.h: referrers
_declare("limg_registry_referrers_opts_init", c_int, P(RegistryReferrersOpts), c_size_t)
_declare("limg_registry_referrers_callbacks_init", c_int, P(RegistryReferrersCallbacks), c_size_t)
_declare("limg_registry_referrers_foreach", c_int, c_void_p, c_char_p, c_char_p, P(RegistryReferrersOpts),
         P(RegistryReferrersCallbacks))
_declare("limg_registry_attach_opts_init", c_int, P(RegistryAttachOpts), c_size_t)
_declare("limg_registry_attach", c_int, P(Buf), c_void_p, c_char_p, c_char_p, c_char_p, P(c_char_p), c_size_t,
         P(RegistryAttachOpts))
_declare("limg_descriptor_artifact_type", c_char_p, c_void_p)
_declare("limg_descriptor_annotation", c_char_p, c_void_p, c_char_p)
_declare("limg_pull_unpack_opts_init", c_int, P(PullUnpackOpts), c_size_t)
_declare("limg_pull_unpack_callbacks_init", c_int, P(PullUnpackCallbacks), c_size_t)
_declare("limg_pull_unpack", c_int, P(c_void_p), c_void_p, c_char_p, c_char_p, P(PullUnpackOpts),
         P(PullUnpackCallbacks))

# build.h
_declare("limg_layer_opts_init", c_int, P(LayerOpts), c_size_t)
_declare("limg_layer_callbacks_init", c_int, P(LayerCallbacks), c_size_t)
_declare("limg_layer_file_init", c_int, P(LayerFile), c_size_t)
_declare("limg_layer_new_from_dir", c_int, P(c_void_p), c_void_p, c_char_p, P(LayerOpts), P(LayerCallbacks))
_declare("limg_layer_new_from_files", c_int, P(c_void_p), c_void_p, P(P(LayerFile)), c_size_t, P(LayerOpts),
         P(LayerCallbacks))
_declare("limg_layer_new_from_tar", c_int, P(c_void_p), c_void_p, c_int, P(LayerOpts), P(LayerCallbacks))
_declare("limg_layer_new_from_diff", c_int, P(c_void_p), c_void_p, c_char_p, c_char_p, P(LayerOpts),
         P(LayerCallbacks))
_declare("limg_layer_lookup", c_int, P(c_void_p), c_void_p, c_char_p)
_declare("limg_layer_free", None, c_void_p)
_declare("limg_layer_digest", c_char_p, c_void_p)
_declare("limg_layer_diff_id", c_char_p, c_void_p)
_declare("limg_layer_size", c_int64, c_void_p)
_declare("limg_layer_tar_size", c_int64, c_void_p)
_declare("limg_layer_compression", c_int, c_void_p)
_declare("limg_builder_opts_init", c_int, P(BuilderOpts), c_size_t)
_declare("limg_builder_new", c_int, P(c_void_p), c_void_p, c_char_p, P(BuilderOpts))
_declare("limg_builder_free", None, c_void_p)
_declare("limg_builder_append_layer", c_int, c_void_p, c_void_p, c_char_p, c_char_p)
_declare("limg_builder_add_history", c_int, c_void_p, c_char_p, c_char_p)
_declare("limg_builder_set_entrypoint", c_int, c_void_p, P(c_char_p), c_size_t)
_declare("limg_builder_set_cmd", c_int, c_void_p, P(c_char_p), c_size_t)
_declare("limg_builder_set_shell", c_int, c_void_p, P(c_char_p), c_size_t)
_declare("limg_builder_set_onbuild", c_int, c_void_p, P(c_char_p), c_size_t)
_declare("limg_builder_set_env", c_int, c_void_p, c_char_p, c_char_p)
_declare("limg_builder_set_label", c_int, c_void_p, c_char_p, c_char_p)
for _n in ("user", "working_dir", "stop_signal", "author", "platform"):
    _declare("limg_builder_set_" + _n, c_int, c_void_p, c_char_p)
_declare("limg_builder_add_exposed_port", c_int, c_void_p, c_char_p)
_declare("limg_builder_add_volume", c_int, c_void_p, c_char_p)
_declare("limg_healthcheck_opts_init", c_int, P(HealthcheckOpts), c_size_t)
_declare("limg_builder_set_healthcheck", c_int, c_void_p, P(c_char_p), c_size_t, P(HealthcheckOpts))
_declare("limg_builder_set_annotation", c_int, c_void_p, c_char_p, c_char_p)
_declare("limg_builder_commit", c_int, P(Buf), c_void_p, c_char_p)
_declare("limg_flatten_opts_init", c_int, P(FlattenOpts), c_size_t)
_declare("limg_build_flatten", c_int, P(Buf), c_void_p, c_char_p, c_char_p, P(FlattenOpts), P(LayerCallbacks))
_declare("limg_rebase_opts_init", c_int, P(RebaseOpts), c_size_t)
_declare("limg_build_rebase", c_int, P(Buf), c_void_p, c_char_p, c_char_p, c_char_p, c_char_p, P(RebaseOpts))
_declare("limg_index_opts_init", c_int, P(IndexOpts), c_size_t)
_declare("limg_build_index", c_int, P(Buf), c_void_p, P(c_char_p), c_size_t, c_char_p, P(IndexOpts))
_declare("limg_spec_opts_init", c_int, P(SpecOpts), c_size_t)
_declare("limg_build_spec", c_int, P(Buf), c_void_p, c_char_p, c_size_t, P(SpecOpts), P(LayerCallbacks))


def version():
    return _text(lib.limg_version())


def platform_native():
    return _text(lib.limg_platform_native())


def _init(struct, init_fn):
    s = struct()
    check(init_fn(byref(s), ctypes.sizeof(s)))
    return s


def code_name(code):
    """The library's name of a code ("LIMG_ECORRUPT"), or None."""
    return CODE_NAMES.get(code) or _text(lib.limg_error_name(code))


# ---- cancellation ---------------------------------------------------------------

def cancel_new():
    h = c_void_p()
    check(lib.limg_cancel_new(byref(h)))
    return h.value


def cancel_free(h):
    lib.limg_cancel_free(h)


def cancel_request(h):
    lib.limg_cancel_request(h)


def cancel_requested(h):
    return bool(lib.limg_cancel_requested(h))


def cancel_link(child, parent):
    check(lib.limg_cancel_link(child, parent))


# ---- references ------------------------------------------------------------------

def reference_parse(text, mode):
    fn = {"docker": lib.limg_reference_parse_docker, "normalized": lib.limg_reference_parse_normalized,
          "strict": lib.limg_reference_parse, "canonical": lib.limg_reference_parse_canonical,
          "any": lib.limg_reference_parse_any, "name": lib.limg_reference_parse_name}.get(mode)
    if fn is None:
        raise ValueError("unknown mode %r: docker, normalized, strict, canonical, any or name" % (mode,))
    h = c_void_p()
    check(fn(byref(h), arg(text, "reference")))
    try:
        return {k: _text(getattr(lib, "limg_reference_" + k)(h)) for k in
                ("string", "name", "domain", "path", "tag", "digest", "familiar_string", "familiar_name")}
    finally:
        lib.limg_reference_free(h)


def reference_familiar_match(text, pattern):
    h = c_void_p()
    check(lib.limg_reference_parse_normalized(byref(h), arg(text, "reference")))
    try:
        m = c_int()
        check(lib.limg_reference_familiar_match(byref(m), h, arg(pattern, "pattern")))
        return bool(m.value)
    finally:
        lib.limg_reference_free(h)


# ---- registry settings and sessions ---------------------------------------------------

def registry_opts(cfg, keep):
    """The C settings of a RegistryConfig (None: the defaults); what they point
    at is appended to @keep, which must live as long as the C side uses them
    (the library copies settings when a registry or session is made)."""
    o = _init(RegistryOpts, lib.limg_registry_opts_init)
    if cfg is None:
        return o
    if cfg.insecure or not cfg.tls_verify:
        o.tls = TLS_INSECURE
    elif cfg.insecure is False:
        o.tls = TLS_VERIFY
    else:
        o.tls = TLS_DEFAULT
    o.ca_file = arg(cfg.ca_file, "ca_file", path=True, optional=True)
    o.certs_dir = arg(cfg.certs_dir, "certs_dir", path=True, optional=True)
    o.docker_config_dir = arg(cfg.docker_config_dir, "docker_config_dir", path=True, optional=True)
    o.skip_hosts_toml = 0 if cfg.hosts_toml else 1
    if cfg.max_attempts:
        o.max_attempts = int(cfg.max_attempts)
    if cfg.connect_timeout is not None:
        o.connect_timeout_ms = max(1, int(cfg.connect_timeout * 1000))
    if cfg.request_timeout is not None:
        o.request_timeout_s = max(1, int(cfg.request_timeout))
    if cfg.operation_timeout is not None:
        o.operation_timeout_s = max(1, int(cfg.operation_timeout))
    if cfg.max_blob_size is not None:
        o.max_blob_size = int(cfg.max_blob_size)
    if cfg.max_requests_per_second:
        o.max_requests_per_second = int(cfg.max_requests_per_second)
    if cfg.max_connections:
        o.max_connections = int(cfg.max_connections)
    if cfg.mirrors:
        ptrs = (POINTER(Endpoint) * len(cfg.mirrors))()
        for i, m in enumerate(cfg.mirrors):
            m = m if not isinstance(m, (str, bytes)) else {"url": m}
            e = _init(Endpoint, lib.limg_endpoint_init)
            e.url = arg(m.get("url"), "mirror url")
            caps = m.get("capabilities", ("pull", "resolve"))
            try:
                e.capabilities = sum(ENDPOINT_CAPS[c] for c in caps)
            except KeyError as bad:
                raise ValueError("unknown mirror capability %s: pull, resolve or push" % bad) from None
            e.skip_verify = 1 if m.get("skip_verify") else 0
            e.ca_file = arg(m.get("ca_file"), "mirror ca_file", path=True, optional=True)
            e.client_cert = arg(m.get("client_cert"), "mirror client_cert", path=True, optional=True)
            e.client_key = arg(m.get("client_key"), "mirror client_key", path=True, optional=True)
            e.override_path = 1 if m.get("override_path") else 0
            headers = ["%s: %s" % kv for kv in dict(m.get("headers", {})).items()]
            if headers:
                harr, n = strings(headers, "mirror header")
                keep.append(harr)
                e.headers, e.headers_len = harr, n
            if m.get("dial_timeout") is not None:
                e.dial_timeout_ms = max(1, int(m["dial_timeout"] * 1000))
            keep.append(e)
            ptrs[i] = ctypes.pointer(e)
        keep.append(ptrs)
        o.mirrors = ptrs
        o.mirrors_len = len(cfg.mirrors)
    return o


def registry_callbacks(credentials, keep):
    """The C callbacks of a registry or session: credentials(host) gives
    (user, secret), ("", "") for anonymous, or None to look in Docker's
    config.json (LIMG_PASSTHROUGH). The callback lives in @keep."""
    cb = _init(RegistryCallbacks, lib.limg_registry_callbacks_init)
    if credentials is None:
        return cb

    def provide(user_buf, secret_buf, host, payload):
        got = credentials(_text(host))
        if got is None:
            return PASSTHROUGH
        user, secret = got
        u, s = arg(user, "user name"), arg(secret, "secret")
        check(lib.limg_buf_set(user_buf, u, len(u)))
        check(lib.limg_buf_set(secret_buf, s, len(s)))
        return 0
    c = CREDENTIALS_CB(raising(provide, result=lambda rc: rc))
    keep.append(c)
    cb.credentials = c
    return cb


def session_new(default_cfg, credentials, keep):
    o = registry_opts(default_cfg, keep)
    cb = registry_callbacks(credentials, keep)
    h = c_void_p()
    check(lib.limg_session_new(byref(h), None, byref(o), byref(cb)))
    return h.value


def session_set_registry(h, domain, cfg, keep):
    o = registry_opts(cfg, keep)
    check(lib.limg_session_set_registry_opts(h, arg(domain, "registry"), byref(o)))


def session_registry(h, domain):
    r = c_void_p()
    check(lib.limg_session_registry(byref(r), h, arg(domain, "registry")))
    return r.value


def session_free(h):
    lib.limg_session_free(h)


def registry_open(domain, cfg, credentials, keep):
    o = registry_opts(cfg, keep)
    cb = registry_callbacks(credentials, keep)
    h = c_void_p()
    check(lib.limg_registry_open(byref(h), None, arg(domain, "registry"), byref(o), byref(cb)))
    return h.value


def registry_close(h):
    lib.limg_registry_close(h)


def registry_info(h):
    return _text(lib.limg_registry_domain(h)), _text(lib.limg_registry_base_url(h))


def _call_opts(cancel):
    o = _init(RegistryCallOpts, lib.limg_registry_call_opts_init)
    o.cancel = cancel
    return o


def registry_ping(h, cancel):
    o = _call_opts(cancel)
    check(lib.limg_registry_ping(h, byref(o)))


def registry_login(h, cancel):
    o = _call_opts(cancel)
    check(lib.limg_registry_login(h, byref(o)))


def credentials_store(host, username, secret, config_dir):
    where = Buf()
    check(lib.limg_credentials_store(byref(where), arg(host, "host"), arg(username, "username"),
                                     arg(secret, "secret"), arg(config_dir, "config_dir", path=True, optional=True)))
    location = where.take()
    return os.fsdecode(location) if location else None


def credentials_erase(host, config_dir):
    check(lib.limg_credentials_erase(arg(host, "host"), arg(config_dir, "config_dir", path=True, optional=True)))


def registry_manifest(h, repository, reference, head, cancel):
    o = _call_opts(cancel)
    m = c_void_p()
    fn = lib.limg_registry_manifest_head if head else lib.limg_registry_manifest_fetch
    check(fn(byref(m), h, arg(repository, "repository"), arg(reference, "reference"), byref(o)))
    try:
        size = lib.limg_remote_manifest_size(m)
        body = lib.limg_remote_manifest_body(m)
        return dict(digest=_text(lib.limg_remote_manifest_digest(m)),
                    media_type=_text(lib.limg_remote_manifest_media_type(m)),
                    size=size, data=ctypes.string_at(body, size) if body else None)
    finally:
        lib.limg_remote_manifest_free(m)


def registry_names(h, repository, page_size, cancel, name):
    calls = Calls()
    o = _init(RegistryListOpts, lib.limg_registry_list_opts_init)
    o.page_size = int(page_size or 0)
    o.cancel = cancel
    cb = _init(RegistryListCallbacks, lib.limg_registry_list_callbacks_init)
    cb.name = calls.wrap(NAME_CB, name, lambda n, p: (_text(n),))
    if repository is None:
        calls.check(lib.limg_registry_catalog_foreach(h, byref(o), byref(cb)))
    else:
        calls.check(lib.limg_registry_tags_foreach(h, arg(repository, "repository"), byref(o), byref(cb)))


def registry_blob(h, repository, digest, size, cancel, write, restart):
    calls = Calls()
    o = _init(RegistryFetchOpts, lib.limg_registry_fetch_opts_init)
    o.cancel = cancel
    cb = _init(RegistryFetchCallbacks, lib.limg_registry_fetch_callbacks_init)
    cb.write = calls.wrap(WRITE_CB, write, lambda data, n, p: (ctypes.string_at(data, n),))
    cb.restart = calls.wrap(RESTART_CB, restart, lambda p: ())
    calls.check(lib.limg_registry_blob_fetch(h, arg(repository, "repository"), arg(digest, "digest"), size,
                                             byref(o), byref(cb)))


# ---- stores ------------------------------------------------------------------------

def store_default_path():
    b = Buf()
    check(lib.limg_store_default_path(byref(b)))
    return os.fsdecode(b.take())


def store_open(path, create, read_only=False):
    o = _init(StoreOpts, lib.limg_store_opts_init)
    o.mode = STORE_READ_ONLY if read_only else STORE_CREATE if create else STORE_EXISTING
    h = c_void_p()
    check(lib.limg_store_open(byref(h), None, arg(path, "path", path=True), byref(o)))
    return h.value, os.fsdecode(lib.limg_store_path(h))


def store_close(h):
    lib.limg_store_close(h)


def _progress(calls, progress):
    """The C progress callback of a Python function (digest, kind, event, done, total, detail)."""
    return calls.wrap(PROGRESS_CB, progress,
                      lambda d, k, e, done, total, detail, p: (_text(d), k, e, done, total, _text(detail)))


def pull(store, reference, platform, skip_diff_ids, session, cancel, progress, policy=None, index_only=False,
         referrers=False):
    calls = Calls()
    o = _init(PullOpts, lib.limg_pull_opts_init)
    cb = _init(PullCallbacks, lib.limg_pull_callbacks_init)
    o.policy = policy
    o.index_signatures = INDEX_IGNORE if index_only else INDEX_ACCEPT
    o.referrers = 1 if referrers else 0
    o.platform = arg(platform, "platform", optional=True)
    o.skip_diff_ids = 1 if skip_diff_ids else 0
    o.session = session
    o.cancel = cancel
    cb.progress = _progress(calls, progress)
    res = c_void_p()
    rc = lib.limg_pull(byref(res), store, arg(reference, "reference"), byref(o), byref(cb))
    try:
        calls.check(rc)
        return dict(reference=_text(lib.limg_pull_result_reference(res)),
                    digest=_text(lib.limg_pull_result_digest(res)),
                    manifest_digest=_text(lib.limg_pull_result_manifest_digest(res)),
                    id=_text(lib.limg_pull_result_image_id(res)),
                    up_to_date=bool(lib.limg_pull_result_up_to_date(res)),
                    bytes_downloaded=lib.limg_pull_result_bytes_downloaded(res))
    finally:
        lib.limg_pull_result_free(res)


def images_list(store, select, platform, filters):
    o = _init(ImagesIteratorOpts, lib.limg_images_iterator_opts_init)
    o.select = select
    o.platform = arg(platform, "platform", optional=True)
    o.filters, o.filters_len = strings(filters, "filter")
    it = c_void_p()
    check(lib.limg_images_iterator_new(byref(it), store, byref(o)))
    rows = []
    try:
        r = c_void_p()
        while True:
            rc = lib.limg_images_iterator_next(byref(r), it)
            if rc == ITEROVER:
                break
            check(rc)
            rows.append(dict(reference=_text(lib.limg_images_row_reference(r)),
                             repository=_text(lib.limg_images_row_repository(r)),
                             tag=_text(lib.limg_images_row_tag(r)), digest=_text(lib.limg_images_row_digest(r)),
                             id=_text(lib.limg_images_row_id(r)), created=lib.limg_images_row_created(r),
                             size=lib.limg_images_row_size(r)))
    finally:
        lib.limg_images_iterator_free(it)
    return rows


def _list(count_fn, item_fn, h):
    return [_text(item_fn(h, i)) for i in range(count_fn(h))]


def config_facts(c):
    """What a limg_config says, through its accessors (manifest.h)."""
    L = lib
    labels = {}
    for i in range(L.limg_config_label_count(c)):
        key = L.limg_config_label_key(c, i)
        labels[_text(key)] = _text(L.limg_config_label(c, key)) or ""
    history = []
    for i in range(L.limg_config_history_count(c)):
        history.append(dict(created=_text(L.limg_config_history_created(c, i)),
                            created_by=_text(L.limg_config_history_created_by(c, i)),
                            comment=_text(L.limg_config_history_comment(c, i)),
                            author=_text(L.limg_config_history_author(c, i)),
                            empty_layer=bool(L.limg_config_history_empty_layer(c, i))))
    return dict(
        created=_text(L.limg_config_created(c)), created_unix=L.limg_config_created_unix(c),
        author=_text(L.limg_config_author(c)), architecture=_text(L.limg_config_architecture(c)) or "",
        os=_text(L.limg_config_os(c)) or "", variant=_text(L.limg_config_variant(c)),
        os_version=_text(L.limg_config_os_version(c)),
        diff_ids=_list(L.limg_config_diff_id_count, L.limg_config_diff_id, c),
        user=_text(L.limg_config_user(c)), working_dir=_text(L.limg_config_working_dir(c)),
        stop_signal=_text(L.limg_config_stop_signal(c)),
        env=_list(L.limg_config_env_count, L.limg_config_env, c),
        entrypoint=_list(L.limg_config_entrypoint_count, L.limg_config_entrypoint, c),
        cmd=_list(L.limg_config_cmd_count, L.limg_config_cmd, c), labels=labels,
        exposed_ports=_list(L.limg_config_exposed_port_count, L.limg_config_exposed_port, c),
        volumes=_list(L.limg_config_volume_count, L.limg_config_volume, c),
        container_json=_text(L.limg_config_container_json(c)) or "{}", history=history)


def image_lookup(store, image, platform):
    o = _init(ImageLookupOpts, lib.limg_image_lookup_opts_init)
    o.platform = arg(platform, "platform", optional=True)
    img = c_void_p()
    check(lib.limg_image_lookup(byref(img), store, arg(image, "image"), byref(o)))
    try:
        m = lib.limg_image_manifest(img)
        layers = []
        for i in range(lib.limg_manifest_count(m)):
            d = lib.limg_manifest_entry(m, i)
            unpacked = lib.limg_image_layer_size(img, i)
            layers.append(dict(digest=_text(lib.limg_descriptor_digest(d)), size=lib.limg_descriptor_size(d),
                               media_type=_text(lib.limg_descriptor_media_type(d)),
                               uncompressed_size=unpacked if unpacked >= 0 else None))
        cd = lib.limg_manifest_config(m)
        p, n = lib.limg_image_config_bytes(img), lib.limg_image_config_size(img)
        return dict(id=_text(lib.limg_image_id(img)), digest=_text(lib.limg_image_digest(img)),
                    manifest_digest=_text(lib.limg_image_manifest_digest(img)),
                    manifest_media_type=_text(lib.limg_manifest_media_type(m)),
                    config_media_type=_text(lib.limg_descriptor_media_type(cd)) if cd else None,
                    layers=layers, config_bytes=ctypes.string_at(p, n) if p else b"",
                    size=lib.limg_image_size(img),
                    tags=_list(lib.limg_image_tag_count, lib.limg_image_tag, img),
                    repo_digests=_list(lib.limg_image_repo_digest_count, lib.limg_image_repo_digest, img),
                    config=config_facts(lib.limg_image_config(img)))
    finally:
        lib.limg_image_free(img)


def lookup(store, image):
    b = Buf()
    check(lib.limg_images_lookup(byref(b), store, arg(image, "image")))
    return b.take().decode()


def tag_image(store, source, target):
    check(lib.limg_images_tag(store, arg(source, "source"), arg(target, "target")))


def tags_set(store, reference, digest):
    check(lib.limg_tags_set(store, arg(reference, "reference"), arg(digest, "digest")))


def untag(store, reference):
    check(lib.limg_tags_remove(store, arg(reference, "reference")))


def remove(store, image, force, step):
    calls = Calls()
    o = _init(ImagesRemoveOpts, lib.limg_images_remove_opts_init)
    o.force = 1 if force else 0
    cb = _init(ImagesRemoveCallbacks, lib.limg_images_remove_callbacks_init)
    cb.removed = calls.wrap(REMOVE_CB, step, lambda ev, what, p: (ev, _text(what)))
    calls.check(lib.limg_images_remove(store, arg(image, "image"), byref(o), byref(cb)))


def gc(store, dry_run, cancel, removed):
    calls = Calls()
    o = _init(StoreGcOpts, lib.limg_store_gc_opts_init)
    o.dry_run = 1 if dry_run else 0
    o.cancel = cancel
    cb = _init(StoreGcCallbacks, lib.limg_store_gc_callbacks_init)
    cb.removed = calls.wrap(REMOVED_CB, removed, lambda what, size, p: (_text(what), size))
    reclaimed = c_int64()
    calls.check(lib.limg_store_gc(byref(reclaimed), store, byref(o), byref(cb)))
    return reclaimed.value


def fsck(store, digest, cancel, problem):
    calls = Calls()
    o = _init(StoreFsckOpts, lib.limg_store_fsck_opts_init)
    o.digest = arg(digest, "digest", optional=True)
    o.cancel = cancel
    cb = _init(StoreFsckCallbacks, lib.limg_store_fsck_callbacks_init)
    cb.problem = calls.wrap(PROBLEM_CB, problem, lambda obj, code, message, p: (_text(obj), code, _text(message)))
    count = c_size_t()
    calls.check(lib.limg_store_fsck(byref(count), store, byref(o), byref(cb)))
    return count.value


def _signing(o, sign):
    """sign: (signer handle, format, identity, recursive) or None."""
    if sign is None:
        return
    o.sign_by, fmt, identity, recursive = sign
    o.sign_format = SIGNATURE_FORMATS[fmt]
    o.sign_identity = arg(identity, "sign_identity", optional=True)
    o.sign_recursive = 1 if recursive else 0


def push(store, reference, source, platform, session, cancel, progress, sign=None, referrers=False):
    calls = Calls()
    o = _init(PushOpts, lib.limg_push_opts_init)
    _signing(o, sign)
    o.referrers = 1 if referrers else 0
    o.source = arg(source, "source", optional=True)
    o.platform = arg(platform, "platform", optional=True)
    o.session = session
    o.cancel = cancel
    cb = _init(PushCallbacks, lib.limg_push_callbacks_init)
    cb.progress = _progress(calls, progress)
    out = Buf()
    calls.check(lib.limg_push(byref(out), store, arg(reference, "reference"), byref(o), byref(cb)))
    return out.take().decode()


def copy(session, source, destination, platform, cancel, progress, policy=None, index_only=False, sign=None,
         referrers=False):
    calls = Calls()
    o = _init(CopyOpts, lib.limg_copy_opts_init)
    o.policy = policy
    o.index_signatures = INDEX_IGNORE if index_only else INDEX_ACCEPT
    _signing(o, sign)
    o.referrers = 1 if referrers else 0
    o.platform = arg(platform, "platform", optional=True)
    o.cancel = cancel
    cb = _init(CopyCallbacks, lib.limg_copy_callbacks_init)
    cb.progress = _progress(calls, progress)
    out = Buf()
    calls.check(lib.limg_copy(byref(out), session, arg(source, "source"), arg(destination, "destination"), byref(o),
                              byref(cb)))
    return out.take().decode()


def _reader(read):
    """The C read callback of read(n) -> bytes (b"" at the end)."""
    def convert(out_len, buf, cap, payload):
        return out_len, buf, cap

    def fill(out_len, buf, cap):
        data = read(cap)
        if data is None:
            raise BlockingIOError("the source is non-blocking and had no data")
        n = len(data)
        if n > cap:
            raise ValueError("read() gave %d bytes, more than the %d asked for" % (n, cap))
        ctypes.memmove(buf, bytes(data) if not isinstance(data, bytes) else data, n)
        out_len[0] = n
    return fill, convert


def save(store, names, fd, platform, cancel, write, progress):
    calls = Calls()
    o = _init(ArchiveSaveOpts, lib.limg_archive_save_opts_init)
    o.platform = arg(platform, "platform", optional=True)
    o.cancel = cancel
    cb = _init(ArchiveSaveCallbacks, lib.limg_archive_save_callbacks_init)
    cb.write = calls.wrap(WRITE_CB, write, lambda data, n, p: (ctypes.string_at(data, n),))
    cb.progress = _progress(calls, progress)
    arr, n = strings(names, "image")
    calls.check(lib.limg_archive_save(store, arr, n, fd, byref(o), byref(cb)))


def load(store, fd, cancel, read, loaded, progress):
    calls = Calls()
    o = _init(ArchiveLoadOpts, lib.limg_archive_load_opts_init)
    o.cancel = cancel
    cb = _init(ArchiveLoadCallbacks, lib.limg_archive_load_callbacks_init)
    if read is not None:
        fill, convert = _reader(read)
        cb.read = calls.wrap(READ_CB, fill, convert)
    cb.loaded = calls.wrap(LOADED_CB, loaded, lambda ref, image_id, p: (_text(ref), _text(image_id)))
    cb.progress = _progress(calls, progress)
    calls.check(lib.limg_archive_load(store, fd, byref(o), byref(cb)))


def _unpack_opts(calls, platform, bundle, rootless, terminal, uid_map, gid_map, keep_failed):
    o = _init(UnpackOpts, lib.limg_unpack_opts_init)
    o.platform = arg(platform, "platform", optional=True)
    o.bundle = 1 if bundle else 0
    o.rootless = ROOTLESS_AUTO if rootless is None else (ROOTLESS_ON if rootless else ROOTLESS_OFF)
    o.no_terminal = 0 if terminal else 1
    for name, maps in (("uid_map", uid_map), ("gid_map", gid_map)):
        if maps:
            arr = (IdMap * len(maps))(*[IdMap(int(c), int(h), int(s)) for c, h, s in maps])
            calls.keep.append(arr)
            setattr(o, name, arr)
            setattr(o, name + "_len", len(maps))
    o.on_failure = UNPACK_FAILED_KEEP if keep_failed else UNPACK_FAILED_REMOVE
    return o


def unpack(store, image, directory, platform, bundle, rootless, terminal, uid_map, gid_map, keep_failed, cancel,
           progress):
    calls = Calls()
    o = _unpack_opts(calls, platform, bundle, rootless, terminal, uid_map, gid_map, keep_failed)
    o.cancel = cancel
    cb = _init(UnpackCallbacks, lib.limg_unpack_callbacks_init)
    cb.progress = _progress(calls, progress)
    calls.check(lib.limg_unpack(store, arg(image, "image"), arg(directory, "directory", path=True), byref(o),
                                byref(cb)))


ROOT_OVERLAY, ROOT_COPY = 0, 1  # limg_root_kind


def snapshot_prepare(store, image, directory, platform, copy, cancel, progress):
    """limg_snapshot_prepare: None for a copy, else the mount as a dict (type, source, target, options)."""
    calls = Calls()
    o = _init(SnapshotOpts, lib.limg_snapshot_opts_init)
    o.platform = arg(platform, "platform", optional=True)
    o.kind = ROOT_COPY if copy else ROOT_OVERLAY
    o.cancel = cancel
    cb = _init(SnapshotCallbacks, lib.limg_snapshot_callbacks_init)
    cb.progress = _progress(calls, progress)
    m = c_void_p()
    rc = lib.limg_snapshot_prepare(byref(m), store, arg(image, "image"), arg(directory, "directory", path=True),
                                   byref(o), byref(cb))
    try:
        calls.check(rc)
        if not m.value:
            return None
        return {k: _text(getattr(lib, "limg_mount_" + k)(m)) for k in ("type", "source", "target", "options")}
    finally:
        lib.limg_mount_free(m)


def snapshot_gc(store, dry_run, cancel, removed):
    calls = Calls()
    o = _init(StoreGcOpts, lib.limg_store_gc_opts_init)
    o.dry_run = 1 if dry_run else 0
    o.cancel = cancel
    cb = _init(StoreGcCallbacks, lib.limg_store_gc_callbacks_init)
    cb.removed = calls.wrap(REMOVED_CB, removed, lambda what, size, p: (_text(what), size))
    reclaimed = c_int64()
    calls.check(lib.limg_snapshot_gc(byref(reclaimed), store, byref(o), byref(cb)))
    return reclaimed.value


def snapshot_fsck(store, cancel, problem):
    calls = Calls()
    o = _init(StoreFsckOpts, lib.limg_store_fsck_opts_init)
    o.cancel = cancel
    cb = _init(StoreFsckCallbacks, lib.limg_store_fsck_callbacks_init)
    cb.problem = calls.wrap(PROBLEM_CB, problem, lambda obj, code, msg, p: (_text(obj), code, _text(msg)))
    n = c_size_t()
    calls.check(lib.limg_snapshot_fsck(byref(n), store, byref(o), byref(cb)))
    return n.value


# ---- sign.h, trust.h, referrers ----------------------------------------------------


def policy_new(path, text, registries_d):
    o = _init(PolicyOpts, lib.limg_policy_opts_init)
    o.registries_d = arg(registries_d, "registries_d", path=True, optional=True)
    h = c_void_p()
    if text is not None:
        data = text.encode() if isinstance(text, str) else bytes(text)
        check(lib.limg_policy_parse(byref(h), data, len(data), byref(o)))
    else:
        check(lib.limg_policy_load(byref(h), arg(path, "path", path=True, optional=True), byref(o)))
    return h.value


def policy_free(h):
    lib.limg_policy_free(h)


def policy_default_path():
    b = Buf()
    check(lib.limg_policy_default_path(byref(b)))
    return b.take().decode()


def key_new(data):
    data = bytes(data)
    h = c_void_p()
    check(lib.limg_key_parse(byref(h), data, len(data)))
    return h.value


def key_free(h):
    lib.limg_key_free(h)


def key_algorithm(h):
    return _text(lib.limg_key_algorithm(h))


def key_verify(h, data, signature):
    data = bytes(data)
    check(lib.limg_key_verify(h, data, len(data), arg(signature, "signature")))


def signer_new(data, passphrase):
    data = bytes(data)
    o = _init(SignerOpts, lib.limg_signer_opts_init)
    o.passphrase = arg(passphrase, "passphrase", optional=True)
    h = c_void_p()
    check(lib.limg_signer_parse(byref(h), data, len(data), byref(o)))
    return h.value


def signer_free(h):
    lib.limg_signer_free(h)


def signer_public_key(h):
    b = Buf()
    check(lib.limg_signer_public_key(byref(b), h))
    return b.take().decode()


def signer_sign(h, data):
    data = bytes(data)
    b = Buf()
    check(lib.limg_signer_sign(byref(b), h, data, len(data)))
    return b.take().decode()


def signature_payload(digest, identity):
    b = Buf()
    check(lib.limg_signature_payload(byref(b), arg(digest, "digest"), arg(identity, "identity")))
    return b.take()


def signature_bundle(signer, digest, name):
    b = Buf()
    check(lib.limg_signature_bundle(byref(b), signer, arg(digest, "digest"), arg(name, "name", optional=True)))
    return b.take()


def signatures_new(items):
    """A limg_signatures of (kind, bytes, signature or None, source) tuples; the caller frees it."""
    h = c_void_p()
    check(lib.limg_signatures_new(byref(h)))
    try:
        for kind, data, signature, source in items:
            data = bytes(data)
            if kind == "bundle":
                check(lib.limg_signatures_add_bundle(h, data, len(data), arg(source, "source", optional=True)))
            else:
                check(lib.limg_signatures_add_simple(h, data, len(data), arg(signature, "signature", optional=True),
                                                     arg(source, "source", optional=True)))
    except BaseException:
        lib.limg_signatures_free(h)
        raise
    return h.value


def _verdict(rc, v):
    """The verdict's facts (with the rejection's details), freeing it; raises other errors."""
    try:
        if rc not in (0, CODES["LIMG_EREJECTED"]):
            check(rc)
        facts = dict(accepted=bool(lib.limg_verdict_accepted(v)), image=_text(lib.limg_verdict_image(v)),
                     scope=_text(lib.limg_verdict_scope(v)), message=_text(lib.limg_verdict_message(v)),
                     requirements=[(_text(lib.limg_verdict_requirement(v, i)),
                                    bool(lib.limg_verdict_requirement_accepted(v, i)),
                                    _text(lib.limg_verdict_reason(v, i))) for i in range(lib.limg_verdict_count(v))])
        if rc:
            facts["error"] = error_details(rc)
        return facts
    finally:
        lib.limg_verdict_free(v)


def policy_check(policy, reference, digest, signatures, index_digest, index_only):
    o = _init(PolicyCheckOpts, lib.limg_policy_check_opts_init)
    o.index_digest = arg(index_digest, "index_digest", optional=True)
    o.index_signatures = INDEX_IGNORE if index_only else INDEX_ACCEPT
    v = c_void_p()
    rc = lib.limg_policy_check(byref(v), policy, arg(reference, "reference"), arg(digest, "digest"), signatures,
                               byref(o))
    return _verdict(rc, v)


def verify(policy, reference, platform, index_only, session, store, cancel):
    o = _init(VerifyOpts, lib.limg_verify_opts_init)
    o.platform = arg(platform, "platform", optional=True)
    o.index_signatures = INDEX_IGNORE if index_only else INDEX_ACCEPT
    o.session = session
    o.store = store
    o.cancel = cancel
    v = c_void_p()
    rc = lib.limg_verify(byref(v), policy, arg(reference, "reference"), byref(o))
    return _verdict(rc, v)


def sign(signer, reference, fmt, identity, recursive, session, cancel):
    o = _init(SignOpts, lib.limg_sign_opts_init)
    o.format = SIGNATURE_FORMATS[fmt]
    o.identity = arg(identity, "identity", optional=True)
    o.recursive = 1 if recursive else 0
    o.session = session
    o.cancel = cancel
    b = Buf()
    check(lib.limg_sign(byref(b), signer, arg(reference, "reference"), byref(o)))
    return b.take().decode()


def registry_referrers(h, repository, digest, artifact_type, mode, cancel, found):
    calls = Calls()
    o = _init(RegistryReferrersOpts, lib.limg_registry_referrers_opts_init)
    o.artifact_type = arg(artifact_type, "artifact_type", optional=True)
    o.mode = REFERRERS_MODES[mode]
    o.cancel = cancel
    cb = _init(RegistryReferrersCallbacks, lib.limg_registry_referrers_callbacks_init)
    cb.referrer = calls.wrap(REFERRER_CB, found, lambda d, p: (dict(
        media_type=_text(lib.limg_descriptor_media_type(d)), digest=_text(lib.limg_descriptor_digest(d)),
        size=lib.limg_descriptor_size(d), artifact_type=_text(lib.limg_descriptor_artifact_type(d)),
        created=_text(lib.limg_descriptor_annotation(d, b"org.opencontainers.image.created"))),))
    calls.check(lib.limg_registry_referrers_foreach(h, arg(repository, "repository"), arg(digest, "digest"), byref(o),
                                                    byref(cb)))


def registry_attach(h, repository, subject, artifact_type, paths, media_types, annotations, mode, cancel):
    o = _init(RegistryAttachOpts, lib.limg_registry_attach_opts_init)
    files, n = strings([os.fspath(p) for p in paths], "paths")
    if media_types is not None:
        o.media_types, _ = strings([t or "" for t in media_types], "media_types")
        for i, t in enumerate(media_types):
            if not t:
                o.media_types[i] = None
    o.annotations, o.annotations_len = strings(["%s=%s" % kv for kv in sorted((annotations or {}).items())],
                                               "annotations")
    o.mode = REFERRERS_MODES[mode]
    o.cancel = cancel
    b = Buf()
    check(lib.limg_registry_attach(byref(b), h, arg(repository, "repository"), arg(subject, "subject"),
                                   arg(artifact_type, "artifact_type"), files, n, byref(o)))
    return b.take().decode()
# ---- sync ---------------------------------------------------------------------------

def sync_list_parse(text, name):
    h = c_void_p()
    data = text.encode() if isinstance(text, str) else bytes(text)
    check(lib.limg_sync_list_parse(byref(h), data, len(data), arg(name, "name", optional=True)))
    return h.value


def sync_list_new():
    h = c_void_p()
    check(lib.limg_sync_list_new(byref(h)))
    return h.value


def sync_list_free(h):
    lib.limg_sync_list_free(h)


def sync_list_add(h, source, tags, tag_regex, tag_exclude, semver, latest):
    keep = []
    sel = None
    if tags is not None or tag_regex or tag_exclude or semver or latest:
        sel = _init(SyncSelect, lib.limg_sync_select_init)
        if tags is not None:
            arr, n = strings(list(tags), "tag")
            keep.append(arr)
            sel.tags, sel.tags_len = arr, n
        sel.tag_regex = arg(tag_regex, "tag_regex", optional=True)
        sel.tag_exclude = arg(tag_exclude, "tag_exclude", optional=True)
        sel.semver = arg(semver, "semver", optional=True)
        sel.latest = int(latest or 0)
    check(lib.limg_sync_list_add(h, arg(source, "source"), byref(sel) if sel is not None else None))


def sync_list_add_store(h, path):
    check(lib.limg_sync_list_add_store(h, arg(path, "path", path=True)))


def sync_list_add_dir(h, path):
    check(lib.limg_sync_list_add_dir(h, arg(path, "path", path=True)))


def sync_list_set_registry(h, domain, cfg):
    keep = []
    o = registry_opts(cfg, keep)
    check(lib.limg_sync_list_set_registry_opts(h, arg(domain, "domain"), byref(o)))


def _sync_image(m):
    return dict(source=_text(lib.limg_sync_image_source(m)), destination=_text(lib.limg_sync_image_destination(m)),
                status=lib.limg_sync_image_status(m), digest=_text(lib.limg_sync_image_digest(m)),
                reason=_text(lib.limg_sync_image_reason(m)) or "", error=lib.limg_sync_image_error(m),
                bytes=lib.limg_sync_image_bytes(m))


SYNC_TO_REGISTRY, SYNC_TO_STORE, SYNC_TO_DIR = 0, 1, 2


def sync(session, list_h, destination, target, scoped, platform, dry_run, fail_fast, images_parallel, cancel,
         on_image, progress, referrers=False, policy=None):
    """Runs a sync: (the C code, the images as dicts, the report's JSON as text, the error's details or None)."""
    calls = Calls()
    o = _init(SyncOpts, lib.limg_sync_opts_init)
    o.target = target
    o.scoped = 1 if scoped else 0
    o.platform = arg(platform, "platform", optional=True)
    o.dry_run = 1 if dry_run else 0
    o.fail_fast = 1 if fail_fast else 0
    o.images_parallel = int(images_parallel or 0)
    o.cancel = cancel
    o.referrers = 1 if referrers else 0
    o.policy = policy
    cb = _init(SyncCallbacks, lib.limg_sync_callbacks_init)
    cb.image = calls.wrap(SYNC_IMAGE_CB, on_image, lambda m, p: (_sync_image(m),))
    cb.progress = _progress(calls, progress)
    rep = c_void_p()
    rc = lib.limg_sync(byref(rep), session, list_h, arg(destination, "destination", path=target != SYNC_TO_REGISTRY),
                       byref(o),
                       byref(cb))
    details = error_details(rc) if rc < 0 else None
    try:
        if rc < 0 and not rep.value:
            calls.check(rc)
        if calls.code is not None:
            calls.check(rc)
        images = [_sync_image(lib.limg_sync_report_image(rep, i)) for i in range(lib.limg_sync_report_count(rep))]
        out = Buf()
        check(lib.limg_sync_report_json(byref(out), rep))
        return rc, images, out.take().decode(), details
    finally:
        lib.limg_sync_report_free(rep)
def pull_unpack(store, reference, directory, platform, bundle, rootless, terminal, uid_map, gid_map, keep_failed,
                discard_layers, session, cancel, progress):
    calls = Calls()
    po = _init(PullOpts, lib.limg_pull_opts_init)
    po.platform = arg(platform, "platform", optional=True)
    po.session = session
    uo = _unpack_opts(calls, None, bundle, rootless, terminal, uid_map, gid_map, keep_failed)
    o = _init(PullUnpackOpts, lib.limg_pull_unpack_opts_init)
    o.pull = ctypes.pointer(po)
    o.unpack = ctypes.pointer(uo)
    o.layer_blobs = LAYER_BLOBS_DISCARD if discard_layers else LAYER_BLOBS_KEEP
    o.cancel = cancel
    cb = _init(PullUnpackCallbacks, lib.limg_pull_unpack_callbacks_init)
    cb.progress = _progress(calls, progress)
    res = c_void_p()
    rc = lib.limg_pull_unpack(byref(res), store, arg(reference, "reference"),
                              arg(directory, "directory", path=True), byref(o), byref(cb))
    try:
        calls.check(rc)
        return dict(reference=_text(lib.limg_pull_result_reference(res)),
                    up_to_date=bool(lib.limg_pull_result_up_to_date(res)),
                    bytes_downloaded=lib.limg_pull_result_bytes_downloaded(res))
    finally:
        lib.limg_pull_result_free(res)
# ---- building (build.h) -----------------------------------------------------------

def _layer_opts(calls, compression, level, times, epoch, owner, prefix, removed, xattrs, platform, cancel, base=None):
    o = _init(LayerOpts, lib.limg_layer_opts_init)
    if compression not in LAYER_CODECS:
        raise ValueError("compression must be gzip, zstd or none, not %r" % (compression,))
    if times not in LAYER_TIMES:
        raise ValueError("times must be epoch, clamp or keep, not %r" % (times,))
    o.compression = LAYER_CODECS[compression]
    o.level = int(level or 0)
    o.times = LAYER_TIMES[times]
    o.epoch = int(epoch or 0)
    if owner == "keep":
        o.owner = OWNER_KEEP
    elif owner == "root" or owner is None:
        o.owner = OWNER_FIXED
    else:
        uid_, gid_ = owner
        o.owner, o.uid, o.gid = OWNER_FIXED, int(uid_), int(gid_)
    o.prefix = arg(prefix, "prefix", optional=True)
    arr, n = strings(removed or (), "removed path")
    calls.keep.append(arr)
    o.removed, o.removed_len = arr, n
    o.no_xattrs = 0 if xattrs else 1
    o.platform = arg(platform, "platform", optional=True)
    o.cancel = cancel
    o.base = arg(base, "base", optional=True)
    return o


def _layer_facts(layer):
    return dict(digest=_text(lib.limg_layer_digest(layer)), diff_id=_text(lib.limg_layer_diff_id(layer)),
                size=lib.limg_layer_size(layer), tar_size=lib.limg_layer_tar_size(layer),
                compression=COMPRESSION_NAMES.get(lib.limg_layer_compression(layer), "unknown"))


def layer_new(store, kind, source, opts, cancel, progress):
    """A layer (kind: dir, files, tar, diff, blob); returns (handle, facts). The caller frees the handle."""
    calls = Calls()
    o = _layer_opts(calls, cancel=cancel, **opts)
    cb = _init(LayerCallbacks, lib.limg_layer_callbacks_init)
    cb.progress = _progress(calls, progress)
    h = c_void_p()
    if kind == "dir":
        rc = lib.limg_layer_new_from_dir(byref(h), store, arg(source, "directory", path=True), byref(o), byref(cb))
    elif kind == "tar":
        rc = lib.limg_layer_new_from_tar(byref(h), store, source, byref(o), byref(cb))
    elif kind == "diff":
        image, directory = source
        rc = lib.limg_layer_new_from_diff(byref(h), store, arg(image, "image"), arg(directory, "directory", path=True),
                                         byref(o), byref(cb))
    elif kind == "blob":
        rc = lib.limg_layer_lookup(byref(h), store, arg(source, "digest"))
    else:  # files: [(path, type, source, data, mode, link, uid, gid)]
        entries = []
        for path, type_, src, data, mode, link, uid, gid in source:
            f = _init(LayerFile, lib.limg_layer_file_init)
            f.path = arg(path, "path")
            if type_ not in FILE_TYPES:
                raise ValueError("a file's type is file, dir or symlink, not %r" % (type_,))
            f.type = FILE_TYPES[type_]
            f.source = arg(src, "source", path=True, optional=True)
            if data is not None:
                buf = ctypes.create_string_buffer(bytes(data), len(data))
                calls.keep.append(buf)
                f.data, f.data_len = ctypes.cast(buf, c_void_p), len(data)
            f.mode, f.uid, f.gid = int(mode or 0), int(uid or 0), int(gid or 0)
            f.link = arg(link, "link", optional=True)
            entries.append(f)
        arr = (P(LayerFile) * max(1, len(entries)))(*[ctypes.pointer(f) for f in entries])
        calls.keep.extend([entries, arr])
        rc = lib.limg_layer_new_from_files(byref(h), store, arr, len(entries), byref(o), byref(cb))
    calls.check(rc)
    return h.value, _layer_facts(h)


def layer_free(h):
    lib.limg_layer_free(h)


def builder_new(store, base, platform, format, created, base_annotations, cancel):
    o = _init(BuilderOpts, lib.limg_builder_opts_init)
    o.platform = arg(platform, "platform", optional=True)
    if format not in BUILD_FORMATS:
        raise ValueError("format must be None, \"oci\" or \"docker\", not %r" % (format,))
    o.format = BUILD_FORMATS[format]
    if created is not None:
        o.set_created, o.created = 1, int(created)
    o.no_base_annotations = 0 if base_annotations else 1
    o.cancel = cancel
    h = c_void_p()
    check(lib.limg_builder_new(byref(h), store, arg(base, "base", optional=True), byref(o)))
    return h.value


def builder_free(h):
    lib.limg_builder_free(h)


def builder_append(h, layer, created_by, comment):
    check(lib.limg_builder_append_layer(h, layer, arg(created_by, "created_by", optional=True),
                                        arg(comment, "comment", optional=True)))


def builder_history(h, created_by, comment):
    check(lib.limg_builder_add_history(h, arg(created_by, "created_by", optional=True),
                                       arg(comment, "comment", optional=True)))


def builder_set_list(h, which, values):
    fn = getattr(lib, "limg_builder_set_" + which)  # entrypoint, cmd, shell, onbuild
    if values is None:
        check(fn(h, None, 0))
        return
    arr, n = strings(values, which)
    check(fn(h, arr if n else (c_char_p * 1)(), n))


def builder_set(h, which, value):
    check(getattr(lib, "limg_builder_set_" + which)(h, arg(value, which, optional=True)))


def builder_set_pair(h, which, key, value):
    check(getattr(lib, "limg_builder_set_" + which)(h, arg(key, which), arg(value, which, optional=True)))


def builder_add(h, which, value):
    check(getattr(lib, "limg_builder_add_" + which)(h, arg(value, which)))


def builder_healthcheck(h, test, interval, timeout, start_period, start_interval, retries):
    if test is None:
        check(lib.limg_builder_set_healthcheck(h, None, 0, None))
        return
    o = _init(HealthcheckOpts, lib.limg_healthcheck_opts_init)
    o.interval, o.timeout = int(interval or 0), int(timeout or 0)
    o.start_period, o.start_interval, o.retries = int(start_period or 0), int(start_interval or 0), int(retries or 0)
    arr, n = strings(test, "healthcheck test")
    check(lib.limg_builder_set_healthcheck(h, arr, n, byref(o)))


def builder_commit(h, tag):
    out = Buf()
    check(lib.limg_builder_commit(byref(out), h, arg(tag, "tag", optional=True)))
    return out.take().decode()


def flatten(store, image, tag, compression, level, cancel, progress):
    calls = Calls()
    o = _init(FlattenOpts, lib.limg_flatten_opts_init)
    if compression not in LAYER_CODECS:
        raise ValueError("compression must be gzip, zstd or none, not %r" % (compression,))
    o.compression, o.level, o.cancel = LAYER_CODECS[compression], int(level or 0), cancel
    cb = _init(LayerCallbacks, lib.limg_layer_callbacks_init)
    cb.progress = _progress(calls, progress)
    out = Buf()
    calls.check(lib.limg_build_flatten(byref(out), store, arg(image, "image"), arg(tag, "tag", optional=True),
                                       byref(o), byref(cb)))
    return out.take().decode()


def rebase(store, image, old_base, new_base, tag, platform, base_annotations, cancel):
    o = _init(RebaseOpts, lib.limg_rebase_opts_init)
    o.platform = arg(platform, "platform", optional=True)
    o.no_base_annotations = 0 if base_annotations else 1
    o.cancel = cancel
    out = Buf()
    check(lib.limg_build_rebase(byref(out), store, arg(image, "image"), arg(old_base, "old_base"),
                                arg(new_base, "new_base"), arg(tag, "tag", optional=True), byref(o)))
    return out.take().decode()


def index(store, images, tag, format, cancel):
    o = _init(IndexOpts, lib.limg_index_opts_init)
    if format not in BUILD_FORMATS:
        raise ValueError("format must be None, \"oci\" or \"docker\", not %r" % (format,))
    o.format, o.cancel = BUILD_FORMATS[format], cancel
    arr, n = strings(images, "image")
    out = Buf()
    check(lib.limg_build_index(byref(out), store, arr, n, arg(tag, "tag", optional=True), byref(o)))
    return out.take().decode()


def build_spec(store, text, directory, tag, epoch, cancel, progress=None):
    calls = Calls()
    o = _init(SpecOpts, lib.limg_spec_opts_init)
    o.dir = arg(directory, "directory", path=True, optional=True)
    o.tag = arg(tag, "tag", optional=True)
    if epoch is not None:
        o.set_epoch, o.epoch = 1, int(epoch)
    o.cancel = cancel
    data = arg(text, "spec")
    cb = _init(LayerCallbacks, lib.limg_layer_callbacks_init)
    cb.progress = _progress(calls, progress)
    out = Buf()
    calls.check(lib.limg_build_spec(byref(out), store, data, len(data), byref(o), byref(cb)))
    return out.take().decode()
