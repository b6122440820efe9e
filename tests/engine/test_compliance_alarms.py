"""Regulatory clocks driven by the clock: reminders at 50 %, 75 % and 90 % (only the
highest when several passed at once), a page at one hour left, the miss when the
deadline passes — each once, to the Legal/Compliance role and the Commander (else the
declarer), none after the report is submitted, and once even with two workers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from compliance_support import apply, clock_of, events_of, fact, submit
from incident_people_support import incident_messages
from incident_support import Cast, build_cast, declare
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.compliance.clock_schemas import MissReasonIn
from muster.domain.compliance.submissions import do_explain_miss
from muster.domain.incidents.roles import do_assign_role
from muster.domain.notify.models import OutboxMessage
from muster.engine.modules import default_modules
from muster.engine.modules.compliance_clocks import ComplianceClocks
from muster.engine.modules.notifications import Notifications
from muster.engine.runner import Runner

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def run(db: Database) -> int:
    return Runner(db, [ComplianceClocks()]).run_until_idle().items.get("compliance_clocks", 0)


def alarms(db: Database, incident_id: str) -> list[tuple[Any, ...]]:
    """(pct, page) of each approaching event, and ("missed",) for a miss, in order."""
    found: list[tuple[Any, ...]] = []
    for data in events_of(db, incident_id, "incident.deadline_approaching"):
        found.append((data["pct"], data["page"]))
    found += [("missed",) for _ in events_of(db, incident_id, "incident.deadline_missed")]
    return found


def sent(db: Database, kind: str, **where: Any) -> list[OutboxMessage]:
    return [m for m in incident_messages(db, **where) if m.payload["kind"] == kind]


def gdpr_incident(db: Database, cast: Cast, *, roles: bool = True) -> str:
    """An incident under GDPR, aware now: due in 72 hours."""
    incident = declare(db, cast.ic)
    if roles:
        with db.unit_of_work() as uow:
            do_assign_role(uow, cast.ic, incident, "legal", str(cast.resp.id))
            do_assign_role(uow, cast.ic, incident, "commander", str(cast.ic.id))
            uow.commit()
    apply(db, cast.ic, incident, "gdpr-33")
    fact(db, cast.ic, incident, "aware_at", at=START)
    return incident


def test_the_module_is_registered() -> None:
    names = [m.name for m in default_modules()]
    assert names.index("compliance_clocks") == names.index("incident_updates") + 1


def test_reminders_page_and_miss_each_once_in_turn(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = gdpr_incident(db, cast)
    steps = [
        (timedelta(hours=36) - timedelta(seconds=1), []),
        (timedelta(hours=36), [(50, False)]),
        (timedelta(hours=54), [(50, False), (75, False)]),
        (timedelta(hours=64, minutes=48), [(50, False), (75, False), (90, False)]),
        (timedelta(hours=71), [(50, False), (75, False), (90, False), (None, True)]),
    ]
    for offset, expected in steps:
        clock.set(START + offset)
        run(db)
        assert run(db) == 0  # a second pass sends nothing more
        assert alarms(db, incident) == expected, offset
    (first, *_, page) = events_of(db, incident, "incident.deadline_approaching")
    assert first["user_ids"] == [cast.resp.id, cast.ic.id]  # Legal/Compliance, Commander
    assert first["deadline"] == "gdpr-33/authority"
    assert first["regime"] == "gdpr-33"
    assert (first["minutes_left"], page["minutes_left"]) == (36 * 60, 60)
    clock.set(START + timedelta(hours=72))
    assert run(db) == 1
    assert alarms(db, incident)[-1] == ("missed",)
    clock.advance(hours=5)
    assert run(db) == 0
    gdpr = clock_of(db, cast.ic, incident, "gdpr-33/authority")
    assert gdpr.status == "missed"
    assert gdpr.missed_reason is None
    with db.unit_of_work() as uow:
        do_explain_miss(uow, cast.resp, incident, gdpr.id, MissReasonIn(reason="DPO away"))
        uow.commit()
    (explained,) = events_of(db, incident, "incident.deadline_miss_explained")
    assert explained["reason"] == "DPO away"
    assert len(alarms(db, incident)) == 5


def test_only_the_highest_threshold_passed_is_sent(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = gdpr_incident(db, cast)
    clock.set(START + timedelta(hours=66))  # past 50, 75 and 90 %
    assert run(db) == 1
    assert alarms(db, incident) == [(90, False)]
    clock.set(START + timedelta(hours=71, minutes=30))
    assert run(db) == 1
    assert alarms(db, incident) == [(90, False), (None, True)]


def test_a_clock_starting_late_sends_one_page_with_its_threshold(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "dora")
    clock.advance(hours=3, minutes=10)
    # Classified major 3 h ago: 4 hours to report, so 75 % gone and under an hour left.
    fact(db, cast.ic, incident, "aware_at", at=START)
    fact(db, cast.ic, incident, "classified_major_at", at=START)
    assert run(db) == 1
    (sent,) = events_of(db, incident, "incident.deadline_approaching")
    assert (sent["pct"], sent["page"], sent["minutes_left"]) == (75, True, 50)
    # Nobody holds the roles: the declarer is told.
    assert sent["user_ids"] == [cast.ic.id]


def test_nothing_after_the_report_is_submitted(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = gdpr_incident(db, cast)
    clock.set(START + timedelta(hours=40))
    run(db)
    gdpr = clock_of(db, cast.ic, incident, "gdpr-33/authority")
    submit(db, cast.resp, incident, gdpr.id, reference="CNIL-1")
    for hours in (60, 71, 80):
        clock.set(START + timedelta(hours=hours))
        assert run(db) == 0
    assert alarms(db, incident) == [(50, False)]
    assert clock_of(db, cast.ic, incident, "gdpr-33/authority").status == "submitted"


def test_the_people_named_get_a_notice_then_a_page(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = gdpr_incident(db, cast)
    runner = Runner(db, [ComplianceClocks(), Notifications()])
    clock.set(START + timedelta(hours=36))
    runner.run_until_idle()
    notices = sent(db, "deadline_approaching", urgency="low")
    assert {m.user_id for m in notices} >= {cast.resp.id, cast.ic.id}
    legal = [m for m in notices if m.user_id == cast.resp.id]
    assert "due in 1 d 12 h" in legal[0].payload["subject"]
    assert legal[0].payload["path"] == f"/incidents/{incident}/compliance"
    clock.set(START + timedelta(hours=71))
    runner.run_until_idle()
    pages = sent(db, "deadline_approaching", urgency="high", user_id=cast.resp.id)
    assert pages
    assert "due in 1 h" in pages[0].payload["subject"]
    clock.set(START + timedelta(hours=72))
    runner.run_until_idle()
    (missed,) = sent(db, "deadline_missed", user_id=cast.ic.id)
    assert "deadline missed" in missed.payload["subject"]


def test_two_workers_send_each_reminder_once(db: Database, clock: ManualClock, cast: Cast) -> None:
    incidents = [gdpr_incident(db, cast, roles=False) for _ in range(12)]
    clock.set(START + timedelta(hours=37))
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            runner = Runner(db, [ComplianceClocks()])
            barrier.wait()
            result = runner.run_until_idle()
            assert not result.errors, result.errors
            counts.append(result.items.get("compliance_clocks", 0))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(counts) == len(incidents)
    for incident in incidents:
        assert alarms(db, incident) == [(50, False)]
