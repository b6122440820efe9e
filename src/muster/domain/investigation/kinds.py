"""Observable kinds, TLP labels, and how each kind's value is checked and normalised
(pure). One value is one observable: domains, hashes and emails lower-case, IP
addresses in their canonical form, URLs as given but trimmed (defanged forms such as
``hxxp://`` and ``[.]`` are refanged for every kind that can carry them)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Final
from urllib.parse import urlsplit

KINDS: Final = (
    "ip", "domain", "url", "hash-md5", "hash-sha1", "hash-sha256", "email", "user-account",
    "hostname", "file-name", "registry-key", "other",
)  # fmt: skip
KIND_LABELS: Final = {
    "ip": "IP address", "domain": "Domain", "url": "URL", "hash-md5": "MD5",
    "hash-sha1": "SHA-1", "hash-sha256": "SHA-256", "email": "Email",
    "user-account": "User account", "hostname": "Host name", "file-name": "File name",
    "registry-key": "Registry key", "other": "Other",
}  # fmt: skip
TLPS: Final = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
DEFAULT_TLP: Final = "AMBER"
SOURCES: Final = ("alert", "note", "manual")
MAX_VALUE: Final = 2048
URL_SCHEMES: Final = frozenset({"http", "https", "ftp", "ftps", "sftp", "ws", "wss"})
REGISTRY_ROOTS: Final = (
    "HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER", "HKEY_CLASSES_ROOT", "HKEY_USERS",
    "HKEY_CURRENT_CONFIG", "HKLM", "HKCU", "HKCR", "HKU", "HKCC",
)  # fmt: skip

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_LOCAL_PART = re.compile(r"[a-z0-9._%+-]{1,64}")
_HEX = {"hash-md5": 32, "hash-sha1": 40, "hash-sha256": 64}
_HEX_CHARS = re.compile(r"[0-9a-f]+")
_REGISTRY = re.compile(r"(?:" + "|".join(REGISTRY_ROOTS) + r")(?:\\[^\\]+)*", re.IGNORECASE)
_DEFANGS = (
    ("[.]", "."), ("(.)", "."), ("{.}", "."), ("[dot]", "."), ("(dot)", "."),
    ("[@]", "@"), ("[at]", "@"), ("[://]", "://"), ("[:]", ":"),
)  # fmt: skip
_HXXP = re.compile(r"\bh(?:xx|XX|xX|Xx)p(s?)(?=(?:\[)?:)", re.ASCII)


def refang(text: str) -> str:
    """Undo the usual defanging: ``hxxp://`` → ``http://``, ``1.2.3[.]4`` → ``1.2.3.4``,
    ``a[@]b`` → ``a@b``."""
    while True:  # until nothing changes: "[[.]]" refangs to "[.]" and then to "."
        before_pass = text
        for before, after in _DEFANGS:
            if before in text:
                text = text.replace(before, after)
        text = _HXXP.sub(r"http\1", text)
        if text == before_pass:
            return text


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(refang(value)))
    except ValueError:
        raise ValueError("not an IPv4 or IPv6 address") from None


def _domain(value: str) -> str:
    text = refang(value).lower().removesuffix(".")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            raise ValueError("not a valid domain name") from None
    labels = text.split(".")
    if (
        len(text) > 253
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels[:-1])
        or not _TLD.fullmatch(labels[-1])
    ):
        raise ValueError("not a domain name (e.g. example.com)")
    return text


def _hostname(value: str) -> str:
    text = refang(value).lower().removesuffix(".")
    labels = text.split(".")
    if len(text) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ValueError("not a host name (letters, digits, hyphens, dots)")
    return text


def _url(value: str) -> str:
    text = refang(value)
    if any(c.isspace() for c in text):
        raise ValueError("a URL has no spaces")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ValueError("not a valid URL") from None
    if parts.scheme.lower() not in URL_SCHEMES or not parts.netloc:
        raise ValueError("not a URL (e.g. https://example.com/path)")
    return text


def _email(value: str) -> str:
    text = refang(value).lower()
    local, at, domain = text.rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local):
        raise ValueError("not an email address")
    try:
        return f"{local}@{_domain(domain)}"
    except ValueError:
        raise ValueError("not an email address (its domain is not valid)") from None


def _hash(kind: str) -> Callable[[str], str]:
    length = _HEX[kind]

    def check(value: str) -> str:
        text = value.lower()
        if len(text) != length or not _HEX_CHARS.fullmatch(text):
            raise ValueError(f"{length} hexadecimal digits")
        return text

    return check


def _file_name(value: str) -> str:
    if len(value) > 255 or "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError("a file name without a path (at most 255 characters)")
    return value


def _registry_key(value: str) -> str:
    text = re.sub(r"\\{2,}", r"\\", value).rstrip("\\")
    if not _REGISTRY.fullmatch(text):
        raise ValueError(r"a registry key starting with a hive (e.g. HKLM\Software\...)")
    return text


def _plain(value: str) -> str:
    return value


_CHECKS: Final[dict[str, Callable[[str], str]]] = {
    "ip": _ip, "domain": _domain, "url": _url, "email": _email, "hostname": _hostname,
    "hash-md5": _hash("hash-md5"), "hash-sha1": _hash("hash-sha1"),
    "hash-sha256": _hash("hash-sha256"), "file-name": _file_name,
    "registry-key": _registry_key, "user-account": _plain, "other": _plain,
}  # fmt: skip


def normalise(kind: str, value: str) -> str:
    """``value`` as stored for ``kind``; :class:`ValueError` saying what is wrong.

    Precondition: ``kind`` is one of :data:`KINDS` (:class:`ValueError` otherwise)."""
    check = _CHECKS.get(kind)
    if check is None:
        raise ValueError("unknown kind")
    text = value.strip()
    if not text:
        raise ValueError("give a value")
    if len(text) > MAX_VALUE:
        raise ValueError(f"at most {MAX_VALUE} characters")
    if _CONTROL.search(text):
        raise ValueError("no control characters")
    result = check(text)
    if kind == "user-account" and len(result) > 256:
        raise ValueError("at most 256 characters")
    return result
