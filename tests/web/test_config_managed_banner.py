"""Edit pages warn before an object applied from configuration files is edited by hand,
and only then."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from config_code_support import write
from helpers import SYSTEM, Person, sign_in
from muster.db.uow import Database
from muster.domain.accounts.models import Team
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.catalog.models import Service
from muster.domain.config_code.apply import do_apply_config
from muster.domain.escalation.models import EscalationPolicy

FILES = {
    "teams/ops.yaml": "name: Ops\n",
    "escalation_policies/ops.yaml": """
        name: Ops paging
        team: Ops
        levels:
          - delay_minutes: 5
            targets:
              - type: team
                name: Ops
    """,
    "services/web.yaml": "name: Web\nteam: Ops\nescalation_policy: Ops paging\n",
}


def test_managed_objects_show_the_banner_on_their_edit_pages(
    client: TestClient, db: Database, people: dict[str, Person], tmp_path: Path
) -> None:
    admin = people["admin"]
    # The admin made by the fixture is not in the files: adopt nothing, delete nothing.
    with db.unit_of_work() as uow:
        do_apply_config(uow, SYSTEM, write(tmp_path / "cfg", FILES))
        do_create_team(uow, SYSTEM, TeamCreate(name="By hand"))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        ops = uow.session.scalars(select(Team).where(Team.name == "Ops")).one().id
        by_hand = uow.session.scalars(select(Team).where(Team.name == "By hand")).one().id
        service = uow.session.scalars(select(Service)).one().id
        policy = uow.session.scalars(select(EscalationPolicy)).one().id
    sign_in(client, admin.email, admin.password)
    for url, noun in [
        (f"/teams/{ops}/edit", "team"),
        (f"/services/{service}/edit", "service"),
        (f"/escalation-policies/{policy}/edit", "escalation policy"),
    ]:
        page = client.get(url)
        assert page.status_code == 200, url
        assert 'id="managed-banner"' in page.text, url
        assert f"This {noun} was applied with" in page.text
    plain = client.get(f"/teams/{by_hand}/edit")
    assert plain.status_code == 200
    assert 'id="managed-banner"' not in plain.text


def test_a_refused_edit_of_a_managed_team_still_shows_the_banner(
    client: TestClient, db: Database, people: dict[str, Person], tmp_path: Path
) -> None:
    admin = people["admin"]
    with db.unit_of_work() as uow:
        do_apply_config(uow, SYSTEM, write(tmp_path / "cfg", {"teams/ops.yaml": "name: Ops\n"}))
        do_create_team(uow, SYSTEM, TeamCreate(name="Taken"))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        ops = uow.session.scalars(select(Team).where(Team.name == "Ops")).one().id
    csrf = sign_in(client, admin.email, admin.password)
    page = client.post(f"/teams/{ops}/edit", data={"name": "Taken", "csrf_token": csrf})
    assert page.status_code == 409  # the name is another team's
    assert 'id="managed-banner"' in page.text
    assert "This team was applied with" in page.text
