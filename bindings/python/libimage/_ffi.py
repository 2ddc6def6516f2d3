"""The only module that touches ctypes: loads libimage and declares its functions."""
import ctypes
import ctypes.util
import os

c_int, c_size_t, c_int64, c_char_p, c_void_p = ctypes.c_int, ctypes.c_size_t, ctypes.c_int64, ctypes.c_char_p, ctypes.c_void_p


def _load():
    path = os.environ.get("LIBIMAGE_LIBRARY") or ctypes.util.find_library("image") or "libimage.so.0"
    return ctypes.CDLL(path)


lib = _load()


class Buf(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("size", c_size_t), ("reserved", c_size_t)]

    def text(self):
        return ctypes.string_at(self.ptr, self.size).decode() if self.ptr else ""


PROGRESS = ctypes.CFUNCTYPE(c_int, c_char_p, c_int, c_int, c_int64, c_int64, c_void_p)
REMOVE = ctypes.CFUNCTYPE(c_int, c_int, c_char_p, c_void_p)


class RegistryOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("insecure", c_int), ("tls_verify", c_int), ("ca_file", c_char_p),
                ("certs_dir", c_char_p), ("docker_config_dir", c_char_p), ("credentials", c_void_p),
                ("credentials_payload", c_void_p), ("max_attempts", c_int), ("backoff_ms", ctypes.c_long),
                ("backoff_max_ms", ctypes.c_long), ("retry_after_max_s", ctypes.c_long),
                ("connect_timeout_ms", ctypes.c_long), ("low_speed_time_s", ctypes.c_long), ("cancel", c_void_p),
                ("mirror", c_char_p)]


class PullOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("platform", c_char_p), ("concurrency", c_int), ("verify_diff_ids", c_int),
                ("fetch_foreign", c_int), ("registry", ctypes.POINTER(RegistryOpts)), ("cancel", c_void_p),
                ("ctx", c_void_p), ("docker_hub_mirror", c_char_p)]


class PullCallbacks(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("progress", PROGRESS), ("payload", c_void_p)]


class ListOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("untagged", c_int), ("platform", c_char_p)]


class RemoveOpts(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("force", c_int), ("cb", REMOVE), ("payload", c_void_p)]


def _declare(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


P = ctypes.POINTER
_declare("limg_version", c_char_p)
_declare("limg_error_last", c_void_p)
_declare("limg_error_code", c_int, c_void_p)
_declare("limg_error_message", c_char_p, c_void_p)
_declare("limg_error_http_status", c_int, c_void_p)
_declare("limg_error_registry_code", c_char_p, c_void_p)
_declare("limg_error_name", c_char_p, c_int)
_declare("limg_buf_dispose", None, P(Buf))
for n in ("parse", "parse_normalized", "parse_docker", "parse_canonical", "parse_any", "parse_name"):
    _declare("limg_reference_" + n, c_int, P(c_void_p), c_char_p)
_declare("limg_reference_free", None, c_void_p)
for n in ("string", "name", "domain", "path", "tag", "digest", "familiar_string", "familiar_name"):
    _declare("limg_reference_" + n, c_char_p, c_void_p)
_declare("limg_store_open", c_int, P(c_void_p), c_void_p, c_char_p, c_void_p)
_declare("limg_store_close", None, c_void_p)
_declare("limg_store_fsck", c_int, c_void_p, c_char_p, c_void_p, c_void_p)
_declare("limg_store_gc", c_int, c_void_p, c_void_p)
_declare("limg_registry_opts_init", c_int, P(RegistryOpts), c_size_t)
_declare("limg_pull_opts_init", c_int, P(PullOpts), c_size_t)
_declare("limg_pull_callbacks_init", c_int, P(PullCallbacks), c_size_t)
_declare("limg_pull", c_int, P(c_void_p), c_void_p, c_char_p, P(PullOpts), P(PullCallbacks))
_declare("limg_image_free", None, c_void_p)
for n in ("reference", "digest", "manifest_digest", "id"):
    _declare("limg_image_" + n, c_char_p, c_void_p)
_declare("limg_image_up_to_date", c_int, c_void_p)
_declare("limg_images_list_opts_init", c_int, P(ListOpts), c_size_t)
_declare("limg_images_list", c_int, P(c_void_p), c_void_p, P(ListOpts))
_declare("limg_image_iterator_next", c_int, P(c_void_p), c_void_p)
_declare("limg_image_iterator_free", None, c_void_p)
for n in ("reference", "repository", "tag", "digest", "id"):
    _declare("limg_image_entry_" + n, c_char_p, c_void_p)
_declare("limg_image_entry_created", c_int64, c_void_p)
_declare("limg_image_entry_size", c_int64, c_void_p)
_declare("limg_images_lookup", c_int, P(Buf), c_void_p, c_char_p)
_declare("limg_images_remove_opts_init", c_int, P(RemoveOpts), c_size_t)
_declare("limg_images_remove", c_int, c_void_p, c_char_p, P(RemoveOpts))
_declare("limg_tags_set", c_int, c_void_p, c_char_p, c_char_p)
