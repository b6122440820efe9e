"""Investigation records through the domain: observables normalised and unique per
incident, cross-incident search that never shows a hidden incident, validation errors
naming the field, permissions, assets' status events and ATT&CK techniques."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incident_support import Cast, build_cast, declare, incident_events
from muster.db.uow import Database
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident
from muster.domain.investigation import assets, observables, techniques
from muster.domain.investigation.export import investigation_export
from muster.domain.investigation.schemas import (
    AssetIn,
    AssetStatusIn,
    ObservableIn,
    ObservableUpdate,
    TechniqueIn,
)
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def add(db: Database, actor: Actor, incident_id: str, kind: str, value: str, **kw: object) -> str:
    with db.unit_of_work() as uow:
        row = observables.do_add_observable(
            uow, actor, incident_id, ObservableIn.model_validate({"kind": kind, "value": value,
                                                                  **kw})
        )  # fmt: skip
        uow.commit()
        return row.id


def search(db: Database, actor: Actor, value: str, kind: str | None = None) -> list[str]:
    with db.unit_of_work(readonly=True) as uow:
        page = observables.search_observables(uow, actor, value, kind)
        return [s.incident_reference for s in page.items]


def test_values_are_normalised_and_unique_per_incident(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    add(db, cast.ic, incident, "ip", "2001:DB8:0::1", tlp="RED", ioc=True, tags=["c2", "c2"])
    with pytest.raises(Conflict) as exc, db.unit_of_work() as uow:
        observables.do_add_observable(
            uow, cast.resp, incident, ObservableIn(kind="ip", value="2001:db8::0:1")
        )
    assert exc.value.errors[0].field == "value"
    with db.unit_of_work(readonly=True) as uow:
        (row,) = observables.list_observables(uow, cast.ic, incident)
        assert (row.value, row.tlp, row.ioc, row.tags, row.source) == (
            "2001:db8::1", "RED", True, ["c2"], "manual",
        )  # fmt: skip
    added = [e for e in incident_events(db, incident) if e.type == "incident.observable_added"]
    assert [(e.data["kind"], e.data["value"], e.data["source"]) for e in added] == [
        ("ip", "2001:db8::1", "manual")
    ]


@pytest.mark.parametrize(
    ("kind", "value"), [("ip", "300.1.1.1"), ("domain", "not a domain"), ("hash-md5", "xyz")]
)
def test_a_bad_value_is_refused_naming_the_field(
    db: Database, cast: Cast, kind: str, value: str
) -> None:
    incident = declare(db, cast.ic)
    with pytest.raises(InvalidInput) as exc, db.unit_of_work() as uow:
        observables.do_add_observable(uow, cast.ic, incident, ObservableIn(kind=kind, value=value))
    assert [e.field for e in exc.value.errors] == ["value"]
    with db.unit_of_work(readonly=True) as uow:
        assert observables.list_observables(uow, cast.ic, incident) == []


def test_viewers_read_but_may_not_add(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    with pytest.raises(PermissionDenied), db.unit_of_work() as uow:
        observables.do_add_observable(uow, cast.viewer, incident,
                                      ObservableIn(kind="domain", value="evil.com"))  # fmt: skip
    add(db, cast.ic, incident, "domain", "evil.com")
    with db.unit_of_work(readonly=True) as uow:
        assert len(observables.list_observables(uow, cast.viewer, incident)) == 1


def test_search_across_incidents_hides_restricted_ones(
    db: Database, cast: Cast, clock: object
) -> None:
    open_one = declare(db, cast.ic, title="Phishing wave")
    secret = declare(db, cast.ic, title="Insider case", restricted=True)
    third = declare(db, cast.resp, title="Unrelated")
    add(db, cast.ic, open_one, "ip", "198.51.100.9")
    add(db, cast.ic, secret, "ip", "198.51.100.9", ioc=True)
    add(db, cast.resp, third, "domain", "other.example.com")
    numbers = {}
    with db.unit_of_work(readonly=True) as uow:
        for i in (open_one, secret):
            numbers[i] = f"INC-{uow.session.get_one(Incident, i).number}"
    # The participant and the security team see both, newest first; others only one.
    assert search(db, cast.ic, "198.51.100.9") == [numbers[secret], numbers[open_one]]
    assert search(db, cast.sec, " 198.51.100[.]9 ", "ip") == [numbers[secret], numbers[open_one]]
    assert search(db, cast.outsider, "198.51.100.9") == [numbers[open_one]]
    assert search(db, cast.viewer, "198.51.100.9", "other") == []  # the kind must match too
    assert search(db, cast.viewer, "OTHER.example.com") == ["INC-3"]
    with pytest.raises(InvalidInput) as exc, db.unit_of_work(readonly=True) as uow:
        observables.search_observables(uow, cast.ic, "nope", "ip")
    assert exc.value.errors[0].field == "value"
    # "Seen in N other incidents" counts only incidents the reader may see.
    with db.unit_of_work(readonly=True) as uow:
        rows = observables.list_observables(uow, cast.outsider, open_one)
        assert observables.observables_out(uow, cast.outsider, rows)[0].seen_elsewhere == 0
        rows = observables.list_observables(uow, cast.ic, open_one)
        assert observables.observables_out(uow, cast.ic, rows)[0].seen_elsewhere == 1
    with pytest.raises(NotFound), db.unit_of_work(readonly=True) as uow:
        observables.list_observables(uow, cast.outsider, secret)


def test_update_and_remove_record_events(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    oid = add(db, cast.ic, incident, "url", "hxxp://evil[.]com/x")
    with db.unit_of_work() as uow:
        row = observables.do_update_observable(
            uow, cast.resp, incident, oid, ObservableUpdate(tlp="GREEN", sighted=True)
        )
        assert (row.value, row.tlp, row.sighted) == ("http://evil.com/x", "GREEN", True)
        observables.do_update_observable(
            uow, cast.resp, incident, oid, ObservableUpdate(tlp="GREEN")
        )
        uow.commit()
    with db.unit_of_work() as uow:
        observables.do_remove_observable(uow, cast.resp, incident, oid)
        uow.commit()
    events = incident_events(db, incident)
    changed = [e for e in events if e.type == "incident.observable_changed"]
    assert len(changed) == 1  # the second update changed nothing
    assert changed[0].data["changes"]["tlp"] == {"from": "AMBER", "to": "GREEN"}
    assert [e.data["value"] for e in events if e.type == "incident.observable_removed"] == [
        "http://evil.com/x"
    ]


def test_asset_status_changes_are_events_with_who(db: Database, cast: Cast, clock: object) -> None:
    incident = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        asset = assets.do_add_asset(uow, cast.ic, incident,
                                    AssetIn(kind="host", name="web-01", identifier="10.0.0.5"))  # fmt: skip
        uow.commit()
        asset_id = asset.id
    with pytest.raises(Conflict), db.unit_of_work() as uow:
        assets.do_add_asset(uow, cast.ic, incident, AssetIn(kind="host", name="web-01"))
    with db.unit_of_work() as uow:
        row = assets.do_set_asset_status(uow, cast.resp, incident, asset_id,
                                         AssetStatusIn(status="compromised", note="beacon"))  # fmt: skip
        assert (row.status, row.status_changed_by) == ("compromised", "resp@example.com")
        uow.commit()
    with pytest.raises(Conflict) as exc, db.unit_of_work() as uow:
        assets.do_set_asset_status(uow, cast.resp, incident, asset_id,
                                   AssetStatusIn(status="compromised"))  # fmt: skip
    assert exc.value.errors[0].field == "status"
    (event,) = [
        e for e in incident_events(db, incident) if e.type == "incident.asset_status_changed"
    ]
    assert (event.data["previous"], event.data["status"], event.data["note"]) == (
        "tbd", "compromised", "beacon",
    )  # fmt: skip
    assert event.actor_label == "resp@example.com"


def test_techniques_need_a_known_id_and_one_of_its_tactics(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    cases = [
        (TechniqueIn(technique_id="T9999"), "technique_id"),
        (TechniqueIn(technique_id="T1078"), "tactic"),  # several tactics: say which
        (TechniqueIn(technique_id="T1486", tactic="execution"), "tactic"),
    ]
    for data, field in cases:
        with pytest.raises(InvalidInput) as exc, db.unit_of_work() as uow:
            techniques.do_add_technique(uow, cast.ic, incident, data)
        assert exc.value.errors[0].field == field
    with db.unit_of_work() as uow:
        one = techniques.do_add_technique(
            uow, cast.ic, incident, TechniqueIn(technique_id="T1486 Data Encrypted for Impact")
        )
        two = techniques.do_add_technique(
            uow, cast.ic, incident,
            TechniqueIn(technique_id="t1078", tactic="initial-access",
                        observed_at=uow.now - timedelta(hours=1)),
        )  # fmt: skip
        assert (one.technique_id, one.tactic) == ("T1486", "impact")
        uow.commit()
        two_id = two.id
    with db.unit_of_work() as uow:
        techniques.do_remove_technique(uow, cast.ic, incident, two_id)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        out = [
            techniques.technique_out(t) for t in techniques.list_techniques(uow, cast.ic, incident)
        ]
    assert [(t.technique_id, t.name, t.tactic_name) for t in out] == [
        ("T1486", "Data Encrypted for Impact", "Impact")
    ]
    types = [e.type for e in incident_events(db, incident)]
    assert types.count("incident.technique_added") == 2
    assert types.count("incident.technique_removed") == 1


def test_export_gives_json_ready_records(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic, restricted=True)
    add(db, cast.ic, incident, "email", "Bob@Example.com")
    with db.unit_of_work() as uow:
        assets.do_add_asset(uow, cast.ic, incident, AssetIn(kind="account", name="bob"))
        techniques.do_add_technique(uow, cast.ic, incident, TechniqueIn(technique_id="T1566.002"))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get_one(Incident, incident)
        data = investigation_export(uow, cast.ic, row)
        with pytest.raises(NotFound):
            investigation_export(uow, cast.outsider, row)
    assert data["observables"][0]["value"] == "bob@example.com"
    assert isinstance(data["observables"][0]["added_at"], str)
    assert data["assets"][0]["status"] == "tbd"
    assert data["techniques"][0]["name"] == "Spearphishing Link"
