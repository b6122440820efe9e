"""The correlation settings' ignore list through the API and the correlation page:
admins change it (normalised, recorded), a PUT without it keeps it, and a bad entry (an
invalid CIDR network) is refused naming it, changing nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person
from muster.db.uow import Database
from muster.domain.correlation.ignore_list import DEFAULT_IGNORED
from ui_support import as_person, events_of_type, field_has_error

URL = "/api/v1/correlation-settings"


def test_admins_change_the_ignore_list_over_the_api(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin = people["admin"].auth
    body = {"window_minutes": 60, "kinds": ["ip"],
            "ignored": ["127.0.0.0/8", "10.0.0.53", "FE80:0:0::/10", "LocalHost", "10.0.0.53"]}  # fmt: skip
    r = client.put(URL, json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["ignored"] == ["127.0.0.0/8", "10.0.0.53", "fe80::/10", "localhost"]
    (changed,) = events_of_type(db, "correlation.settings_changed")
    assert changed.data["changes"]["ignored"] == [
        list(DEFAULT_IGNORED), ["127.0.0.0/8", "10.0.0.53", "fe80::/10", "localhost"],
    ]  # fmt: skip

    # Left out, the list stays; an empty list ignores nothing.
    r = client.put(URL, json={"window_minutes": 30, "kinds": ["ip"]}, headers=admin)
    assert r.json()["ignored"] == ["127.0.0.0/8", "10.0.0.53", "fe80::/10", "localhost"]
    r = client.put(URL, json={"window_minutes": 30, "kinds": ["ip"], "ignored": []}, headers=admin)
    assert client.get(URL, headers=people["viewer"].auth).json()["ignored"] == []


def test_a_bad_entry_is_refused_naming_it(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin = people["admin"].auth
    cases = {
        "10.0.0.0/33": "10.0.0.0/33",
        "300.1.2.3/8": "300.1.2.3/8",
        "10.0.0.1/24": "did you mean 10.0.0.0/24",
        "": "empty",
        "x" * 301: "at most 300 characters",
    }
    for entry, said in cases.items():
        r = client.put(URL, json={"window_minutes": 60, "kinds": ["ip"],
                                  "ignored": ["127.0.0.0/8", entry]}, headers=admin)  # fmt: skip
        assert r.status_code == 422, (entry, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "ignored" in r.text, r.text
        assert said in r.text, r.text
    r = client.put(URL, json={"window_minutes": 60, "kinds": ["ip"],
                              "ignored": [f"10.{i // 256}.{i % 256}.1" for i in range(201)]},
                   headers=admin)  # fmt: skip
    assert r.status_code == 422
    assert "at most 200 entries" in r.text
    assert client.get(URL, headers=admin).json()["ignored"] == list(DEFAULT_IGNORED)
    assert events_of_type(db, "correlation.settings_changed") == []


def test_the_correlation_page_edits_the_list(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    page = client.get("/correlation").text
    assert "127.0.0.0/8\n::1\n0.0.0.0" in page  # the textarea, one entry per line
    form = {"window_minutes": "45", "kind-ip": "1", "csrf_token": csrf,
            "ignored": "127.0.0.0/8\r\n\r\n  192.168.1.1  \r\nfe80::/10\r\n"}  # fmt: skip
    r = client.post("/correlation/settings", data=form, follow_redirects=False)
    assert r.status_code == 303
    settings = client.get(URL).json()
    assert settings["ignored"] == ["127.0.0.0/8", "192.168.1.1", "fe80::/10"]
    assert settings["window_minutes"] == 45

    bad = client.post("/correlation/settings",
                      data={**form, "window_minutes": "50", "ignored": "10.0.0.0/33\nlocalhost"})  # fmt: skip
    assert bad.status_code == 422
    assert field_has_error(bad.text, "s-ignored")
    assert "10.0.0.0/33" in bad.text  # named, and the typed list kept in the form
    assert "is not a valid CIDR network" in bad.text
    assert client.get(URL).json() == settings

    client.cookies.clear()
    as_person(client, people["viewer"])
    shown = client.get("/correlation").text
    assert "<code>192.168.1.1</code>" in shown
    assert 'name="ignored"' not in shown
