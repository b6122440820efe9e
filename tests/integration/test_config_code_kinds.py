"""``muster config``: schedules, playbooks, regimes and holiday calendars, incident roles,
services' site and status-page flags, drill scenarios — created, changed, left alone when
unchanged, deleted when their file goes, and bad references named with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from config_code_support import empty_database, run, tree, write
from helpers import SYSTEM
from muster.clock import ManualClock
from muster.db.uow import Database, UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.catalog.models import Service
from muster.domain.compliance.models import Holiday, HolidayCalendar, Regime, RegimeReport
from muster.domain.config_code.apply import do_apply_config
from muster.domain.config_code.plan import make_plan
from muster.domain.drills.models import Scenario
from muster.domain.drills.scenarios import do_install_shipped
from muster.domain.events.models import Event
from muster.domain.incidents.models import IncidentRoleType
from muster.domain.oncall.models import RotationVersion, Schedule, ScheduleLayer
from muster.domain.playbooks.defaults import do_install_defaults
from muster.domain.playbooks.models import Playbook
from muster.domain.playbooks.service import do_set_enabled
from muster.domain.sites.models import Site
from muster.errors import InvalidInput

PEOPLE = {
    "users/alice.yaml": "email: alice@example.com\nname: Alice\nrole: admin\n",
    "users/bob.yaml": "email: bob@example.com\nname: Bob\n",
    "teams/ops.yaml": """
        name: Ops
        members:
          - user: alice@example.com
          - user: bob@example.com
    """,
}
SCHEDULE = """
    name: Ops primary
    team: Ops
    time_zone: Europe/Berlin
    layers:
      - name: Weekdays
        rotation:
          participants: [alice@example.com, bob@example.com]
          start: 2026-01-05T09:00:00+01:00
          turn_length: 1
          turn_unit: days
          restrictions:
            - {days: [0, 1, 2, 3, 4], start: "09:00", end: "17:00"}
      - name: Base
        rotation:
          participants: [bob@example.com]
          start: 2026-01-05T09:00:00+01:00
          turn_length: 1
          turn_unit: weeks
"""
PLAYBOOK = """
    key: outage
    name: Outage checklist
    triggers:
      - event: incident_declared
    steps:
      - name: checklist
        kind: tasks
        tasks:
          - {title: Confirm customer impact, due_minutes: 15}
"""
CALENDAR = """
    key: acme-holidays
    name: ACME holidays
    days:
      - {day: 2026-05-01, name: Labour Day}
      - {day: 2026-12-24, name: Christmas Eve}
"""
REGIME = """
    key: acme-notice
    name: ACME customer notice
    reports:
      - key: notice
        name: Customer notice
        starts_on: aware_at
        amount: 3
        unit: business_days
        holiday_calendar: acme-holidays
"""
ROLE = """
    key: legal_liaison
    name: Legal liaison
    instructions: Keep counsel informed.
    position: 40
"""
SCENARIO = """
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
"""


def _apply(db: Database, root: Path) -> None:
    with db.unit_of_work() as uow:
        do_apply_config(uow, SYSTEM, root)
        uow.commit()


def _actions(db: Database, root: Path) -> list[tuple[str, str, str]]:
    with db.unit_of_work(readonly=True) as uow:
        return [(c.action, c.kind.folder, c.name) for c in make_plan(uow, root).changes]


def _events(db: Database, prefix: str) -> list[str]:
    with db.unit_of_work(readonly=True) as uow:
        return list(
            uow.session.scalars(
                select(Event.type).where(Event.type.like(f"{prefix}%")).order_by(Event.position)
            )
        )


def _errors(db: Database, root: Path) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        _apply(db, root)
    return {e.field: e.reason for e in raised.value.errors}


def _layers(db: Database) -> list[tuple[str, list[str]]]:
    """Active layers, the one that wins first, with their newest version's participants."""
    with db.unit_of_work(readonly=True) as uow:
        layers = uow.session.scalars(
            select(ScheduleLayer)
            .where(ScheduleLayer.removed_at.is_(None))
            .order_by(ScheduleLayer.rank.desc())
        ).all()
        out = []
        for layer in layers:
            versions = uow.session.scalars(
                select(RotationVersion)
                .where(RotationVersion.layer_id == layer.id)
                .order_by(RotationVersion.created_at)
            ).all()
            people = versions[-1].participants if versions else []
            out.append((layer.name, [str(p) for p in people]))
        return out


