"""The only module that touches ctypes: the library, its structs, and one
Python function per C operation. Everything here takes and returns plain
Python values; a C failure is read (on the thread that failed: libimage's
error is thread-local) and raised as the exception its name chooses; an
exception raised inside a callback stops the C call and is raised again
when it returns."""
import ctypes
import ctypes.util
import os

from . import errors

c_int, c_uint, c_long, c_size_t, c_int64 = ctypes.c_int, ctypes.c_uint, ctypes.c_long, ctypes.c_size_t, ctypes.c_int64
c_char_p, c_void_p, POINTER, byref = ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER, ctypes.byref
c_uint32 = ctypes.c_uint32


def _load():
    path = os.environ.get("LIBIMAGE_LIBRARY") or ctypes.util.find_library("image") or "libimage.so.0"
    return ctypes.CDLL(path)


lib = _load()

# ---- plain data ----------------------------------------------------------


class Buf(ctypes.Structure):
    _fields_ = [("ptr", c_void_p), ("size", c_size_t), ("reserved", c_size_t)]

    def take(self):
        """The bytes, then frees them."""
        data = ctypes.string_at(self.ptr, self.size) if self.ptr else b""
        lib.limg_buf_dispose(byref(self))
        return data


def _text(b):
    return b.decode("utf-8", "replace") if b is not None else None


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
        data = value.encode("utf-8")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise TypeError("%s must be a %s, not %s" % (what, "path" if path else "str", type(value).__name__))
    if b"\0" in data:
        raise ValueError("%s contains a NUL character" % what)
    return data


# ---- callbacks -------------------------------------------------------------

PULL_PROGRESS = ctypes.CFUNCTYPE(c_int, c_char_p, c_int, c_int, c_int64, c_int64, c_void_p)
PUSH_PROGRESS = ctypes.CFUNCTYPE(c_int, c_char_p, c_int, c_int, c_int64, c_int64, c_char_p, c_void_p)
UNPACK_PROGRESS = ctypes.CFUNCTYPE(c_int, c_char_p, c_int, c_int64, c_int64, c_void_p)
REMOVE_CB = ctypes.CFUNCTYPE(c_int, c_int, c_char_p, c_void_p)
GC_CB = ctypes.CFUNCTYPE(c_int, c_char_p, c_int64, c_void_p)
FSCK_CB = ctypes.CFUNCTYPE(c_int, c_char_p, c_int, c_char_p, c_void_p)
NAME_CB = ctypes.CFUNCTYPE(c_int, c_char_p, c_void_p)
LOADED_CB = ctypes.CFUNCTYPE(c_int, c_char_p, c_char_p, c_void_p)
CREDENTIALS_CB = ctypes.CFUNCTYPE(c_int, POINTER(Buf), POINTER(Buf), c_char_p, c_void_p)
SINK_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
LOG_CB = ctypes.CFUNCTYPE(None, c_int, c_char_p, c_void_p)

STOP = 1  # what a callback returns to stop the C call; the exception behind it is raised afterwards


class Calls:
    """Callbacks of one C call: each Python function is wrapped so that an
    exception (KeyboardInterrupt too) is kept and stops the call."""

    def __init__(self):
        self.error = None
        self.keep = []  # the C function objects must live as long as the call

    def wrap(self, ctype, fn, convert=None):
        if fn is None:
            return ctype()

        def trampoline(*a):
            if self.error is not None:
                return STOP
            try:
                fn(*(convert(*a) if convert else a))  # (what it returns means nothing: only raising stops)
                return 0
            except BaseException as e:  # noqa: B902 - re-raised after C returns
                self.error = e
                return STOP

        c = ctype(trampoline)
        self.keep.append(c)
        return c

    def check(self, rc):
        """Raises the callback's exception, else the C error for a negative rc."""
        if self.error is not None:
            e, self.error = self.error, None
            raise e
        return check(rc)


def error_details(rc):
    err = lib.limg_error_last()
    return dict(code=rc, name=_text(lib.limg_error_name(rc)) or "LIMG_ERROR",
                message=_text(lib.limg_error_message(err)) or "", http_status=lib.limg_error_http_status(err),
                registry_code=_text(lib.limg_error_registry_code(err)) or "",
                retry_after=lib.limg_error_retry_after(err))


