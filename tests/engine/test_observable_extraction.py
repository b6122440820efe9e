"""Observables picked out automatically by the engine: from the alerts of a group linked
to an incident (summary, labels, annotations, custom details), from notes and their
corrections — each value once per incident, whatever runs twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from incident_alerts_support import make_integration
from incident_support import Cast, build_cast, declare, incident_events
from muster.db.uow import Database
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.models import Integration
from muster.domain.alerts.schemas import GroupingIn
from muster.domain.alerts.settings import AlertSettingsIn, do_update_alert_settings
from muster.domain.incidents.links import do_link_alert_groups
from muster.domain.incidents.notes import do_add_note, do_correct_note
from muster.domain.investigation.models import Observable
from muster.domain.investigation.observables import do_add_observable
from muster.domain.investigation.schemas import ObservableIn
from muster.engine.modules.observable_extraction import ObservableExtraction
from muster.integrations.normalized import InboundAlert


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def run(db: Database) -> int:
    with db.unit_of_work() as uow:
        count = ObservableExtraction().run_due(uow, uow.now)
        uow.commit()
        return count


def observables_of(db: Database, incident_id: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(kind, value) → (source, added by)."""
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(select(Observable).where(Observable.incident_id == incident_id))
        return {(r.kind, r.value): (r.source, r.added_by) for r in rows}


def send(db: Database, integration_id: str, key: str) -> str:
    alert = InboundAlert(
        action="trigger", dedup_key=key, summary="Beacon from 10.20.30.40 to hxxp://c2[.]bad.org/p",
        severity="critical", source="edr", labels={"hostname": "WS-042", "user": "CORP\\alice"},
        annotations={"description": "Dropped invoice.docm, sha256 "
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        custom_details={"process": {"path": "C:\\Users\\alice\\AppData\\x.exe",
                                    "parent": ["winword.exe", 42]}},
    )  # fmt: skip
    with db.unit_of_work() as uow:
        (outcome,) = do_ingest(uow, uow.session.get_one(Integration, integration_id), [alert])
        uow.commit()
        assert outcome.group_id is not None
        return outcome.group_id


def test_observables_come_from_a_linked_alert(db: Database, cast: Cast) -> None:
    group = send(db, make_integration(db, cast.service), "edr-1")
    incident = declare(db, cast.ic, type="security")
    other = declare(db, cast.ic, title="Unlinked")
    assert run(db) == 0  # an alert on no incident gives nothing
    with db.unit_of_work() as uow:
        do_link_alert_groups(uow, cast.ic, incident, [group])
        uow.commit()
    assert run(db) == 9
    found = observables_of(db, incident)
    assert set(found) == {
        ("ip", "10.20.30.40"), ("url", "http://c2.bad.org/p"), ("domain", "c2.bad.org"),
        ("hostname", "ws-042"), ("user-account", "CORP\\alice"), ("file-name", "invoice.docm"),
        ("hash-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("file-name", "x.exe"), ("file-name", "winword.exe"),
    }  # fmt: skip
    assert set(found.values()) == {("alert", "observables")}
    assert observables_of(db, other) == {}
    added = [e for e in incident_events(db, incident) if e.type == "incident.observable_added"]
    assert len(added) == 9
    assert {e.data["source"] for e in added} == {"alert"}
    assert run(db) == 0  # the cursor moved on: nothing is read twice


def test_observables_come_from_notes_and_corrections_once_each(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)  # any incident type, not only security ones
    with db.unit_of_work() as uow:
        note = do_add_note(uow, cast.ic, incident, "Phish from mallory@evil.example; 1.2.3[.]4")
        do_add_note(uow, cast.resp, incident, "Seen 1.2.3.4 again")
        uow.commit()
        note_id = note.id
    assert run(db) == 2
    with db.unit_of_work() as uow:
        do_correct_note(uow, cast.ic, note_id, "Phish from mallory@evil.example via 5.6.7.8")
        uow.commit()
    assert run(db) == 1
    found = observables_of(db, incident)
    assert found == {
        ("email", "mallory@evil.example"): ("note", "observables"),
        ("ip", "1.2.3.4"): ("note", "observables"),
        ("ip", "5.6.7.8"): ("note", "observables"),
    }


def test_a_value_added_by_hand_is_left_as_it_is(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        do_add_observable(uow, cast.ic, incident, ObservableIn(kind="ip", value="9.9.9.9",
                                                              tlp="RED"))  # fmt: skip
        do_add_note(uow, cast.ic, incident, "9.9.9.9 is the resolver")
        uow.commit()
    assert run(db) == 0
    assert observables_of(db, incident) == {("ip", "9.9.9.9"): ("manual", "ic@example.com")}


def test_an_alert_arriving_later_in_a_linked_group_is_read(db: Database, cast: Cast) -> None:
    with db.unit_of_work() as uow:  # alerts of the service with the same host group together
        grouping = GroupingIn(mode="labels", labels=["hostname"])
        do_update_alert_settings(uow, cast.boss, cast.service, AlertSettingsIn(grouping=grouping))
        uow.commit()
    integration = make_integration(db, cast.service)
    group = send(db, integration, "edr-1")
    incident = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        do_link_alert_groups(uow, cast.ic, incident, [group])
        uow.commit()
    run(db)
    later = InboundAlert(action="trigger", dedup_key="edr-2", summary="Now 192.0.2.77 too",
                         severity="critical", source="edr", labels={"hostname": "WS-042"})  # fmt: skip
    with db.unit_of_work() as uow:
        (outcome,) = do_ingest(uow, uow.session.get_one(Integration, integration), [later])
        uow.commit()
    assert outcome.group_id == group  # it joined the linked group
    assert run(db) == 1
    assert observables_of(db, incident)[("ip", "192.0.2.77")] == ("alert", "observables")