def test_schedules_follow_their_files(db: Database, tmp_path: Path, clock: ManualClock) -> None:
    root = write(tmp_path / "cfg", {**PEOPLE, "schedules/ops.yaml": SCHEDULE})
    assert ("create", "schedules", "Ops primary") in _actions(db, root)
    _apply(db, root)
    assert [name for name, _ in _layers(db)] == ["Weekdays", "Base"]
    assert _events(db, "schedule.").count("schedule.rotation_set") == 2
    events = len(_events(db, ""))
    assert _actions(db, root) == []  # no-op: nothing planned, nothing recorded
    _apply(db, root)
    assert len(_events(db, "")) == events

    clock.advance(hours=1)
    changed = SCHEDULE.replace("[bob@example.com]", "[alice@example.com]")
    changed = changed.replace("      - name: Weekdays", "      - name: Old\n      - name: Weekdays")
    write(root, {"schedules/ops.yaml": changed})
    assert _actions(db, root) == [("update", "schedules", "Ops primary")]
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        base = uow.session.scalars(select(ScheduleLayer).where(ScheduleLayer.name == "Base")).one()
        versions = sorted(base.versions, key=lambda v: v.created_at)
        assert [v.participants for v in versions] == [[_id(uow, "bob")], [_id(uow, "alice")]]
        assert versions[0].effective_until == clock.now()  # the past stays as it was
    assert [name for name, _ in _layers(db)] == ["Old", "Weekdays", "Base"]
    assert _actions(db, root) == []

    # Reordered and a layer dropped: the order follows the file from now on.
    write(root, {"schedules/ops.yaml": SCHEDULE.replace("[bob@example.com]", "[alice@example.com]")
                 .replace("Weekdays", "Zzz").replace("- name: Base", "- name: Weekdays")})  # fmt: skip
    clock.advance(hours=1)
    _apply(db, root)
    assert [name for name, _ in _layers(db)] == ["Zzz", "Weekdays"]
    assert "schedule.layer_removed" in _events(db, "schedule.")
    assert _actions(db, root) == []

    (root / "schedules" / "ops.yaml").unlink()
    assert _actions(db, root) == [("delete", "schedules", "Ops primary")]
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalars(select(Schedule)).one().archived_at is not None


def _id(uow: UnitOfWork, who: str) -> str:
    return str(uow.session.scalar(select(User.id).where(User.email == f"{who}@example.com")))


def test_a_schedule_naming_an_unknown_person_is_refused_at_its_line(
    db: Database, tmp_path: Path
) -> None:
    bad = SCHEDULE.replace("[alice@example.com, bob@example.com]", "[alice@example.com, x@y.z]")
    root = write(tmp_path / "cfg", {**PEOPLE, "schedules/ops.yaml": bad.replace("team: Ops", "team: Nope")})  # fmt: skip
    found = _errors(db, root)
    assert found["schedules/ops.yaml:7"] == "no user named 'x@y.z' in the files or in Muster"
    assert found["schedules/ops.yaml:2"] == "no team named 'Nope' in the files or in Muster"
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Schedule)) == 0


def test_policies_page_schedules_by_name(db: Database, tmp_path: Path) -> None:
    policy = """
        name: Ops paging
        team: Ops
        levels:
          - delay_minutes: 5
            targets:
              - {type: schedule, name: Ops primary}
    """
    root = write(tmp_path / "cfg", {**PEOPLE, "schedules/ops.yaml": SCHEDULE,
                                    "escalation_policies/ops.yaml": policy})  # fmt: skip
    _apply(db, root)
    (root / "schedules" / "ops.yaml").unlink()
    found = _errors(db, root)
    assert found["escalation_policies/ops.yaml:6"].startswith("no schedule named 'Ops primary'")


def test_playbooks_save_a_version_only_when_the_document_changes(
    db: Database, tmp_path: Path
) -> None:
    root = write(tmp_path / "cfg", {**PEOPLE, "playbooks/outage.yaml": PLAYBOOK})
    _apply(db, root)
    assert _events(db, "playbook.") == ["playbook.created"]
    _apply(db, root)
    assert _actions(db, root) == []
    assert _events(db, "playbook.") == ["playbook.created"]

    write(root, {"playbooks/outage.yaml": PLAYBOOK.replace("due_minutes: 15", "due_minutes: 20")})
    assert _actions(db, root) == [("update", "playbooks", "outage")]
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        playbook = uow.session.scalars(select(Playbook)).one()
        assert (playbook.current_version, playbook.enabled) == (2, True)

    # The switch alone is no new version.
    write(root, {"playbooks/outage.yaml": PLAYBOOK.replace("due_minutes: 15", "due_minutes: 20")
                 + "    enabled: false\n"})  # fmt: skip
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        playbook = uow.session.scalars(select(Playbook)).one()
        assert (playbook.current_version, playbook.enabled) == (3, False)
    assert _actions(db, root) == []

    (root / "playbooks" / "outage.yaml").unlink()
    _apply(db, root)
    assert _events(db, "playbook.")[-1] == "playbook.archived"
    write(root, {"playbooks/outage.yaml": PLAYBOOK})  # back from the archive
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        playbook = uow.session.scalars(select(Playbook)).one()
        assert (playbook.archived_at, playbook.enabled, playbook.current_version) == (None, True, 4)
    assert _actions(db, root) == []


