"""Evidence and its chain of custody: files streamed in and hashed, custody events for
every access, transfer and verification, superseding instead of altering, admin-only
deletion leaving a tombstone, and bad input changing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from evidence_support import LIMIT, add_file, custody, item, pieces, sha
from incident_support import build_cast, declare, incident_events
from muster.db.uow import Database
from muster.domain.compliance.evidence import add_file_evidence, do_add_external
from muster.domain.compliance.evidence_access import (
    do_download,
    do_transfer,
    do_view,
    verify_incident_evidence,
)
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_removal import do_delete, do_dispose
from muster.domain.compliance.evidence_schemas import (
    DisposeIn,
    EvidenceMeta,
    ExternalIn,
    ReasonIn,
    TransferIn,
)
from muster.domain.compliance.evidence_store import FileEvidenceStore
from muster.domain.inputs import parse_input
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TooLarge

DATA = b"\x00pcap" + bytes(range(256)) * 400


@pytest.fixture
def store(tmp_path: Path) -> FileEvidenceStore:
    return FileEvidenceStore(tmp_path / "evidence")


def test_a_file_is_hashed_on_arrival_and_every_access_is_in_its_custody_log(
    db: Database, store: FileEvidenceStore
) -> None:
    cast = build_cast(db)
    incident = declare(db, cast.ic)
    ev = add_file(db, cast.resp, incident, store, DATA, description="edge router capture",
                  source="fw-1", title="Capture")  # fmt: skip
    assert (ev.label, ev.sha256, ev.size, ev.kind) == ("EV-1", sha(DATA), len(DATA), "file")
    assert (ev.collected_by, ev.custodian, ev.status) == ("resp@example.com",) * 2 + ("active",)
    assert ev.storage_key is not None
    assert store.path_of(ev.storage_key).read_bytes() == DATA

    with db.unit_of_work() as uow:
        do_view(uow, cast.viewer, ev.id)
        do_download(uow, cast.ic, ev.id)
        do_transfer(uow, cast.resp, ev.id, TransferIn(to="forensics lab", reason="imaging"))
        uow.commit()
    results = verify_incident_evidence(db, cast.resp, incident, store)
    assert [(r.label, r.ok) for r in results] == [("EV-1", True)]

    log = custody(db, ev.id)
    assert [e.type for e in log] == [
        "evidence.collected", "evidence.viewed", "evidence.downloaded",
        "evidence.transferred", "evidence.verified",
    ]  # fmt: skip
    assert [e.actor_label for e in log[1:3]] == ["viewer@example.com", "ic@example.com"]
    assert log[0].data["sha256"] == sha(DATA)
    assert log[0].data["incident_id"] == incident
    assert {e.subject_type for e in log} == {"evidence"}
    moved = log[3].data
    assert (moved["from"], moved["to"], moved["reason"]) == (
        "resp@example.com", "forensics lab", "imaging")  # fmt: skip
    assert log[4].data["ok"] is True
    assert log[4].data["sha256_found"] == log[4].data["sha256_expected"] == sha(DATA)
    assert item(db, ev.id).custodian == "forensics lab"
    added = [e for e in incident_events(db, incident) if e.type == "incident.evidence_added"]
    assert [(e.data["label"], e.data["sha256"]) for e in added] == [("EV-1", sha(DATA))]


def test_a_modified_file_fails_verification(db: Database, store: FileEvidenceStore) -> None:
    cast = build_cast(db)
    incident = declare(db, cast.ic)
    ev = add_file(db, cast.resp, incident, store, DATA)
    intact = add_file(db, cast.resp, incident, store, b"other file", name="notes.txt")
    assert ev.storage_key is not None
    path = store.path_of(ev.storage_key)
    path.write_bytes(DATA[:-1] + b"X")  # one byte changed, same size

    results = {r.label: r for r in verify_incident_evidence(db, cast.ic, incident, store)}
    assert results["EV-1"].ok is False
    assert results["EV-1"].sha256_found == sha(DATA[:-1] + b"X")
    assert results["EV-2"].ok is True
    verified = custody(db, ev.id)[-1]
    assert verified.type == "evidence.verified"
    assert (verified.data["ok"], verified.data["sha256_expected"]) == (False, sha(DATA))
    failed = [e for e in incident_events(db, incident)
              if e.type == "incident.evidence_verification_failed"]  # fmt: skip
    assert [e.data["evidence_id"] for e in failed] == [ev.id]
    assert (item(db, ev.id).last_verify_ok, item(db, intact.id).last_verify_ok) == (False, True)

    path.unlink()  # gone altogether
    again = verify_incident_evidence(db, cast.ic, incident, store, evidence_id=ev.id)
    assert [(r.ok, r.detail) for r in again] == [(False, "missing from store")]


def test_items_are_superseded_never_altered(db: Database, store: FileEvidenceStore) -> None:
    cast = build_cast(db)
    incident = declare(db, cast.ic)
    old = add_file(db, cast.resp, incident, store, DATA)
    new = add_file(db, cast.resp, incident, store, DATA + b"!", supersedes=old.id)
    assert new.label == "EV-2"
    assert new.supersedes_id == old.id
    was = item(db, old.id)
    assert (was.status, was.superseded_by_id, was.sha256) == ("superseded", new.id, sha(DATA))
    assert was.storage_key is not None
    assert store.path_of(was.storage_key).read_bytes() == DATA  # the old version stays
    assert custody(db, old.id)[-1].data["by"] == new.id
    with pytest.raises(Conflict, match="superseded"):
        add_file(db, cast.resp, incident, store, b"third", supersedes=old.id)
    assert len(list(store.root.iterdir())) == 2  # the refused third file was not kept


def test_deletion_needs_an_admin_and_a_reason_and_leaves_a_tombstone(
    db: Database, store: FileEvidenceStore
) -> None:
    cast = build_cast(db)
    incident = declare(db, cast.ic)
    ev = add_file(db, cast.resp, incident, store, DATA)
    assert ev.storage_key is not None
    path = store.path_of(ev.storage_key)
    for who in (cast.resp, cast.boss):
        with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
            do_delete(uow, who, ev.id, ReasonIn(reason="mistake"), store)
    with pytest.raises(InvalidInput) as bad:
        parse_input(ReasonIn, {"reason": "  "})
    assert [e.field for e in bad.value.errors] == ["reason"]
    assert path.exists()

    with db.unit_of_work() as uow:
        do_delete(uow, cast.admin, ev.id, ReasonIn(reason="uploaded to the wrong incident"), store)
        uow.commit()
    assert not path.exists()
    gone = item(db, ev.id)
    assert (gone.status, gone.storage_key, gone.sha256) == ("deleted", None, sha(DATA))
    assert (gone.deleted_by, gone.deleted_reason) == ("admin@example.com",
                                                       "uploaded to the wrong incident")  # fmt: skip
    assert custody(db, ev.id)[-1].type == "evidence.deleted"
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_download(uow, cast.resp, ev.id)


def test_disposal_needs_a_manager_a_reason_and_a_method(
    db: Database, store: FileEvidenceStore
) -> None:
    cast = build_cast(db)
    incident = declare(db, cast.ic)
    ev = add_file(db, cast.resp, incident, store, DATA)
    with pytest.raises(InvalidInput) as bad:
        parse_input(DisposeIn, {"reason": "case closed"})
    assert [e.field for e in bad.value.errors] == ["method"]
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_dispose(uow, cast.resp, ev.id, DisposeIn(reason="closed", method="wiped"), store)
    with db.unit_of_work() as uow:
        do_dispose(uow, cast.boss, ev.id, DisposeIn(reason="closed", method="wiped"), store)
        uow.commit()
    assert item(db, ev.id).status == "disposed"
    disposed = custody(db, ev.id)[-1]
    assert (disposed.type, disposed.data["reason"], disposed.data["method"]) == (
        "evidence.disposed", "closed", "wiped")  # fmt: skip
    assert list(store.root.iterdir()) == []


def test_external_references_and_bad_input(db: Database, store: FileEvidenceStore) -> None:
    cast = build_cast(db)
    incident = declare(db, cast.ic)
    digest = sha(b"disk image")
    with db.unit_of_work() as uow:
        ref = do_add_external(uow, cast.resp, incident, ExternalIn(
            uri="s3://forensics/img/host42.e01", sha256=digest.upper(), size=10,
            description="disk image of host42"))  # fmt: skip
        uow.commit()
    assert (ref.kind, ref.sha256, ref.label, ref.has_bytes) == ("external", digest, "EV-1", False)
    assert verify_incident_evidence(db, cast.resp, incident, store)[0].ok is None

    for data, field in (
        ({"uri": "s3://x/y", "sha256": "abc"}, "sha256"),
        ({"uri": "not a location"}, "uri"),
        ({"uri": ""}, "uri"),
        ({"uri": "/images/a.e01", "size": -1}, "size"),
    ):
        with pytest.raises(InvalidInput) as bad:
            parse_input(ExternalIn, data)
        assert field in [e.field for e in bad.value.errors], data
    with pytest.raises(InvalidInput) as bad:
        parse_input(TransferIn, {"to": "lab", "reason": ""})
    assert [e.field for e in bad.value.errors] == ["reason"]

    meta = EvidenceMeta()
    with pytest.raises(TooLarge):
        add_file_evidence(db, cast.resp, incident, store, pieces(DATA), filename="big.bin",
                          media_type=None, meta=meta, limit=len(DATA) - 1)  # fmt: skip
    with pytest.raises(InvalidInput) as bad:
        add_file_evidence(db, cast.resp, incident, store, pieces(DATA), filename=" ",
                          media_type=None, meta=meta, limit=LIMIT)  # fmt: skip
    assert [e.field for e in bad.value.errors] == ["filename"]
    with pytest.raises(InvalidInput) as bad:
        add_file_evidence(db, cast.resp, incident, store, iter([]), filename="empty.bin",
                          media_type=None, meta=meta, limit=LIMIT)  # fmt: skip
    assert [e.field for e in bad.value.errors] == ["file"]
    with pytest.raises(PermissionDenied):
        add_file(db, cast.viewer, incident, store, DATA)
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(EvidenceItem)) == 1
    assert not store.root.exists() or list(store.root.iterdir()) == []


def test_restricted_incident_evidence_is_invisible_to_outsiders(
    db: Database, store: FileEvidenceStore
) -> None:
    cast = build_cast(db)
    secret = declare(db, cast.sec, type="physical_security", restricted=True)
    ev = add_file(db, cast.sec, secret, store, DATA)
    assert custody(db, ev.id)[0].data["restricted"] is True
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        do_view(uow, cast.outsider, ev.id)
    with pytest.raises(NotFound):
        add_file(db, cast.outsider, secret, store, DATA)
    with pytest.raises(NotFound):
        verify_incident_evidence(db, cast.outsider, secret, store)
    assert [e.type for e in custody(db, ev.id)] == ["evidence.collected"]
