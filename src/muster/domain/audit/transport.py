"""Sending a batch to its destination: one signed POST for a webhook, one message per
event for syslog. Every destination passes the outbound policy, address by address
(:func:`muster.channels.http.vet`), as every other outgoing connection does.

Webhook body: ``{"forwarder": name, "events": [record, ...], "through": position}``,
headers as notification webhooks (``X-Muster-Timestamp``, ``X-Muster-Signature``:
``v1=`` HMAC-SHA256 over ``<timestamp>.<body>``; ``X-Muster-Idempotency-Key``: the same
for every retry of a batch). Any 2xx answer accepts the whole batch.

Syslog: a TCP or TLS connection per batch; a failure part way reports the events sent
before it. UDP cannot tell whether anything arrived (only a refused port, when the host
answers so): use TCP or TLS where every event matters.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator

from muster.channels.http import Policy, Refused, Unreachable, request, vet
from muster.channels.webhook import sign
from muster.clock import Clock
from muster.domain.audit.forwarding import Batch, Outcome
from muster.domain.audit.syslog import MAX_DATAGRAM, format_message, octet_counted


def send_batch(batch: Batch, policy: Policy, clock: Clock, hostname: str) -> Outcome:
    try:
        if batch.kind == "webhook":
            return _send_webhook(batch, policy, clock)
        return _send_syslog(batch, policy, hostname)
    except (Refused, Unreachable) as exc:
        return Outcome(None, 0, str(exc))


def _send_webhook(batch: Batch, policy: Policy, clock: Clock) -> Outcome:
    payload = {"forwarder": batch.name, "events": list(batch.records), "through": batch.through}
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
    timestamp = str(int(clock.now().timestamp()))
    first, last = batch.records[0]["position"], batch.records[-1]["position"]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Muster-Audit/1",
        "X-Muster-Timestamp": timestamp,
        "X-Muster-Idempotency-Key": f"{batch.forwarder_id}:{first}-{last}",
        "X-Muster-Signature": sign(batch.secret or "", timestamp, body),
    }
    answer = request("POST", batch.url or "", body=body, headers=headers, policy=policy)
    if 200 <= answer.status < 300:
        return Outcome(batch.through, len(batch.records))
    return Outcome(None, 0, f"HTTP {answer.status}: {answer.text[:200]}")


def _messages(batch: Batch, hostname: str, limit: int | None) -> Iterator[tuple[int, bytes]]:
    for record in batch.records:
        yield int(record["position"]), format_message(record, hostname, limit=limit)


def _send_syslog(batch: Batch, policy: Policy, hostname: str) -> Outcome:
    host, port = batch.host or "", int(batch.port or 514)
    address = vet(host, port, policy)[0]
    sent, sent_through = 0, None
    udp = batch.transport == "udp"
    try:
        with _connect(batch, address, port, policy) as sock:
            for position, message in _messages(batch, hostname, MAX_DATAGRAM if udp else None):
                sock.sendall(message if udp else octet_counted(message))
                sent, sent_through = sent + 1, position
            if not udp:
                _close_cleanly(sock)
    except ConnectionResetError as exc:  # the collector went away: what it read is unknown
        return Outcome(None, 0, f"syslog {host}:{port}: connection reset: {exc}")
    except OSError as exc:
        where = f"{host}:{port}"
        return Outcome(sent_through, sent, f"syslog {where}: {type(exc).__name__}: {exc}")
    return Outcome(batch.through, sent)


def _connect(batch: Batch, address: str, port: int, policy: Policy) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    if batch.transport == "udp":
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.settimeout(policy.connect_timeout)
        sock.connect((address, port))
        return sock
    sock = socket.create_connection((address, port), timeout=policy.connect_timeout)
    sock.settimeout(policy.read_timeout)
    if batch.transport != "tls":
        return sock
    context = ssl.create_default_context(cadata=batch.tls_ca_pem or None)
    try:
        return context.wrap_socket(sock, server_hostname=batch.host)
    except BaseException:
        sock.close()
        raise


def _close_cleanly(sock: socket.socket) -> None:
    """Say we are done and wait (up to the read timeout) for the collector to close: a
    collector that died meanwhile answers with a reset, which fails the batch instead
    of losing what sat in the buffers."""
    try:
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):
            pass
    except (TimeoutError, ssl.SSLError):
        pass  # a collector that keeps the connection open, or closes TLS abruptly