def test_a_playbook_switched_off_by_hand_shows_in_the_plan(db: Database, tmp_path: Path) -> None:
    root = write(tmp_path / "cfg", {"playbooks/outage.yaml": PLAYBOOK})
    _apply(db, root)
    with db.unit_of_work() as uow:
        do_set_enabled(uow, SYSTEM, uow.session.scalars(select(Playbook)).one().id, False)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        (change,) = make_plan(uow, root).changes
    assert "-enabled: false" in change.diff()
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        playbook = uow.session.scalars(select(Playbook)).one()
        assert (playbook.current_version, playbook.enabled) == (1, True)


def test_bad_playbooks_and_scenarios_are_named_at_their_lines(db: Database, tmp_path: Path) -> None:
    root = write(tmp_path / "cfg", {
        "playbooks/outage.yaml": PLAYBOOK.replace("kind: tasks", "kind: juggle"),
        "playbooks/template.yaml": PLAYBOOK.replace("key: outage", "key: template").replace(
            "- {title: Confirm customer impact, due_minutes: 15}", "- title: Check {{ oops"),
        "drill_scenarios/tabletop.yaml": SCENARIO.replace("after: start", "after: nowhere"),
    })  # fmt: skip
    found = _errors(db, root)
    assert found["playbooks/outage.yaml:6"].startswith("steps.0: Input tag 'juggle'")
    assert found["playbooks/template.yaml:9"].startswith("steps.0.tasks.0.title: template:")
    assert found["drill_scenarios/tabletop.yaml:9"] == (
        "injects.1.after: no earlier inject is named 'nowhere'"
    )
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Playbook)) == 0


def test_drill_scenarios_follow_their_files(db: Database, tmp_path: Path) -> None:
    root = write(tmp_path / "cfg", {"drill_scenarios/tabletop.yaml": SCENARIO})
    _apply(db, root)
    _apply(db, root)
    assert _events(db, "drill_scenario.") == ["drill_scenario.created"]
    write(root, {"drill_scenarios/tabletop.yaml": SCENARIO.replace("slow.", "down.")})
    assert _actions(db, root) == [("update", "drill_scenarios", "tabletop")]
    _apply(db, root)
    (root / "drill_scenarios" / "tabletop.yaml").unlink()
    _apply(db, root)
    assert _events(db, "drill_scenario.") == [
        "drill_scenario.created", "drill_scenario.version_saved", "drill_scenario.archived"
    ]  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        scenario = uow.session.scalars(select(Scenario)).one()
        assert (scenario.current_version, scenario.archived_at is not None) == (2, True)


def test_regimes_and_holiday_calendars_follow_their_files(db: Database, tmp_path: Path) -> None:
    root = write(tmp_path / "cfg", {"holiday_calendars/acme.yaml": CALENDAR,
                                    "regimes/acme.yaml": REGIME})  # fmt: skip
    _apply(db, root)
    events = len(_events(db, ""))
    _apply(db, root)
    assert len(_events(db, "")) == events
    write(root, {
        "holiday_calendars/acme.yaml": CALENDAR.replace("Labour Day", "May Day")
                                               .replace("      - {day: 2026-12-24, name: Christmas Eve}\n", ""),
        "regimes/acme.yaml": REGIME.replace("amount: 3", "amount: 5"),
    })  # fmt: skip
    assert _actions(db, root) == [
        ("update", "holiday_calendars", "acme-holidays"), ("update", "regimes", "acme-notice")
    ]  # fmt: skip
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        days = uow.session.execute(select(Holiday.day, Holiday.name)).all()
        assert [(d.isoformat(), n) for d, n in days] == [("2026-05-01", "May Day")]
        regime = uow.session.scalars(select(Regime).where(Regime.key == "acme-notice")).one()
        report = uow.session.scalars(select(RegimeReport).where(RegimeReport.regime_id == regime.id)).one()  # fmt: skip
        assert (regime.version, report.amount) == (2, 5)
    assert _actions(db, root) == []
    (root / "regimes" / "acme.yaml").unlink()
    assert _actions(db, root) == [("delete", "regimes", "acme-notice")]
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get(Regime, regime.id).archived_at is not None  # type: ignore[union-attr]
    # The archived regime's report still counts its days: the domain refuses the deletion.
    (root / "holiday_calendars" / "acme.yaml").unlink()
    found = _errors(db, root)
    assert "in use by a regime report" in found["holiday_calendars/"]
    with db.unit_of_work(readonly=True) as uow:
        keys = set(uow.session.scalars(select(HolidayCalendar.key)))
    assert keys == {"us-federal", "acme-holidays"}


