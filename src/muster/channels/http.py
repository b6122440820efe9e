"""Every outgoing HTTP request goes through here.

Destinations are user-supplied (webhooks, chat and push URLs), so a request could be
aimed at Muster's own network: the cloud metadata service (169.254.169.254), a database
on 10.x, the host itself. So:

* the host is resolved and **every** address it resolves to is checked; any address that
  is not globally routable (private, loopback, link-local, shared, reserved, multicast,
  unspecified, or an IPv4-mapped form of those) refuses the request, unless it falls in
  the admin's allow-list (``MUSTER_OUTBOUND_ALLOW``, e.g. ``"127.0.0.1/32,10.0.0.0/8"``);
* the connection goes to the address that was checked (no second lookup an attacker's
  DNS could answer differently);
* redirects are not followed (a 3xx is the answer);
* connect and read timeouts apply to every request.

Apprise (chat and push) sends through urllib3, which cannot be handed our connection:
:func:`guard_urllib3` makes urllib3 check each address it connects to (after redirects
too) by the same rule. Nothing else in Muster uses urllib3.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from muster.outbound import is_trusted

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_RESPONSE_BYTES = 64 * 1024
REFUSED_MARK = "refused by the outbound policy"


class Refused(Exception):
    """The destination is not allowed; trying again will not help."""


class Unreachable(Exception):
    """The destination could not be reached now (DNS, refused, timeout): try again."""


@dataclass(frozen=True)
class Policy:
    allow: tuple[Network, ...] = ()
    connect_timeout: float = 5.0
    read_timeout: float = 10.0

    @classmethod
    def parse(
        cls, allow: tuple[str, ...] | list[str], connect: float = 5.0, read: float = 10.0
    ) -> Policy:
        """ValueError naming the entry that is not a network."""
        return cls(
            tuple(ipaddress.ip_network(a.strip(), strict=False) for a in allow), connect, read
        )

    def allows(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in net for net in self.allow if net.version == address.version):
            return True
        return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def vet(host: str, port: int, policy: Policy) -> list[str]:
    """The addresses of ``host``, all allowed; :class:`Refused` if any is not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unreachable(f"cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not policy.allows(ip):
            raise Refused(f"{host} resolves to {ip}, a non-public address: {REFUSED_MARK} "
                          "(an admin may allow it with MUSTER_OUTBOUND_ALLOW)")  # fmt: skip
    if not addresses:
        raise Unreachable(f"{host} has no address")
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to one checked address, whatever the host name says."""

    def __init__(self, host: str, port: int, address: str, timeout: float, connect: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self._connect_timeout = connect

    def _socket(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), timeout=self._connect_timeout)
        sock.settimeout(self.timeout)
        return sock

    def connect(self) -> None:
        self.sock = self._socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._socket(), server_hostname=self.host)


def request(
    method: str, url: str, *, body: bytes = b"", headers: Mapping[str, str] | None = None,
    policy: Policy,
) -> Response:  # fmt: skip
    """One HTTP request to ``url`` under ``policy``.

    Raises :class:`Refused` (bad URL, a destination not allowed) or :class:`Unreachable`
    (DNS, connection refused, timeout, reset); any HTTP status is a :class:`Response`.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"not an http(s) URL: {url[:100]}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = vet(parts.hostname, port, policy)[0]
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    conn = kind(parts.hostname, port, address, policy.read_timeout, policy.connect_timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        conn.request(method, target, body=body, headers=dict(headers or {}))
        answer = conn.getresponse()
        data = answer.read(MAX_RESPONSE_BYTES)
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data)
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(f"{parts.hostname}: {type(exc).__name__}: {exc}") from None
    finally:
        conn.close()


# ---------------------------------------------------------------- urllib3 (Apprise)

_guard_lock = threading.Lock()
_guard_policy: Policy | None = None
# Host -> (when, why) of urllib3 connections refused lately. Apprise may connect from a
# thread of its own and only says "connection error": this tells the caller why.
_refused: dict[str, tuple[float, str]] = {}


def refusal_for(host: str, since: float) -> str | None:
    """Why a urllib3 connection to ``host`` was refused after ``since`` (monotonic)."""
    with _guard_lock:
        found = _refused.get(host.strip("[]").lower())
    if found is None or found[0] < since:
        return None
    return found[1]


def guard_urllib3(policy: Policy) -> None:
    """Make every urllib3 connection in this process obey ``policy`` (the last given)."""
    global _guard_policy
    import urllib3.util.connection as u3

    with _guard_lock:
        first = _guard_policy is None
        _guard_policy = policy
        if first:
            setattr(u3, "create_connection", _guarded(u3.create_connection))  # noqa: B010


def _guarded(original: Callable[..., socket.socket]) -> Callable[..., socket.socket]:
    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        policy = _guard_policy or Policy()
        host, port = address
        if is_trusted(host, port):  # configured by an admin (an S3 evidence store)
            return original(address, *args, **kwargs)
        try:
            checked = vet(host.strip("[]"), port, policy)
        except Refused as exc:
            with _guard_lock:
                if len(_refused) > 1000:
                    _refused.clear()
                _refused[host.strip("[]").lower()] = (time.monotonic(), str(exc))
            raise ConnectionRefusedError(str(exc)) from None
        except Unreachable as exc:
            raise OSError(str(exc)) from None
        return original((checked[0], port), *args, **kwargs)

    return create_connection
