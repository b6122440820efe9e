"""An incident's one timeline: its own events, its alerts and their pages, notes and their
corrections, key events, attachments (stored by SHA-256), pages of it, and who may read it."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from incident_alerts_support import make_integration, send_alert
from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.lifecycle import do_acknowledge
from muster.domain.alerts.models import Alert
from muster.domain.events.actor import Actor, Via
from muster.domain.events.models import Event
from muster.domain.events.service import append_event
from muster.domain.incidents.attachments import (
    MAX_FILE_BYTES,
    BlobDamaged,
    FileBlobStore,
    do_attach_file,
    do_attach_link,
    list_attachments,
    read_attachment,
)
from muster.domain.incidents.models import Attachment
from muster.domain.incidents.notes import (
    do_add_note,
    do_correct_note,
    do_mark_key_event,
    do_unmark_key_event,
    key_events,
    note_history,
)
from muster.domain.incidents.participants import do_add_participant
from muster.domain.incidents.timeline import TimelineEntry, timeline, timeline_page
from muster.domain.notify.models import OutboxMessage
from muster.domain.notify.outbox import row_values
from muster.domain.notify.outbox import timeline as notification_event
from muster.errors import InvalidInput, NotFound, PermissionDenied, TooLarge

ENGINE = Actor.system(Via.ENGINE, label="engine")


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def read(db: Database, actor: Actor, incident_id: str, **kw: int) -> list[TimelineEntry]:
    with db.unit_of_work(readonly=True) as uow:
        return timeline(uow, actor, incident_id, **kw)


def add_note(db: Database, actor: Actor, incident_id: str, body: str) -> str:
    with db.unit_of_work() as uow:
        note = do_add_note(uow, actor, incident_id, body)
        uow.commit()
        return note.id


def test_a_note_shows_in_one_line_with_safe_html(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic)
    clock.advance(timedelta(minutes=3))
    add_note(db, cast.ic, incident_id, "Rolled back **v42** <script>alert(1)</script>\nsecond line")
    entries = read(db, cast.viewer, incident_id)
    assert [e.type for e in entries] == [
        "incident.declared", "incident.participant_joined", "incident.note_added",
    ]  # fmt: skip
    note = entries[-1]
    assert note.at == clock.now()
    assert note.actor == "Ic"  # the person's name, not their e-mail address
    assert note.actor_id == cast.ic.id
    assert note.origin == "incident"
    assert note.incident_id == incident_id
    assert note.text == "Rolled back **v42** <script>alert(1)</script>"  # first line, plain
    assert note.body is not None
    assert note.body.endswith("second line")
    assert note.body_html is not None
    assert "<strong>v42</strong>" in note.body_html
    assert "<script>" not in note.body_html
    assert "&lt;script&gt;" in note.body_html
    assert not note.corrected
    assert not note.key
    assert entries[0].text.startswith("declared: Checkout is down")


def test_notes_must_have_text_and_the_incident_must_be_visible(db: Database, cast: Cast) -> None:
    open_id = declare(db, cast.ic)
    hidden = declare(db, cast.ic, restricted=True)
    with db.unit_of_work() as uow:
        with pytest.raises(InvalidInput) as empty:
            do_add_note(uow, cast.ic, open_id, "   ")
        assert empty.value.errors[0].field == "body"
        with pytest.raises(NotFound):
            do_add_note(uow, cast.outsider, hidden, "I should not be able to write here")
        with pytest.raises(PermissionDenied):
            do_add_note(uow, cast.viewer, open_id, "viewers read only")


def test_only_the_author_corrects_a_note_and_the_history_is_kept(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        do_add_participant(uow, cast.ic, incident_id, cast.resp.id or "", page=False)
        uow.commit()
    note_id = add_note(db, cast.resp, incident_id, "DB failover at 10:02")
    for someone_else in (cast.ic, cast.admin, cast.sec):
        with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
            do_correct_note(uow, someone_else, note_id, "DB failover at 10:20")
    clock.advance(timedelta(minutes=5))
    with db.unit_of_work() as uow:
        do_correct_note(uow, cast.resp, note_id, "DB failover at 10:20")
        uow.commit()
    with db.unit_of_work() as uow, pytest.raises(InvalidInput):
        do_correct_note(uow, cast.resp, note_id, "DB failover at 10:20")  # unchanged
    entries = read(db, cast.ic, incident_id)
    added = next(e for e in entries if e.type == "incident.note_added")
    assert added.body == "DB failover at 10:20"
    assert added.text == "DB failover at 10:20"
    assert added.corrected
    assert added.corrected_at == clock.now()
    corrected = entries[-1]
    assert corrected.type == "incident.note_corrected"
    assert corrected.actor_id == cast.resp.id
    assert corrected.data["previous"] == "DB failover at 10:02"
    assert corrected.note_id is None  # the note's own entry carries it
    assert corrected.link == f"/incidents/{incident_id}#ev-{added.event_id}"
    with db.unit_of_work(readonly=True) as uow:
        history = note_history(uow, cast.ic, note_id)
    assert [v.body for v in history] == ["DB failover at 10:02", "DB failover at 10:20"]
    assert history[1].at - history[0].at == timedelta(minutes=5)


def test_alerts_escalation_and_pages_of_its_groups_are_on_the_timeline(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    integration = make_integration(db, cast.service)
    group = send_alert(db, integration, "disk-1", "Disk full on db-1")
    other = send_alert(db, integration, "cpu-9", "CPU high elsewhere")
    clock.advance(timedelta(minutes=1))
    incident_id = declare(db, cast.ic, group_ids=[group])
    clock.advance(timedelta(minutes=1))
    with db.unit_of_work() as uow:  # a page as escalation asks for one, then the ack
        append_event(uow, ENGINE, "notification.requested", subject_type="alert_group",
                     subject_id=group, data={"user_id": cast.resp.id, "group_id": group,
                                             "level": 1}, stream="escalations:x")  # fmt: skip
        alert = uow.session.scalars(select(Alert).where(Alert.group_id == group)).one()
        do_acknowledge(uow, cast.resp, alert)
        other_alert = uow.session.scalars(select(Alert).where(Alert.group_id == other)).one()
        do_acknowledge(uow, cast.resp, other_alert)  # not linked: not on this timeline
        uow.commit()
    entries = read(db, cast.ic, incident_id)
    kinds = [(e.type, e.origin) for e in entries]
    assert kinds[0] == ("alert_group.opened", "alert")  # before the declaration: in order
    assert ("incident.alert_group_linked", "incident") in kinds
    assert kinds[-3:] == [
        ("notification.requested", "notification"),
        ("alert.acknowledged", "alert"),
        ("alert_group.acknowledged", "alert"),
    ]
    assert [e.position for e in entries] == sorted(e.position for e in entries)
    opened, paged, acked = entries[0], entries[-3], entries[-2]
    assert opened.text == "alerts opened: Disk full on db-1 (critical)"
    assert opened.link == f"/alert-groups/{group}"
    assert paged.text.startswith("paging ")
    assert "(level 1)" in paged.text
    assert acked.link == f"/alerts/{alert.id}"
    assert acked.actor_id == cast.resp.id
    assert all("elsewhere" not in e.text for e in entries)
    assert len([e for e in entries if e.type == "alert.acknowledged"]) == 1


def test_notifications_of_participants_pages_for_the_incident_are_on_it(
    db: Database, cast: Cast
) -> None:
    incident_id = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        do_add_participant(uow, cast.ic, incident_id, cast.resp.id or "", page=True)
        uow.commit()
    added = next(
        e for e in incident_events(db, incident_id) if e.type == "incident.participant_added"
    )
    with db.unit_of_work() as uow:
        page = row_values(uow, purpose="page", key="incident-page", method_type="email",
                          address="resp@example.com", due=uow.now, step="incident",
                          user_id=cast.resp.id, request_event_id=added.id)  # fmt: skip
        code = row_values(uow, purpose="verify", key="code", method_type="email",
                          address="resp@example.com", due=uow.now, step="verify",
                          user_id=cast.resp.id)  # fmt: skip
        uow.session.add_all([OutboxMessage(**page), OutboxMessage(**code)])
        uow.flush()
        for values in (page, code):
            row = uow.session.get_one(OutboxMessage, values["id"])
            notification_event(uow, "notification.sent", row)
        uow.commit()
    entries = read(db, cast.ic, incident_id)
    sent = [e for e in entries if e.type == "notification.sent"]
    assert len(sent) == 1
    assert sent[0].data["outbox_id"] == page["id"]
    assert sent[0].origin == "notification"
    assert sent[0].text.startswith("sent by email to ")
    with db.unit_of_work(readonly=True) as uow:  # the verification code is the person's own
        assert uow.session.scalar(
            select(Event.id).where(Event.data["outbox_id"].as_string() == code["id"])
        )


def test_key_events_are_marked_listed_and_unmarked(db: Database, cast: Cast) -> None:
    integration = make_integration(db, cast.service)
    group = send_alert(db, integration, "k1", "Latency high")
    stranger = send_alert(db, integration, "k2", "Not ours")
    incident_id = declare(db, cast.ic, group_ids=[group])
    note_id = add_note(db, cast.ic, incident_id, "Found the bad deploy")
    with db.unit_of_work(readonly=True) as uow:
        opened = uow.session.scalars(
            select(Event.id).where(Event.subject_id == group, Event.type == "alert_group.opened")
        ).one()
        foreign = uow.session.scalars(select(Event.id).where(Event.subject_id == stranger)).first()
    note_event = next(e for e in read(db, cast.ic, incident_id) if e.note_id == note_id).event_id
    with db.unit_of_work() as uow:
        assert do_mark_key_event(uow, cast.ic, incident_id, note_event)
        assert do_mark_key_event(uow, cast.resp, incident_id, opened)
        assert not do_mark_key_event(uow, cast.resp, incident_id, opened)  # already
        with pytest.raises(InvalidInput) as refused:
            do_mark_key_event(uow, cast.ic, incident_id, foreign or "")
        assert refused.value.errors[0].field == "event_id"
        uow.commit()
    entries = read(db, cast.ic, incident_id)
    assert {e.event_id for e in entries if e.key} == {note_event, opened}
    with db.unit_of_work(readonly=True) as uow:
        assert [e.event_id for e in key_events(uow, cast.viewer, incident_id)] == [
            opened,
            note_event,
        ]
    with db.unit_of_work() as uow:
        assert do_unmark_key_event(uow, cast.ic, incident_id, opened)
        assert not do_unmark_key_event(uow, cast.ic, incident_id, opened)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        assert [e.event_id for e in key_events(uow, cast.ic, incident_id)] == [note_event]
    types = [e.type for e in incident_events(db, incident_id)]
    assert types.count("incident.key_event_marked") == 2
    assert types.count("incident.key_event_unmarked") == 1


def test_a_file_is_stored_by_its_sha256_and_checked_when_read(
    db: Database, cast: Cast, tmp_path: Path
) -> None:
    store = FileBlobStore.in_var_dir(tmp_path / "var")
    incident_id = declare(db, cast.ic)
    content = b"2024-05-01T10:02:11Z ERROR pool exhausted\n" * 1000
    with db.unit_of_work() as uow:
        row = do_attach_file(uow, cast.ic, incident_id, store, name="../../etc/app.log",
                             content=io.BytesIO(content), content_type="text/plain")  # fmt: skip
        uow.commit()
        attachment_id = row.id
    digest = hashlib.sha256(content).hexdigest()
    blob = tmp_path / "var" / "attachments" / digest[:2] / digest
    assert blob.read_bytes() == content
    with db.unit_of_work(readonly=True) as uow:
        (listed,) = list_attachments(uow, cast.ic, incident_id)
        assert (listed.sha256, listed.size, listed.name, listed.kind) == (
            digest, len(content), "app.log", "file",
        )  # fmt: skip
        got, data = read_attachment(uow, cast.viewer, attachment_id, store)
        assert data == content
        assert got.content_type == "text/plain"
    entry = read(db, cast.ic, incident_id)[-1]
    assert entry.type == "incident.attachment_added"
    assert entry.data["sha256"] == digest
    assert entry.text == "attached app.log"
    assert entry.link == f"/incidents/{incident_id}/attachments/{attachment_id}"
    blob.write_bytes(content[:-1] + b"!")  # damaged on disk
    with db.unit_of_work(readonly=True) as uow, pytest.raises(BlobDamaged):
        read_attachment(uow, cast.ic, attachment_id, store)


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(
    db: Database, cast: Cast, tmp_path: Path
) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    incident_id = declare(db, cast.ic)
    before = len(incident_events(db, incident_id))
    with db.unit_of_work() as uow, pytest.raises(TooLarge):
        do_attach_file(uow, cast.ic, incident_id, store, name="huge.bin",
                       content=b"x" * (MAX_FILE_BYTES + 1))  # fmt: skip
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalars(select(Attachment)).all() == []
    assert len(incident_events(db, incident_id)) == before
    with db.unit_of_work() as uow:  # exactly at the limit is fine
        row = do_attach_file(uow, cast.ic, incident_id, store, name="max.bin",
                             content=b"y" * MAX_FILE_BYTES)  # fmt: skip
        assert row.size == MAX_FILE_BYTES


def test_links_must_be_http_and_hidden_incidents_keep_their_files(
    db: Database, cast: Cast, tmp_path: Path
) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    incident_id = declare(db, cast.ic, restricted=True)
    with db.unit_of_work() as uow:
        for bad in ("javascript:alert(1)", "data:text/html,<script>", "ftp://x/y", "/relative"):
            with pytest.raises(InvalidInput) as refused:
                do_attach_link(uow, cast.ic, incident_id, url=bad)
            assert refused.value.errors[0].field == "url"
        link = do_attach_link(uow, cast.ic, incident_id, url="https://grafana.example/d/1",
                              name="Dashboard")  # fmt: skip
        secret = do_attach_file(uow, cast.ic, incident_id, store, name="s.txt", content=b"secret")
        uow.commit()
        secret_id = secret.id
    assert read(db, cast.ic, incident_id)[-2].link == "https://grafana.example/d/1"
    assert link.kind == "link"
    with db.unit_of_work(readonly=True) as uow:
        with pytest.raises(NotFound):
            read_attachment(uow, cast.outsider, secret_id, store)
        assert read_attachment(uow, cast.sec, secret_id, store)[1] == b"secret"


def test_pages_run_newest_last_with_a_before_cursor(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic)
    for i in range(11):
        clock.advance(timedelta(seconds=30))
        add_note(db, cast.ic, incident_id, f"step {i}")
    everything = read(db, cast.ic, incident_id, limit=500)
    assert len(everything) == 13
    pages: list[list[TimelineEntry]] = []
    before = None
    with db.unit_of_work(readonly=True) as uow:
        while True:
            page = timeline_page(uow, cast.ic, incident_id, limit=5, before=before)
            pages.insert(0, page.entries)
            if page.older is None:
                break
            before = page.older
    assert [len(p) for p in pages] == [3, 5, 5]
    assert [e.event_id for p in pages for e in p] == [e.event_id for e in everything]
    assert pages[-1][-1].text == "step 10"  # the first page holds the newest, last
    with db.unit_of_work(readonly=True) as uow:
        for bad in ({"limit": 0}, {"limit": 501}, {"before": 0}):
            with pytest.raises(InvalidInput):
                timeline(uow, cast.ic, incident_id, **bad)


def test_a_restricted_incident_has_no_timeline_for_outsiders(db: Database, cast: Cast) -> None:
    incident_id = declare(db, cast.ic, restricted=True)
    add_note(db, cast.ic, incident_id, "suspected credential leak")
    for outsider in (cast.outsider, cast.viewer, cast.boss):
        with db.unit_of_work(readonly=True) as uow:
            with pytest.raises(NotFound):
                timeline(uow, outsider, incident_id)
            with pytest.raises(NotFound):
                key_events(uow, outsider, incident_id)
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        do_mark_key_event(uow, cast.outsider, incident_id, "x")
    for insider in (cast.ic, cast.sec, cast.admin):
        assert read(db, insider, incident_id)[-1].text == "suspected credential leak"
    with db.unit_of_work() as uow:
        do_add_participant(uow, cast.ic, incident_id, cast.outsider.id or "", page=False)
        uow.commit()
    assert read(db, cast.outsider, incident_id)[-1].type == "incident.participant_added"
