"""The admin's incident settings: severity definitions, incident types and role types —
admin only, every change an event, built-ins edited but never archived."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incident_support import Cast, build_cast, declare
from muster.db.uow import Database
from muster.domain.events.models import Event
from muster.domain.incidents import settings
from muster.domain.incidents.roles import do_assign_role, role_types
from muster.domain.incidents.schemas import IncidentCreate
from muster.domain.incidents.service import do_declare_incident, incident_types
from muster.domain.incidents.settings_schemas import (
    IncidentTypeCreate,
    IncidentTypeUpdate,
    RoleTypeCreate,
    RoleTypeUpdate,
    SeverityEdit,
)
from muster.domain.inputs import parse_input
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def events(db: Database, prefix: str) -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        query = select(Event).where(Event.type.startswith(prefix)).order_by(Event.position)
        return list(uow.session.scalars(query))


def test_an_admin_edits_a_severity_definition_and_it_is_recorded(db: Database, cast: Cast) -> None:
    with db.unit_of_work() as uow:
        edit = SeverityEdit(label="Severe", description="Anything customers notice.",
                            update_cadence_minutes=20, requires_commander=False)  # fmt: skip
        row = settings.do_update_severity(uow, cast.admin, 1, edit)
        uow.commit()
        assert (row.label, row.update_cadence_minutes, row.requires_commander) == (
            "Severe", 20, False)  # fmt: skip
    (event,) = events(db, "severity_level.")
    assert event.type == "severity_level.updated"
    assert event.actor_label == "admin@example.com"
    assert event.data["changes"]["label"] == {"from": "Critical", "to": "Severe"}
    assert event.data["changes"]["update_cadence_minutes"] == {"from": 30, "to": 20}
    # Only the fields given change; the same values again record nothing.
    with db.unit_of_work() as uow:
        settings.do_update_severity(uow, cast.admin, 1, SeverityEdit(label="Severe"))
        settings.do_update_severity(uow, cast.admin, 1, SeverityEdit(update_cadence_minutes=None))
        uow.commit()
        assert settings.get_severity(uow, 1).description == "Anything customers notice."
        assert settings.get_severity(uow, 1).update_cadence_minutes is None
    assert len(events(db, "severity_level.")) == 2


def test_severity_edits_need_an_admin_and_good_values(db: Database, cast: Cast) -> None:
    for actor in (cast.boss, cast.sec, cast.viewer):
        with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
            settings.do_update_severity(uow, actor, 2, SeverityEdit(label="Big"))
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        settings.do_update_severity(uow, cast.admin, 6, SeverityEdit(label="Huge"))
    bad: list[tuple[dict[str, Any], str]] = [
        ({"update_cadence_minutes": 2}, "update_cadence_minutes"),
        ({"update_cadence_minutes": "soon"}, "update_cadence_minutes"),
        ({"label": "  "}, "label"),
        ({"label": "x" * 41}, "label"),
        ({"colour": "red"}, "colour"),
    ]
    for data, field in bad:
        with pytest.raises(InvalidInput) as refused:
            parse_input(SeverityEdit, data)
        assert refused.value.errors[0].field == field
    assert events(db, "severity_level.") == []


def test_incident_types_added_renamed_archived_and_restored(db: Database, cast: Cast) -> None:
    with db.unit_of_work() as uow:
        kind = settings.do_create_incident_type(uow, cast.admin, IncidentTypeCreate(
            key="data_loss", name="Data loss", restricted_by_default=True))  # fmt: skip
        uow.commit()
        kind_id = kind.id
    incident = declare(db, cast.ic, type="data_loss")
    with db.unit_of_work(readonly=True) as uow:
        from muster.domain.incidents.models import Incident

        assert uow.session.get_one(Incident, incident).restricted is True
    with db.unit_of_work() as uow:
        settings.do_update_incident_type(uow, cast.admin, kind_id,
                                         IncidentTypeUpdate(name="Data loss or corruption"))  # fmt: skip
        settings.do_archive_incident_type(uow, cast.admin, kind_id)
        uow.commit()
        assert "data_loss" not in [t.key for t in incident_types(uow)]
        assert "data_loss" in [t.key for t in incident_types(uow, include_archived=True)]
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as archived:
        do_declare_incident(uow, cast.ic, IncidentCreate(title="Lost", type="data_loss"))
    assert archived.value.errors[0].field == "type"
    with db.unit_of_work() as uow:
        settings.do_restore_incident_type(uow, cast.admin, kind_id)
        uow.commit()
    assert [e.type for e in events(db, "incident_type.")] == [
        "incident_type.created", "incident_type.updated", "incident_type.archived",
        "incident_type.restored",
    ]  # fmt: skip


def test_built_in_types_and_roles_are_edited_but_never_archived(db: Database, cast: Cast) -> None:
    with db.unit_of_work() as uow:
        security = next(t for t in incident_types(uow) if t.key == "security")
        scribe = next(r for r in role_types(uow) if r.key == "scribe")
        settings.do_update_incident_type(uow, cast.admin, security.id, IncidentTypeUpdate(
            description="Breach, intrusion, malware.", restricted_by_default=False))  # fmt: skip
        settings.do_update_role_type(uow, cast.admin, scribe.id, RoleTypeUpdate(
            instructions="Write it all down."))  # fmt: skip
        uow.commit()
        security_id, scribe_id = security.id, scribe.id
    for archive, row_id in ((settings.do_archive_incident_type, security_id),
                            (settings.do_archive_role_type, scribe_id)):  # fmt: skip
        with db.unit_of_work() as uow, pytest.raises(Conflict) as refused:
            archive(uow, cast.admin, row_id)
        assert "built-in" in refused.value.detail
    with db.unit_of_work(readonly=True) as uow:
        assert settings.get_role_type(uow, scribe_id).instructions == "Write it all down."
        assert settings.get_incident_type(uow, security_id).archived_at is None


def test_duplicates_and_non_admins_are_refused(db: Database, cast: Cast) -> None:
    with db.unit_of_work() as uow, pytest.raises(Conflict) as key:
        settings.do_create_incident_type(uow, cast.admin, IncidentTypeCreate(
            key="security", name="Another security"))  # fmt: skip
    assert key.value.errors[0].field == "key"
    with db.unit_of_work() as uow, pytest.raises(Conflict) as name:
        settings.do_create_role_type(uow, cast.admin, RoleTypeCreate(key="liaison", name="scribe"))
    assert name.value.errors[0].field == "name"
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        settings.do_create_role_type(uow, cast.boss, RoleTypeCreate(key="liaison", name="Liaison"))
    with pytest.raises(InvalidInput) as bad_key:
        parse_input(IncidentTypeCreate, {"key": "Data Loss", "name": "Data loss"})
    assert bad_key.value.errors[0].field == "key"


def test_a_new_role_can_be_held_and_archiving_it_stops_new_assignments(
    db: Database, cast: Cast
) -> None:
    with db.unit_of_work() as uow:
        role = settings.do_create_role_type(uow, cast.admin, RoleTypeCreate(
            key="liaison", name="Customer Liaison", instructions="Talk to key accounts.",
            position=35))  # fmt: skip
        uow.commit()
        role_id = role.id
    incident = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        assert (
            do_assign_role(uow, cast.ic, incident, "liaison", cast.resp.id or "").role_type_id
            == role_id
        )
        keys = [r.key for r in role_types(uow)]
        assert keys.index("communications") < keys.index("liaison") < keys.index("technical")
        settings.do_archive_role_type(uow, cast.admin, role_id)
        uow.commit()
    with db.unit_of_work() as uow, pytest.raises(InvalidInput):
        do_assign_role(uow, cast.ic, incident, "liaison", cast.outsider.id or "")
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        settings.do_archive_role_type(uow, cast.admin, role_id)
    assert [e.type for e in events(db, "incident_role_type.")] == [
        "incident_role_type.created", "incident_role_type.archived"]  # fmt: skip
