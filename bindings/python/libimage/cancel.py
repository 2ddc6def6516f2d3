# SPDX-License-Identifier: MIT
"""Cancellation: tokens, and running a C call so that Ctrl-C stops it at once;
and the guard that keeps a C handle alive while calls use it."""
import threading
from contextlib import ExitStack, contextmanager
from typing import Callable, Iterable, Optional, TypeVar

from . import _ffi, errors

T = TypeVar("T")


class Cancel:
    """A cancellation token: pass it to operations, call cancel() from any
    thread, and they stop promptly (raising CancelledError). One token may
    serve several operations. close() (or leaving a with block) frees it once
    the operations using it have returned; it can serve no new one then."""

    def __init__(self):
        self._handle = Handle(_ffi.cancel_new(), _ffi.cancel_free, "cancel token")

    def cancel(self) -> None:
        """Asks every operation using the token to stop (nothing, once closed)."""
        try:
            with self._handle.use() as h:
                _ffi.cancel_request(h)
        except errors.InvalidArgumentError:
            if not self._handle.closed:  # only a closed token's refusal: nothing runs with it
                raise

    @property
    def cancelled(self) -> bool:
        """Whether cancel() was called (False once closed)."""
        try:
            with self._handle.use() as h:
                return _ffi.cancel_requested(h)
        except errors.InvalidArgumentError:
            if not self._handle.closed:  # only a closed token's refusal
                raise
            return False

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> "Cancel":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close_quietly()


def run(call: Callable[[int], T], parents: Iterable[Optional[object]] = ()) -> T:
    """Runs call(token) with a fresh C token that follows @parents (Cancel
    objects or raw tokens). From the main thread the call runs on another
    thread, so that Ctrl-C is seen at once: it cancels the call, waits for it
    to stop, and raises KeyboardInterrupt."""
    with ExitStack() as stack:
        token = _ffi.cancel_new()
        stack.callback(_ffi.cancel_free, token)
        for p in parents:  # each parent stays alive while the call runs
            if p is not None:
                _ffi.cancel_link(token, stack.enter_context(p._handle.use()) if isinstance(p, Cancel) else p)
        return _run(call, token)


def _run(call, token):
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


class Handle:
    """A C handle that calls in several threads use: close() may come while
    they run; the handle is freed when the last of them has returned, and a
    call that starts after close() raises (the C handle must never be used
    again). on_close runs at close(), before the wait (to ask running calls
    to stop)."""

    def __init__(self, h, free, what, on_close=None):
        self._h = h
        self._free_fn = free
        self._what = what
        self._on_close = on_close
        self._lock = threading.Lock()
        self._inflight = 0
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            free = self._inflight == 0
        if self._on_close is not None:
            self._on_close()
        if free:
            self._free()

    def close_quietly(self) -> None:
        """close() from a finalizer: at interpreter exit the library may be gone already."""
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing to report to
            pass

    def _free(self):
        with self._lock:
            h, self._h = self._h, None
        if h:
            self._free_fn(h)

    @contextmanager
    def use(self):
        with self._lock:
            if self._closed:
                raise _ffi.error("LIMG_EINVALID", "the %s is closed" % self._what)
            self._inflight += 1
            h = self._h
        try:
            yield h
        finally:
            with self._lock:
                self._inflight -= 1
                last = self._closed and self._inflight == 0
            if last:
                self._free()
