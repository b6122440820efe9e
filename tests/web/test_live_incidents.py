"""Live updates about incidents: a page listening to an incident hears its events; events
of a restricted incident reach only those who may see it."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from helpers import SYSTEM, Person, make_person
from live_support import Message, Stream, signed_in
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd, TeamCreate
from muster.domain.accounts.service import do_add_team_member, do_create_team
from muster.web.app import create_app
from muster.web.context import AppContext
from server_support import serving

API = "/api/v1/incidents"


@pytest.fixture
def server(settings: Settings, db: Database) -> Iterator[str]:
    app: FastAPI = create_app(AppContext(settings=settings, db=db, clock=db.clock))
    with serving(app) as url:
        yield url


def _security_person(db: Database) -> Person:
    person = make_person(db, "responder", "sec@example.com")
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Security"))
        team.sees_restricted = True
        do_add_team_member(uow, SYSTEM, team.id, MemberAdd(user_id=person.id, role="member"))
        uow.commit()
    return person


def test_restricted_incident_events_reach_only_who_may_see_them(
    server: str, db: Database, people: dict[str, Person]
) -> None:
    sec = _security_person(db)
    outsider, admin = people["responder"], people["admin"]
    with (
        httpx.Client(base_url=server) as api,
        signed_in(server, outsider) as outsider_web,
        signed_in(server, admin) as admin_web,
        signed_in(server, sec) as sec_web,
    ):
        streams = {
            "outsider": Stream(outsider_web, "/live?topics=incidents"),
            "admin": Stream(admin_web, "/live?topics=incidents"),
            "sec": Stream(sec_web, "/live?topics=incidents"),
        }
        for stream in streams.values():
            assert stream.status == 200
            assert "hello" in stream.next().comments
        r = api.post(
            API, json={"title": "Badge cloned", "type": "physical_security"}, headers=sec.auth
        )
        assert r.status_code == 201
        secret = r.json()["id"]
        for name in ("admin", "sec"):
            heard = [m.json() for m in _drain(streams[name], 2)]
            assert [h["type"] for h in heard] == [
                "incident.declared",
                "incident.participant_joined",
            ]
            assert {h["subject"]["id"] for h in heard} == {secret}
        # An open incident reaches everyone, the outsider included, and nothing before it.
        r = api.post(API, json={"title": "Search slow"}, headers=admin.auth)
        public = r.json()["id"]
        heard = [m.json() for m in _drain(streams["outsider"], 2)]
        assert {h["subject"]["id"] for h in heard} == {public}
        # A restricted incident's own topic tells an outsider nothing either.
        one = Stream(outsider_web, f"/live?topics=incident:{secret}")
        assert "hello" in one.next().comments
        r = api.post(
            f"{API}/{secret}/transitions", json={"status": "investigating"}, headers=sec.auth
        )
        assert r.status_code == 200
        later = [m.json() for m in _drain(streams["sec"], 3)]
        assert later[-1]["type"] == "incident.status_changed"
        assert later[-1]["subject"]["id"] == secret
        for stream in (one, streams["outsider"]):
            with pytest.raises(queue.Empty):
                stream.next_event(timeout=0.8)


def _drain(stream: Stream, count: int) -> list[Message]:
    return [stream.next_event() for _ in range(count)]
