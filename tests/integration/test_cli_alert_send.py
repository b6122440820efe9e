"""`muster alert send`: a test alert through the real intake path, from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from helpers import SYSTEM
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.integrations import do_create_integration, do_revoke_integration
from muster.domain.alerts.models import Alert, Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_archive_service, do_create_service
from muster.domain.events.models import Event


@pytest.fixture
def run(db_url: str, tmp_path: Path) -> Any:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def service(db: Database) -> str:
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        svc = do_create_service(uow, SYSTEM, ServiceCreate(name="Checkout", team_id=team.id))
        uow.commit()
        return svc.id


def rows(db: Database, model: Any) -> list[Any]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(model)))


def test_send_dedupe_and_resolve(run: Any, db: Database, service: str) -> None:
    r = run("alert", "send", "--service", "checkout", "--summary", "Checkout is slow",
            "--severity", "critical", "--dedup-key", "cli-1", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    first = json.loads(r.output)
    assert first["result"] == "created"
    assert first["dedup_key"] == "cli-1"
    assert first["service_id"] == service
    assert first["pages"] is True
    [alert] = rows(db, Alert)
    assert (alert.id, alert.summary, alert.severity) == (
        first["alert_id"],
        "Checkout is slow",
        "critical",
    )
    # The CLI made one integration for itself, and goes through it again next time.
    [integration] = rows(db, Integration)
    assert (integration.type, integration.name) == ("pagerduty", "CLI test alerts")
    assert alert.integration_id == integration.id

    r = run("alert", "send", "--service", service, "--dedup-key", "cli-1")
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"deduplicated: alert {first['alert_id']} on Checkout")
    assert "cli-1" in r.output
    assert len(rows(db, Integration)) == 1
    assert rows(db, Alert)[0].occurrences == 2

    r = run("alert", "send", "--service", "Checkout", "--dedup-key", "cli-1", "--resolve", "--json")
    assert json.loads(r.output)["result"] == "resolved"
    assert rows(db, Alert)[0].status == "resolved"
    types = {e.type for e in rows(db, Event)}
    assert {"integration.created", "alert_group.opened", "alert.resolved"} <= types


def test_uses_the_services_own_live_integration(run: Any, db: Database, service: str) -> None:
    with db.unit_of_work() as uow:
        hb = do_create_integration(uow, SYSTEM, service, IntegrationCreate(type="heartbeat"))
        old = do_create_integration(uow, SYSTEM, service, IntegrationCreate(type="grafana"))
        do_revoke_integration(uow, SYSTEM, old.id)
        uow.commit()
    with db.unit_of_work() as uow:
        live = do_create_integration(uow, SYSTEM, service, IntegrationCreate(type="alertmanager"))
        uow.commit()
    r = run("alert", "send", "--service", "checkout", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["integration_id"] == live.id
    assert out["result"] == "created"
    assert len(out["dedup_key"]) >= 16  # made for us
    assert {i.id for i in rows(db, Integration)} == {hb.id, old.id, live.id}


def test_errors_have_named_exit_codes(run: Any, db: Database, service: str) -> None:
    r = run("alert", "send", "--service", "no-such-service")
    assert r.exit_code == Exit.NOT_FOUND
    assert "no-such-service" in r.output
    r = run("alert", "send", "--service", "checkout", "--resolve")
    assert r.exit_code == Exit.USAGE
    r = run("alert", "send", "--service", "checkout", "--dedup-key", "k" * 256)
    assert r.exit_code == Exit.INVALID
    r = run("alert", "send", "--service", "checkout", "--severity", "huge")
    assert r.exit_code == Exit.USAGE
    with db.unit_of_work() as uow:
        do_archive_service(uow, SYSTEM, service)
        uow.commit()
    r = run("alert", "send", "--service", "checkout")
    assert r.exit_code == Exit.INVALID
    assert rows(db, Alert) == []
    assert rows(db, Integration) == []
