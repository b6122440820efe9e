"""The alert list's text search: a substring of summary, source or dedup key, any case,
found through the search index (SQLite: FTS5 trigram table; PostgreSQL: pg_trgm) and
kept right as alerts are written, changed and deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts import search
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import Alert, Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.alerts.service import AlertFilter, list_alerts
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.integrations.normalized import InboundAlert

ALERTS = [
    ("k-1", "Replication lag 40 s on pg-3", "db-1.eu-west-1"),
    ("k-2", 'Disk 91% full on "data" volume', "db-2.eu-west-1"),
    ("fp-ABC123", "CPU_high on web_7", "web-7"),
    ("k-4", "Ünïcode summary ✓", "edge-9"),
]


@pytest.fixture
def stored(db: Database) -> dict[str, str]:
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        svc = do_create_service(uow, SYSTEM, ServiceCreate(name="api", team_id=team.id))
        integ = do_create_integration(uow, SYSTEM, svc.id, IntegrationCreate(type="pagerduty"))
        integration = uow.session.get(Integration, integ.id)
        assert integration is not None
        inbound = [
            InboundAlert(
                action="trigger", dedup_key=key, summary=summary, severity="warning", source=source
            )
            for key, summary, source in ALERTS
        ]
        outcomes = do_ingest(uow, integration, inbound)
        uow.commit()
    return {o.dedup_key: str(o.alert_id) for o in outcomes}


def found(db: Database, text: str) -> set[str]:
    with db.unit_of_work(readonly=True) as uow:
        page = list_alerts(uow, AlertFilter(text=text), limit=100)
        return {a.dedup_key for a in page.items}


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("replication", {"k-1"}),  # any case
        ("LAG 40", {"k-1"}),
        ("plication l", {"k-1"}),  # inside words, across a space
        ("eu-west", {"k-1", "k-2"}),  # the source
        ("abc12", {"fp-ABC123"}),  # the dedup key
        ('"data"', {"k-2"}),  # a double quote is a character like any other
        ("91%", {"k-2"}),  # LIKE's wildcards are literal
        ("u_h", {"fp-ABC123"}),
        ("pg", {"k-1"}),  # shorter than a trigram: found without the index
        ("summary ✓", {"k-4"}),
        ("no such text", set()),
        ("AND OR NOT *", set()),  # FTS5 query syntax is not interpreted
    ],
)
def test_search_finds_substrings_of_summary_source_and_dedup_key(
    db: Database, stored: dict[str, str], text: str, keys: set[str]
) -> None:
    assert found(db, text) == keys


def test_the_index_follows_changed_and_deleted_alerts(db: Database, stored: dict[str, str]) -> None:
    with db.unit_of_work() as uow:
        uow.session.execute(
            update(Alert).where(Alert.id == stored["k-1"]).values(summary="Vacuum stalled")
        )
        uow.session.execute(delete(Alert).where(Alert.id == stored["k-2"]))
        uow.commit()
    assert found(db, "replication") == set()
    assert found(db, "vacuum stall") == {"k-1"}
    assert found(db, "full on") == set()
    assert found(db, "eu-west") == {"k-1"}


def test_common_text_is_searched_by_walking_the_list(
    db: Database, stored: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # More candidates than the index is asked for: the list is walked in its order, with
    # the same answer.
    monkeypatch.setattr(search, "MANY", 1)
    assert found(db, "eu-west") == {"k-1", "k-2"}
    assert found(db, "no such text") == set()
