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
        at = _pool_at
        if at >= len(_pool):
            _pool, at = os.urandom(_POOL_BYTES), 0
        _pool_at = at + 10
        random = _pool[at : at + 10]  # 80 random bits
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _counter = (_counter + 1) & 0xFFF
            if _counter == 0:
                ms += 1
        else:
            _counter = (random[0] & 0x07) << 8 | random[1]  # 11 random bits: room to count
        _last_ms = ms
        counter = _counter
    # 48 bits of milliseconds, version 7, 12 bits of counter, variant 0b10, 62 random bits.
    value = (ms & 0xFFFFFFFFFFFF) << 80 | (0x7000 | counter) << 64
    value |= 0x8000000000000000 | int.from_bytes(random[2:], "big") & 0x3FFFFFFFFFFFFFFF
    h = value.to_bytes(16, "big").hex()  # formatted as uuid.UUID would, without building one
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
