"""Cancellation: tokens, and running a C call so that Ctrl-C stops it at once."""
import threading
from typing import Callable, Iterable, Optional, TypeVar

from . import _ffi

T = TypeVar("T")


class Cancel:
    """A cancellation token: pass it to operations, call cancel() from any
    thread, and they stop promptly (raising CancelledError)."""

    def __init__(self):
        self._h = _ffi.cancel_new()

    def cancel(self) -> None:
        _ffi.cancel_request(self._h)

    @property
    def cancelled(self) -> bool:
        return _ffi.cancel_requested(self._h)

    def __del__(self):
        h, self._h = getattr(self, "_h", None), None
        if h:
            _ffi.cancel_free(h)


def run(call: Callable[[int], T], parents: Iterable[Optional[object]] = ()) -> T:
    """Runs call(token) with a fresh C token that follows @parents (Cancel
    objects or raw tokens). From the main thread the call runs on another
    thread, so that Ctrl-C is seen at once: it cancels the call, waits for it
    to stop, and raises KeyboardInterrupt."""
    token = _ffi.cancel_new()
    try:
        for p in parents:
            if p is not None:
                _ffi.cancel_link(token, p._h if isinstance(p, Cancel) else p)
        if threading.current_thread() is not threading.main_thread():
            return call(token)
        box = {}

        def target():
            try:
                box["value"] = call(token)
            except BaseException as e:  # noqa: B902 - handed to the calling thread
                box["error"] = e
        worker = threading.Thread(target=target, name="libimage-call", daemon=True)
        worker.start()
        interrupted = False
        while worker.is_alive():
            try:
                worker.join(0.05)
            except KeyboardInterrupt:
                interrupted = True
                _ffi.cancel_request(token)
        if interrupted:
            raise KeyboardInterrupt
        if "error" in box:
            raise box["error"]
        return box["value"]
    finally:
        _ffi.cancel_free(token)