def check(rc):
    """Raises the error of this thread's failed call (rc < 0); returns rc otherwise."""
    if rc is not None and rc < 0:
        raise errors.from_details(**error_details(rc))
    return rc


# ---- structs (as include/libimage/*.h lays them out) ------------------------

class Endpoint(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("url", c_char_p), ("capabilities", c_uint), ("skip_verify", c_int),
                ("ca_file", c_char_p), ("client_cert", c_char_p), ("client_key", c_char_p),
                ("override_path", c_int), ("headers", POINTER(c_char_p)), ("headers_len", c_size_t),
                ("dial_timeout_ms", c_long)]


class RegistryOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("insecure", c_int), ("tls_verify", c_int), ("ca_file", c_char_p),
                ("certs_dir", c_char_p), ("docker_config_dir", c_char_p), ("credentials", CREDENTIALS_CB),
                ("credentials_payload", c_void_p), ("max_attempts", c_int), ("backoff_ms", c_long),
                ("backoff_max_ms", c_long), ("retry_after_max_s", c_long), ("connect_timeout_ms", c_long),
                ("low_speed_time_s", c_long), ("cancel", c_void_p), ("mirror", c_char_p),
                ("request_timeout_s", c_long), ("operation_timeout_s", c_long), ("max_blob_size", c_int64),
                ("mirrors", POINTER(Endpoint)), ("mirrors_len", c_size_t), ("hosts_toml", c_int)]


class StoreOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("create", c_int)]


class PullOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("concurrency", c_int), ("verify_diff_ids", c_int),
                ("fetch_foreign", c_int), ("registry", POINTER(RegistryOpts)), ("cancel", c_void_p),
                ("ctx", c_void_p), ("docker_hub_mirror", c_char_p), ("max_layer_size", c_int64),
                ("range_threshold", c_int64), ("range_chunk", c_int64), ("range_parallel", c_int)]


class PullCallbacks(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("progress", PULL_PROGRESS), ("payload", c_void_p)]


class ListOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("untagged", c_int), ("platform", c_char_p), ("filters", POINTER(c_char_p)),
                ("filters_len", c_size_t)]


class RemoveOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("force", c_int), ("cb", REMOVE_CB), ("payload", c_void_p)]


class GcOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("ingest_max_age", c_int64), ("dry_run", c_int), ("removed", GC_CB),
                ("payload", c_void_p)]


class TagsListOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("repository", c_char_p), ("digest", c_char_p), ("untagged", c_int)]


class PushOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("source", c_char_p), ("platform", c_char_p), ("concurrency", c_int),
                ("mount", c_int), ("chunk_size", c_int64), ("registry", POINTER(RegistryOpts)),
                ("cancel", c_void_p), ("ctx", c_void_p), ("progress", PUSH_PROGRESS), ("payload", c_void_p)]


class CopyOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("concurrency", c_int), ("mount", c_int),
                ("chunk_size", c_int64), ("source_registry", POINTER(RegistryOpts)),
                ("destination_registry", POINTER(RegistryOpts)), ("cancel", c_void_p), ("ctx", c_void_p),
                ("progress", PUSH_PROGRESS), ("payload", c_void_p)]


class SaveOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("cancel", c_void_p), ("ctx", c_void_p)]


class LoadOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("loaded", LOADED_CB), ("payload", c_void_p), ("max_blob_size", c_int64),
                ("cancel", c_void_p), ("ctx", c_void_p)]


class IdMap(ctypes.Structure):
    _fields_ = [("container_id", c_uint32), ("host_id", c_uint32), ("size", c_uint32)]


class UnpackOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("rootless", c_int), ("uid_map", POINTER(IdMap)),
                ("uid_map_len", c_size_t), ("gid_map", POINTER(IdMap)), ("gid_map_len", c_size_t),
                ("bundle", c_int), ("terminal", c_int), ("max_layer_size", c_int64), ("max_entries", c_int64),
                ("cancel", c_void_p), ("progress", UNPACK_PROGRESS), ("payload", c_void_p), ("ctx", c_void_p)]


class BlobFetchOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("offset", c_int64), ("verify", c_int), ("sink", SINK_CB),
                ("payload", c_void_p), ("restart", c_void_p)]


