"""The configuration forms of physical-security (``frigate``, ``access_control``,
``access_control_mqtt``) and ``cef`` integrations: form fields to config and back.

The domain checks the config (:func:`muster.domain.alerts.integrations.check_config`) and
names bad fields ``config.<name>``; :data:`RENAMES` maps those names onto the form's, so
each error shows beside its field. Form-only problems (a mapping that is not JSON, a
match line without a vendor) are named here the same way.
"""

from __future__ import annotations

import json
from typing import Any

from muster.db.uow import UnitOfWork
from muster.domain.physical.config import ALERT_KINDS, MQTT_TYPES, SEVERITIES
from muster.domain.physical.connections import ConnectionView, connection_views
from muster.domain.sites.service import list_sites
from muster.errors import FieldError, InvalidInput
from muster.integrations.access_control_presets import PRESETS
from muster.integrations.security.cef_routing import MAX_MATCHES

FORM_TYPES = frozenset({"frigate", "access_control", "access_control_mqtt", "cef"})
ACCESS_TYPES = frozenset({"access_control", "access_control_mqtt"})
# Kinds whose alert severity is configurable (controller_online only resolves).
SEVERITY_KINDS = tuple(kind for kind in ALERT_KINDS if kind != "controller_online")
SEVERITY_CHOICES = [(s, s) for s in (*SEVERITIES, "none")]
PRESET_CHOICES = [("", "Own mapping (JSON below)"),
                  *((name, name.replace("_", " ").title()) for name in PRESETS)]  # fmt: skip
MQTT_FIELDS = ("broker_url", "username", "password_secret")
FRIGATE_FIELDS = ("topic_prefix", "frigate_url", "alert_severity")
MAX_MAPPING = 20000
MAX_NAME = 200  # a CEF Device Vendor or Product
RENAMES = {
    **{f"config.{name}": name for name in
       (*MQTT_FIELDS, *FRIGATE_FIELDS, "site_id", "resolve_on_end", "topic", "preset")},
    **{f"config.alert_kinds.{kind}": f"sev_{kind}" for kind in SEVERITY_KINDS},
    "config.mapping": "mapping", "mapping": "mapping", "config.match": "cef_match",
}  # fmt: skip
INVALID = "please correct the marked fields"


def default_severity(kind: str) -> str:
    return ALERT_KINDS.get(kind) or "none"


def config_from_form(
    type: str, fields: dict[str, str], current: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The config the form describes (over ``current``, when editing); None for a type
    this form does not configure."""
    if type not in FORM_TYPES:
        return None
    config: dict[str, Any] = dict(current or {})
    if type == "cef":
        config["match"] = _cef_match(fields.get("cef_match", ""))
        return config
    _text(config, fields, "site_id", keep_blank=True)
    if type in MQTT_TYPES:
        for name in MQTT_FIELDS:
            _text(config, fields, name, keep_blank=name == "broker_url")
    if type == "frigate":
        config["topic_prefix"] = fields.get("topic_prefix", "").strip() or "frigate"
        _text(config, fields, "frigate_url")
        config["alert_severity"] = fields.get("alert_severity", "").strip() or "error"
        config["resolve_on_end"] = fields.get("resolve_on_end") == "on"
        return config
    if type == "access_control_mqtt":
        config["topic"] = fields.get("topic", "").strip() or "access/#"
    _mapping(config, fields)
    config["alert_kinds"] = {
        kind: fields.get(f"sev_{kind}", "").strip() or default_severity(kind)
        for kind in SEVERITY_KINDS
    }
    return config


def _text(
    config: dict[str, Any], fields: dict[str, str], name: str, *, keep_blank: bool = False
) -> None:
    value = fields.get(name, "").strip()
    if value or keep_blank:
        config[name] = value
    else:
        config.pop(name, None)


def _mapping(config: dict[str, Any], fields: dict[str, str]) -> None:
    preset = fields.get("preset", "").strip()
    if preset:
        config["preset"] = preset
        config.pop("mapping", None)
        return
    text = fields.get("mapping", "").strip()
    if not text:
        raise InvalidInput(
            INVALID, errors=[FieldError("mapping", "choose a preset or paste a mapping")]
        )
    if len(text) > MAX_MAPPING:
        raise InvalidInput(
            INVALID, errors=[FieldError("mapping", f"at most {MAX_MAPPING} characters")]
        )
    try:
        config["mapping"] = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(INVALID, errors=[FieldError("mapping", f"not JSON: {exc}")]) from None
    config.pop("preset", None)


def _cef_match(text: str) -> list[dict[str, str]]:
    """``Vendor | Product`` (product optional), one a line."""
    match: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        vendor, _, product = (part.strip() for part in line.partition("|"))
        if not vendor or len(vendor) > MAX_NAME or len(product) > MAX_NAME:
            raise InvalidInput(
                INVALID,
                errors=[
                    FieldError(
                        "cef_match",
                        f"line {number}: a Device Vendor (and | Product), each 1 to {MAX_NAME} characters",
                    )
                ],
            )
        if len(match) >= MAX_MATCHES:
            raise InvalidInput(
                INVALID, errors=[FieldError("cef_match", f"at most {MAX_MATCHES} lines")]
            )
        match.append({"vendor": vendor, **({"product": product} if product else {})})
    return match


def form_values(type: str, config: dict[str, Any]) -> dict[str, str]:
    """The form's fields filled from a stored config."""
    if type == "cef":
        lines = [" | ".join(filter(None, (m.get("vendor"), m.get("product"))))
                 for m in config.get("match") or [] if isinstance(m, dict)]  # fmt: skip
        return {"cef_match": "\n".join(lines)}
    if type not in FORM_TYPES:
        return {}
    values = {name: str(config.get(name) or "") for name in
              (*MQTT_FIELDS, *FRIGATE_FIELDS, "site_id", "topic", "preset")}  # fmt: skip
    values["resolve_on_end"] = "on" if config.get("resolve_on_end") else ""
    if config.get("mapping") is not None:
        values["mapping"] = json.dumps(config["mapping"], indent=2)
    kinds = config.get("alert_kinds") or {}
    for kind in SEVERITY_KINDS:
        values[f"sev_{kind}"] = str(kinds.get(kind) or default_severity(kind))
    return values


def form_context(uow: UnitOfWork) -> dict[str, Any]:
    """What the config fields need to render: site choices and the fixed choices."""
    return {
        "site_choices": [(site.id, site.name) for site in list_sites(uow)],
        "preset_choices": PRESET_CHOICES,
        "severity_choices": SEVERITY_CHOICES,
        "alert_severity_choices": [(s, s) for s in SEVERITIES],
        "severity_kinds": SEVERITY_KINDS,
        "default_severity": default_severity,
    }


def connection_of(uow: UnitOfWork, integration_id: str, type: str) -> ConnectionView | None:
    """An MQTT integration's subscriber state, as its process last reported it."""
    if type not in MQTT_TYPES:
        return None
    return next((v for v in connection_views(uow) if v.integration_id == integration_id), None)
