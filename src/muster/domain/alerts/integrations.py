"""Integrations: the doors into a service, each with a secret key and a paste-ready URL."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.alerts.models import Integration
from muster.domain.alerts.schemas import IntegrationCreate, IntegrationOut, IntegrationUpdate
from muster.domain.alerts.security_types import PHYSICAL_TYPES
from muster.domain.audit.changes import redacted
from muster.domain.catalog.service import get_service
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.physical.config import (
    MQTT_TYPES,
    check_physical_config,
    check_physical_site,
    mqtt_address,
)
from muster.errors import FieldError, InvalidInput, NotFound
from muster.integrations.generic_mapping import GenericMapping
from muster.integrations.security.cef_routing import check_cef_config

INGEST_PATHS = {
    "alertmanager": "/ingest/alertmanager/{key}",
    "grafana": "/ingest/grafana/{key}",
    "generic": "/ingest/generic/{key}",
    "heartbeat": "/ingest/heartbeat/{key}",
    "pagerduty": "/v2/enqueue",
    "access_control": "/ingest/access-control/{key}",
    "wazuh": "/ingest/wazuh/{key}",
    "suricata": "/ingest/suricata/{key}",
    "falco": "/ingest/falco/{key}",
    "elastic": "/ingest/elastic/{key}",
    "splunk": "/ingest/splunk/{key}",
    "cef": "/ingest/cef/{key}",
}


# What a key can look like (new_key makes 32 hex digits); anything else is no key.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_key() -> str:
    return secrets.token_hex(16)


def integration_url(
    integration: Integration, base_url: str, email_domain: str | None = None
) -> str:
    """Where a sender points: a URL, or for email an address."""
    if integration.type == "email":
        return f"{integration.key}@{email_domain or 'localhost'}"
    if integration.type in MQTT_TYPES:
        return mqtt_address(integration.config)
    return base_url.rstrip("/") + INGEST_PATHS[integration.type].format(key=integration.key)


def integration_out(
    integration: Integration, base_url: str, email_domain: str | None = None
) -> IntegrationOut:
    return IntegrationOut(
        id=integration.id, service_id=integration.service_id, type=integration.type,
        name=integration.name, key=integration.key,
        url=integration_url(integration, base_url, email_domain), config=integration.config,
        rate_limit_per_minute=integration.rate_limit_per_minute, created_at=integration.created_at,
        revoked_at=integration.revoked_at, last_received_at=integration.last_received_at,
    )  # fmt: skip


def check_config(type: str, config: dict[str, Any]) -> dict[str, Any]:
    """Validate a type's configuration; returns it normalised."""
    if type in PHYSICAL_TYPES:
        return check_physical_config(type, config)
    if type == "heartbeat":
        interval = config.get("interval_seconds", 300)
        grace = config.get("grace_seconds", 60)
        if not isinstance(interval, int) or not 10 <= interval <= 7 * 86400:
            raise InvalidInput(
                "bad heartbeat interval",
                errors=[FieldError("config.interval_seconds", "whole seconds from 10 to 604800")],
            )
        if not isinstance(grace, int) or not 0 <= grace <= 86400:
            raise InvalidInput(
                "bad heartbeat grace",
                errors=[FieldError("config.grace_seconds", "whole seconds from 0 to 86400")],
            )
        return {**config, "interval_seconds": interval, "grace_seconds": grace}
    if type == "cef":
        return check_cef_config(config)
    if type == "generic":
        GenericMapping.from_dict(config.get("mapping"))  # names each bad expression
        return config
    if type == "email":
        words = config.get("resolve_if_subject_contains", ["RESOLVED", "[OK]"])
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise InvalidInput(
                "bad email rule",
                errors=[FieldError("config.resolve_if_subject_contains", "a list of words")],
            )
        return {**config, "resolve_if_subject_contains": words}
    return config


