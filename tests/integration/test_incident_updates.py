"""Status updates and stakeholders: posting internal and public updates, subscribing
people and channels to an incident, a service or a severity, and delivering each update
to the right subscribers through the outbox — never a page, and never a word of a
restricted incident to anyone who may not see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.events.actor import Actor
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident, Subscription
from muster.domain.incidents.participants import do_add_participant, do_leave
from muster.domain.incidents.subscriptions import (
    do_subscribe,
    do_unsubscribe,
    list_subscriptions,
    subscriptions_out,
)
from muster.domain.incidents.update_schemas import (
    InternalUpdateIn,
    PublicUpdateIn,
    SubscriptionIn,
)
from muster.domain.incidents.updates import do_post_update, list_updates
from muster.domain.notify.announce import do_add_channel
from muster.domain.notify.models import OutboxMessage
from muster.domain.notify.reactions import react
from muster.domain.notify.schemas import ChannelCreate, MethodCreate
from muster.domain.notify.service import do_add_method
from muster.engine.modules.notifications import Notifications
from muster.engine.runner import Runner
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied

PUBLIC = PublicUpdateIn(kind="public", body="Payments fail for some customers.",
                        public_status="investigating")  # fmt: skip
INTERNAL = InternalUpdateIn(conditions="DB primary at 100% CPU", actions="Failing over",
                            needs="A DBA")  # fmt: skip


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def post(db: Database, actor: Actor, incident_id: str, data: Any) -> str:
    with db.unit_of_work() as uow:
        row = do_post_update(uow, actor, incident_id, data)
        uow.commit()
        return row.id


def subscribe(db: Database, actor: Actor, **fields: Any) -> str:
    with db.unit_of_work() as uow:
        row = do_subscribe(uow, actor, SubscriptionIn.model_validate(fields))
        uow.commit()
        return row.id


def channel(db: Database, cast: Cast, label: str = "#checkout") -> str:
    with db.unit_of_work() as uow:
        row = do_add_channel(uow, cast.boss, "service", cast.service, ChannelCreate(
            type="webhook", label=label, address="https://hooks.example.com/muster"))  # fmt: skip
        uow.commit()
        return row.id


def deliver(db: Database) -> None:
    Runner(db, [Notifications()]).run_until_idle()


def rows(db: Database) -> list[OutboxMessage]:
    with db.unit_of_work(readonly=True) as uow:
        found = uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at))
        return list(found)


def to_people(db: Database) -> dict[str, list[OutboxMessage]]:
    found: dict[str, list[OutboxMessage]] = {}
    for row in rows(db):
        if row.user_id:
            found.setdefault(row.user_id, []).append(row)
    return found


# ---------------------------------------------------------------- posting


def test_posting_updates_resets_the_cadence_and_records_them(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, severity=1)
    clock.advance(minutes=12)
    first = post(db, cast.ic, incident, INTERNAL)
    clock.advance(minutes=3)
    second = post(db, cast.ic, incident, PUBLIC)
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get_one(Incident, incident)
        assert row.last_update_at == clock.now()
        assert row.next_update_due_at == clock.now() + timedelta(minutes=30)
        assert [u.id for u in list_updates(uow, cast.viewer, incident)] == [second, first]
        (public,) = list_updates(uow, cast.viewer, incident, kind="public")
        assert (public.body, public.public_status) == (PUBLIC.body, "investigating")
        (internal,) = list_updates(uow, cast.viewer, incident, kind="internal")
        assert (internal.conditions, internal.actions, internal.needs) == (
            "DB primary at 100% CPU", "Failing over", "A DBA")  # fmt: skip
        assert internal.author_label == "ic@example.com"
    posted = [e.data for e in incident_events(db, incident) if e.type == "incident.update_posted"]
    assert [(d["update_id"], d["kind"]) for d in posted] == [
        (first, "internal"),
        (second, "public"),
    ]
    assert posted[1]["public_status"] == "investigating"


def test_bad_updates_are_refused_naming_the_field(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic, severity=2)
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as empty:
        do_post_update(uow, cast.ic, incident, InternalUpdateIn(conditions="  "))
    assert empty.value.errors[0].field == "conditions"
    with pytest.raises(ValueError, match="public_status"):
        PublicUpdateIn.model_validate({"kind": "public", "body": "x", "public_status": "fine"})
    with pytest.raises(ValueError, match="body"):
        PublicUpdateIn.model_validate({"kind": "public", "body": " ", "public_status": "resolved"})
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_post_update(uow, cast.viewer, incident, INTERNAL)
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as kind:
        list_updates(uow, cast.viewer, incident, kind="secret")
    assert kind.value.errors[0].field == "kind"
    with db.unit_of_work(readonly=True) as uow:
        assert list_updates(uow, cast.viewer, incident) == []


def test_a_restricted_incident_is_not_found_to_post_or_read(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.sec, severity=1, type="security")
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        do_post_update(uow, cast.outsider, incident, INTERNAL)
    post(db, cast.sec, incident, INTERNAL)
    with db.unit_of_work(readonly=True) as uow, pytest.raises(NotFound):
        list_updates(uow, cast.outsider, incident)
    with db.unit_of_work(readonly=True) as uow:
        assert len(list_updates(uow, cast.admin, incident)) == 1


# ---------------------------------------------------------------- subscriptions


def test_subscribing_people_and_channels_to_each_scope(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic, severity=2, service_ids=[cast.service])
    hook = channel(db, cast)
    mine = subscribe(db, cast.viewer, scope_type="incident", scope_id=incident)
    subscribe(
        db, cast.ic, subscriber_id=cast.outsider.id, scope_type="service", scope_id=cast.service
    )
    subscribe(db, cast.ic, subscriber_type="channel", subscriber_id=hook, scope_type="severity",
              scope_id="SEV1")  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        found = subscriptions_out(uow, list_subscriptions(uow, cast.viewer))
        assert {(s.subscriber_name, s.scope_type, s.scope_id, s.scope_name) for s in found} == {
            ("Viewer", "incident", incident, "INC-1 Checkout is down"),
            ("Outsider", "service", cast.service, "checkout"),
            ("#checkout", "severity", "1", "SEV1 Critical"),
        }
        assert len(list_subscriptions(uow, cast.viewer, scope_type="severity", scope_id="1")) == 1
    (event,) = [e for e in incident_events(db, incident) if e.type == "incident.subscribed"]
    assert event.data["subscriber_id"] == cast.viewer.id
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_subscribe(uow, cast.viewer, SubscriptionIn(scope_type="incident", scope_id=incident))
    with db.unit_of_work() as uow:
        do_unsubscribe(uow, cast.viewer, mine)
        uow.commit()
    assert [e.type for e in incident_events(db, incident)][-1] == "incident.unsubscribed"


def test_bad_subscriptions_are_refused_naming_the_field(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    cases: list[tuple[Actor, dict[str, Any], type[Exception], str | None]] = [
        (cast.ic, {"scope_type": "severity", "scope_id": "7"}, InvalidInput, "scope_id"),
        (cast.ic, {"scope_type": "service", "scope_id": "nope"}, InvalidInput, "scope_id"),
        (cast.ic, {"subscriber_id": "nobody", "scope_type": "service", "scope_id": cast.service},
         InvalidInput, "subscriber_id"),
        (cast.ic, {"subscriber_type": "channel", "subscriber_id": "x", "scope_type": "incident",
                   "scope_id": incident}, InvalidInput, "subscriber_id"),
        (cast.viewer, {"subscriber_id": cast.ic.id, "scope_type": "incident", "scope_id": incident},
         PermissionDenied, None),
        (cast.ic, {"scope_type": "incident", "scope_id": "missing"}, NotFound, None),
    ]  # fmt: skip
    for actor, fields, error, field in cases:
        with db.unit_of_work() as uow, pytest.raises(error) as refused:
            do_subscribe(uow, actor, SubscriptionIn.model_validate(fields))
        if field:
            assert refused.value.errors[0].field == field, fields  # type: ignore[attr-defined]
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalars(select(Subscription)).all() == []


def test_a_restricted_incident_takes_only_subscribers_who_may_see_it(
    db: Database, cast: Cast
) -> None:
    incident = declare(db, cast.sec, severity=1, type="security")
    hook = channel(db, cast)
    with db.unit_of_work() as uow, pytest.raises(NotFound):  # it does not exist for them
        do_subscribe(uow, cast.outsider, SubscriptionIn(scope_type="incident", scope_id=incident))
    refused: list[tuple[dict[str, Any], str]] = [
        ({"subscriber_id": cast.outsider.id}, "subscriber_id"),
        ({"subscriber_type": "channel", "subscriber_id": hook}, "subscriber_type"),
    ]
    for fields, field in refused:
        data = SubscriptionIn.model_validate(
            {**fields, "scope_type": "incident", "scope_id": incident}
        )
        with db.unit_of_work() as uow, pytest.raises(InvalidInput) as no:
            do_subscribe(uow, cast.sec, data)
        assert no.value.errors[0].field == field
    subscribe(db, cast.sec, subscriber_id=cast.admin.id, scope_type="incident", scope_id=incident)
    with db.unit_of_work(readonly=True) as uow:
        assert len(list_subscriptions(uow, cast.admin)) == 1
        assert list_subscriptions(uow, cast.outsider) == []  # not even that it exists
        with pytest.raises(NotFound):
            list_subscriptions(uow, cast.outsider, scope_type="incident", scope_id=incident)


# ---------------------------------------------------------------- delivery


def test_a_public_update_reaches_every_subscriber_once_people_by_email_channels_too(
    db: Database, cast: Cast
) -> None:
    incident = declare(db, cast.ic, severity=1, service_ids=[cast.service])
    hook = channel(db, cast)
    with db.unit_of_work() as uow:  # email first, even when SMS is there too
        do_add_method(uow, SYSTEM, cast.boss.id or "", MethodCreate(
            type="sms", label="phone", address="+14155550100", verified=True))  # fmt: skip
        do_add_method(uow, SYSTEM, cast.boss.id or "", MethodCreate(
            type="email", label="work", address="boss@work.example.com", verified=True))  # fmt: skip
        uow.commit()
    subscribe(db, cast.viewer, scope_type="incident", scope_id=incident)
    subscribe(db, cast.viewer, scope_type="service", scope_id=cast.service)  # same person twice
    subscribe(db, cast.boss, scope_type="severity", scope_id="1")
    subscribe(db, cast.ic, scope_type="incident", scope_id=incident)  # the author
    subscribe(db, cast.ic, subscriber_type="channel", subscriber_id=hook, scope_type="service",
              scope_id=cast.service)  # fmt: skip
    subscribe(db, cast.outsider, scope_type="severity", scope_id="3")  # another severity
    update = post(db, cast.ic, incident, PUBLIC)
    deliver(db)
    people = to_people(db)
    assert set(people) == {cast.viewer.id, cast.boss.id}
    (viewer,) = people[cast.viewer.id or ""]
    assert (viewer.method_type, viewer.address) == ("email", "viewer@example.com")
    (boss,) = people[cast.boss.id or ""]
    assert (boss.method_type, boss.address) == ("email", "boss@work.example.com")
    for row in (viewer, boss):
        assert row.purpose == "announce"  # a notice, never a page
        assert row.group_id is None
        assert row.urgency is None
        assert row.payload["update_id"] == update
        assert row.payload["subject"] == "[SEV1] INC-1 Checkout is down — Investigating"
        assert PUBLIC.body in row.payload["text"]
    (announced,) = [r for r in rows(db) if r.channel_id]
    assert announced.channel_id == hook
    assert PUBLIC.body in announced.payload["text"]
    assert not [r for r in rows(db) if r.purpose == "page"]


def test_an_internal_update_goes_to_people_and_never_to_a_channel(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic, severity=2, service_ids=[cast.service])
    hook = channel(db, cast)
    subscribe(db, cast.ic, subscriber_type="channel", subscriber_id=hook, scope_type="incident",
              scope_id=incident)  # fmt: skip
    subscribe(db, cast.viewer, scope_type="service", scope_id=cast.service)
    post(db, cast.ic, incident, INTERNAL)
    deliver(db)
    (row,) = rows(db)
    assert row.user_id == cast.viewer.id
    assert row.payload["subject"] == "Internal update: [SEV2] INC-1 Checkout is down"
    assert "Conditions: DB primary at 100% CPU" in row.payload["text"]
    assert "Needs: A DBA" in row.payload["text"]


def test_delivering_the_same_update_twice_queues_nothing_more(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic, severity=1)
    subscribe(db, cast.viewer, scope_type="incident", scope_id=incident)
    post(db, cast.ic, incident, PUBLIC)
    deliver(db)
    assert len(rows(db)) == 1
    with db.unit_of_work() as uow:  # the event read again (a retried batch)
        event = uow.session.scalars(
            select(Event).where(Event.type == "incident.update_posted")
        ).one()
        react(uow, event)
        uow.commit()
    assert len(rows(db)) == 1


def test_a_restricted_incident_never_leaks_to_subscribers_who_may_not_see_it(
    db: Database, cast: Cast
) -> None:
    """Service and severity subscribers hear of a restricted incident only if they may
    see it: the security team, admins, participants — never the others, never a channel."""
    incident = declare(db, cast.sec, severity=1, type="security", service_ids=[cast.service],
                       title="Credential stuffing on login")  # fmt: skip
    hook = channel(db, cast)
    subscribe(db, cast.outsider, scope_type="service", scope_id=cast.service)
    subscribe(db, cast.viewer, scope_type="severity", scope_id="1")
    subscribe(db, cast.boss, scope_type="service", scope_id=cast.service)  # a manager, even
    subscribe(db, cast.admin, scope_type="severity", scope_id="1")
    subscribe(db, cast.ic, scope_type="service", scope_id=cast.service)
    subscribe(db, cast.boss, subscriber_type="channel", subscriber_id=hook, scope_type="service",
              scope_id=cast.service)  # fmt: skip
    with db.unit_of_work() as uow:
        do_add_participant(uow, cast.sec, incident, cast.ic.id or "", page=False)
        uow.commit()
    post(db, cast.sec, incident, PUBLIC)
    post(db, cast.sec, incident, INTERNAL)
    deliver(db)
    people = to_people(db)
    assert set(people) == {cast.admin.id, cast.ic.id}
    assert all(len(found) == 2 for found in people.values())
    assert not [r for r in rows(db) if r.channel_id]
    # Once the participant leaves, their subscription to the service no longer tells them.
    with db.unit_of_work() as uow:
        do_leave(uow, cast.ic, incident)
        uow.commit()
    post(db, cast.sec, incident, PUBLIC)
    deliver(db)
    after = to_people(db)
    assert len(after[cast.admin.id or ""]) == 3
    assert len(after[cast.ic.id or ""]) == 2
    leaked = [r for r in rows(db) if r.user_id in (cast.outsider.id, cast.viewer.id, cast.boss.id)]
    assert leaked == []
