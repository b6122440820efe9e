"""Stakeholders in the UI: follow / unfollow from the incident page, responders add and
remove people and channels, "What I follow", and the navigation links each role gets."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import SYSTEM, Person, make_person
from incident_ui_support import new_incident, post
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd, TeamCreate
from muster.domain.accounts.service import do_add_team_member, do_create_team
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.incidents.models import Subscription
from muster.domain.notify.announce import do_add_channel
from muster.domain.notify.schemas import ChannelCreate
from ui_support import as_person, count, field_has_error, last_event


@dataclass
class Folks:
    ic: Person
    outsider: Person
    viewer: Person
    boss: Person
    admin: Person
    sec: Person
    team: str
    service: str
    channel: str


@pytest.fixture
def folks(db: Database, people: dict[str, Person]) -> Folks:
    ic = make_person(db, "responder", "ic@example.com")
    outsider = make_person(db, "responder", "outsider@example.com")
    sec = make_person(db, "responder", "sec@example.com")
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        security = do_create_team(uow, SYSTEM, TeamCreate(name="Security"))
        security.sees_restricted = True
        do_add_team_member(uow, SYSTEM, security.id, MemberAdd(user_id=sec.id, role="member"))
        service = do_create_service(uow, SYSTEM, ServiceCreate(name="checkout", team_id=team.id))
        channel = do_add_channel(
            uow, SYSTEM, "team", team.id,
            ChannelCreate(type="email", label="core-news", address="core@example.com"),
        )  # fmt: skip
        uow.commit()
        ids = (team.id, service.id, channel.id)
    return Folks(ic, outsider, people["viewer"], people["manager"], people["admin"], sec, *ids)


def _subs(db: Database, scope_id: str) -> set[tuple[str, str]]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(select(Subscription).where(Subscription.scope_id == scope_id))
        return {(r.subscriber_type, r.subscriber_id) for r in rows}


def _sub_id(db: Database, scope_id: str, subscriber_id: str) -> str:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.scalars(
            select(Subscription.id).where(
                Subscription.scope_id == scope_id, Subscription.subscriber_id == subscriber_id
            )
        ).one()


def test_viewer_follows_and_unfollows_from_the_page(
    client: TestClient, db: Database, folks: Folks
) -> None:
    incident = new_incident(db, folks.ic, title="Checkout is down")
    page = f"/incidents/{incident}"
    csrf = as_person(client, folks.viewer)
    html = client.get(page).text
    assert 'id="stakeholders"' in html
    assert f'action="{page}/follow"' in html
    assert "Nobody follows this incident itself." in html
    assert 'id="stake-subscriber"' not in html  # viewers cannot add others
    # Without the CSRF token nothing happens.
    r = client.post(f"{page}/follow", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert _subs(db, incident) == set()
    r = post(client, csrf, f"{page}/follow")
    assert r.status_code == 303
    assert r.headers["location"] == f"{page}#stakeholders"
    assert _subs(db, incident) == {("user", folks.viewer.id)}
    assert last_event(db, "incident.subscribed").data["subscriber_id"] == folks.viewer.id
    html = client.get(page).text
    assert f'action="{page}/unfollow"' in html
    assert '<span class="pill">you</span>' in html
    # Following twice (an old tab) is refused with a message, nothing doubled.
    r = post(client, csrf, f"{page}/follow")
    assert r.status_code == 409
    assert "already subscribed" in r.text.lower()
    assert count(db, Subscription) == 1
    r = post(client, csrf, f"{page}/unfollow")
    assert r.status_code == 303
    assert _subs(db, incident) == set()
    assert last_event(db, "incident.unsubscribed").data["subscriber_id"] == folks.viewer.id
    r = post(client, csrf, f"{page}/unfollow")
    assert r.status_code == 409
    assert "you do not follow this incident" in r.text.lower()


def test_responder_adds_and_removes_people_and_channels(
    client: TestClient, db: Database, folks: Folks
) -> None:
    incident = new_incident(db, folks.ic)
    page = f"/incidents/{incident}"
    csrf = as_person(client, folks.ic)
    html = client.get(page).text
    assert f'value="user:{folks.boss.id}"' in html
    assert f'value="channel:{folks.channel}"' in html
    assert "Team Core: core-news (email)" in html
    for value in (f"user:{folks.boss.id}", f"channel:{folks.channel}"):
        r = post(client, csrf, f"{page}/stakeholders", subscriber=value)
        assert r.status_code == 303, r.text
    assert _subs(db, incident) == {("user", folks.boss.id), ("channel", folks.channel)}
    html = client.get(page).text
    assert "core-news" in html
    assert f"/stakeholders/{_sub_id(db, incident, folks.boss.id)}/remove" in html
    # Bad choices are refused on the form, naming the field; nothing changes.
    for value, status in (("", 422), ("user:nobody", 422), ("channel:nope", 422)):
        r = post(client, csrf, f"{page}/stakeholders", subscriber=value)
        assert r.status_code == status, value
        assert field_has_error(r.text, "stake-subscriber"), value
    r = post(client, csrf, f"{page}/stakeholders", subscriber=f"user:{folks.boss.id}")
    assert r.status_code == 409
    assert count(db, Subscription) == 2
    # Removing: the responder may remove anyone's; another incident's id is not found.
    channel_sub = _sub_id(db, incident, folks.channel)
    other = new_incident(db, folks.ic, title="Other")
    r = post(client, csrf, f"/incidents/{other}/stakeholders/{channel_sub}/remove")
    assert r.status_code == 404
    r = post(client, csrf, f"{page}/stakeholders/{channel_sub}/remove")
    assert r.status_code == 303
    assert _subs(db, incident) == {("user", folks.boss.id)}
    # A viewer may not add others, nor remove someone else.
    csrf = as_person(client, folks.viewer)
    r = post(client, csrf, f"{page}/stakeholders", subscriber=f"user:{folks.viewer.id}")
    assert r.status_code == 403
    r = post(client, csrf, f"{page}/stakeholders/{_sub_id(db, incident, folks.boss.id)}/remove")
    assert r.status_code == 403
    assert _subs(db, incident) == {("user", folks.boss.id)}


def test_restricted_incident_stakeholders(client: TestClient, db: Database, folks: Folks) -> None:
    secret = new_incident(db, folks.sec, title="Credential stuffing", type="security")
    page = f"/incidents/{secret}"
    # An outsider can neither see, follow, nor add anyone to it.
    csrf = as_person(client, folks.outsider)
    assert client.get(page).status_code == 404
    for url, data in (
        (f"{page}/follow", {}),
        (f"{page}/unfollow", {}),
        (f"{page}/stakeholders", {"subscriber": f"user:{folks.outsider.id}"}),
    ):
        r = post(client, csrf, url, **data)
        assert r.status_code == 404, url
        assert "Credential" not in r.text
    assert _subs(db, secret) == set()
    # The security team member follows; a channel is never offered nor accepted, nor
    # someone who may not see it.
    csrf = as_person(client, folks.sec)
    assert post(client, csrf, f"{page}/follow").status_code == 303
    html = client.get(page).text
    assert f'value="channel:{folks.channel}"' not in html
    assert "no channel" in html
    r = post(client, csrf, f"{page}/stakeholders", subscriber=f"channel:{folks.channel}")
    assert r.status_code == 422
    assert "a channel cannot follow a restricted incident" in r.text.lower()
    r = post(client, csrf, f"{page}/stakeholders", subscriber=f"user:{folks.outsider.id}")
    assert r.status_code == 422
    assert field_has_error(r.text, "stake-subscriber")
    r = post(client, csrf, f"{page}/stakeholders", subscriber=f"user:{folks.admin.id}")
    assert r.status_code == 303
    assert _subs(db, secret) == {("user", folks.sec.id), ("user", folks.admin.id)}
    # The outsider cannot remove a stakeholder of it either.
    csrf = as_person(client, folks.outsider)
    sub = _sub_id(db, secret, folks.admin.id)
    assert post(client, csrf, f"{page}/stakeholders/{sub}/remove").status_code == 404
    assert len(_subs(db, secret)) == 2


def test_also_told_through_a_service(client: TestClient, db: Database, folks: Folks) -> None:
    incident = new_incident(db, folks.ic, service_ids=[folks.service])
    csrf = as_person(client, folks.boss)
    r = post(client, csrf, "/subscriptions", scope_type="service", scope_id=folks.service)
    assert r.status_code == 303
    html = client.get(f"/incidents/{incident}").text
    assert 'id="stakeholders-also"' in html
    assert "(service checkout)" in html


def test_what_i_follow(client: TestClient, db: Database, folks: Folks) -> None:
    incident = new_incident(db, folks.ic, title="Checkout is down")
    csrf = as_person(client, folks.viewer)
    html = client.get("/subscriptions").text
    assert "<h1>What I follow</h1>" in html
    assert f'<option value="{folks.service}">checkout</option>' in html
    assert '<option value="1">SEV1' in html
    assert post(client, csrf, f"/incidents/{incident}/follow").status_code == 303
    r = post(client, csrf, "/subscriptions", scope_type="service", scope_id=folks.service)
    assert r.status_code == 303
    assert r.headers["location"] == "/subscriptions"
    assert (
        post(client, csrf, "/subscriptions", scope_type="severity", scope_id="2").status_code == 303
    )
    html = client.get("/subscriptions").text
    assert f'<a href="/incidents/{incident}">INC-' in html
    assert f'<a href="/services/{folks.service}">checkout</a>' in html
    assert "isev-2" in html
    # Bad input: named on the form, nothing added.
    before = count(db, Subscription)
    r = post(client, csrf, "/subscriptions", scope_type="severity", scope_id="9")
    assert r.status_code == 422
    assert field_has_error(r.text, "severity-scope_id")
    r = post(client, csrf, "/subscriptions", scope_type="service", scope_id="nope")
    assert r.status_code == 422
    assert field_has_error(r.text, "service-scope_id")
    r = post(client, csrf, "/subscriptions", scope_type="service", scope_id=folks.service)
    assert r.status_code == 409
    assert count(db, Subscription) == before == 3
    # Unfollow; someone else's subscription is not found here.
    service_sub = _sub_id(db, folks.service, folks.viewer.id)
    r = post(client, csrf, f"/subscriptions/{service_sub}/delete")
    assert r.status_code == 303
    assert count(db, Subscription) == 2
    csrf = as_person(client, folks.boss)
    severity_sub = _sub_id(db, "2", folks.viewer.id)
    assert post(client, csrf, f"/subscriptions/{severity_sub}/delete").status_code == 404
    assert count(db, Subscription) == 2
    # Linked from the profile page and the incident list.
    assert 'href="/subscriptions"' in client.get("/profile").text
    assert 'href="/subscriptions"' in client.get("/incidents").text


def test_hidden_incident_drops_out_of_what_i_follow(
    client: TestClient, db: Database, folks: Folks
) -> None:
    secret = new_incident(db, folks.sec, title="Credential stuffing", type="security")
    page = f"/incidents/{secret}"
    csrf = as_person(client, folks.sec)
    r = post(client, csrf, f"{page}/participants/add", user_id=folks.outsider.id, page="")
    assert r.status_code == 303
    csrf = as_person(client, folks.outsider)
    assert post(client, csrf, f"{page}/follow").status_code == 303
    assert "Credential stuffing" in client.get("/subscriptions").text
    assert post(client, csrf, f"{page}/participants/leave").status_code == 303
    # No longer allowed to see it: it is gone from their list (and not deletable there).
    html = client.get("/subscriptions").text
    assert "Credential stuffing" not in html
    sub = _sub_id(db, secret, folks.outsider.id)
    assert post(client, csrf, f"/subscriptions/{sub}/delete").status_code == 404


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "viewer",
            [],
            ["/settings/status-page", "/settings/incidents", "/settings/incident-webhooks"],
        ),
        ("responder", [], ["/settings/status-page", "/settings/incidents", "/audit"]),
        (
            "manager",
            ["/settings/status-page"],
            ["/settings/incidents", "/settings/incident-webhooks"],
        ),
        (
            "admin",
            ["/settings/status-page", "/settings/incidents", "/settings/incident-webhooks"],
            [],
        ),
    ],
)
def test_navigation_links_by_role(
    client: TestClient,
    people: dict[str, Person],
    role: str,
    shown: list[str],
    hidden: list[str],
) -> None:
    as_person(client, people[role])
    html = client.get("/").text
    nav = html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    for href in shown:
        assert f'href="{href}"' in nav, href
        assert client.get(href).status_code == 200, href  # the link leads somewhere allowed
    for href in hidden:
        assert f'href="{href}"' not in nav, href
    assert '<a href="/status">Service status</a>' in html
    # The settings link is marked current on its page.
    if shown:
        assert f'href="{shown[-1]}" aria-current="page"' in client.get(shown[-1]).text


def test_status_link_for_anonymous_visitors(client: TestClient) -> None:
    html = client.get("/login").text
    assert '<a href="/status">Service status</a>' in html