def do_create_integration(
    uow: UnitOfWork, actor: Actor, service_id: str, data: IntegrationCreate
) -> Integration:
    require(actor, Role.MANAGER)
    service = get_service(uow, service_id)
    if service.archived_at is not None:
        raise InvalidInput(
            "service is archived",
            errors=[FieldError("service_id", "archived services take no alerts")],
        )
    config = check_config(data.type, data.config)
    check_physical_site(uow, data.type, config)
    integration = Integration(
        service_id=service.id, type=data.type, name=data.name or data.type.title(), key=new_key(),
        config=config, rate_limit_per_minute=data.rate_limit_per_minute, created_at=uow.now, updated_at=uow.now,
    )  # fmt: skip
    integration.exercise_run_id = service.exercise_run_id  # muster.domain.exercises
    if data.type == "heartbeat":
        integration.heartbeat_due_at = uow.now + heartbeat_period(config)
    uow.session.add(integration)
    uow.flush()
    append_event(uow, actor, "integration.created", subject_type="service", subject_id=service.id,
                 data={"integration_id": integration.id, "type": data.type, "name": integration.name})  # fmt: skip
    return integration


def do_update_integration(
    uow: UnitOfWork, actor: Actor, integration_id: str, data: IntegrationUpdate
) -> Integration:
    require(actor, Role.MANAGER)
    integration = get_integration(uow, integration_id)
    changes: dict[str, Any] = {}
    if data.name is not None and data.name != integration.name:
        changes["name"] = {"from": integration.name, "to": data.name}
        integration.name = data.name
    if data.config is not None and data.config != integration.config:
        before = redacted(integration.config)
        integration.config = check_config(integration.type, data.config)
        check_physical_site(uow, integration.type, integration.config)
        changes["config"] = {"from": before, "to": redacted(integration.config)}
    if "rate_limit_per_minute" in data.model_fields_set:
        changes["rate_limit_per_minute"] = {
            "from": integration.rate_limit_per_minute,
            "to": data.rate_limit_per_minute,
        }
        integration.rate_limit_per_minute = data.rate_limit_per_minute
    if changes:
        integration.updated_at = uow.now
        append_event(uow, actor, "integration.updated", subject_type="service", subject_id=integration.service_id,
                     data={"integration_id": integration.id, **changes})  # fmt: skip
    return integration


def do_regenerate_key(uow: UnitOfWork, actor: Actor, integration_id: str) -> Integration:
    """A new key; the old one stops working at once."""
    require(actor, Role.MANAGER)
    integration = get_integration(uow, integration_id)
    integration.key = new_key()
    integration.revoked_at = None
    integration.updated_at = uow.now
    append_event(uow, actor, "integration.key_regenerated", subject_type="service",
                 subject_id=integration.service_id, data={"integration_id": integration.id})  # fmt: skip
    return integration


def do_revoke_integration(uow: UnitOfWork, actor: Actor, integration_id: str) -> Integration:
    require(actor, Role.MANAGER)
    integration = get_integration(uow, integration_id)
    if integration.revoked_at is None:
        integration.revoked_at = uow.now
        integration.heartbeat_due_at = None
        append_event(uow, actor, "integration.revoked", subject_type="service",
                     subject_id=integration.service_id, data={"integration_id": integration.id})  # fmt: skip
    return integration


def get_integration(uow: UnitOfWork, integration_id: str) -> Integration:
    integration = uow.session.get(Integration, integration_id)
    if integration is None:
        raise NotFound("no such integration")
    return integration


def find_live_integration(
    uow: UnitOfWork, key: str, *, type: str | None = None
) -> Integration | None:
    """The live integration with ``key`` (and ``type``), or None — callers answer 404
    without saying whether the key was unknown, revoked or of another type."""
    integration = find_live_integrations(uow, [key]).get(key)
    if integration is None or (type is not None and integration.type != type):
        return None
    return integration


def find_live_integrations(uow: UnitOfWork, keys: Iterable[str]) -> dict[str, Integration]:
    """The live integrations among ``keys``, by key, in one query."""
    # A string that cannot be a key (a NUL, which PostgreSQL refuses to compare) is none.
    wanted = {key for key in keys if _KEY_SHAPE.fullmatch(key)}
    if not wanted:
        return {}
    found = uow.session.scalars(
        select(Integration).where(Integration.key.in_(wanted), Integration.revoked_at.is_(None))
    )
    return {integration.key: integration for integration in found}


def list_integrations(uow: UnitOfWork, service_id: str) -> Sequence[Integration]:
    return uow.session.scalars(
        select(Integration)
        .where(Integration.service_id == service_id)
        .order_by(Integration.created_at)
    ).all()


def heartbeat_period(config: dict[str, Any]) -> timedelta:
    """How long after a ping the next one must arrive (interval plus grace)."""
    return timedelta(seconds=int(config["interval_seconds"]) + int(config.get("grace_seconds", 0)))
