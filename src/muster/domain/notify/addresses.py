"""What a valid address looks like for each kind of contact method (pure, but chat and
push URLs are checked by Apprise, which knows each service's URL form)."""

from __future__ import annotations

import re
import warnings
from urllib.parse import urlsplit

from muster.errors import FieldError, InvalidInput

EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")  # E.164
PUSH_SCHEMES = ("ntfy", "ntfys")


def normalise_address(method_type: str, address: str) -> str:
    """``address`` cleaned up for ``method_type``; :class:`InvalidInput` naming the field
    ``address`` when it cannot be one."""
    value = address.strip()
    if method_type == "email":
        value = value.lower()
        ok = bool(EMAIL.match(value)) and len(value) <= 320
        reason = "not an email address"
    elif method_type in ("sms", "voice"):
        value = re.sub(r"[\s().-]", "", value)
        ok = bool(PHONE.match(value))
        reason = "not a phone number in international form, e.g. +14155550123"
    elif method_type == "webhook":
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        reason = "not an http(s) URL"
    elif method_type in ("chat", "push"):
        ok, reason = _apprise_ok(method_type, value)
    else:
        raise InvalidInput("unknown type", errors=[FieldError("type", "unknown contact type")])
    if not ok or len(value) > 2000:
        raise InvalidInput(
            "please correct the marked fields", errors=[FieldError("address", reason)]
        )
    return value


def _apprise_ok(method_type: str, url: str) -> tuple[bool, str]:
    with warnings.catch_warnings():  # Apprise imports modules Python deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise  # imported on first use: it is large, and only chat and push need it
        import apprise.utils.pgp

    scheme = urlsplit(url).scheme.lower()
    if method_type == "push" and scheme not in PUSH_SCHEMES:
        return False, "a push address is an ntfy URL, e.g. ntfys://ntfy.example.com/my-topic"
    if apprise.Apprise.instantiate(url) is None:
        return False, "not a chat URL Apprise understands (e.g. slack://..., discord://...)"
    return True, ""


def masked(method_type: str, address: str) -> str:
    """The address as shown in timelines: enough to recognise, not to reuse."""
    if method_type in ("sms", "voice"):
        return address[:3] + "•" * max(0, len(address) - 6) + address[-3:]
    if method_type in ("chat", "push", "webhook"):
        parts = urlsplit(address)
        return f"{parts.scheme}://{parts.hostname or '…'}/…"
    return address
