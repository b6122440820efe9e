"""What incidents send, clock-driven through the engine with delivery to recording
channels (and once over real SMTP): pages to people added and their later steps
cancelled once they act, role notices with instructions, update reminders, nothing for
people who may not see a restricted incident, nothing queued twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from incident_people_support import (
    Engine,
    add_sms,
    incident_engine,
    incident_messages,
    policy_for,
    target,
)
from incident_support import Cast, build_cast, declare
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.events.models import Event, EventCursor
from muster.domain.incidents.models import Incident
from muster.domain.incidents.participants import do_add_participant, do_leave
from muster.domain.incidents.record import record
from muster.domain.incidents.roles import do_assign_role
from muster.domain.incidents.transitions import do_transition
from muster.domain.notify.models import ContactMethod
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from notify_support import SmtpSink, notify_settings, smtp_sink

__all__ = ["smtp_sink"]  # fixture


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


@pytest.fixture
def engine(db: Database, settings: Settings) -> Engine:
    return incident_engine(db, settings)


def test_someone_added_is_paged_until_they_act_and_roles_are_told(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    add_sms(db, cast.outsider.id, "+14155550102", high_delays=(2,))
    incident_id = declare(db, cast.ic, severity=3)
    with db.unit_of_work() as uow:
        do_add_participant(uow, cast.ic, incident_id, cast.outsider.id)  # paged
        do_add_participant(uow, cast.ic, incident_id, cast.boss.id, page=False)  # not paged
        do_assign_role(uow, cast.ic, incident_id, "scribe", cast.ic.id)  # oneself: not told
        do_assign_role(uow, cast.ic, incident_id, "communications", cast.boss.id)  # told
        uow.commit()
    engine.run()
    paged = incident_messages(db, user_id=cast.outsider.id)
    assert [(m.urgency, m.method_type, m.status) for m in paged] == [
        ("high", "email", "sent"), ("high", "sms", "queued"),
    ]  # fmt: skip
    assert paged[1].payload["path"] == f"/incidents/{incident_id}"  # the SMS, still queued
    (mail,) = engine.to(cast.outsider.label)
    assert mail.text.startswith(f"{cast.ic.label} added you to the response to INC-1 “Checkout is down” (SEV3, Triage)")  # fmt: skip
    (told,) = incident_messages(db, user_id=cast.boss.id)
    assert told.urgency == "low"
    (mail,) = engine.to(cast.boss.label)
    assert mail.subject == "[SEV3] INC-1 you are now Communications Lead"
    assert mail.text.count("\n\n") == 1  # the role's instructions follow
    assert incident_messages(db, user_id=cast.ic.id) == []
    clock.advance(timedelta(minutes=1))
    with db.unit_of_work() as uow:  # acting on the incident answers the page
        do_assign_role(uow, cast.outsider, incident_id, "technical", cast.outsider.id)
        uow.commit()
    engine.run()
    assert [m.status for m in incident_messages(db, user_id=cast.outsider.id)] == [
        "sent", "cancelled",
    ]  # fmt: skip
    engine.later(clock, 5)
    assert engine.sent("sms") == []


def test_leaving_cancels_and_update_reminders_reach_only_who_may_see(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    add_sms(db, cast.resp.id, "+14155550103", high_delays=(5,))
    incident_id = declare(db, cast.ic, severity=2, type="security")
    with db.unit_of_work() as uow:
        do_add_participant(uow, cast.ic, incident_id, cast.resp.id)
        uow.commit()
    engine.run()
    with db.unit_of_work() as uow:
        do_leave(uow, cast.resp, incident_id)
        incident = uow.session.get_one(Incident, incident_id)
        # As the cadence module does: the people named, one of whom may not see it.
        record(uow, SYSTEM, incident, "incident.update_due", user_ids=[cast.ic.id, cast.outsider.id, cast.resp.id])  # fmt: skip
        uow.commit()
    engine.run()
    assert [(m.method_type, m.status) for m in incident_messages(db, user_id=cast.resp.id)] == [
        ("email", "sent"), ("sms", "cancelled"),
    ]  # fmt: skip
    (due,) = incident_messages(db, user_id=cast.ic.id)
    assert due.urgency == "low"
    assert [m.subject for m in engine.to(cast.ic.label)] == ["[SEV2] INC-1 a status update is due"]
    assert incident_messages(db, user_id=cast.outsider.id) == []


def test_nothing_queued_twice_and_unreachable_people_are_recorded(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    policy_for(db, cast.team, cast.service, [[target("user", cast.resp.id)]])
    with db.unit_of_work() as uow:  # resp has only an unverified method
        uow.session.add(ContactMethod(user_id=cast.resp.id, type="sms", label="p", address="+14155550104",
                                      created_at=uow.now, updated_at=uow.now))  # fmt: skip
        uow.commit()
    incident_id = declare(db, cast.ic, severity=1, service_ids=[cast.service])
    with db.unit_of_work() as uow:
        do_add_participant(uow, cast.ic, incident_id, cast.outsider.id)
        uow.commit()
    engine.run()
    assert len(incident_messages(db)) == 1  # outsider's email; resp cannot be reached
    with db.unit_of_work(readonly=True) as uow:
        failed = uow.session.scalars(
            select(Event).where(
                Event.type == "notification.failed", Event.subject_id == incident_id
            )
        ).all()
    assert [(e.data["user_id"], e.data["warning"]) for e in failed] == [
        (cast.resp.id, "this person has no verified contact method")
    ]
    with db.unit_of_work() as uow:  # reading the whole log again queues nothing more
        uow.session.get_one(EventCursor, "notifications").position = 0
        uow.commit()
    engine.run()
    assert len(incident_messages(db)) == 1


def test_a_commander_page_arrives_by_email(
    db: Database, cast: Cast, clock: ManualClock, settings: Settings, smtp_sink: SmtpSink
) -> None:
    policy_for(db, cast.team, cast.service, [[target("user", cast.resp.id)]])
    declare(db, cast.ic, severity=1, title="Checkout is down", service_ids=[cast.service])
    result = Runner(db, default_modules(notify_settings(settings, smtp_sink))).run_until_idle()
    assert not result.errors, result.errors
    ((rcpt, mail),) = smtp_sink.wait_for(1)
    assert rcpt == [cast.resp.label]
    assert mail["Subject"] == "[SEV1] INC-1 needs an Incident Commander: Checkout is down"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "INC-1 “Checkout is down” (SEV1, Triage) has no Incident Commander" in text
    assert [m.status for m in incident_messages(db)] == ["sent"]


def test_resolving_cancels_what_is_still_queued(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    add_sms(db, cast.resp.id, "+14155550105", high_delays=(2,))
    incident_id = declare(db, cast.ic, severity=3)
    with db.unit_of_work() as uow:
        do_add_participant(uow, cast.ic, incident_id, cast.resp.id)
        uow.commit()
    engine.run()
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, incident_id, "resolved")
        uow.commit()
    engine.later(clock, 5)
    rows = incident_messages(db, user_id=cast.resp.id)
    assert [(m.method_type, m.status, m.last_error) for m in rows] == [
        ("email", "sent", None), ("sms", "cancelled", "not sent: the incident is resolved"),
    ]  # fmt: skip
    assert engine.sent("sms") == []
