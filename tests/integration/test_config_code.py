"""``muster config export|plan|apply``: files in, objects out, and back again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config_code_support import empty_database, run, tree, write
from helpers import SYSTEM
from muster.cli.common import Exit
from muster.db.uow import Database
from muster.domain.accounts.models import Team, User
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.catalog.models import Service
from muster.domain.config_code.apply import do_apply_config
from muster.domain.config_code.marks import is_managed
from muster.domain.config_code.plan import make_plan
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.events.models import Event
from muster.domain.sites.models import Device, Zone
from muster.errors import InvalidInput

FILES = {
    "users/alice.yaml": """
        email: alice@example.com
        name: Alice Archer
        role: admin
        time_zone: Europe/Berlin
        contact_methods:
          - type: sms
            address: "+14155550123"
            label: phone
          - type: email
            address: Alice@Example.com
            label: work
    """,
    "users/bob.yaml": """
        email: bob@example.com
        name: Bob Baker
    """,
    "teams/platform.yaml": """
        name: Platform
        description: |
          Runs the platform.
          Pages at night.
        members:
          - user: bob@example.com
          - user: alice@example.com
            role: manager
    """,
    "escalation_policies/platform-default.yaml": """
        name: Platform default
        team: Platform
        repeat_count: 2
        levels:
          - delay_minutes: 10
            targets:
              - type: user
                name: bob@example.com
          - delay_minutes: 15
            targets:
              - type: team
                name: Platform
              - type: schedule
                name: Platform primary
    """,
    "schedules/platform-primary.yaml": """
        name: Platform primary
        team: Platform
        time_zone: Europe/Berlin
        layers:
          - name: Business hours
            rotation:
              participants: [alice@example.com]
              start: 2026-01-05T09:00:00+01:00
              turn_length: 1
              turn_unit: days
              restrictions:
                - days: [4, 0, 1, 2, 3]
                  start: "09:00"
                  end: "17:00"
          - name: Weekly
            rotation:
              participants: [alice@example.com, alice@example.com]
              start: 2026-01-05T09:00:00+01:00
              turn_length: 1
              turn_unit: weeks
    """,
    "services/api.yaml": """
        name: API
        team: Platform
        escalation_policy: Platform default
        alert_grouping:
          mode: labels
          labels: [alertname]
        urgency_rules:
          low_severities: [info]
        site: HQ
        public: true
        public_name: Public API
    """,
    "integrations/api-prometheus.yaml": """
        service: API
        name: Prometheus
        type: alertmanager
        rate_limit_per_minute: 600
    """,
    "integrations/api-heartbeat.yaml": """
        service: API
        name: Nightly job
        type: heartbeat
        config:
          interval_seconds: 3600
    """,
    "routing_rules/db-to-api.yaml": """
        name: Database alerts to API
        position: 10
        conditions:
          - field: labels.team
            op: equals
            value: db
        actions:
          route_to_service: API
          set_severity: critical
    """,
    "sites/hq.yaml": """
        name: HQ
        address: 1 Main Street
        time_zone: Europe/Berlin
        zones:
          - name: Server room
            restricted: true
          - name: Lobby
        devices:
          - kind: door
            external_id: door-7
            name: Server room door
            zone: Server room
          - kind: camera
            external_id: lobby_cam
            name: Lobby camera
            zone: Lobby
    """,
    "severities/sev3.yaml": """
        name: SEV3
        label: Moderate
        description: Stability or minor customer impact needing attention now.
        update_cadence_minutes: 120
    """,
    "incident_types/fraud.yaml": """
        key: fraud
        name: Fraud
        restricted_by_default: true
    """,
    "role_types/legal.yaml": """
        key: legal_liaison
        name: Legal liaison
        instructions: Keep counsel informed.
        position: 40
    """,
    "holiday_calendars/acme.yaml": """
        key: acme-holidays
        name: ACME holidays
        days:
          - day: 2026-12-24
            name: Christmas Eve
          - day: 2026-05-01
            name: Labour Day
    """,
    "regimes/acme-notice.yaml": """
        key: acme-notice
        name: ACME customer notice
        reports:
          - key: notice
            name: Customer notice
            starts_on: aware_at
            amount: 3
            unit: business_days
            holiday_calendar: acme-holidays
    """,
    "playbooks/outage.yaml": """
        key: outage
        name: Outage checklist
        triggers:
          - event: incident_declared
        steps:
          - name: checklist
            kind: tasks
            tasks:
              - {title: Confirm customer impact, due_minutes: 15}
    """,
    "drill_scenarios/tabletop.yaml": """
        key: tabletop
        title: A short tabletop
        roles:
          - {key: commander, description: Runs the response}
        injects:
          - {name: start, kind: fact, text: The database is slow.}
          - name: escalate
            kind: message
            after: start
            delay_minutes: 5
            to_role: commander
            text: Customers are calling.
        expectations:
          - {name: declared, title: Incident declared, check: incident_declared, within_minutes: 10}
    """,
    "maintenance_windows/api-upgrade.yaml": """
        service: API
        starts_at: 2026-01-06T22:00:00+01:00
        ends_at: 2026-01-06T23:30:00+01:00
        reason: Database upgrade
    """,
}


def _count(db: Database, model: object) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def _apply(db: Database, root: Path) -> None:
    with db.unit_of_work() as uow:
        do_apply_config(uow, SYSTEM, root)
        uow.commit()


def test_apply_creates_everything_marks_it_and_a_second_apply_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    root = write(tmp_path / "cfg", FILES)
    with db.unit_of_work(readonly=True) as uow:
        plan = make_plan(uow, root)
    assert [(c.action, c.kind.folder, c.name) for c in plan.changes] == [
        ("create", "users", "alice@example.com"),
        ("create", "users", "bob@example.com"),
        ("create", "teams", "Platform"),
        ("create", "sites", "HQ"),
        ("create", "schedules", "Platform primary"),
        ("create", "escalation_policies", "Platform default"),
        ("create", "services", "API"),
        ("create", "integrations", "API/Nightly job"),
        ("create", "integrations", "API/Prometheus"),
        ("create", "maintenance_windows", "API 2026-01-06T21:00:00Z"),
        ("create", "routing_rules", "Database alerts to API"),
        ("update", "severities", "SEV3"),
        ("create", "incident_types", "fraud"),
        ("create", "role_types", "legal_liaison"),
        ("create", "holiday_calendars", "acme-holidays"),
        ("create", "regimes", "acme-notice"),
        ("create", "playbooks", "outage"),
        ("create", "drill_scenarios", "tabletop"),
    ]
    assert plan.unmanaged == {
        "severities": 4, "incident_types": 6, "role_types": 7, "holiday_calendars": 1, "regimes": 6
    }  # fmt: skip
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        service = uow.session.scalars(select(Service)).one()
        policy = uow.session.scalars(select(EscalationPolicy)).one()
        assert service.escalation_policy_id == policy.id
        assert service.alert_grouping == {
            "mode": "labels",
            "labels": ["alertname"],
            "window_minutes": 60,
        }
        assert service.urgency_rules["low_severities"] == ["info"]
        assert [lv.delay_minutes for lv in policy.levels] == [10, 15]
        assert is_managed(uow, "services", service.id)
        team = uow.session.scalars(select(Team)).one()
        assert sorted(m.role for m in team.members) == ["manager", "member"]
        door = uow.session.scalars(select(Device).where(Device.external_id == "door-7")).one()
        assert uow.session.get(Zone, door.zone_id).restricted  # type: ignore[union-attr]
        types = list(uow.session.scalars(select(Event.type).order_by(Event.position)))
    assert "service.created" in types
    assert "escalation_policy.created" in types
    assert types.count("config.applied") == 1
    events = len(types)
    with db.unit_of_work(readonly=True) as uow:
        assert make_plan(uow, root).empty
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Event)) == events


def test_changing_and_removing_files_plans_a_diff_and_deletes_only_managed_objects(
    db: Database, tmp_path: Path
) -> None:
    root = write(tmp_path / "cfg", FILES)
    _apply(db, root)
    # An object made by hand is not managed: removing nothing from files never deletes it.
    with db.unit_of_work() as uow:
        do_create_team(uow, SYSTEM, TeamCreate(name="By hand"))
        uow.commit()
    write(
        root, {"services/api.yaml": FILES["services/api.yaml"].replace("[info]", "[info, warning]")}
    )
    (root / "users" / "bob.yaml").unlink()
    write(root, {"teams/platform.yaml": FILES["teams/platform.yaml"].replace(
        "          - user: bob@example.com\n", "")})  # fmt: skip
    write(root, {"escalation_policies/platform-default.yaml": FILES[
        "escalation_policies/platform-default.yaml"].replace("bob@example.com", "alice@example.com")})  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        plan = make_plan(uow, root)
    assert [(c.action, c.name) for c in plan.changes] == [
        ("update", "Platform"),
        ("update", "Platform default"),
        ("update", "API"),
        ("delete", "bob@example.com"),
    ]
    assert plan.unmanaged["teams"] == 1
    assert "+    - warning" in "\n".join(plan.changes[2].diff())
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        bob = uow.session.scalars(select(User).where(User.email == "bob@example.com")).one()
        assert bob.archived_at is not None
        assert (
            uow.session.scalars(select(Team).where(Team.name == "By hand")).one().archived_at
            is None
        )
        assert make_plan(uow, root).empty


def test_invalid_files_name_file_and_line_and_change_nothing(db: Database, tmp_path: Path) -> None:
    bad = dict(FILES)
    bad["services/api.yaml"] = FILES["services/api.yaml"].replace("team: Platform", "team: Nobody")
    bad["users/carol.yaml"] = "email: carol@example.com\nname: Carol\nrole: wizard\n"
    bad["users/dave.yaml"] = "email: dave@example.com\nname: Dave\nname: Again\n"
    bad["teams/broken.yaml"] = "name: [unclosed\n"
    bad["widgets/x.yaml"] = "name: X\n"
    bad["users/alice-again.yaml"] = "email: alice@example.com\nname: Other\n"
    root = write(tmp_path / "cfg", bad)
    before = _count(db, Event)
    with pytest.raises(InvalidInput) as raised:
        _apply(db, root)
    found = {e.field: e.reason for e in raised.value.errors}
    assert found["services/api.yaml:2"] == "no team named 'Nobody' in the files or in Muster"
    assert found["users/carol.yaml:3"].startswith("role: Input should be")
    assert found["users/dave.yaml:3"] == "key 'name' given twice"
    assert found["teams/broken.yaml:2"].startswith("not valid YAML")
    assert found["widgets"].startswith("unknown kind of object")
    assert "is also used by users/alice-again.yaml" in found["users/alice.yaml:1"]
    assert _count(db, Event) == before
    assert _count(db, Team) == 0


def test_a_refused_change_rolls_back_everything(db: Database, tmp_path: Path) -> None:
    """A rule only the domain knows (the last admin cannot be archived) stops the whole
    apply, naming the file, after earlier changes were made in the same transaction."""
    root = write(tmp_path / "cfg", {"users/alice.yaml": FILES["users/alice.yaml"]})
    _apply(db, root)
    (root / "users" / "alice.yaml").unlink()
    write(root, {"teams/new.yaml": "name: New team\n"})
    with pytest.raises(InvalidInput) as raised:
        _apply(db, root)
    assert raised.value.errors[0].field == "users/"  # the file is gone: its folder
    assert "last admin" in raised.value.errors[0].reason
    assert _count(db, Team) == 0


def test_round_trip_through_an_empty_database_gives_identical_files(
    db: Database, db_url: str, tmp_path: Path, sqlite_template: Path, request: pytest.FixtureRequest
) -> None:
    _apply(db, write(tmp_path / "cfg", FILES))
    var = tmp_path / "var"
    first = run(db_url, var, "config", "export", str(tmp_path / "a"))
    assert first.exit_code == 0, first.output
    exported = tree(tmp_path / "a")
    assert "services/api.yaml" in exported
    assert "users/alice-example-com.yaml" in exported
    assert "secret" not in "".join(exported.values())
    db.dispose()
    empty_database(db_url, sqlite_template, request.config)
    plan = run(db_url, var, "config", "plan", str(tmp_path / "a"), "--json")
    assert plan.exit_code == 0, plan.output
    actions = {(c["kind"], c["action"]) for c in json.loads(plan.output)["changes"]}
    assert ("severities", "update") in actions  # SEV3's cadence differs from the seed
    assert ("incident_types", "adopt") in actions  # the built-in ones exist already
    assert ("services", "create") in actions
    applied = run(db_url, var, "config", "apply", str(tmp_path / "a"))
    assert applied.exit_code == 0, applied.output
    assert run(db_url, var, "config", "export", str(tmp_path / "b")).exit_code == 0
    assert tree(tmp_path / "b") == exported
    again = run(db_url, var, "config", "plan", str(tmp_path / "b"))
    assert "no changes" in again.output


def test_cli_reports_errors_with_file_and_line(db: Database, db_url: str, tmp_path: Path) -> None:
    root = write(tmp_path / "cfg", {"teams/x.yaml": "name: X\ncolour: red\n"})
    result = run(db_url, tmp_path / "var", "config", "apply", str(root))
    assert result.exit_code == Exit.INVALID
    assert "teams/x.yaml:2: colour: Extra inputs are not permitted" in result.output


def test_site_parts_follow_the_file(db: Database, tmp_path: Path) -> None:
    """Zones and devices are reconciled inside their site: moved, renamed, removed."""
    root = write(tmp_path / "cfg", {"sites/hq.yaml": FILES["sites/hq.yaml"]})
    _apply(db, root)
    write(root, {"sites/hq.yaml": """
        name: HQ
        address: 1 Main Street
        time_zone: Europe/Berlin
        zones:
          - name: Server room
            restricted: true
        devices:
          - kind: door
            external_id: door-7
            name: Server room door (north)
    """})  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        plan = make_plan(uow, root)
    assert [(c.action, c.name) for c in plan.changes] == [("update", "HQ")]
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        devices = list(uow.session.scalars(select(Device)))
        assert [(d.name, d.zone_id) for d in devices] == [("Server room door (north)", None)]
        assert [z.name for z in uow.session.scalars(select(Zone))] == ["Server room"]
        assert make_plan(uow, root).empty
