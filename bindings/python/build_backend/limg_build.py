# SPDX-License-Identifier: MIT
"""A PEP 517 build backend on the standard library: a wheel of the pure
Python package `libimage` (it loads libimage.so at run time, through
ctypes), and an sdist. No build requirements, so pip needs no index."""
import base64
import hashlib
import io
import os
import tarfile
import zipfile

NAME, VERSION = "libimage", "1.0.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST_INFO = "%s-%s.dist-info" % (NAME, VERSION)


def _metadata():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
            "Summary: Container images without a daemon: pull, verify, store, unpack, push (bindings to libimage)\n"
            "Requires-Python: >=3.9\nClassifier: Programming Language :: Python :: 3\n"
            "Classifier: Typing :: Typed\nDescription-Content-Type: text/markdown\n\n%s" % (NAME, VERSION, readme))


WHEEL = "Wheel-Version: 1.0\nGenerator: limg_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files():
    base = os.path.join(ROOT, NAME)
    for name in sorted(os.listdir(base)):
        if name.endswith(".py") or name == "py.typed":
            yield "%s/%s" % (NAME, name), os.path.join(base, name)


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    d = os.path.join(metadata_directory, DIST_INFO)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    with open(os.path.join(d, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(WHEEL)
    return DIST_INFO


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "%s-%s-py3-none-any.whl" % (NAME, VERSION)
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as whl:
        entries = [(arc, open(src, "rb").read()) for arc, src in _package_files()]
        entries += [(DIST_INFO + "/METADATA", _metadata().encode()), (DIST_INFO + "/WHEEL", WHEEL.encode())]
        for arc, data in entries:
            whl.writestr(arc, data)
            records.append(_record_line(arc, data))
        records.append(DIST_INFO + "/RECORD,,")
        whl.writestr(DIST_INFO + "/RECORD", "\n".join(records) + "\n")
    return name


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, VERSION)
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for rel in ["pyproject.toml", "README.md", "build_backend/limg_build.py"] + [a for a, _ in _package_files()]:
            tar.add(os.path.join(ROOT, rel), arcname="%s/%s" % (base, rel))
        pkg = io.BytesIO(_metadata().encode())
        info = tarfile.TarInfo(base + "/PKG-INFO")
        info.size = len(pkg.getvalue())
        tar.addfile(info, pkg)
    return name
