"""Legal hold and retention: while an incident is on hold, retention keeps its evidence,
attachments and messages and deleting its evidence is refused (409 naming the hold);
once released, retention removes the bytes and bodies, keeps tombstones and never
touches the event log. Editing a custody event row is caught by the chain check."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from evidence_support import add_file, custody, item
from incident_support import build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.config import EvidenceSettings, Settings
from muster.db.uow import Database
from muster.domain.compliance import legal_hold
from muster.domain.compliance.evidence_access import do_transfer
from muster.domain.compliance.evidence_models import RetentionRun
from muster.domain.compliance.evidence_removal import do_delete, do_dispose
from muster.domain.compliance.evidence_schemas import DisposeIn, ReasonIn, TransferIn
from muster.domain.compliance.evidence_store import FileEvidenceStore
from muster.domain.compliance.retention import REMOVED, run_retention
from muster.domain.events.models import Event
from muster.domain.events.verify import verify_chains
from muster.domain.incidents.attachments import FileBlobStore, do_attach_file
from muster.domain.incidents.models import Attachment, Incident
from muster.domain.notify.models import OutboxMessage
from muster.engine.modules.retention import Retention
from muster.errors import Conflict, InvalidInput, PermissionDenied


def _message(db: Database, incident_id: str, status: str = "sent") -> str:
    with db.unit_of_work() as uow:
        row = OutboxMessage(
            idempotency_key=f"test:{incident_id}:{status}", purpose="announce", status=status,
            method_type="email", address="cto@example.com", step="notice", max_attempts=3,
            payload={"subject": "INC-1 resolved", "text": "root cause: expired cert",
                     "incident_id": incident_id, "kind": "resolved"},
            next_attempt_at=uow.now, created_at=uow.now, updated_at=uow.now,
        )  # fmt: skip
        uow.session.add(row)
        uow.flush()
        uow.commit()
        return row.id


def _close(db: Database, incident_id: str, days_ago: int) -> None:
    with db.unit_of_work() as uow:
        uow.session.execute(
            update(Incident)
            .where(Incident.id == incident_id)
            .values(status="closed", closed_at=uow.now - timedelta(days=days_ago))
        )
        uow.commit()


def _retention(db: Database, ev: FileEvidenceStore, att: FileBlobStore, dry: bool = False):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as uow:
        report = run_retention(uow, retention_days=30, evidence_store=ev,
                               attachment_store=att, dry_run=dry)  # fmt: skip
        uow.commit()
    return report


def test_legal_hold_blocks_deletion_and_retention_until_released(
    db: Database, tmp_path: Path
) -> None:
    cast = build_cast(db)
    ev_store = FileEvidenceStore(tmp_path / "evidence")
    att_store = FileBlobStore.in_var_dir(tmp_path)
    incident = declare(db, cast.ic)
    recent = declare(db, cast.ic, title="Recent")
    ev = add_file(db, cast.resp, incident, ev_store, b"memory dump")
    kept = add_file(db, cast.resp, recent, ev_store, b"recent capture")
    with db.unit_of_work() as uow:
        attached = do_attach_file(uow, cast.resp, incident, att_store, name="log.txt",
                                  content=b"the log")  # fmt: skip
        shared = do_attach_file(uow, cast.resp, recent, att_store, name="same.txt",
                                content=b"shared bytes")  # fmt: skip
        do_attach_file(uow, cast.resp, incident, att_store, name="same.txt",
                       content=b"shared bytes")  # fmt: skip
        uow.commit()
    sent, queued = _message(db, incident), _message(db, incident, "queued")
    _close(db, incident, days_ago=40)
    _close(db, recent, days_ago=5)

    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        legal_hold.do_place_hold(uow, cast.resp, incident, reason="litigation")
    with db.unit_of_work() as uow, pytest.raises(InvalidInput):
        legal_hold.do_place_hold(uow, cast.boss, incident, reason=" ")
    with db.unit_of_work() as uow:
        legal_hold.do_place_hold(uow, cast.boss, incident, reason="litigation hold #7")
        uow.commit()
    with db.unit_of_work() as uow, pytest.raises(Conflict, match="already"):
        legal_hold.do_place_hold(uow, cast.boss, incident, reason="again")

    with db.unit_of_work() as uow, pytest.raises(Conflict, match="legal hold") as refused:
        do_delete(uow, cast.admin, ev.id, ReasonIn(reason="cleanup"), ev_store)
    assert "litigation hold #7" in refused.value.detail
    with db.unit_of_work() as uow, pytest.raises(Conflict, match="legal hold"):
        do_dispose(uow, cast.boss, ev.id, DisposeIn(reason="done", method="wiped"), ev_store)

    report = _retention(db, ev_store, att_store)
    assert (report.held, report.incidents) == ([incident], [])
    assert item(db, ev.id).status == "active"
    assert ev.storage_key is not None
    assert ev_store.path_of(ev.storage_key).exists()
    assert attached.sha256 is not None
    assert att_store.path_of(attached.sha256).exists()
    with db.unit_of_work(readonly=True) as uow:
        assert (
            uow.session.get_one(OutboxMessage, sent).payload["text"] == "root cause: expired cert"
        )

    with db.unit_of_work() as uow:
        legal_hold.do_release_hold(uow, cast.boss, incident, reason="case settled")
        uow.commit()
    events_before = _count_events(db)
    dry = _retention(db, ev_store, att_store, dry=True)
    assert (dry.evidence, dry.attachments, dry.messages) == (1, 2, 1)
    assert ev_store.path_of(ev.storage_key).exists()

    report = _retention(db, ev_store, att_store)
    assert (report.incidents, report.evidence, report.attachments, report.messages) == (
        [incident], 1, 2, 1)  # fmt: skip
    gone = item(db, ev.id)
    assert (gone.status, gone.storage_key, gone.sha256) == ("deleted", None, ev.sha256)
    assert gone.deleted_reason is not None
    assert gone.deleted_reason.startswith("retention")
    assert not ev_store.path_of(ev.storage_key).exists()
    assert not att_store.path_of(attached.sha256).exists()
    assert shared.sha256 is not None
    assert att_store.path_of(shared.sha256).exists()  # still used by the recent incident
    assert kept.storage_key is not None
    assert ev_store.path_of(kept.storage_key).exists()
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(OutboxMessage, sent).payload["text"] == REMOVED
        assert uow.session.get_one(OutboxMessage, queued).payload["text"] != REMOVED
        assert uow.session.scalar(select(func.count()).select_from(Attachment)) == 3
    assert custody(db, ev.id)[-1].type == "evidence.deleted"
    assert [e.type for e in incident_events(db, incident)][-1] == "incident.retention_applied"
    assert _count_events(db) > events_before  # the log only grows
    with db.unit_of_work(readonly=True) as uow:
        assert verify_chains(uow).ok

    again = _retention(db, ev_store, att_store)
    assert again.incidents == []  # nothing left to remove


def _count_events(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Event)) or 0)


def test_the_engine_runs_retention_at_most_hourly(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    cast = build_cast(db)
    settings = Settings(database_url="sqlite://", var_dir=tmp_path, secret_key="x",
                        evidence=EvidenceSettings(retention_days=30))  # fmt: skip
    module = Retention(settings)
    store = FileEvidenceStore(tmp_path / "evidence")
    incident = declare(db, cast.ic)
    ev = add_file(db, cast.resp, incident, store, b"capture")
    _close(db, incident, days_ago=31)
    with db.unit_of_work() as uow:
        assert module.pending(uow, uow.now)
        assert module.run_due(uow, uow.now) == 1
        uow.commit()
    assert item(db, ev.id).status == "deleted"
    later = declare(db, cast.ic, title="Later")
    add_file(db, cast.resp, later, store, b"more")
    _close(db, later, days_ago=31)
    with db.unit_of_work() as uow:
        assert not module.pending(uow, uow.now)
        assert module.run_due(uow, uow.now) == 0
    clock.advance(timedelta(hours=1))
    with db.unit_of_work() as uow:
        assert module.run_due(uow, uow.now) == 1
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(RetentionRun)) == 2
    off = Retention(Settings(database_url="sqlite://", var_dir=tmp_path, secret_key="x"))
    with db.unit_of_work(readonly=True) as uow:
        assert not off.pending(uow, uow.now + timedelta(days=9))


def test_an_edited_custody_event_breaks_the_chain(db: Database, tmp_path: Path) -> None:
    cast = build_cast(db)
    store = FileEvidenceStore(tmp_path / "evidence")
    incident = declare(db, cast.ic)
    ev = add_file(db, cast.resp, incident, store, b"capture")
    with db.unit_of_work() as uow:
        do_transfer(uow, cast.resp, ev.id, TransferIn(to="lab", reason="analysis"))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        assert verify_chains(uow).ok
    transferred = custody(db, ev.id)[-1]
    forged = {**transferred.data, "to": "someone else"}
    with db.unit_of_work() as uow:
        uow.session.execute(update(Event).where(Event.id == transferred.id).values(data=forged))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        report = verify_chains(uow)
    assert report.first_break is not None
    assert (report.first_break.stream, report.first_break.event_id) == (
        f"evidence:{ev.id}", transferred.id)  # fmt: skip
