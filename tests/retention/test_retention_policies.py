"""Retention policies per kind (issue 13): resolved alerts and their empty groups, raw
payloads before the alerts, whole incidents with their evidence, messages and event
streams (pruned and sealed by a checkpoint that ``verify_chains`` accepts and that still
catches tampering), finished notifications; legal holds win; bounded batches, at most
hourly; counted in a run row and a ``retention.ran`` event."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from evidence_support import add_file
from incident_support import build_cast, declare
from muster.clock import ManualClock
from muster.config import EvidenceSettings, Settings
from muster.db.uow import Database
from muster.domain.alerts.models import AlertGroup
from muster.domain.audit.models import AuditForwarder
from muster.domain.compliance import legal_hold
from muster.domain.compliance.evidence_models import EvidenceItem, RetentionRun
from muster.domain.events.checkpoint import CHECKPOINT
from muster.domain.events.models import Event
from muster.domain.events.verify import verify_chains
from muster.domain.incidents.attachments import do_attach_file
from muster.domain.incidents.links import do_link_alert_groups
from muster.domain.incidents.models import Attachment, Incident
from muster.domain.inputs import parse_input
from muster.domain.notify.models import OutboxMessage
from muster.domain.retention.policies import (
    PolicyIn,
    do_reset_policy,
    do_set_policy,
    list_policies,
)
from muster.engine.modules.retention import Retention
from muster.errors import InvalidInput, PermissionDenied
from retention_support import alert, alert_row, end, integration, message, retain, stores
from ui_support import count, events_of_type


def _stream(db: Database, stream: str) -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        rows = list(
            uow.session.scalars(select(Event).where(Event.stream == stream).order_by(Event.seq))
        )
        uow.session.expunge_all()
        return rows


def _verify_ok(db: Database) -> bool:
    with db.unit_of_work(readonly=True) as uow:
        return verify_chains(uow).ok


def test_alerts_go_after_resolution_raw_payloads_earlier_and_held_ones_stay(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    cast = build_cast(db)
    source = integration(db, cast.service)
    old_group = alert(db, source, "old")
    alert(db, source, "old", action="resolve")
    alert(db, source, "open")
    held_group = alert(db, source, "held")
    alert(db, source, "held", action="resolve")
    assert len({old_group, held_group}) == 2
    incident = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        do_link_alert_groups(uow, cast.ic, incident, [held_group])
        legal_hold.do_place_hold(uow, cast.boss, incident, reason="litigation")
        uow.commit()

    clock.advance(timedelta(days=15))
    report = retain(db, tmp_path, raw_payloads=10, alerts=30)
    assert (report.counts["raw_payloads"], report.counts["alerts"]) == (2, 0)
    old, still_open, held = alert_row(db, "old"), alert_row(db, "open"), alert_row(db, "held")
    assert old is not None
    assert still_open is not None
    assert held is not None
    assert (old.raw, still_open.raw, held.raw) == ({}, {}, {"payload": "held"})

    clock.advance(timedelta(days=20))
    report = retain(db, tmp_path, raw_payloads=10, alerts=30)
    assert (report.counts["alerts"], report.counts["alert_groups"]) == (1, 1)
    assert alert_row(db, "old") is None
    assert count(db, AlertGroup, AlertGroup.id == old_group) == 0
    assert alert_row(db, "open") is not None  # not resolved
    assert alert_row(db, "held") is not None  # its group belongs to an incident
    assert retain(db, tmp_path, raw_payloads=10, alerts=30).removed == 0  # idempotent
    assert _verify_ok(db)  # alert events stay on their service's stream


def test_incidents_removed_whole_their_streams_sealed_and_holds_win(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    cast = build_cast(db)
    ev_store, att_store = stores(tmp_path)
    gone, held, recent, running = (
        declare(db, cast.ic, title=t) for t in ("Gone", "Held", "Recent", "Open")
    )
    evidence = add_file(db, cast.resp, gone, ev_store, b"memory dump")
    add_file(db, cast.resp, held, ev_store, b"held capture")
    with db.unit_of_work() as uow:
        only = do_attach_file(uow, cast.resp, gone, att_store, name="log.txt", content=b"only here")
        shared = do_attach_file(uow, cast.resp, recent, att_store, name="a.txt", content=b"shared")
        do_attach_file(uow, cast.resp, gone, att_store, name="b.txt", content=b"shared")
        legal_hold.do_place_hold(uow, cast.boss, held, reason="regulator inquiry")
        uow.commit()
    sent = message(db, "gone", incident_id=gone)
    kept_message = message(db, "held", incident_id=held)
    end(db, gone, "closed", days_ago=100)
    end(db, held, "closed", days_ago=100)
    end(db, recent, "resolved", days_ago=10)
    before = {e.seq: e.hash for e in _stream(db, f"incident:{gone}")}

    dry = retain(db, tmp_path, dry_run=True, incidents=90)
    assert (dry.counts["incidents_removed"], dry.counts["incidents_held"]) == (1, 1)
    assert count(db, Incident) == 4

    report = retain(db, tmp_path, incidents=90)
    assert (report.counts["incidents_removed"], report.counts["incidents_held"]) == (1, 1)
    assert report.counts["incident_notifications"] == 1
    assert {*_ids(db)} == {held, recent, running}
    assert count(db, EvidenceItem, EvidenceItem.incident_id == gone) == 0
    assert count(db, OutboxMessage, OutboxMessage.id == sent) == 0
    assert count(db, OutboxMessage, OutboxMessage.id == kept_message) == 1
    assert evidence.storage_key is not None
    assert not ev_store.path_of(evidence.storage_key).exists()
    assert only.sha256 is not None
    assert not att_store.path_of(only.sha256).exists()
    assert shared.sha256 is not None
    assert att_store.path_of(shared.sha256).exists()
    assert count(db, Attachment, Attachment.incident_id == recent) == 1

    [seal] = _stream(db, f"incident:{gone}")
    last = max(before)
    assert (seal.type, seal.seq, seal.prev_hash) == (CHECKPOINT, last + 1, before[last])
    assert (seal.data["pruned_through_seq"], seal.data["pruned_events"]) == (last, len(before))
    [custody_seal] = _stream(db, f"evidence:{evidence.id}")
    assert custody_seal.type == CHECKPOINT
    assert report.counts["events_pruned"] == len(before) + custody_seal.data["pruned_events"]
    ran = events_of_type(db, "retention.ran")[-1]
    assert ran.data["counts"]["incidents_removed"] == 1
    with db.unit_of_work(readonly=True) as uow:
        run = uow.session.get_one(RetentionRun, report.run_id)
        assert (run.counts["incidents_removed"], run.complete) == (1, True)
    assert _verify_ok(db)
    assert retain(db, tmp_path, incidents=90).counts["incidents_removed"] == 0

    with db.unit_of_work() as uow:  # the hold released: the incident goes at the next pass
        legal_hold.do_release_hold(uow, cast.boss, held, reason="inquiry closed")
        uow.commit()
    assert retain(db, tmp_path, incidents=90).counts["incidents_removed"] == 1
    assert set(_ids(db)) == {recent, running}
    assert _verify_ok(db)


def _ids(db: Database) -> list[str]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Incident.id)))


def _pruned_incident(db: Database, tmp_path: Path) -> tuple[str, Event]:
    cast = build_cast(db)
    incident = declare(db, cast.ic)
    end(db, incident, "closed", days_ago=40)
    assert retain(db, tmp_path, incidents=30).counts["incidents_removed"] == 1
    [seal] = _stream(db, f"incident:{incident}")
    return incident, seal


def test_tampering_after_pruning_is_still_caught(db: Database, tmp_path: Path) -> None:
    incident, seal = _pruned_incident(db, tmp_path)
    assert _verify_ok(db)
    with db.unit_of_work() as uow:  # claim fewer events were pruned
        uow.session.execute(update(Event).where(Event.id == seal.id).values(
            data={**seal.data, "pruned_events": 1}))  # fmt: skip
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        found = verify_chains(uow).first_break
    assert found is not None
    assert found.stream == f"incident:{incident}"
    assert "altered" in found.reason


def test_a_removed_checkpoint_or_a_forged_start_is_caught(db: Database, tmp_path: Path) -> None:
    incident, seal = _pruned_incident(db, tmp_path)
    with db.unit_of_work() as uow:  # a stream starting at seq > 1 without a checkpoint
        uow.session.execute(update(Event).where(Event.id == seal.id).values(type="incident.noted"))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        broken = verify_chains(uow).first_break
    assert broken is not None
    assert "missing event" in broken.reason
    with db.unit_of_work() as uow:
        uow.session.execute(delete(Event).where(Event.id == seal.id))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        gone = verify_chains(uow).first_break
    assert gone is not None
    assert gone.stream == f"incident:{incident}"


def test_nothing_is_pruned_before_every_log_reader_has_read_it(
    db: Database, tmp_path: Path
) -> None:
    cast = build_cast(db)
    incident = declare(db, cast.ic)
    end(db, incident, "declined", days_ago=40)
    with db.unit_of_work() as uow:
        uow.session.add(AuditForwarder(name="siem", kind="webhook", url="https://siem.example",
                                       type_prefixes=[], position=0, forwarded=0, failures=0,
                                       enabled=True, created_at=uow.now, created_by="admin"))  # fmt: skip
        uow.commit()
    assert retain(db, tmp_path, incidents=30).counts["incidents_removed"] == 0
    assert _ids(db) == [incident]
    with db.unit_of_work() as uow:
        top = uow.session.scalar(select(func.max(Event.position)))
        uow.session.execute(update(AuditForwarder).values(position=top))
        uow.commit()
    assert retain(db, tmp_path, incidents=30).counts["incidents_removed"] == 1


def test_the_engine_works_in_batches_continues_and_then_waits_the_hour(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    cast = build_cast(db)
    for n in range(5):
        message(db, f"m{n}", days_ago=10)
    message(db, "queued", status="queued", days_ago=10)
    message(db, "fresh", days_ago=1)
    with db.unit_of_work() as uow:
        do_set_policy(uow, cast.admin, "notifications", PolicyIn(days=7))
        uow.commit()
    module = Retention(
        Settings(database_url="sqlite://", var_dir=tmp_path, secret_key="x"), batch=2
    )
    done = []
    for _ in range(4):
        with db.unit_of_work() as uow:
            done.append(module.run_due(uow, uow.now))
            uow.commit()
    assert done == [2, 2, 1, 0]  # continued at once while incomplete, then waits
    assert count(db, OutboxMessage) == 2  # the queued and the fresh one
    clock.advance(timedelta(minutes=59))
    with db.unit_of_work(readonly=True) as uow:
        assert not module.pending(uow, uow.now)
    clock.advance(timedelta(minutes=1))
    with db.unit_of_work(readonly=True) as uow:
        assert module.pending(uow, uow.now)
    with db.unit_of_work() as uow:
        do_set_policy(uow, cast.admin, "notifications", PolicyIn(days=0))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        assert not module.pending(uow, uow.now)  # every kind kept forever: off


def test_policies_default_to_the_setting_and_refuse_bad_input(db: Database) -> None:
    cast = build_cast(db)
    with db.unit_of_work(readonly=True) as uow:
        listed = {p.kind: p for p in list_policies(uow, evidence_default=30)}
    assert (listed["evidence"].days, listed["evidence"].source) == (30, "setting")
    assert (listed["incidents"].days, listed["incidents"].source) == (0, "default")
    with pytest.raises(InvalidInput) as negative:
        parse_input(PolicyIn, {"days": -1})
    assert [e.field for e in negative.value.errors] == ["days"]
    with pytest.raises(InvalidInput):
        parse_input(PolicyIn, {"days": 36_501})
    with db.unit_of_work() as uow:
        with pytest.raises(InvalidInput) as unknown:
            do_set_policy(uow, cast.admin, "everything", PolicyIn(days=1))
        assert [e.field for e in unknown.value.errors] == ["kind"]
        with pytest.raises(PermissionDenied):
            do_set_policy(uow, cast.boss, "alerts", PolicyIn(days=1))
        do_set_policy(uow, cast.admin, "evidence", PolicyIn(days=400))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        evidence = next(p for p in list_policies(uow, evidence_default=30) if p.kind == "evidence")
    assert (evidence.days, evidence.source, evidence.updated_by) == (
        400,
        "policy",
        cast.admin.label,
    )
    assert events_of_type(db, "retention.policy_set")[-1].data["changes"] == {"days": [None, 400]}
    with db.unit_of_work() as uow:
        assert do_reset_policy(uow, cast.admin, "evidence")
        assert not do_reset_policy(uow, cast.admin, "alerts")
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        assert list_policies(uow, evidence_default=30)[-1].days == 30


def test_the_setting_alone_keeps_the_old_evidence_behaviour(db: Database, tmp_path: Path) -> None:
    cast = build_cast(db)
    store, _ = stores(tmp_path)
    incident = declare(db, cast.ic)
    item = add_file(db, cast.resp, incident, store, b"capture")
    end(db, incident, "closed", days_ago=31)
    settings = Settings(database_url="sqlite://", var_dir=tmp_path, secret_key="x",
                        evidence=EvidenceSettings(retention_days=30))  # fmt: skip
    with db.unit_of_work() as uow:
        assert Retention(settings).run_due(uow, uow.now) == 1
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(EvidenceItem, item.id).status == "deleted"
        assert uow.session.get(Incident, incident) is not None  # incidents: kept forever
