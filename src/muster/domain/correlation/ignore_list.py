"""Observable values too common to correlate by (pure): a DNS resolver's or a gateway's
address, ``localhost``, loopback and link-local networks. Security alerts still record
them as observables; they never put an alert in a cluster nor link it to an incident
(:mod:`muster.domain.correlation.alert_grouping`).

An entry is a network in CIDR notation (``10.0.0.0/24``, ``fe80::/10``: matches IP
observables inside it), an IP address (matches that address however it is written), or
any other value (matches an observable of any kind equal to it, ignoring case).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Final

# Loopback, the unspecified addresses, link-local, and localhost.
DEFAULT_IGNORED: Final = (
    "127.0.0.0/8", "::1",
    "0.0.0.0",  # noqa: S104 (a value to ignore, not an address to bind)
    "::", "169.254.0.0/16", "fe80::/10", "localhost",
)  # fmt: skip
MAX_ENTRIES: Final = 200
MAX_LENGTH: Final = 300
# Written as a network: address characters, then a slash (``http://...`` is a value).
_NETWORK = re.compile(r"[0-9a-fA-F.:]+/")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_entry(entry: str) -> str:
    """``entry`` as stored: a network or address in its canonical form, another value in
    lower case; :class:`ValueError` naming the entry and what is wrong with it."""
    text = entry.strip()
    if not text:
        raise ValueError("an entry is empty")
    if len(text) > MAX_LENGTH or _CONTROL.search(text):
        raise ValueError(f"{text[:40]!r}: at most {MAX_LENGTH} characters, no control characters")
    if _NETWORK.match(text):
        try:
            return str(ip_network(text))
        except ValueError as exc:
            if "host bits set" in str(exc):
                near = ip_network(text, strict=False)
                raise ValueError(f"{text!r} is not a valid CIDR network: host bits are set "
                                 f"(did you mean {near}?)") from None  # fmt: skip
            raise ValueError(f"{text!r} is not a valid CIDR network") from None
    try:
        return ip_address(text).compressed
    except ValueError:
        return text.lower()


def normalise_entries(entries: Iterable[str]) -> list[str]:
    """Each entry normalised (:func:`normalise_entry`), each once, in the given order."""
    out = list(dict.fromkeys(normalise_entry(e) for e in entries))
    if len(out) > MAX_ENTRIES:
        raise ValueError(f"at most {MAX_ENTRIES} entries")
    return out


Address = IPv4Address | IPv6Address


@dataclass(frozen=True)
class IgnoreList:
    values: frozenset[str]
    addresses: frozenset[Address]
    networks: tuple[IPv4Network | IPv6Network, ...]

    @classmethod
    def of(cls, entries: Iterable[str]) -> IgnoreList:
        """From normalised entries (:func:`normalise_entries`)."""
        values: set[str] = set()
        addresses: set[Address] = set()
        networks: list[IPv4Network | IPv6Network] = []
        for entry in entries:
            if _NETWORK.match(entry):
                networks.append(ip_network(entry))
                continue
            try:
                addresses.add(ip_address(entry))
            except ValueError:
                values.add(entry.lower())
        return cls(frozenset(values), frozenset(addresses), tuple(networks))

    def ignores(self, kind: str, value: str) -> bool:
        """Whether the observable ``kind``/``value`` is too common to correlate by."""
        if value.lower() in self.values:
            return True
        if kind != "ip":
            return False
        try:
            address = ip_address(value)
        except ValueError:
            return False
        candidates: list[Address] = [address]
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)  # ::ffff:127.0.0.1 is loopback too
        return any(a in self.addresses or any(a in n for n in self.networks) for a in candidates)
