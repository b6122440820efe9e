"""``muster alert``: alerts from the command line (a test alert through real intake)."""

from __future__ import annotations

from typing import Literal

import click

from muster.cli.common import CLI_ACTOR, Exit, database, emit, handles_errors
from muster.db.uow import UnitOfWork
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import do_create_integration, list_integrations
from muster.domain.alerts.models import Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.models import Service
from muster.domain.catalog.service import find_service
from muster.errors import FieldError, InvalidInput
from muster.integrations.normalized import (
    MAX_DEDUP_KEY,
    MAX_SUMMARY,
    SEVERITIES,
    InboundAlert,
    Severity,
    clean_text,
)

TEST_INTEGRATION_NAME = "CLI test alerts"
# Integrations that carry no alerts of their own: a test alert never goes through them.
_NOT_ALERT_DOORS = frozenset({"heartbeat"})


@click.group()
def alert() -> None:
    """Alerts: send a test alert."""


@alert.command("send")
@click.option("--service", "service_ref", required=True, help="The service's name or id.")
@click.option("--summary", default="Test alert from the muster CLI", show_default=True)
@click.option("--severity", type=click.Choice(SEVERITIES), default="warning", show_default=True)
@click.option("--dedup-key", default=None, help="Upsert key; one is made when absent.")
@click.option("--resolve", is_flag=True, help="Resolve the open alert with --dedup-key.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def send(
    service_ref: str,
    summary: str,
    severity: Severity,
    dedup_key: str | None,
    resolve: bool,
    as_json: bool,
) -> None:
    """Send an alert to a service through the intake path senders use.

    It goes through the service's first live integration, or through one named
    "CLI test alerts" that is created the first time it is needed.
    """
    if resolve and not dedup_key:
        click.echo("error: --resolve needs --dedup-key (the alert to resolve)", err=True)
        raise SystemExit(Exit.USAGE)
    if dedup_key is not None and not 0 < len(dedup_key) <= MAX_DEDUP_KEY:
        raise InvalidInput(
            "bad dedup key", errors=[FieldError("dedup_key", f"1 to {MAX_DEDUP_KEY} characters")]
        )
    action: Literal["trigger", "resolve"] = "resolve" if resolve else "trigger"
    inbound = InboundAlert(
        action=action, dedup_key=dedup_key, severity=severity,
        summary=clean_text(summary, MAX_SUMMARY) or "(no summary)",
        source="muster-cli", raw={"sent_by": "muster alert send"},
    )  # fmt: skip
    with database() as db, db.unit_of_work() as uow:
        service = find_service(uow, service_ref)
        integration = _alert_door(uow, service)
        outcome = do_ingest(uow, integration, [inbound])[0]
        uow.commit()
        out = {
            "result": outcome.result, "alert_id": outcome.alert_id, "dedup_key": outcome.dedup_key,
            "group_id": outcome.group_id, "pages": outcome.pages, "service_id": service.id,
            "service": service.name, "integration_id": integration.id,
            "integration": f"{integration.type}:{integration.name}",
        }  # fmt: skip

    def text() -> None:
        click.echo(f"{out['result']}: alert {out['alert_id'] or '-'} on {out['service']}")
        click.echo(f"  dedup key:   {out['dedup_key']}")
        click.echo(f"  integration: {out['integration']}")

    emit(out, as_json, text)


def _alert_door(uow: UnitOfWork, service: Service) -> Integration:
    """The service's first live integration that carries alerts, else a new
    pagerduty-type one for the CLI. Precondition: the service exists."""
    if service.archived_at is not None:
        raise InvalidInput(
            "service is archived",
            errors=[FieldError("service", "archived services take no alerts")],
        )
    for integration in list_integrations(uow, service.id):
        if integration.revoked_at is None and integration.type not in _NOT_ALERT_DOORS:
            return integration
    return do_create_integration(
        uow, CLI_ACTOR, service.id, IntegrationCreate(type="pagerduty", name=TEST_INTEGRATION_NAME)
    )
