"""Fetching a snapshot or clip from Frigate's HTTP API, for evidence (no database here).

The Frigate base URL is what an administrator configured on the integration, so it is
trusted as an S3 evidence store's endpoint is (:func:`muster.outbound.trust_endpoint`):
a Frigate on the private network is the usual case. Any other destination goes through
the outbound guard of user-supplied destinations (:func:`muster.channels.http.vet`). The
connection goes to the address that was looked up; redirects are not followed; the body
is streamed, at most ``limit`` bytes.

:class:`MediaUnavailable` is worth trying again (Frigate down, the clip not written yet:
Frigate answers 404 until a tracked object's clip is cut); :class:`MediaRefused` is not
(a destination the guard refuses, a file over the limit).
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from muster.channels.http import Policy, Refused, Unreachable, vet
from muster.outbound import is_trusted, trust_endpoint

CHUNK = 64 * 1024
MEDIA = {"snapshot": ("snapshot.jpg", "image/jpeg"), "clip": ("clip.mp4", "video/mp4")}
# A link Frigate intake made: <base>/api/events/<tracked object id>/<snapshot.jpg|clip.mp4>
_LINK = re.compile(r"/api/events/([A-Za-z0-9._-]{1,100})/(snapshot\.jpg|clip\.mp4)$")


class MediaUnavailable(Exception):
    """Not fetched now; trying again later may work."""


class FrigateDown(MediaUnavailable):
    """Frigate could not be reached at all (DNS, refused, timeout): its other files
    would fare no better now."""


class MediaRefused(Exception):
    """Not fetched, and trying again will not help."""


@dataclass(frozen=True, slots=True)
class MediaRef:
    event_id: str  # Frigate's tracked-object id
    kind: str  # snapshot | clip

    @property
    def filename(self) -> str:
        return f"frigate-{self.event_id}-{MEDIA[self.kind][0]}"

    @property
    def media_type(self) -> str:
        return MEDIA[self.kind][1]

    def url(self, base: str) -> str:
        return f"{base.rstrip('/')}/api/events/{quote(self.event_id, safe='.-_')}/{MEDIA[self.kind][0]}"


def media_ref(href: str) -> MediaRef | None:
    """The snapshot or clip an alert link points to, wherever Frigate then was."""
    found = _LINK.search(urlsplit(href).path)
    if found is None:
        return None
    return MediaRef(found.group(1), "snapshot" if found.group(2) == "snapshot.jpg" else "clip")


@contextmanager
def open_media(
    url: str, *, base: str, policy: Policy, limit: int
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """GET ``url`` (on the configured Frigate ``base``): yields the media type and the
    body's chunks (raising :class:`MediaRefused` once more than ``limit`` bytes came)."""
    trust_endpoint(base)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MediaRefused(f"not an http(s) URL: {url[:100]}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _address(parts.hostname, port, policy)
    conn = _connection(parts.scheme, parts.hostname, port, address, policy)
    try:
        try:
            conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                         headers={"Accept": "*/*", "User-Agent": "Muster"})  # fmt: skip
            answer = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            raise FrigateDown(f"{parts.hostname}: {type(exc).__name__}: {exc}") from None
        if answer.status != 200:
            raise MediaUnavailable(f"Frigate answered HTTP {answer.status}")
        length = answer.getheader("Content-Length")
        if length and length.isdigit() and int(length) > limit:
            raise MediaRefused(f"{length} bytes, more than the limit of {limit}")
        media_type = (answer.getheader("Content-Type") or "").split(";")[0].strip()
        yield media_type, _chunks(answer, limit)
    finally:
        conn.close()


def _address(host: str, port: int, policy: Policy) -> str:
    try:
        if not is_trusted(host, port):
            return vet(host, port, policy)[0]
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except Refused as exc:
        raise MediaRefused(str(exc)) from None
    except Unreachable as exc:
        raise FrigateDown(str(exc)) from None
    except (socket.gaierror, UnicodeError) as exc:
        raise FrigateDown(f"cannot resolve {host}: {exc}") from None
    if not infos:
        raise FrigateDown(f"{host} has no address")
    return str(infos[0][4][0])


def _chunks(answer: http.client.HTTPResponse, limit: int) -> Iterator[bytes]:
    size = 0
    while True:
        try:
            chunk = answer.read(CHUNK)
        except (OSError, http.client.HTTPException) as exc:
            raise MediaUnavailable(f"reading the body: {type(exc).__name__}: {exc}") from None
        if not chunk:
            return
        size += len(chunk)
        if size > limit:
            raise MediaRefused(f"more than the limit of {limit} bytes")
        yield chunk


class _Pinned(http.client.HTTPConnection):
    """Connects to the address looked up, whatever the host name says."""

    def __init__(self, host: str, port: int, address: str, policy: Policy, tls: bool) -> None:
        super().__init__(host, port, timeout=policy.read_timeout)
        self._address, self._connect_timeout, self._tls = address, policy.connect_timeout, tls

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), timeout=self._connect_timeout)
        sock.settimeout(self.timeout)
        if self._tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def _connection(scheme: str, host: str, port: int, address: str, policy: Policy) -> _Pinned:
    return _Pinned(host, port, address, policy, tls=scheme == "https")