def _declare(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


P = POINTER
_declare("limg_version", c_char_p)
_declare("limg_error_last", c_void_p)
_declare("limg_error_code", c_int, c_void_p)
_declare("limg_error_message", c_char_p, c_void_p)
_declare("limg_error_http_status", c_int, c_void_p)
_declare("limg_error_registry_code", c_char_p, c_void_p)
_declare("limg_error_retry_after", c_long, c_void_p)
_declare("limg_error_name", c_char_p, c_int)
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
_declare("limg_store_opts_init", c_int, P(StoreOpts), c_size_t)
_declare("limg_store_open", c_int, P(c_void_p), c_void_p, c_char_p, P(StoreOpts))
_declare("limg_store_close", None, c_void_p)
_declare("limg_store_path", c_char_p, c_void_p)
_declare("limg_store_fsck", c_int, c_void_p, c_char_p, FSCK_CB, c_void_p)
_declare("limg_gc_opts_init", c_int, P(GcOpts), c_size_t)
_declare("limg_store_gc", c_int, c_void_p, P(GcOpts))
_declare("limg_registry_opts_init", c_int, P(RegistryOpts), c_size_t)
_declare("limg_pull_opts_init", c_int, P(PullOpts), c_size_t)
_declare("limg_pull_callbacks_init", c_int, P(PullCallbacks), c_size_t)
_declare("limg_pull", c_int, P(c_void_p), c_void_p, c_char_p, P(PullOpts), P(PullCallbacks))
_declare("limg_image_free", None, c_void_p)
for _n in ("reference", "digest", "manifest_digest", "id"):
    _declare("limg_image_" + _n, c_char_p, c_void_p)
_declare("limg_image_up_to_date", c_int, c_void_p)
_declare("limg_image_bytes_downloaded", c_int64, c_void_p)
_declare("limg_images_list_opts_init", c_int, P(ListOpts), c_size_t)
_declare("limg_images_list", c_int, P(c_void_p), c_void_p, P(ListOpts))
_declare("limg_image_iterator_next", c_int, P(c_void_p), c_void_p)
_declare("limg_image_iterator_free", None, c_void_p)
for _n in ("reference", "repository", "tag", "digest", "id"):
    _declare("limg_image_entry_" + _n, c_char_p, c_void_p)
_declare("limg_image_entry_created", c_int64, c_void_p)
_declare("limg_image_entry_size", c_int64, c_void_p)
_declare("limg_images_remove_opts_init", c_int, P(RemoveOpts), c_size_t)
_declare("limg_images_remove", c_int, c_void_p, c_char_p, P(RemoveOpts))
_declare("limg_images_lookup", c_int, P(Buf), c_void_p, c_char_p)
_declare("limg_images_inspect", c_int, P(c_void_p), c_void_p, c_char_p, c_char_p)
_declare("limg_image_info_free", None, c_void_p)
for _n in ("id", "digest", "manifest_digest"):
    _declare("limg_image_info_" + _n, c_char_p, c_void_p)
_declare("limg_image_info_manifest", c_void_p, c_void_p)
_declare("limg_image_info_config_bytes", c_void_p, c_void_p, P(c_size_t))
_declare("limg_image_info_size", c_int64, c_void_p)
_declare("limg_manifest_count", c_size_t, c_void_p)
_declare("limg_manifest_get", c_void_p, c_void_p, c_size_t)
_declare("limg_manifest_media_type", c_char_p, c_void_p)
_declare("limg_descriptor_digest", c_char_p, c_void_p)
_declare("limg_descriptor_size", c_int64, c_void_p)
_declare("limg_descriptor_media_type", c_char_p, c_void_p)
_declare("limg_tags_set", c_int, c_void_p, c_char_p, c_char_p)
_declare("limg_tags_remove", c_int, c_void_p, c_char_p)
_declare("limg_tags_list_opts_init", c_int, P(TagsListOpts), c_size_t)
_declare("limg_tag_iterator_new", c_int, P(c_void_p), c_void_p, P(TagsListOpts))
_declare("limg_tag_iterator_next", c_int, P(c_void_p), c_void_p)
_declare("limg_tag_iterator_free", None, c_void_p)
_declare("limg_tag_reference", c_char_p, c_void_p)
_declare("limg_registry_open", c_int, P(c_void_p), c_void_p, c_char_p, P(RegistryOpts))
_declare("limg_registry_close", None, c_void_p)
_declare("limg_registry_ping", c_int, c_void_p)
_declare("limg_registry_manifest_head", c_int, P(c_void_p), c_void_p, c_char_p, c_char_p)
_declare("limg_registry_manifest_get", c_int, P(c_void_p), c_void_p, c_char_p, c_char_p)
_declare("limg_remote_manifest_free", None, c_void_p)
_declare("limg_remote_manifest_digest", c_char_p, c_void_p)
_declare("limg_remote_manifest_media_type", c_char_p, c_void_p)
_declare("limg_remote_manifest_size", c_int64, c_void_p)
_declare("limg_remote_manifest_body", c_void_p, c_void_p, P(c_size_t))
_declare("limg_registry_tags_foreach", c_int, c_void_p, c_char_p, c_int, NAME_CB, c_void_p)
_declare("limg_registry_catalog_foreach", c_int, c_void_p, c_int, NAME_CB, c_void_p)
_declare("limg_blob_fetch_opts_init", c_int, P(BlobFetchOpts), c_size_t)
_declare("limg_registry_blob_fetch", c_int, c_void_p, c_char_p, c_char_p, c_int64, P(BlobFetchOpts))
_declare("limg_push_opts_init", c_int, P(PushOpts), c_size_t)
_declare("limg_push", c_int, c_void_p, c_char_p, P(PushOpts), P(Buf))
_declare("limg_copy_opts_init", c_int, P(CopyOpts), c_size_t)
_declare("limg_copy", c_int, c_char_p, c_char_p, P(CopyOpts), P(Buf))
_declare("limg_save_opts_init", c_int, P(SaveOpts), c_size_t)
_declare("limg_save", c_int, c_void_p, P(c_char_p), c_size_t, c_int, P(SaveOpts))
_declare("limg_load_opts_init", c_int, P(LoadOpts), c_size_t)
_declare("limg_load", c_int, c_void_p, c_int, P(LoadOpts))
_declare("limg_unpack_opts_init", c_int, P(UnpackOpts), c_size_t)
_declare("limg_unpack", c_int, c_void_p, c_char_p, c_char_p, P(UnpackOpts))
_declare("limg_platform_host", c_char_p)


def version():
    return _text(lib.limg_version())


def platform_host():
    return _text(lib.limg_platform_host())


def _init(struct, init_fn):
    s = struct()
    check(init_fn(byref(s), ctypes.sizeof(s)))
    return s


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


# ---- registry options --------------------------------------------------------------

def registry_opts(cfg, calls):
    """The C options of a RegistryConfig (or None: the defaults), with what
    they point at kept in @calls for the duration of the call."""
    o = _init(RegistryOpts, lib.limg_registry_opts_init)
    if cfg is None:
        return o
    keep = calls.keep
    if cfg.insecure is not None:
        o.insecure = 1 if cfg.insecure else 0
    o.tls_verify = 1 if cfg.tls_verify else 0
    o.ca_file = arg(cfg.ca_file, "ca_file", path=True, optional=True)
    o.certs_dir = arg(cfg.certs_dir, "certs_dir", path=True, optional=True)
    o.docker_config_dir = arg(cfg.docker_config_dir, "docker_config_dir", path=True, optional=True)
    if cfg.max_attempts:
        o.max_attempts = int(cfg.max_attempts)
    if cfg.connect_timeout is not None:
        o.connect_timeout_ms = int(cfg.connect_timeout * 1000)
    if cfg.request_timeout is not None:
        o.request_timeout_s = max(1, int(cfg.request_timeout))
    if cfg.operation_timeout is not None:
        o.operation_timeout_s = max(1, int(cfg.operation_timeout))
    o.hosts_toml = 1 if cfg.hosts_toml else 0
    if cfg.credentials is not None:
        creds = cfg.credentials
        lookup = creds if callable(creds) else (lambda host: creds.get(host))

        def provide(user_buf, secret_buf, host, payload):
            got = lookup(_text(host))
            if got is None:
                return 0
            user, secret = got
            u, s = arg(user, "user name"), arg(secret, "secret")
            check(lib.limg_buf_set(user_buf, u, len(u)))
            check(lib.limg_buf_set(secret_buf, s, len(s)))
            return 0
        o.credentials = calls.wrap(CREDENTIALS_CB, provide)
    if cfg.mirrors:
        arr = (Endpoint * len(cfg.mirrors))()
        for i, m in enumerate(cfg.mirrors):
            m = m if not isinstance(m, (str, bytes)) else {"url": m}
            e = arr[i]
            e.size = ctypes.sizeof(Endpoint)
            e.url = arg(m.get("url"), "mirror url")
            caps = m.get("capabilities", ("pull", "resolve"))
            e.capabilities = sum({"pull": 1, "resolve": 2, "push": 4}[c] for c in caps)
            e.skip_verify = 1 if m.get("skip_verify") else 0
            e.ca_file = arg(m.get("ca_file"), "mirror ca_file", path=True, optional=True)
            e.override_path = 1 if m.get("override_path") else 0
            headers = ["%s: %s" % kv for kv in dict(m.get("headers", {})).items()]
            if headers:
                harr = (c_char_p * len(headers))(*[arg(h, "mirror header") for h in headers])
                keep.append(harr)
                e.headers = harr
                e.headers_len = len(headers)
            if m.get("dial_timeout") is not None:
                e.dial_timeout_ms = int(m["dial_timeout"] * 1000)
        keep.append(arr)
        o.mirrors = arr
        o.mirrors_len = len(cfg.mirrors)
    return o


# ---- stores ------------------------------------------------------------------------

def store_open(path, create):
    o = _init(StoreOpts, lib.limg_store_opts_init)
    o.create = 1 if create else 0
    h = c_void_p()
    check(lib.limg_store_open(byref(h), None, arg(path, "path", path=True), byref(o)))
    return h.value


def store_close(h):
    lib.limg_store_close(h)


def pull(store, reference, platform, verify_diff_ids, cancel, registry, progress):
    calls = Calls()
    o = _init(PullOpts, lib.limg_pull_opts_init)
    cb = _init(PullCallbacks, lib.limg_pull_callbacks_init)
    o.platform = arg(platform, "platform", optional=True)
    o.verify_diff_ids = 1 if verify_diff_ids else 0
    o.cancel = cancel
    ro = registry_opts(registry, calls)
    o.registry = ctypes.pointer(ro)
    if registry is not None and registry.docker_hub_mirror:
        o.docker_hub_mirror = arg(registry.docker_hub_mirror, "docker_hub_mirror")
    cb.progress = calls.wrap(PULL_PROGRESS, progress, lambda d, k, e, done, total, p: (_text(d), k, e, done, total))
    img = c_void_p()
    ref = arg(reference, "reference")
    rc = lib.limg_pull(byref(img), store, ref, byref(o), byref(cb))
    try:
        calls.check(rc)
        return dict(reference=_text(lib.limg_image_reference(img)), digest=_text(lib.limg_image_digest(img)),
                    manifest_digest=_text(lib.limg_image_manifest_digest(img)), id=_text(lib.limg_image_id(img)),
                    up_to_date=bool(lib.limg_image_up_to_date(img)),
                    bytes_downloaded=lib.limg_image_bytes_downloaded(img))
    finally:
        lib.limg_image_free(img)


def images_list(store, untagged, platform, filters):
    o = _init(ListOpts, lib.limg_images_list_opts_init)
    o.untagged = untagged
    o.platform = arg(platform, "platform", optional=True)
    texts = [arg(f, "filter") for f in filters]
    if texts:
        arr = (c_char_p * len(texts))(*texts)
        o.filters = arr
        o.filters_len = len(texts)
    it = c_void_p()
    check(lib.limg_images_list(byref(it), store, byref(o)))
    rows = []
    try:
        e = c_void_p()
        while lib.limg_image_iterator_next(byref(e), it) == 0:
            rows.append(dict(reference=_text(lib.limg_image_entry_reference(e)),
                             repository=_text(lib.limg_image_entry_repository(e)),
                             tag=_text(lib.limg_image_entry_tag(e)), digest=_text(lib.limg_image_entry_digest(e)),
                             id=_text(lib.limg_image_entry_id(e)), created=lib.limg_image_entry_created(e),
                             size=lib.limg_image_entry_size(e)))
    finally:
        lib.limg_image_iterator_free(it)
    return rows


def tags_of(store, digest):
    o = _init(TagsListOpts, lib.limg_tags_list_opts_init)
    o.digest = arg(digest, "digest")
    o.untagged = 0
    it = c_void_p()
    check(lib.limg_tag_iterator_new(byref(it), store, byref(o)))
    out = []
    try:
        t = c_void_p()
        while lib.limg_tag_iterator_next(byref(t), it) == 0:
            r = _text(lib.limg_tag_reference(t))
            if r:
                out.append(r)
    finally:
        lib.limg_tag_iterator_free(it)
    return out


def inspect(store, image, platform):
    info = c_void_p()
    check(lib.limg_images_inspect(byref(info), store, arg(image, "image"), arg(platform, "platform", optional=True)))
    try:
        m = lib.limg_image_info_manifest(info)
        layers = []
        for i in range(lib.limg_manifest_count(m)):
            d = lib.limg_manifest_get(m, i)
            layers.append(dict(digest=_text(lib.limg_descriptor_digest(d)), size=lib.limg_descriptor_size(d),
                               media_type=_text(lib.limg_descriptor_media_type(d))))
        n = c_size_t()
        p = lib.limg_image_info_config_bytes(info, byref(n))
        return dict(id=_text(lib.limg_image_info_id(info)), digest=_text(lib.limg_image_info_digest(info)),
                    manifest_digest=_text(lib.limg_image_info_manifest_digest(info)), layers=layers,
                    config=ctypes.string_at(p, n.value) if p else b"", size=lib.limg_image_info_size(info))
    finally:
        lib.limg_image_info_free(info)


def lookup(store, image):
    b = Buf()
    check(lib.limg_images_lookup(byref(b), store, arg(image, "image")))
    return b.take().decode()


def tag(store, reference, digest):
    check(lib.limg_tags_set(store, arg(reference, "reference"), arg(digest, "digest")))


def untag(store, reference):
    check(lib.limg_tags_remove(store, arg(reference, "reference")))


def remove(store, image, force, step):
    calls = Calls()
    o = _init(RemoveOpts, lib.limg_images_remove_opts_init)
    o.force = 1 if force else 0
    o.cb = calls.wrap(REMOVE_CB, step, lambda ev, what, p: (ev, _text(what)))
    calls.check(lib.limg_images_remove(store, arg(image, "image"), byref(o)))


def gc(store, dry_run, removed):
    calls = Calls()
    o = _init(GcOpts, lib.limg_gc_opts_init)
    o.dry_run = 1 if dry_run else 0
    o.removed = calls.wrap(GC_CB, removed, lambda what, size, p: (_text(what), size))
    calls.check(lib.limg_store_gc(store, byref(o)))


def fsck(store, digest, problem):
    calls = Calls()
    cb = calls.wrap(FSCK_CB, problem, lambda subject, code, message, p: (_text(subject), code, _text(message)))
    rc = lib.limg_store_fsck(store, arg(digest, "digest", optional=True), cb, None)
    if rc == -10:  # LIMG_ECORRUPT: the problems were reported
        calls.check(0)
        return
    calls.check(rc)


def push(store, reference, source, platform, cancel, registry, progress):
    calls = Calls()
    o = _init(PushOpts, lib.limg_push_opts_init)
    o.source = arg(source, "source", optional=True)
    o.platform = arg(platform, "platform", optional=True)
    o.cancel = cancel
    ro = registry_opts(registry, calls)
    o.registry = ctypes.pointer(ro)
    o.progress = calls.wrap(PUSH_PROGRESS, progress,
                            lambda d, k, e, done, total, frm, p: (_text(d), k, e, done, total, _text(frm)))
    out = Buf()
    calls.check(lib.limg_push(store, arg(reference, "reference"), byref(o), byref(out)))
    return out.take().decode()


def copy(source, destination, platform, cancel, source_registry, destination_registry, progress):
    calls = Calls()
    o = _init(CopyOpts, lib.limg_copy_opts_init)
    o.platform = arg(platform, "platform", optional=True)
    o.cancel = cancel
    src = registry_opts(source_registry, calls)
    dst = registry_opts(destination_registry, calls)
    o.source_registry = ctypes.pointer(src)
    o.destination_registry = ctypes.pointer(dst)
    o.progress = calls.wrap(PUSH_PROGRESS, progress,
                            lambda d, k, e, done, total, frm, p: (_text(d), k, e, done, total, _text(frm)))
    out = Buf()
    calls.check(lib.limg_copy(arg(source, "source"), arg(destination, "destination"), byref(o), byref(out)))
    return out.take().decode()


def save(store, names, fd, platform, cancel):
    o = _init(SaveOpts, lib.limg_save_opts_init)
    o.platform = arg(platform, "platform", optional=True)
    o.cancel = cancel
    texts = [arg(n, "image") for n in names]
    arr = (c_char_p * len(texts))(*texts)
    check(lib.limg_save(store, arr, len(texts), fd, byref(o)))


def load(store, fd, cancel, loaded):
    calls = Calls()
    o = _init(LoadOpts, lib.limg_load_opts_init)
    o.cancel = cancel
    o.loaded = calls.wrap(LOADED_CB, loaded, lambda ref, image_id, p: (_text(ref), _text(image_id)))
    calls.check(lib.limg_load(store, fd, byref(o)))


def unpack(store, image, directory, platform, bundle, rootless, terminal, uid_map, gid_map, cancel, progress):
    calls = Calls()
    o = _init(UnpackOpts, lib.limg_unpack_opts_init)
    o.platform = arg(platform, "platform", optional=True)
    o.bundle = 1 if bundle else 0
    o.rootless = -1 if rootless is None else (1 if rootless else 0)
    o.terminal = 1 if terminal else 0
    for name, maps in (("uid_map", uid_map), ("gid_map", gid_map)):
        if maps:
            arr = (IdMap * len(maps))(*[IdMap(int(c), int(h), int(s)) for c, h, s in maps])
            calls.keep.append(arr)
            setattr(o, name, arr)
            setattr(o, name + "_len", len(maps))
    o.cancel = cancel
    o.progress = calls.wrap(UNPACK_PROGRESS, progress, lambda d, e, done, total, p: (_text(d), e, done, total))
    calls.check(lib.limg_unpack(store, arg(image, "image"), arg(directory, "directory", path=True), byref(o)))


# ---- registries ------------------------------------------------------------------------

def registry_open(domain, registry):
    calls = Calls()
    o = registry_opts(registry, calls)
    h = c_void_p()
    check(lib.limg_registry_open(byref(h), None, arg(domain, "host"), byref(o)))
    return h.value, calls  # the options' callbacks live as long as the handle


def registry_close(h):
    lib.limg_registry_close(h)


def registry_manifest(h, repository, reference, head):
    m = c_void_p()
    fn = lib.limg_registry_manifest_head if head else lib.limg_registry_manifest_get
    check(fn(byref(m), h, arg(repository, "repository"), arg(reference, "reference")))
    try:
        n = c_size_t()
        body = lib.limg_remote_manifest_body(m, byref(n))
        return dict(digest=_text(lib.limg_remote_manifest_digest(m)),
                    media_type=_text(lib.limg_remote_manifest_media_type(m)),
                    size=lib.limg_remote_manifest_size(m), data=ctypes.string_at(body, n.value) if body else None)
    finally:
        lib.limg_remote_manifest_free(m)


def registry_names(h, repository, page_size):
    calls = Calls()
    names = []
    cb = calls.wrap(NAME_CB, lambda name: names.append(name), lambda name, p: (_text(name),))
    if repository is None:
        calls.check(lib.limg_registry_catalog_foreach(h, page_size, cb, None))
    else:
        calls.check(lib.limg_registry_tags_foreach(h, arg(repository, "repository"), page_size, cb, None))
    return names


def registry_blob(h, repository, digest, size, sink):
    calls = Calls()
    o = _init(BlobFetchOpts, lib.limg_blob_fetch_opts_init)
    o.sink = calls.wrap(SINK_CB, sink, lambda data, n, p: (ctypes.string_at(data, n),))
    calls.check(lib.limg_registry_blob_fetch(h, arg(repository, "repository"), arg(digest, "digest"), size,
                                             byref(o)))
