"""The managed-object banner on the edit pages of schedules (and their layers),
playbooks, regimes, holiday calendars, incident roles and drill scenarios — and not on
those of objects made by hand."""

from __future__ import annotations

import textwrap
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from config_code_support import write
from helpers import SYSTEM, Person, sign_in
from muster.db.uow import Database
from muster.domain.compliance.models import HolidayCalendar, Regime
from muster.domain.config_code.apply import do_apply_config
from muster.domain.drills.models import Scenario
from muster.domain.incidents.models import IncidentRoleType
from muster.domain.oncall.models import Schedule, ScheduleLayer
from muster.domain.playbooks.models import Playbook
from muster.domain.playbooks.service import do_apply_playbook

FILES = {
    "teams/ops.yaml": "name: Ops\n",
    "schedules/ops.yaml": """
        name: Ops primary
        team: Ops
        time_zone: UTC
        layers:
          - name: Base
    """,
    "playbooks/outage.yaml": """
        key: outage
        name: Outage
        triggers: [{event: manual}]
        steps:
          - {name: checklist, kind: tasks, tasks: [{title: Look}]}
    """,
    "holiday_calendars/acme.yaml": "key: acme\nname: ACME\n",
    "regimes/notice.yaml": """
        key: notice
        name: Notice
        reports:
          - {key: first, name: First, starts_on: aware_at, amount: 1, unit: business_days,
             holiday_calendar: acme}
    """,
    "role_types/legal.yaml": "key: legal_liaison\nname: Legal liaison\n",
    "drill_scenarios/tabletop.yaml": """
        key: tabletop
        title: Tabletop
        roles: [{key: commander}]
        injects: [{name: start, kind: fact, text: It begins.}]
    """,
}


def test_managed_objects_of_every_kind_show_the_banner(
    client: TestClient, db: Database, people: dict[str, Person], tmp_path: Path
) -> None:
    admin = people["admin"]
    with db.unit_of_work() as uow:
        do_apply_config(uow, SYSTEM, write(tmp_path / "cfg", FILES))
        by_hand = do_apply_playbook(uow, SYSTEM, textwrap.dedent(FILES["playbooks/outage.yaml"])
                                    .replace("outage", "by-hand"))  # fmt: skip
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        one = uow.session.scalars
        schedule = one(select(Schedule)).one().id
        layer = one(select(ScheduleLayer)).one().id
        playbook = one(select(Playbook).where(Playbook.key == "outage")).one().id
        regime = one(select(Regime).where(Regime.key == "notice")).one().id
        calendar = one(select(HolidayCalendar).where(HolidayCalendar.key == "acme")).one().id
        role = one(select(IncidentRoleType).where(IncidentRoleType.key == "legal_liaison")).one()
        scenario = one(select(Scenario)).one().id
        builtin_role = one(select(IncidentRoleType).where(IncidentRoleType.key == "scribe")).one()
    sign_in(client, admin.email, admin.password)
    for url, noun in [
        (f"/schedules/{schedule}/edit", "schedule"),
        (f"/schedules/{schedule}/layers/{layer}", "schedule"),
        (f"/playbooks/{playbook}", "playbook"),
        (f"/settings/regimes/{regime}/edit", "regime"),
        (f"/settings/holiday-calendars/{calendar}", "calendar"),
        (f"/settings/incidents/roles/{role.id}", "role"),
        (f"/drills/scenarios/{scenario}", "scenario"),
    ]:
        page = client.get(url)
        assert page.status_code == 200, url
        assert 'id="managed-banner"' in page.text, url
        assert f"This {noun} was applied with" in page.text, url
    for url in [f"/playbooks/{by_hand.id}", f"/settings/incidents/roles/{builtin_role.id}"]:
        page = client.get(url)
        assert page.status_code == 200, url
        assert 'id="managed-banner"' not in page.text, url


def test_the_status_page_settings_mark_managed_services(
    client: TestClient, db: Database, people: dict[str, Person], tmp_path: Path
) -> None:
    admin = people["admin"]
    sign_in(client, admin.email, admin.password)
    assert 'id="managed-banner"' not in client.get("/settings/status-page").text
    files = {"teams/ops.yaml": "name: Ops\n", "services/web.yaml": "name: Web\nteam: Ops\n"}
    with db.unit_of_work() as uow:
        do_apply_config(uow, SYSTEM, write(tmp_path / "cfg", files))
        uow.commit()
    page = client.get("/settings/status-page")
    assert page.status_code == 200
    assert 'id="managed-banner"' in page.text
    assert '<span class="pill">managed</span>' in page.text
