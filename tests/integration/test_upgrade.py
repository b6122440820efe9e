"""``muster db upgrade`` from the oldest supported schema: a database built by the first
migration, with people, teams, services and a hash-chained event history in it, migrates
to head on both SQLite and PostgreSQL and everything is there and readable afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import JSON, BigInteger, Column, String, create_engine, insert, table

from empty_db_support import empty_database
from muster.cli.main import cli
from muster.clock import ManualClock
from muster.db import migrate
from muster.db.base import UTCDateTime
from muster.db.engine import make_engine
from muster.db.uow import Database
from muster.domain.accounts.service import find_user_by_email
from muster.domain.catalog.models import Service
from muster.domain.events.hashing import GENESIS, event_hash
from muster.domain.events.verify import verify_chains

FIRST = "0001"
AT = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, of the same kind as ``db_url``."""
    with empty_database(db_url, tmp_path, "upgrade") as url:
        yield url


def _table(name: str, *columns: str) -> Any:
    """A bare table of the first schema: ``*_at`` columns are times, ``data`` JSON,
    sequence numbers integers, the rest strings."""

    def typed(column: str) -> Column[Any]:
        if column.endswith("_at"):
            return Column(column, UTCDateTime(timezone=True))
        if column in ("seq", "last_seq"):
            return Column(column, BigInteger)
        return Column(column, JSON if column == "data" else String)

    return table(name, *(typed(c) for c in columns))


def _history(stream: str, subject: str, types: list[str]) -> tuple[list[dict[str, Any]], str]:
    """Events of one stream, chained as the first release chained them."""
    rows, prev = [], GENESIS
    for seq, type in enumerate(types, start=1):
        row = {"id": f"00000000-0000-7000-8000-{seq:012d}", "stream": stream, "seq": seq,
               "type": type, "occurred_at": AT + timedelta(minutes=seq), "actor_type": "system",
               "actor_id": None, "actor_label": "muster", "via": "cli", "token_id": None,
               "ip": None, "subject_type": "service", "subject_id": subject,
               "data": {"name": "checkout", "n": seq}}  # fmt: skip
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(
            prev_hash=prev, stream=stream, seq=seq, event_id=row["id"], type=type,
            occurred_at=row["occurred_at"], actor_type="system", actor_id=None,
            actor_label="muster", via="cli", token_id=None, ip=None, subject_type="service",
            subject_id=subject, data=row["data"],
        )  # fmt: skip
        rows.append(row)
    return rows, prev


def test_a_first_release_database_with_data_upgrades_to_head(
    fresh_url: str, clock: ManualClock
) -> None:
    migrate.upgrade(fresh_url, FIRST)
    team, user, service = (f"00000000-0000-7000-9000-00000000000{n}" for n in (1, 2, 3))
    events, last = _history("service:checkout", service,
                            ["service.created", "service.updated", "service.updated"])  # fmt: skip
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(insert(_table("teams", "id", "name", "description", "created_at", "updated_at")),
                     [{"id": team, "name": "Payments", "description": "", "created_at": AT,
                       "updated_at": AT}])  # fmt: skip
        conn.execute(insert(_table("users", "id", "email", "name", "time_zone", "role",
                                   "password_hash", "created_at", "updated_at")),
                     [{"id": user, "email": "ana@example.com", "name": "Ana",
                       "time_zone": "Europe/Lisbon", "role": "responder", "password_hash": None,
                       "created_at": AT, "updated_at": AT}])  # fmt: skip
        conn.execute(insert(_table("team_members", "id", "team_id", "user_id", "role", "added_at")),
                     [{"id": "00000000-0000-7000-9000-000000000004", "team_id": team,
                       "user_id": user, "role": "member", "added_at": AT}])  # fmt: skip
        conn.execute(insert(_table("services", "id", "name", "description", "team_id",
                                   "created_at", "updated_at")),
                     [{"id": service, "name": "checkout", "description": "Takes the money",
                       "team_id": team, "created_at": AT, "updated_at": AT}])  # fmt: skip
        conn.execute(
            insert(_table("event_streams", "stream", "last_seq", "last_hash")),
            [{"stream": "service:checkout", "last_seq": 3, "last_hash": last}],
        )
        conn.execute(insert(_table(
            "events", "id", "stream", "seq", "type", "occurred_at", "actor_type", "actor_id",
            "actor_label", "via", "token_id", "ip", "subject_type", "subject_id", "data",
            "prev_hash", "hash")), events)  # fmt: skip
    engine.dispose()

    result = CliRunner().invoke(cli, ["db", "upgrade"], env={"MUSTER_DATABASE_URL": fresh_url})
    assert result.exit_code == 0, result.output
    assert migrate.head_revision(fresh_url) == migrate.current_revision(make_engine(fresh_url))

    db = Database(make_engine(fresh_url), clock)
    try:
        with db.unit_of_work(readonly=True) as uow:
            person = find_user_by_email(uow, "ana@example.com")
            assert person is not None
            assert (person.name, person.time_zone) == ("Ana", "Europe/Lisbon")
            checkout = uow.session.get_one(Service, service)
            assert (checkout.name, checkout.team_id, checkout.created_at) == ("checkout", team, AT)
            chains = verify_chains(uow)
            assert chains.ok, chains.first_break
            assert chains.events == 3
    finally:
        db.dispose()
