"""The ingest writer tells the sender's fault from the database's: a value the database
refuses is a 400 naming the reason (retrying cannot help), while a busy, locked or
conflicting database is a 503 with Retry-After (Alertmanager retries only 5xx). Both are
provoked in the real databases: a trigger that refuses a summary, a write lock held by
another connection (SQLite), a serialization failure raised by the server (PostgreSQL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url

from helpers import Person
from muster.db.uow import Database
from muster.domain.alerts.models import Alert

_SQLITE_TRIGGER = """
CREATE TRIGGER muster_test_refuse BEFORE INSERT ON alerts
WHEN NEW.summary LIKE '%refuse-me%'
BEGIN SELECT RAISE(ABORT, 'summary refused by the site policy'); END
"""
_PG_FUNCTION = """
CREATE FUNCTION muster_test_refuse() RETURNS trigger AS $$
BEGIN
  IF NEW.summary LIKE '%refuse-me%' THEN
    RAISE EXCEPTION 'summary refused by the site policy' USING ERRCODE = '22023';
  END IF;
  IF NEW.summary LIKE '%conflict-me%' THEN
    RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql
"""
_PG_TRIGGER = """
CREATE TRIGGER muster_test_refuse BEFORE INSERT ON alerts
FOR EACH ROW EXECUTE FUNCTION muster_test_refuse()
"""


@pytest.fixture
def refusing_db(db: Database) -> Iterator[Database]:
    """The test database with a trigger refusing summaries that say "refuse-me" (and, on
    PostgreSQL, failing those that say "conflict-me" as a serialization conflict)."""
    with db.engine.begin() as conn:
        if db.dialect == "sqlite":
            conn.execute(text(_SQLITE_TRIGGER))
        else:
            conn.execute(text(_PG_FUNCTION))
            conn.execute(text(_PG_TRIGGER))
    try:
        yield db
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER IF EXISTS muster_test_refuse" + (
                "" if db.dialect == "sqlite" else " ON alerts")))  # fmt: skip
            if db.dialect != "sqlite":
                conn.execute(text("DROP FUNCTION IF EXISTS muster_test_refuse()"))


@pytest.fixture
def keys(client: TestClient, people: dict[str, Person]) -> dict[str, str]:
    auth = people["manager"].auth
    team = client.post("/api/v1/teams", json={"name": "Core"}, headers=auth).json()
    svc = client.post("/api/v1/services", json={"name": "checkout", "team_id": team["id"]},
                      headers=auth).json()  # fmt: skip
    keys = {}
    for type in ("pagerduty", "alertmanager"):
        r = client.post(f"/api/v1/services/{svc['id']}/integrations", json={"type": type},
                        headers=auth)  # fmt: skip
        assert r.status_code == 201, r.text
        keys[type] = r.json()["key"]
    return keys


def pd_event(key: str, summary: str) -> dict[str, Any]:
    return {"routing_key": key, "event_action": "trigger", "dedup_key": summary,
            "payload": {"summary": summary, "source": "db-1", "severity": "error"}}  # fmt: skip


def am_group(*summaries: str) -> dict[str, Any]:
    alerts = [{"status": "firing", "labels": {"alertname": s}, "annotations": {"summary": s},
               "fingerprint": f"fp-{s}"} for s in summaries]  # fmt: skip
    return {"version": "4", "status": "firing", "alerts": alerts}


def summaries(db: Database) -> list[str]:
    with db.unit_of_work(readonly=True) as uow:
        return sorted(uow.session.scalars(select(Alert.summary)))


def test_a_refused_value_is_a_400_naming_the_reason(
    client: TestClient, refusing_db: Database, keys: dict[str, str]
) -> None:
    r = client.post("/v2/enqueue", json=pd_event(keys["pagerduty"], "please refuse-me"))
    assert r.status_code == 400, r.text
    assert r.json()["status"] == "invalid event"
    assert any("summary refused by the site policy" in e for e in r.json()["errors"])
    r = client.post(f"/ingest/alertmanager/{keys['alertmanager']}",
                    json=am_group("fine", "refuse-me too"))  # fmt: skip
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert "summary refused by the site policy" in problem["detail"]
    assert "INSERT" not in problem["detail"]  # the reason, not the statement
    assert summaries(refusing_db) == []  # the request applied not at all
    assert client.post(f"/ingest/alertmanager/{keys['alertmanager']}",
                       json=am_group("fine")).status_code == 202  # fmt: skip


def test_one_refused_request_among_many_fails_alone(
    client: TestClient, refusing_db: Database, keys: dict[str, str]
) -> None:
    """Requests arriving together share a transaction; the refused one is found and the
    others are stored (however the writer happened to group them)."""
    names = [f"disk {n}" for n in range(12)] + ["refuse-me please"]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(
            lambda s: client.post("/v2/enqueue", json=pd_event(keys["pagerduty"], s)), names))  # fmt: skip
    statuses = {name: r.status_code for name, r in zip(names, answers, strict=True)}
    assert statuses.pop("refuse-me please") == 400
    assert set(statuses.values()) == {202}
    assert summaries(refusing_db) == sorted(statuses)


def _hold_sqlite_write_lock(db: Database) -> sqlite3.Connection:
    path = make_url(str(db.engine.url)).database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_busy_or_conflicting_database_is_a_503_to_retry(
    client: TestClient, refusing_db: Database, keys: dict[str, str]
) -> None:
    db = refusing_db
    other = None
    if db.dialect == "sqlite":
        # Another process holds the write lock; Muster waits a little, then gives up.
        @event.listens_for(db.engine, "checkout")
        def short_wait(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            dbapi_connection.execute("PRAGMA busy_timeout=100")

        other = _hold_sqlite_write_lock(db)
        summary = "disk full"
    else:
        summary = "conflict-me"  # the server reports a serialization failure
    try:
        r = client.post("/v2/enqueue", json=pd_event(keys["pagerduty"], summary))
        assert r.status_code == 503, r.text
        assert int(r.headers["retry-after"]) >= 1
        r = client.post(f"/ingest/alertmanager/{keys['alertmanager']}", json=am_group(summary))
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) >= 1
    finally:
        if other is not None:
            other.rollback()
            other.close()
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Alert)) == 0
    # Once the database is free again, the retry is stored.
    r = client.post("/v2/enqueue", json=pd_event(keys["pagerduty"], "disk full again"))
    assert r.status_code == 202, r.text
    assert summaries(db) == ["disk full again"]
