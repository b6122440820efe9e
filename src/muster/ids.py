"""Opaque identifiers: UUIDv7 strings, time-ordered so indexes stay compact."""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_POOL_BYTES = 10 * 1024  # random bits for 1,024 ids per system call
_pool = b""
_pool_at = 0


def _forget_pool() -> None:  # a forked child must not repeat its parent's random bits
    global _pool, _pool_at
    _pool, _pool_at = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


def new_id() -> str:
    """A UUIDv7 (RFC 9562) as a string; monotonic within this process."""
    global _last_ms, _counter, _pool, _pool_at
    with _lock:
        if _pool_at >= len(_pool):
            _pool, _pool_at = os.urandom(_POOL_BYTES), 0
        random = int.from_bytes(_pool[_pool_at : _pool_at + 10], "big")
        _pool_at += 10
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _counter = (_counter + 1) & 0xFFF
            if _counter == 0:
                ms += 1
        else:
            _counter = (random >> 64) & 0x7FF
        _last_ms = ms
        counter = _counter
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= random & ((1 << 62) - 1)
    h = f"{value:032x}"  # formatted as uuid.UUID would, without building one
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
