"""The secret store: encrypted at rest, write-only through the API and the CLI, admins
only; and a secret an action renders never reaching events, outputs, errors or logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import SYSTEM, Person
from incident_support import actor_for, build_cast, declare
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.events.models import Event
from muster.domain.playbooks.models import PlaybookRun, Secret
from muster.domain.playbooks.secrets import (
    do_delete_secret,
    do_set_secret,
    reveal_all,
    secret_names,
)
from muster.errors import InvalidInput, NotFound, PermissionDenied
from muster.web.app import create_app
from muster.web.context import AppContext
from playbook_support import make_playbook, playbook_engine, run_state, start_run, step_of

VALUE = "s3cr3t-Value-42"
KEY = "test-secret-key"  # tests/conftest.py's installation key (settings and CLI)


def events_text(db: Database) -> str:
    with db.unit_of_work(readonly=True) as uow:
        return json.dumps([[e.type, e.data] for e in uow.session.scalars(select(Event))])


def test_secrets_are_encrypted_write_only_and_for_admins(
    db: Database, people: dict[str, Person], caplog: pytest.LogCaptureFixture
) -> None:
    with db.unit_of_work() as uow:
        do_set_secret(uow, SYSTEM, "EDR_TOKEN", VALUE, KEY, description="EDR")
        do_set_secret(uow, SYSTEM, "EDR_TOKEN", VALUE + "-2", KEY)  # replaced
        do_set_secret(uow, SYSTEM, "OTHER", "x" * 40, KEY)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        rows = {r.name: r for r in uow.session.scalars(select(Secret))}
        assert VALUE not in rows["EDR_TOKEN"].ciphertext
        assert rows["EDR_TOKEN"].description == "EDR"
        assert reveal_all(uow, KEY) == {"EDR_TOKEN": VALUE + "-2", "OTHER": "x" * 40}
        with caplog.at_level(logging.WARNING):
            assert reveal_all(uow, "another-installation") == {}
        assert "EDR_TOKEN" in caplog.text
        assert VALUE not in caplog.text
        assert [r.name for r in secret_names(uow, SYSTEM)] == ["EDR_TOKEN", "OTHER"]
    with db.unit_of_work() as uow:
        do_delete_secret(uow, SYSTEM, "OTHER")
        with pytest.raises(NotFound):
            do_delete_secret(uow, SYSTEM, "OTHER")
        with pytest.raises(InvalidInput):
            do_set_secret(uow, SYSTEM, "9bad name", VALUE, KEY)
        with pytest.raises(InvalidInput):
            do_set_secret(uow, SYSTEM, "EMPTY", "", KEY)
        with pytest.raises(PermissionDenied):
            do_set_secret(uow, actor_for(db, people["manager"].id), "X", VALUE, KEY)
        with pytest.raises(PermissionDenied):
            secret_names(uow, actor_for(db, people["responder"].id))
        uow.commit()
    text = events_text(db)
    assert text.count('"secret.set"') == 3
    assert text.count('"secret.deleted"') == 1
    assert VALUE not in text


def test_a_rendered_secret_never_reaches_events_outputs_errors_or_logs(
    db: Database, settings: Settings, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    cast = build_cast(db)
    with db.unit_of_work() as uow:
        do_set_secret(uow, SYSTEM, "EDR_TOKEN", VALUE, KEY)
        uow.commit()
    incident_id = declare(db, cast.ic)
    # A template error naming the value, and a refused call whose URL carries it.
    playbook = make_playbook(db, [
        {"name": "leak", "kind": "action", "url": "http://127.0.0.1:9/{{ steps[secrets.EDR_TOKEN] }}"},
    ], key="leaky")  # fmt: skip
    refused = make_playbook(db, [
        {"name": "call", "kind": "action", "url": "http://10.1.2.3/?t={{ secrets.EDR_TOKEN }}",
         "retries": 0},
    ], key="refused")  # fmt: skip
    engine = playbook_engine(db, settings)
    with caplog.at_level(logging.DEBUG):
        first = start_run(db, playbook, incident_id)
        second = start_run(db, refused, incident_id)
        engine.run()
    assert run_state(db, first)[0] == "failed"
    assert run_state(db, second)[0] == "failed"
    leak, call = step_of(db, first, "leak"), step_of(db, second, "call")
    assert "[secret]" in (leak.error or "")
    assert "[secret]" in (call.error or "")
    with db.unit_of_work(readonly=True) as uow:
        runs = uow.session.scalars(select(PlaybookRun)).all()
        stored = json.dumps([[r.error, r.outputs] for r in runs])
    for text in (leak.error, call.error, stored, events_text(db), caplog.text):
        assert VALUE not in (text or "")


@pytest.fixture
def client(settings: Settings, db: Database, clock: ManualClock) -> Iterator[TestClient]:
    app = create_app(AppContext(settings=settings, db=db, clock=clock))
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def test_the_api_takes_values_and_shows_only_names(
    client: TestClient, people: dict[str, Person]
) -> None:
    admin, manager, responder = people["admin"], people["manager"], people["responder"]
    r = client.put("/api/v1/secrets/EDR_TOKEN", json={"value": VALUE, "description": "EDR"},
                   headers=admin.auth)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "EDR_TOKEN"
    assert VALUE not in r.text
    r = client.get("/api/v1/secrets", headers=manager.auth)
    assert [s["name"] for s in r.json()["items"]] == ["EDR_TOKEN"]
    assert VALUE not in r.text
    assert "value" not in r.json()["items"][0]
    assert client.get("/api/v1/secrets", headers=responder.auth).status_code == 403
    r = client.put("/api/v1/secrets/X", json={"value": "v"}, headers=manager.auth)
    assert r.status_code == 403
    r = client.put("/api/v1/secrets/bad name!", json={"value": "v"}, headers=admin.auth)
    assert r.status_code == 422
    assert "name" in r.text
    r = client.put("/api/v1/secrets/EMPTY", json={"value": ""}, headers=admin.auth)
    assert r.status_code == 422
    assert client.delete("/api/v1/secrets/EDR_TOKEN", headers=admin.auth).status_code == 204
    assert client.delete("/api/v1/secrets/EDR_TOKEN", headers=admin.auth).status_code == 404
    assert client.get("/api/v1/secrets", headers=manager.auth).json()["items"] == []
    r = client.get("/api/v1/events?limit=50", headers=admin.auth)
    assert VALUE not in r.text


def test_the_cli_reads_the_value_from_stdin(db_url: str, tmp_path: Path, db: Database) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var"),
           "MUSTER_SECRET_KEY": KEY}  # fmt: skip

    def run(*args: str, input: str | None = None) -> Any:
        return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)

    r = run("secret", "set", "EDR_TOKEN", "--description", "EDR", input=VALUE + "\n")
    assert r.exit_code == 0, r.output
    assert VALUE not in r.output
    with db.unit_of_work(readonly=True) as uow:
        assert reveal_all(uow, KEY) == {"EDR_TOKEN": VALUE}
    r = run("secret", "list", "--json")
    assert [s["name"] for s in json.loads(r.output)] == ["EDR_TOKEN"]
    assert VALUE not in r.output
    assert run("secret", "set", "EMPTY", input="").exit_code == Exit.INVALID
    assert run("secret", "delete", "EDR_TOKEN").exit_code == 0
    assert run("secret", "delete", "EDR_TOKEN").exit_code == Exit.NOT_FOUND
