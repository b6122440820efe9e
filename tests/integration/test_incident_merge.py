"""Merging duplicates (the survivor keeps both timelines, the alerts and the people) and
splitting an alert group off into a new incident that links back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incident_alerts_support import (
    group_ids_of,
    make_integration,
    participant_ids,
    send_alert,
    status_of,
)
from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.events.actor import Actor
from muster.domain.incidents.merge import do_merge, do_split, split_from
from muster.domain.incidents.models import Incident, Task
from muster.domain.incidents.notes import do_add_note, do_mark_key_event, key_events
from muster.domain.incidents.participants import do_add_participant
from muster.domain.incidents.roles import current_roles, do_assign_role
from muster.domain.incidents.timeline import TimelineEntry, timeline
from muster.domain.incidents.transitions import do_transition
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def read(db: Database, actor: Actor, incident_id: str) -> list[TimelineEntry]:
    with db.unit_of_work(readonly=True) as uow:
        return timeline(uow, actor, incident_id, limit=500)


def note(db: Database, actor: Actor, incident_id: str, body: str) -> str:
    with db.unit_of_work() as uow:
        row = do_add_note(uow, actor, incident_id, body)
        uow.commit()
        return row.event_id


def merge(db: Database, actor: Actor, source: str, target: str) -> None:
    with db.unit_of_work() as uow:
        do_merge(uow, actor, source, target)
        uow.commit()


def test_the_survivor_keeps_both_timelines_alerts_and_people(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    integration = make_integration(db, cast.service)
    g1 = send_alert(db, integration, "a", "Checkout 500s")
    g2 = send_alert(db, integration, "b", "Payments timeouts")
    duplicate = declare(db, cast.resp, title="Payments failing", group_ids=[g2])
    survivor = declare(db, cast.ic, group_ids=[g1])
    with db.unit_of_work() as uow:
        do_assign_role(uow, cast.resp, duplicate, "technical", cast.resp.id or "")
        uow.session.add(Task(incident_id=duplicate, title="Check the payment gateway",
                             created_at=uow.now, created_by="resp"))  # fmt: skip
        uow.session.add(Task(incident_id=duplicate, title="Done already", status="done",
                             created_at=uow.now, created_by="resp"))  # fmt: skip
        uow.commit()
    clock.advance(timedelta(minutes=2))
    dup_note = note(db, cast.resp, duplicate, "Gateway returns 504")
    own_note = note(db, cast.ic, survivor, "Started on checkout")
    with db.unit_of_work() as uow:
        do_mark_key_event(uow, cast.resp, duplicate, dup_note)
        uow.commit()
    clock.advance(timedelta(minutes=2))
    merge(db, cast.ic, duplicate, survivor)

    assert status_of(db, duplicate) == ("merged", survivor)
    assert group_ids_of(db, survivor) == {g1, g2}
    assert group_ids_of(db, duplicate) == set()
    assert {cast.ic.id, cast.resp.id} <= participant_ids(db, survivor)
    with db.unit_of_work(readonly=True) as uow:
        assert current_roles(uow, duplicate) == []  # the duplicate's roles ended
        merged = uow.session.get_one(Incident, duplicate)
        assert merged.merged_at == clock.now()
        assert merged.next_update_due_at is None
        tasks = {t.title: t.incident_id for t in uow.session.query(Task)}
        assert tasks == {"Check the payment gateway": survivor, "Done already": duplicate}
    entries = read(db, cast.ic, survivor)
    by_event = {e.event_id: e for e in entries}
    assert by_event[dup_note].origin == "merged"
    assert by_event[dup_note].incident_id == duplicate
    assert by_event[dup_note].body == "Gateway returns 504"
    assert by_event[dup_note].key
    assert by_event[own_note].origin == "incident"
    declared = [e.incident_id for e in entries if e.type == "incident.declared"]
    assert declared == [duplicate, survivor]  # both timelines, in order
    opened = {e.link for e in entries if e.type == "alert_group.opened"}
    assert opened == {f"/alert-groups/{g1}", f"/alert-groups/{g2}"}
    assert [e.event_id for e in entries] == sorted(by_event, key=lambda i: by_event[i].position)
    absorbed = entries[-1]
    assert absorbed.type == "incident.absorbed"
    assert absorbed.link == f"/incidents/{duplicate}"
    assert absorbed.data["group_ids"] == [g2]
    assert absorbed.text.endswith("merged into this one")
    merged_event = next(e for e in incident_events(db, duplicate) if e.type == "incident.merged")
    assert merged_event.data["target_id"] == survivor
    with db.unit_of_work(readonly=True) as uow:
        assert dup_note in [e.event_id for e in key_events(uow, cast.ic, survivor)]
    # The duplicate keeps only its own stream; no more notes go to it.
    assert all(e.incident_id in (duplicate, None) for e in read(db, cast.ic, duplicate))
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_add_note(uow, cast.resp, duplicate, "late")


def test_merging_is_refused_when_it_makes_no_sense(db: Database, cast: Cast) -> None:
    a, b, c = (declare(db, cast.ic, title=t) for t in ("A", "B", "C"))
    closed = declare(db, cast.ic, title="old")
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, closed, "resolved")
        do_transition(uow, cast.ic, closed, "closed")
        uow.commit()
    with db.unit_of_work() as uow:
        with pytest.raises(InvalidInput) as itself:
            do_merge(uow, cast.ic, a, a)
        assert itself.value.errors[0].field == "target_id"
        with pytest.raises(Conflict) as final:
            do_merge(uow, cast.ic, a, closed)
        assert final.value.errors[0].field == "target_id"
        with pytest.raises(PermissionDenied):
            do_merge(uow, cast.viewer, a, b)
        with pytest.raises(NotFound):
            do_merge(uow, cast.ic, a, "no-such-incident")
    merge(db, cast.ic, b, c)
    with db.unit_of_work() as uow:
        with pytest.raises(Conflict):
            do_merge(uow, cast.ic, a, b)  # into a merged one
        with pytest.raises(Conflict) as again:
            do_merge(uow, cast.ic, b, a)  # already merged
        assert again.value.errors[0].field == "source_id"
    assert status_of(db, a) == ("triage", None)


def test_merging_across_restriction_needs_sight_of_both(db: Database, cast: Cast) -> None:
    secret = declare(db, cast.sec, title="Leaked keys", restricted=True)
    public = declare(db, cast.ic, title="Logins failing")
    note(db, cast.sec, secret, "The key was in a public repository")
    for who in (cast.ic, cast.outsider):
        with db.unit_of_work() as uow:
            with pytest.raises(NotFound):
                do_merge(uow, who, secret, public)
            with pytest.raises(NotFound):
                do_merge(uow, who, public, secret)
    merge(db, cast.sec, secret, public)  # the security team sees both
    outside = read(db, cast.outsider, public)
    assert outside
    assert all(e.incident_id != secret for e in outside)
    assert not any("public repository" in (e.body or "") for e in outside)
    inside = read(db, cast.sec, public)
    assert any(e.body == "The key was in a public repository" for e in inside)
    with db.unit_of_work(readonly=True) as uow, pytest.raises(NotFound):
        timeline(uow, cast.outsider, secret)


def test_split_moves_an_alert_group_into_a_new_incident_that_links_back(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    integration = make_integration(db, cast.service)
    g1 = send_alert(db, integration, "a", "Checkout 500s")
    g2 = send_alert(db, integration, "b", "Unrelated: search slow")
    first_seen = clock.now()
    clock.advance(timedelta(minutes=10))
    original = declare(db, cast.ic, severity=2, restricted=True, group_ids=[g1, g2])
    clock.advance(timedelta(minutes=5))
    with db.unit_of_work() as uow:
        with pytest.raises(InvalidInput) as untitled:
            do_split(uow, cast.ic, original, g2, "   ")
        assert untitled.value.errors[0].field == "title"
        with pytest.raises(NotFound):
            do_split(uow, cast.outsider, original, g2, "Search is slow")
        new = do_split(uow, cast.ic, original, g2, "Search is slow")
        uow.commit()
        new_id = new.id
        assert (new.severity, new.restricted, new.status) == (2, True, "triage")
        assert new.detected_at == first_seen
        assert new.declared_at == clock.now()
        assert [s.service_id for s in new.services] == [cast.service]
    assert group_ids_of(db, original) == {g1}
    assert group_ids_of(db, new_id) == {g2}
    assert cast.ic.id in participant_ids(db, new_id)
    with db.unit_of_work(readonly=True) as uow:
        assert split_from(uow, new_id) == original
        assert split_from(uow, original) is None
    back = next(e for e in read(db, cast.ic, new_id) if e.type == "incident.split")
    assert back.link == f"/incidents/{original}"
    assert back.text.startswith("split off from INC-")
    there = next(e for e in read(db, cast.ic, original) if e.type == "incident.split")
    assert there.link == f"/incidents/{new_id}"
    assert there.data["group_id"] == g2
    assert any(e.type == "alert_group.opened" for e in read(db, cast.ic, new_id))
    assert not any(e.link == f"/alert-groups/{g2}" and e.type == "alert_group.opened"
                   for e in read(db, cast.ic, original))  # fmt: skip
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as gone:
        do_split(uow, cast.ic, original, g2, "again")
    assert gone.value.errors[0].field == "group_id"


def test_people_of_both_incidents_see_the_merged_timeline(db: Database, cast: Cast) -> None:
    a = declare(db, cast.ic, title="A", restricted=True)
    b = declare(db, cast.ic, title="B", restricted=True)
    with db.unit_of_work() as uow:
        do_add_participant(uow, cast.ic, a, cast.resp.id or "", page=False)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow, pytest.raises(NotFound):
        timeline(uow, cast.resp, b)
    merge(db, cast.ic, a, b)
    entries = read(db, cast.resp, b)  # resp joined the survivor with the merge
    assert {e.incident_id for e in entries} == {a, b}
