"""Helpers for the incident UI tests: a crew of people, declaring, posting forms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from helpers import Person, make_person
from incident_support import actor_for, declare
from muster.db.uow import Database
from muster.domain.incidents.models import Incident

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the clock fixture's start


@dataclass
class Crew:
    ic: Person
    resp: Person
    outsider: Person
    viewer: Person
    boss: Person
    admin: Person


def make_crew(db: Database, people: dict[str, Person]) -> Crew:
    """ic, resp and outsider respond; viewer; boss manages; admin."""
    return Crew(
        ic=make_person(db, "responder", "ic@example.com"),
        resp=make_person(db, "responder", "resp@example.com"),
        outsider=make_person(db, "responder", "outsider@example.com"),
        viewer=people["viewer"],
        boss=people["manager"],
        admin=people["admin"],
    )


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def refs(html: str) -> list[str]:
    """The references listed in the incident table, in order."""
    return re.findall(r'<td class="nowrap mono"><a href="/incidents/[^"]+">(INC-\d+)</a>', html)


def new_incident(db: Database, who: Person, **fields: object) -> str:
    return declare(db, actor_for(db, who.id), **fields)


def number_of(db: Database, incident_id: str) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.get_one(Incident, incident_id).number


def load(db: Database, incident_id: str) -> Incident:
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get_one(Incident, incident_id)
        uow.session.expunge(row)
        return row


def post(client: TestClient, csrf: str, url: str, /, **data: str) -> Any:
    return client.post(url, data={"csrf_token": csrf, **data}, follow_redirects=False)
