"""Playbook definitions: apply (create, new versions, unchanged), enable/disable,
archive, managers only; the shipped playbooks install once and dry-run cleanly; a dry-run
writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpers import SYSTEM
from incident_support import build_cast, declare
from muster.db.uow import Database
from muster.domain.events.models import Event
from muster.domain.playbooks import service
from muster.domain.playbooks.defaults import do_install_defaults, do_install_defaults_once
from muster.domain.playbooks.dry_run import attach_preview, dry_run
from muster.domain.playbooks.models import (
    Playbook,
    PlaybookRun,
    PlaybookVersion,
    RunStep,
    Secret,
)
from muster.domain.playbooks.runs import do_run_manually
from muster.errors import Conflict, InvalidInput, PermissionDenied

SOURCE = """\
key: checkout-down
name: Checkout down
triggers: [{event: manual}]
steps:
  - name: tasks
    kind: tasks
    tasks: [{title: "Check {{ incident.services | join(', ') }}", owner_role: technical}]
"""


def events_of(db: Database, type_: str) -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Event).where(Event.type == type_)))


def test_apply_versions_and_switches(db: Database) -> None:
    cast = build_cast(db)
    with db.unit_of_work() as uow:
        with pytest.raises(PermissionDenied):
            service.do_apply_playbook(uow, cast.ic, SOURCE)
        created = service.do_apply_playbook(uow, cast.boss, SOURCE)
        same = service.do_apply_playbook(uow, cast.boss, SOURCE)
        assert same.id == created.id
        assert same.current_version == 1
        uow.commit()
        playbook_id = created.id
    edited = SOURCE.replace("name: Checkout down", "name: Checkout is down\nrepeatable: true")
    with db.unit_of_work() as uow:
        again = service.do_apply_playbook(uow, cast.boss, edited)
        uow.commit()
        assert (again.id, again.current_version, again.name, again.repeatable) == (
            playbook_id, 2, "Checkout is down", True,
        )  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        found = service.versions(uow, playbook_id)
        assert [(v.version, v.source) for v in found] == [(2, edited), (1, SOURCE)]
        assert service.get_playbook(uow, "checkout-down").id == playbook_id
        assert service.definition_of(found[1]).name == "Checkout down"
    assert [e.data["version"] for e in events_of(db, "playbook.created")] == [1]
    assert [e.data["version"] for e in events_of(db, "playbook.version_saved")] == [2]

    with db.unit_of_work() as uow:
        service.do_set_enabled(uow, cast.boss, playbook_id, False)
        service.do_set_enabled(uow, cast.boss, playbook_id, False)  # no second event
        uow.commit()
    assert len(events_of(db, "playbook.disabled")) == 1
    # A new version keeps the switch unless the document says `enabled:`.
    with db.unit_of_work() as uow:
        kept = service.do_apply_playbook(uow, cast.boss, edited + "# v3\n")
        assert kept.enabled is False
        said = service.do_apply_playbook(uow, cast.boss, edited + "enabled: true\n")
        assert said.enabled is True
        uow.commit()
    with db.unit_of_work() as uow:
        archived = service.do_archive(uow, cast.boss, playbook_id)
        assert (archived.enabled, archived.archived_at is not None) == (False, True)
        with pytest.raises(InvalidInput):
            service.do_set_enabled(uow, cast.boss, playbook_id, True)
        assert service.list_playbooks(uow).items == []
        assert [p.id for p in service.list_playbooks(uow, archived=True).items] == [playbook_id]
        uow.commit()


def test_bad_source_changes_nothing(db: Database) -> None:
    cast = build_cast(db)
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as caught:
        service.do_apply_playbook(uow, cast.boss, SOURCE.replace("kind: tasks", "kind: nope"))
    assert caught.value.errors
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Playbook)) == 0


def count_rows(db: Database) -> tuple[int, ...]:
    with db.unit_of_work(readonly=True) as uow:
        return tuple(
            int(uow.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Event, Playbook, PlaybookVersion, PlaybookRun, RunStep)
        )


def test_shipped_playbooks_install_once_and_dry_run_cleanly(db: Database) -> None:
    cast = build_cast(db)
    with db.unit_of_work() as uow:
        installed = do_install_defaults_once(uow)
        assert len(installed) == 8
        assert all(p.builtin for p in installed)
        assert do_install_defaults_once(uow) == []
        assert do_install_defaults(uow, cast.boss) == []
        uow.commit()
    outage = declare(db, cast.ic, severity=1, service_ids=[cast.service], customer_facing=True)
    breach = declare(db, cast.sec, type="security", severity=2, tags=["personal-data"],
                     title="Customer export leaked")  # fmt: skip
    before = count_rows(db)
    with db.unit_of_work(readonly=True) as uow:
        keys = [p.key for p in service.list_playbooks(uow).items]
        for key in keys:
            for incident_id in (outage, breach):
                previews = dry_run(uow, cast.admin, key, incident_id)
                assert previews, key
                failed = [(p.name, p.why) for p in previews if p.would == "fail"]
                assert failed == [], (key, failed)
        major = dry_run(uow, cast.admin, "major-outage", outage)
        tasks = next(p for p in major if p.name == "triage")
        assert "Confirm the customer impact of INC-1" in tasks.rendered["tasks"][1]["title"]
        notice = next(p for p in major if p.name == "public_notice")
        assert (notice.would, notice.why) == ("run", "customer_facing eq True holds")
        assert attach_preview(uow, cast.admin, "major-outage", outage).holds is True
        assert attach_preview(uow, cast.admin, "major-outage", breach).holds is False
        assert attach_preview(uow, cast.sec, "personal-data-breach", breach).holds is True
    assert count_rows(db) == before


def test_dry_run_shows_skips_placeholders_and_secrets(db: Database) -> None:
    cast = build_cast(db)
    source = """\