def test_a_regime_naming_an_unknown_calendar_is_refused_at_its_line(
    db: Database, tmp_path: Path
) -> None:
    root = write(tmp_path / "cfg", {"regimes/acme.yaml": REGIME})
    found = _errors(db, root)
    assert found["regimes/acme.yaml:9"] == (
        "no holiday calendar named 'acme-holidays' in the files or in Muster"
    )


def test_role_types_follow_their_files_and_built_in_ones_stay(db: Database, tmp_path: Path) -> None:
    scribe = "key: scribe\nname: Scribe\ninstructions: Writes it all down.\nposition: 30\n"
    root = write(
        tmp_path / "cfg", {"role_types/legal.yaml": ROLE, "role_types/scribe.yaml": scribe}
    )
    assert _actions(db, root) == [
        ("create", "role_types", "legal_liaison"), ("update", "role_types", "scribe")
    ]  # fmt: skip
    _apply(db, root)
    assert _actions(db, root) == []
    write(root, {"role_types/legal.yaml": ROLE.replace("position: 40", "position: 45")})
    _apply(db, root)
    (root / "role_types" / "legal.yaml").unlink()
    (root / "role_types" / "scribe.yaml").unlink()
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        rows = {r.key: r for r in uow.session.scalars(select(IncidentRoleType))}
    assert rows["legal_liaison"].position == 45
    assert rows["legal_liaison"].archived_at is not None
    assert (rows["scribe"].archived_at, rows["scribe"].instructions) == (
        None,
        "Writes it all down.",
    )
    assert _events(db, "incident_role_type.") == [
        "incident_role_type.created", "incident_role_type.updated",
        "incident_role_type.updated", "incident_role_type.archived",
    ]  # fmt: skip
    write(root, {"role_types/bad.yaml": "key: Not-A-Key\nname: Bad\n"})
    assert _errors(db, root)["role_types/bad.yaml:1"].startswith("key: String should match")


def test_services_name_their_site_and_status_page_flags(db: Database, tmp_path: Path) -> None:
    service = "name: API\nteam: Ops\nsite: HQ\npublic: true\npublic_name: Public API\n"
    root = write(tmp_path / "cfg", {**PEOPLE, "sites/hq.yaml": "name: HQ\n",
                                    "services/api.yaml": service})  # fmt: skip
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        api = uow.session.scalars(select(Service)).one()
        hq = uow.session.scalars(select(Site)).one()
        assert (api.site_id, api.public, api.public_name) == (hq.id, True, "Public API")
    assert _actions(db, root) == []
    write(root, {"services/api.yaml": "name: API\nteam: Ops\n"})
    _apply(db, root)
    with db.unit_of_work(readonly=True) as uow:
        api = uow.session.scalars(select(Service)).one()
        assert (api.site_id, api.public, api.public_name) == (None, False, "")
    write(root, {"services/api.yaml": "name: API\nteam: Ops\nsite: Moon base\n"})
    assert _errors(db, root)["services/api.yaml:3"] == (
        "no site named 'Moon base' in the files or in Muster"
    )


def test_shipped_playbooks_and_scenarios_survive_a_round_trip(
    db: Database, db_url: str, tmp_path: Path, sqlite_template: Path,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    root = write(tmp_path / "cfg", {**PEOPLE, "schedules/ops.yaml": SCHEDULE})
    _apply(db, root)
    with db.unit_of_work() as uow:
        do_install_defaults(uow, SYSTEM)
        do_install_shipped(uow, SYSTEM)
        uow.commit()
    var = tmp_path / "var"
    assert run(db_url, var, "config", "export", str(tmp_path / "a")).exit_code == 0
    exported = tree(tmp_path / "a")
    assert "playbooks/ransomware.yaml" in exported
    assert "drill_scenarios/ddos.yaml" in exported
    assert "start: '2026-01-05T08:00:00Z'" in exported["schedules/ops-primary.yaml"]
    db.dispose()
    empty_database(db_url, sqlite_template, request.config)
    applied = run(db_url, var, "config", "apply", str(tmp_path / "a"))
    assert applied.exit_code == 0, applied.output
    assert run(db_url, var, "config", "export", str(tmp_path / "b")).exit_code == 0
    assert tree(tmp_path / "b") == exported
    assert "no changes" in run(db_url, var, "config", "plan", str(tmp_path / "b")).output
