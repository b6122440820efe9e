"""Configuration of the physical-security integration types, checked.

Every type names a default ``site_id``: devices it has not seen before are created at
that site (without a zone, for an administrator to place). MQTT types
(``frigate``, ``access_control_mqtt``) name a ``broker_url`` (``mqtt://host[:port]`` or
``mqtts://``), optionally a ``username`` and a ``password_secret`` - the *name* of a
secret in the secret store (``muster secret set NAME``): a password is never kept in
the configuration, so it is never shown back.

* ``frigate``: ``topic_prefix`` (default ``frigate``), ``frigate_url`` (Frigate's web
  address, for snapshot and clip links), ``alert_severity`` (default ``error``),
  ``resolve_on_end`` (default false: a review that ends still waits for a person).
* ``access_control`` (webhook) and ``access_control_mqtt`` (plus ``topic``, a topic
  filter, default ``access/#``): a ``preset`` or a ``mapping``
  (:mod:`muster.integrations.access_control`), and ``alert_kinds``: the severity of the
  alert each kind raises (``none`` for no alert), over :data:`ALERT_KINDS`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from muster.db.uow import UnitOfWork
from muster.domain.alerts.security_types import PHYSICAL_TYPES
from muster.domain.playbooks.secrets import NAME as SECRET_NAME
from muster.domain.sites.models import Site
from muster.errors import FieldError, InvalidInput
from muster.integrations.access_control import KINDS, mapping_from_config

MQTT_TYPES = frozenset({"frigate", "access_control_mqtt"})
SEVERITIES = ("critical", "error", "warning", "info")
# Which access-control kinds raise an alert, and how severe (config.alert_kinds overrides).
ALERT_KINDS: dict[str, str | None] = {
    "access_granted": None, "access_denied": None, "door_forced_open": "error",
    "door_held_open": "warning", "tailgating_detected": "error", "tamper": "error",
    "controller_offline": "warning", "lockdown": "critical", "controller_online": None,
}  # fmt: skip
_TOPIC = re.compile(r"^[^#+\x00]{1,200}$")
_FILTER = re.compile(r"^[^\x00]{1,200}$")
INVALID = "bad integration configuration"


def _bad(field: str, reason: str) -> InvalidInput:
    return InvalidInput(INVALID, errors=[FieldError(f"config.{field}", reason)])


def check_physical_config(type: str, config: dict[str, Any]) -> dict[str, Any]:
    """The configuration normalised, or :class:`InvalidInput` naming the field."""
    out = dict(config)
    if "password" in out:
        raise _bad(
            "password", "give password_secret: the name of a secret (muster secret set NAME)"
        )
    site_id = out.get("site_id")
    if not isinstance(site_id, str) or not site_id.strip():
        raise _bad("site_id", "the site where new devices are placed")
    if type in MQTT_TYPES:
        out["broker_url"] = check_broker_url(out.get("broker_url"))
        for name in ("username", "password_secret"):
            if out.get(name) is not None and not isinstance(out[name], str):
                raise _bad(name, "a string")
        if out.get("password_secret") and not SECRET_NAME.match(out["password_secret"]):
            raise _bad("password_secret", "a secret name (letters, digits and _)")
    if type == "frigate":
        prefix = out.setdefault("topic_prefix", "frigate")
        if not isinstance(prefix, str) or not _TOPIC.match(prefix) or prefix.strip("/") != prefix:
            raise _bad("topic_prefix", "a topic without wildcards or leading/trailing '/'")
        url = out.get("frigate_url")
        if url is not None and (not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https")
                                or not urlsplit(url).hostname):  # fmt: skip
            raise _bad("frigate_url", "an http(s) URL of Frigate's web interface")
        if out.setdefault("alert_severity", "error") not in SEVERITIES:
            raise _bad("alert_severity", f"one of {', '.join(SEVERITIES)}")
        if not isinstance(out.setdefault("resolve_on_end", False), bool):
            raise _bad("resolve_on_end", "true or false")
        return out
    if type == "access_control_mqtt":
        topic = out.setdefault("topic", "access/#")
        if not isinstance(topic, str) or not _FILTER.match(topic):
            raise _bad("topic", "an MQTT topic filter")
    mapping_from_config(out)  # names each bad part of the mapping or preset
    kinds = out.get("alert_kinds", {})
    if not isinstance(kinds, dict):
        raise _bad("alert_kinds", "an object of kind: severity (or none)")
    for kind, severity in kinds.items():
        if kind not in KINDS:
            raise _bad(f"alert_kinds.{kind}", f"one of {', '.join(KINDS)}")
        if severity not in (*SEVERITIES, "none", None):
            raise _bad(f"alert_kinds.{kind}", f"one of {', '.join(SEVERITIES)} or none")
    return out


def check_broker_url(url: object) -> str:
    if not isinstance(url, str):
        raise _bad("broker_url", "mqtt://host[:port] or mqtts://host[:port]")
    parts = urlsplit(url.strip())
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise _bad("broker_url", "a port from 1 to 65535") from None
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise _bad("broker_url", "mqtt://host[:port] or mqtts://host[:port]")
    if parts.username or parts.password:
        raise _bad("broker_url", "no credentials in the URL: use username and password_secret")
    return url.strip()


def alert_severity(config: dict[str, Any], kind: str) -> str | None:
    """The severity of the alert ``kind`` raises for this integration, or None."""
    chosen = config.get("alert_kinds", {}).get(kind, ALERT_KINDS.get(kind))
    return None if chosen in (None, "none") else str(chosen)


def broker_address(config: dict[str, Any]) -> tuple[str, int, bool]:
    """(host, port, tls) of the configured broker."""
    parts = urlsplit(config["broker_url"])
    tls = parts.scheme == "mqtts"
    return parts.hostname or "", parts.port or (8883 if tls else 1883), tls


def check_physical_site(uow: UnitOfWork, type: str, config: dict[str, Any]) -> None:
    """For a physical-security type: the configured site exists."""
    if type in PHYSICAL_TYPES and uow.session.get(Site, config.get("site_id")) is None:
        raise _bad("site_id", "no site has this id")


def mqtt_address(config: dict[str, Any]) -> str:
    """What the integration listens to, shown instead of an ingest URL."""
    topics = config.get("topic") or f"{config.get('topic_prefix', 'frigate')}/..."
    return f"{config.get('broker_url', '')} {topics}"