key: isolate
name: Isolate
triggers: [{event: manual}]
steps:
  - name: call
    kind: action
    url: "https://edr.example/hosts/{{ incident.reference }}"
    headers: {Authorization: "Bearer {{ secrets.EDR_TOKEN }}"}
    capture: {ticket: body.id}
  - name: note
    kind: post_update
    update: internal
    conditions: "Ticket {{ steps.call.ticket }}"
  - name: big_only
    kind: notify
    when: {field: severity, op: eq, value: 1}
    stakeholders: true
    subject: s
    text: t
"""
    with db.unit_of_work() as uow:
        service.do_apply_playbook(uow, cast.boss, source)
        uow.commit()
    incident = declare(db, cast.ic, severity=3)
    with db.unit_of_work(readonly=True) as uow:
        call, note, big = dry_run(uow, cast.ic, "isolate", incident)
    # No secret EDR_TOKEN is stored: the run would fail on it, and the dry-run says so.
    assert call.would == "fail"
    assert "EDR_TOKEN" in call.why
    assert note.rendered["conditions"] == "Ticket <call.ticket>"
    assert (big.would, big.why) == ("skip", "skipped: severity eq 1 does not hold")
    with db.unit_of_work() as uow:
        uow.session.add(Secret(name="EDR_TOKEN", ciphertext="x", description="",
                               created_at=uow.now, updated_at=uow.now, created_by="t"))  # fmt: skip
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        call = dry_run(uow, cast.ic, "isolate", incident)[0]
    assert call.would == "run"
    assert call.rendered["headers"] == {"Authorization": "Bearer [secret]"}
    assert call.rendered["url"] == "https://edr.example/hosts/INC-1"


def test_manual_runs_once_unless_repeatable(db: Database) -> None:
    cast = build_cast(db)
    with db.unit_of_work() as uow:
        playbook = service.do_apply_playbook(uow, cast.boss, SOURCE)
        uow.commit()
        playbook_id = playbook.id
    incident = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        with pytest.raises(PermissionDenied):
            do_run_manually(uow, cast.viewer, playbook_id, incident)
        run = do_run_manually(uow, cast.ic, playbook_id, incident)
        uow.commit()
        assert (run.status, run.trigger) == ("running", "manual (ic@example.com)")
        steps = run.steps
        assert [(s.name, s.status, s.due_at) for s in steps] == [("tasks", "pending", uow.now)]
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_run_manually(uow, cast.ic, playbook_id, incident)
    started = events_of(db, "incident.playbook_started")
    assert [(e.data["name"], e.data["version"], e.subject_id) for e in started] == [
        ("Checkout down", 1, incident)
    ]
    with db.unit_of_work() as uow:
        service.do_apply_playbook(uow, SYSTEM, SOURCE + "repeatable: true\n")
        do_run_manually(uow, cast.ic, playbook_id, incident)
        uow.commit()
    assert len(events_of(db, "incident.playbook_started")) == 2
