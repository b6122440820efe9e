"""Generic webhook: a JSON POST, signed.

Headers of every delivery:

* ``X-Muster-Timestamp``: Unix seconds when it was signed;
* ``X-Muster-Signature``: ``v1=`` + hex HMAC-SHA256, keyed by the contact method's (or
  channel's) secret, over ``<timestamp>.`` followed by the raw body bytes;
* ``X-Muster-Idempotency-Key``: the same on every retry of one message.

Replay window: a receiver should refuse a timestamp more than 5 minutes from its own
clock, and remember the idempotency keys it saw in the last 5 minutes (a retry after a
lost answer, or after a worker died, carries the same key and a new timestamp).
:func:`verify_signature` below is a complete receiver-side check to copy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from muster.channels.base import Delivery, Message, failed, http_failure
from muster.channels.http import Policy, Refused, Unreachable, request
from muster.clock import Clock, SystemClock

REPLAY_WINDOW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


class WebhookChannel:
    def __init__(self, policy: Policy, clock: Clock | None = None) -> None:
        self.policy = policy
        self.clock = clock or SystemClock()

    def send(self, message: Message) -> Delivery:
        body = json.dumps(message.data, separators=(",", ":"), sort_keys=True).encode()
        timestamp = str(int(self.clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Muster-Webhook/1",
            "X-Muster-Timestamp": timestamp,
            "X-Muster-Idempotency-Key": message.idempotency_key,
        }
        if message.secret:
            headers["X-Muster-Signature"] = sign(message.secret, timestamp, body)
        try:
            answer = request(
                "POST", message.address, body=body, headers=headers, policy=self.policy
            )
        except Refused as exc:
            return failed(str(exc), permanent=True)
        except Unreachable as exc:
            return failed(str(exc), permanent=False)
        if 200 <= answer.status < 300:
            return Delivery(ok=True, provider_message_id=answer.headers.get("x-request-id"))
        return http_failure(answer.status, answer.text)


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float | None = None,
    tolerance: int = REPLAY_WINDOW_SECONDS,
) -> bool:
    """For receivers: whether a delivery is genuine and fresh.

    ``timestamp`` and ``signature`` are the ``X-Muster-Timestamp`` and
    ``X-Muster-Signature`` headers, ``body`` the raw request body (before any JSON
    parsing). Refuses a timestamp more than ``tolerance`` seconds away from ``now``.
    Pair it with remembering ``X-Muster-Idempotency-Key`` for as long as ``tolerance``.
    """
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected, signature.strip())
