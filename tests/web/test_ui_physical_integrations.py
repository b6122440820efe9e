"""The service page's forms for Frigate, access-control and security-tool integrations:
creating and editing each type's config, bad input named on its field (and nothing
changed), managers only; and an MQTT integration's connection state on its page."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from alert_support import integration_row, make_service
from helpers import SYSTEM, Person
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import Integration
from muster.domain.physical.connections import do_report_connection
from muster.domain.sites.schemas import SiteCreate
from muster.domain.sites.service import do_create_site
from ui_support import as_person, count, field_has_error


@pytest.fixture
def service_id(client: TestClient, people: dict[str, Person]) -> str:
    return make_service(client, people["manager"], "physical")


@pytest.fixture
def site_id(db: Database) -> str:
    with db.unit_of_work() as uow:
        site = do_create_site(uow, SYSTEM, SiteCreate(name="HQ"))
        uow.commit()
        return site.id


def _add(client: TestClient, csrf: str, service_id: str, **fields: str) -> str:
    r = client.post(f"/services/{service_id}/integrations", data={"csrf_token": csrf, **fields},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    match = re.search(r"integration[s/-]+([0-9a-f-]{36})", r.headers["location"])
    assert match, r.headers["location"]
    return match.group(1)


def _refused(client: TestClient, csrf: str, url: str, field: str, **fields: str) -> str:
    r = client.post(url, data={"csrf_token": csrf, **fields})
    assert r.status_code == 422, r.text
    assert field_has_error(r.text, field), r.text
    return r.text


FRIGATE = {"type": "frigate", "name": "NVR", "broker_url": "mqtt://10.0.0.5:1883",
           "username": "muster", "password_secret": "mqtt_password", "topic_prefix": "nvr",
           "frigate_url": "http://10.0.0.6:5000", "alert_severity": "critical"}  # fmt: skip


def test_frigate_is_created_and_edited_from_its_form(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str, site_id: str
) -> None:
    csrf = as_person(client, people["manager"])
    page = client.get(f"/services/{service_id}").text
    assert 'data-show-when="type=frigate|access_control_mqtt"' in page
    assert f'<option value="{site_id}">HQ</option>' in page
    frigate = _add(client, csrf, service_id, **FRIGATE, site_id=site_id, resolve_on_end="on")
    assert integration_row(db, frigate).config == {
        "site_id": site_id, "broker_url": "mqtt://10.0.0.5:1883", "username": "muster",
        "password_secret": "mqtt_password", "topic_prefix": "nvr",
        "frigate_url": "http://10.0.0.6:5000", "alert_severity": "critical", "resolve_on_end": True,
    }  # fmt: skip
    # Ready to paste: the broker and topics, on the service page and its own page.
    assert 'value="mqtt://10.0.0.5:1883 nvr/..."' in client.get(f"/services/{service_id}").text
    page = client.get(f"/integrations/{frigate}").text
    assert "Broker and topics" in page
    assert "<code>nvr/reviews</code>" in page
    assert 'id="s-topic_prefix" name="topic_prefix" type="text" value="nvr"' in page
    assert 'id="s-resolve_on_end" name="resolve_on_end" checked' in page

    r = client.post(f"/integrations/{frigate}/edit", data={
        "csrf_token": csrf, **{k: v for k, v in FRIGATE.items() if k != "type"},
        "name": "NVR 2", "site_id": site_id, "topic_prefix": "frigate", "frigate_url": "", "username": "",
    }, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    config = integration_row(db, frigate).config
    assert config["topic_prefix"] == "frigate"
    assert config["resolve_on_end"] is False
    assert "frigate_url" not in config
    assert "username" not in config
    assert integration_row(db, frigate).name == "NVR 2"


def test_bad_frigate_input_is_named_and_changes_nothing(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str, site_id: str
) -> None:
    csrf = as_person(client, people["manager"])
    url = f"/services/{service_id}/integrations"

    def frigate(**changes: str) -> dict[str, str]:
        return {**FRIGATE, "site_id": site_id, **changes}

    _refused(client, csrf, url, "i-broker_url", **frigate(broker_url="http://10.0.0.5"))
    _refused(client, csrf, url, "i-broker_url", **frigate(broker_url="mqtt://user:pw@10.0.0.5"))
    _refused(client, csrf, url, "i-frigate_url", **frigate(frigate_url="ftp://x"))
    _refused(client, csrf, url, "i-topic_prefix", **frigate(topic_prefix="a/#"))
    _refused(client, csrf, url, "i-password_secret", **frigate(password_secret="not a name!"))
    text = _refused(client, csrf, url, "i-site_id", **frigate(site_id=""))
    assert "the site where new devices are placed" in text
    _refused(client, csrf, url, "i-site_id", **frigate(site_id="no-such-site"))
    assert count(db, Integration) == 0

    made = _add(client, csrf, service_id, **frigate())
    before = integration_row(db, made).config
    _refused(client, csrf, f"/integrations/{made}/edit", "s-broker_url", name="NVR",
             site_id=site_id, broker_url="mqtt://host:99999")  # fmt: skip
    assert integration_row(db, made).config == before


def test_access_control_presets_mappings_and_severities(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str, site_id: str
) -> None:
    csrf = as_person(client, people["manager"])
    hook = _add(client, csrf, service_id, type="access_control", site_id=site_id,
                preset="verkada", sev_door_held_open="critical", sev_access_denied="warning")  # fmt: skip
    config = integration_row(db, hook).config
    assert config["preset"] == "verkada"
    assert "mapping" not in config
    assert config["alert_kinds"]["door_held_open"] == "critical"
    assert config["alert_kinds"]["access_denied"] == "warning"
    assert config["alert_kinds"]["door_forced_open"] == "error"  # the default kept
    assert config["alert_kinds"]["access_granted"] == "none"
    key = integration_row(db, hook).key
    page = client.get(f"/integrations/{hook}").text
    assert f'value="http://127.0.0.1:8000/ingest/access-control/{key}"' in page
    assert re.search(r'id="s-sev_door_held_open".*?<option value="critical" selected>', page, re.S)

    mapping = {"kind": "$.evt", "door": "$.door", "kind_map": {"forced": "door_forced_open"}}
    mqtt = _add(client, csrf, service_id, type="access_control_mqtt", site_id=site_id,
                broker_url="mqtts://broker.lan", topic="doors/+/events", preset="",
                mapping=json.dumps(mapping))  # fmt: skip
    config = integration_row(db, mqtt).config
    assert (config["mapping"], config["topic"], "preset" in config) == (
        mapping,
        "doors/+/events",
        False,
    )
    assert 'value="mqtts://broker.lan doors/+/events"' in client.get(f"/integrations/{mqtt}").text

    # Switching the MQTT one to a preset drops its own mapping.
    r = client.post(f"/integrations/{mqtt}/edit", data={
        "csrf_token": csrf, "name": "Doors", "site_id": site_id, "broker_url": "mqtts://broker.lan",
        "topic": "doors/#", "preset": "unifi_access", "mapping": json.dumps(mapping),
    }, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    config = integration_row(db, mqtt).config
    assert (config.get("preset"), "mapping" in config, config["topic"]) == (
        "unifi_access",
        False,
        "doors/#",
    )


def test_bad_access_control_input_is_named(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str, site_id: str
) -> None:
    csrf = as_person(client, people["manager"])
    url = f"/services/{service_id}/integrations"
    base = {"type": "access_control", "site_id": site_id}
    assert "not JSON" in _refused(
        client, csrf, url, "i-mapping", **base, preset="", mapping="{oops"
    )
    assert "is missing" in _refused(client, csrf, url, "i-mapping", **base, preset="",
                                    mapping='{"kind": "$.k"}')  # fmt: skip
    _refused(client, csrf, url, "i-mapping", **base, preset="", mapping="")
    _refused(client, csrf, url, "i-preset", **base, preset="acme")
    _refused(client, csrf, url, "i-sev_lockdown", **base, preset="muster", sev_lockdown="loud")
    _refused(client, csrf, url, "i-mapping", **base, preset="", mapping="x" * 20001)
    _refused(client, csrf, url, "i-topic", type="access_control_mqtt", site_id=site_id,
             broker_url="mqtt://b", preset="muster", topic="a\x00b")  # fmt: skip
    assert count(db, Integration) == 0


@pytest.mark.parametrize("type", ["wazuh", "suricata", "falco", "elastic", "splunk"])
def test_security_types_are_created_with_their_url(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str, type: str
) -> None:
    csrf = as_person(client, people["manager"])
    assert f'<option value="{type}">' in client.get(f"/services/{service_id}").text
    made = _add(client, csrf, service_id, type=type, name=f"{type} prod")
    key = integration_row(db, made).key
    page = client.get(f"/integrations/{made}").text
    assert f'value="http://127.0.0.1:8000/ingest/{type}/{key}"' in page
    assert f"{type} prod" in page


def test_cef_match_list_is_created_edited_and_checked(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str
) -> None:
    csrf = as_person(client, people["manager"])
    cef = _add(client, csrf, service_id, type="cef",
               cef_match="Check Point | VPN-1 & FireWall-1\n\nFortinet\n")  # fmt: skip
    assert integration_row(db, cef).config["match"] == [
        {"vendor": "Check Point", "product": "VPN-1 & FireWall-1"}, {"vendor": "Fortinet"},
    ]  # fmt: skip
    page = client.get(f"/integrations/{cef}").text
    assert "Check Point / VPN-1 &amp; FireWall-1; Fortinet" in page
    assert "Check Point | VPN-1 &amp; FireWall-1\nFortinet</textarea>" in page
    text = _refused(client, csrf, f"/integrations/{cef}/edit", "s-cef_match", name="CEF",
                    cef_match="Fortinet\n | FortiGate")  # fmt: skip
    assert "line 2" in text
    assert len(integration_row(db, cef).config["match"]) == 2
    _refused(client, csrf, f"/integrations/{cef}/edit", "s-cef_match", name="CEF",
             cef_match="V" * 201)  # fmt: skip
    many = "\n".join(f"Vendor {i}" for i in range(51))
    assert "at most 50 lines" in _refused(client, csrf, f"/integrations/{cef}/edit", "s-cef_match",
                                          name="CEF", cef_match=many)  # fmt: skip
    r = client.post(f"/integrations/{cef}/edit", data={"csrf_token": csrf, "name": "CEF",
                    "cef_match": "Palo Alto Networks | PAN-OS"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert integration_row(db, cef).config["match"] == [
        {"vendor": "Palo Alto Networks", "product": "PAN-OS"}
    ]


def test_only_managers_create_or_edit(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str, site_id: str
) -> None:
    csrf = as_person(client, people["manager"])
    frigate = _add(client, csrf, service_id, **FRIGATE, site_id=site_id)
    before = integration_row(db, frigate).config
    client.cookies.clear()
    csrf = as_person(client, people["responder"])
    page = client.get(f"/integrations/{frigate}").text
    assert 'name="broker_url"' not in page  # no settings form
    r = client.post(f"/services/{service_id}/integrations",
                    data={"csrf_token": csrf, **FRIGATE, "site_id": site_id})  # fmt: skip
    assert r.status_code == 403
    r = client.post(f"/integrations/{frigate}/edit", data={
        "csrf_token": csrf, "name": "x", "site_id": site_id, "broker_url": "mqtt://evil"})  # fmt: skip
    assert r.status_code == 403
    assert count(db, Integration) == 1
    assert integration_row(db, frigate).config == before


def test_connection_state_of_an_mqtt_integration(
    client: TestClient, db: Database, clock: ManualClock, people: dict[str, Person],
    service_id: str, site_id: str,
) -> None:  # fmt: skip
    csrf = as_person(client, people["manager"])
    frigate = _add(client, csrf, service_id, **FRIGATE, site_id=site_id)
    page = client.get(f"/integrations/{frigate}").text
    assert "not connected yet" in page

    def report(connected: bool, error: str | None = None) -> None:
        with db.unit_of_work() as uow:
            do_report_connection(uow, frigate, connected=connected, node="engine-1", error=error,
                                 attempts=0 if connected else 4)  # fmt: skip
            uow.commit()

    report(True)
    page = client.get(f"/integrations/{frigate}").text
    state = page[page.index('id="mqtt-connection"') :][:1500]
    assert "connected</span> since" in state
    assert "disconnected" not in state
    clock.advance(timedelta(seconds=30))
    report(False, "disconnected: Server unavailable")
    state = client.get(f"/integrations/{frigate}").text
    state = state[state.index('id="mqtt-connection"') :][:1500]
    assert "disconnected</span> since" in state
    assert "(4 attempts)" in state
    assert 'Last error: <span class="mono">disconnected: Server unavailable</span>' in state
    clock.advance(timedelta(minutes=5))  # the subscriber stopped reporting
    state = client.get(f"/integrations/{frigate}").text
    assert "no report</span>" in state[state.index('id="mqtt-connection"') :][:1500]
    # Not an MQTT type: no connection shown.
    hook = _add(client, csrf, service_id, type="access_control", site_id=site_id, preset="muster")
    assert 'id="mqtt-connection"' not in client.get(f"/integrations/{hook}").text
