"""Outgoing incident webhooks, end to end: events read from the log, queued in the
outbox, POSTed to a real HTTP receiver signed with the webhook's secret — and events of
restricted incidents withheld unless the webhook includes them."""

from __future__ import annotations

from typing import Any

import pytest

from incident_support import Cast, build_cast, declare, incident_events
from muster.channels.destinations import url_refusal
from muster.channels.webhook import verify_signature
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.incidents.schemas import IncidentUpdate
from muster.domain.incidents.service import do_update_incident
from muster.domain.incidents.webhooks import (
    WebhookIn,
    WebhookUpdate,
    do_create_webhook,
    do_update_webhook,
)
from muster.engine.modules import default_modules
from muster.engine.modules.incident_webhooks import IncidentWebhooks
from muster.engine.runner import Runner
from muster.errors import InvalidInput
from notify_support import HttpSink, fakes, http_sink, notify_settings, outbox
from status_support import transition

__all__ = ["http_sink"]  # fixture


def create_hook(
    db: Database, cast: Cast, settings: Settings, url: str, **fields: Any
) -> tuple[str, str]:
    with db.unit_of_work() as uow:
        hook, secret = do_create_webhook(
            uow, cast.admin, WebhookIn(name="bridge", url=url, **fields),
            url_refusal=url_refusal(settings),
        )  # fmt: skip
        uow.commit()
        return hook.id, secret


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


@pytest.fixture
def open_settings(settings: Settings) -> Settings:
    return notify_settings(settings)  # may reach 127.0.0.1, where the receiver listens


def runner(db: Database, settings: Settings) -> Runner:
    return Runner(db, default_modules(settings, channels=fakes()))


def test_events_arrive_signed_and_restricted_ones_are_withheld(
    db: Database, clock: ManualClock, cast: Cast, open_settings: Settings, http_sink: HttpSink
) -> None:
    hook_id, secret = create_hook(db, cast, open_settings, http_sink.url("/muster"))
    shown = declare(db, cast.ic, title="Checkout errors", severity=2, service_ids=[cast.service])
    hidden = declare(db, cast.ic, title="SECRET breach", type="security", severity=1)
    transition(db, cast.ic, shown, "investigating")
    transition(db, cast.ic, hidden, "investigating")
    runner(db, open_settings).run_until_idle()

    # Every event of the open incident, once each (sent in parallel: any order).
    bodies = sorted((r.json() for r in http_sink.received), key=lambda b: b["sequence"])
    assert [b["id"] for b in bodies] == [e.id for e in incident_events(db, shown)]
    assert {b["incident"]["id"] for b in bodies} == {shown}
    assert {"incident.declared", "incident.status_changed"} <= {b["type"] for b in bodies}
    assert all(
        b"SECRET" not in r.body and hidden.encode() not in r.body for r in http_sink.received
    )
    first = next(r for r in http_sink.received if r.json()["id"] == bodies[0]["id"])
    assert first.path == "/muster"
    ts, sig = first.headers["x-muster-timestamp"], first.headers["x-muster-signature"]
    now = clock.now().timestamp()
    assert verify_signature(secret, ts, first.body, sig, now=now)
    assert not verify_signature(secret, ts, first.body + b" ", sig, now=now)
    assert not verify_signature("whsec_other", ts, first.body, sig, now=now)
    declared = bodies[0]
    assert declared["incident"]["reference"].startswith("INC-")
    assert declared["incident"]["url"] == f"https://muster.test/incidents/{shown}"
    assert declared["data"]["title"] == "Checkout errors"
    assert declared["webhook"] == {"id": hook_id, "name": "bridge"}
    changed = next(b for b in bodies if b["type"] == "incident.status_changed")
    assert changed["data"]["to"] == "investigating"
    rows = outbox(db, purpose="webhook")
    assert {r.status for r in rows} == {"sent"}
    assert first.headers["x-muster-idempotency-key"] == declared["idempotency_key"]
    assert declared["idempotency_key"] in {r.idempotency_key for r in rows}
    # Idempotent: another pass sends nothing more.
    runner(db, open_settings).run_until_idle()
    assert len(http_sink.received) == len(bodies)


def test_a_webhook_including_restricted_hears_them_and_type_filters_apply(
    db: Database, cast: Cast, open_settings: Settings, http_sink: HttpSink
) -> None:
    create_hook(db, cast, open_settings, http_sink.url(), include_restricted=True,
                event_types=["incident.status_changed"])  # fmt: skip
    hidden = declare(db, cast.ic, title="Badge reader tampering", type="security")
    transition(db, cast.ic, hidden, "investigating")
    runner(db, open_settings).run_until_idle()
    (only,) = [r.json() for r in http_sink.received]
    assert only["type"] == "incident.status_changed"
    assert only["incident"]["restricted"] is True
    assert only["data"]["restricted"] is True


def test_events_before_the_webhook_existed_are_not_sent(
    db: Database, clock: ManualClock, cast: Cast, open_settings: Settings, http_sink: HttpSink
) -> None:
    engine = runner(db, open_settings)
    before = declare(db, cast.ic, title="Before")
    engine.run_until_idle()
    clock.advance(minutes=1)
    create_hook(db, cast, open_settings, http_sink.url())
    after = declare(db, cast.ic, title="After")
    transition(db, cast.ic, before, "investigating")
    engine.run_until_idle()
    sent = {r.json()["id"] for r in http_sink.received}
    old_events = incident_events(db, before)
    assert sent == {e.id for e in incident_events(db, after)} | {old_events[-1].id}
    assert old_events[-1].type == "incident.status_changed"


def test_pausing_or_restricting_cancels_deliveries_not_yet_sent(
    db: Database, cast: Cast, open_settings: Settings, http_sink: HttpSink
) -> None:
    hook_id, _secret = create_hook(db, cast, open_settings, http_sink.url())
    first = declare(db, cast.ic, title="Queued")
    Runner(db, [IncidentWebhooks()]).run_until_idle()  # queued, not yet sent
    assert {r.status for r in outbox(db, purpose="webhook")} == {"queued"}
    with db.unit_of_work() as uow:  # restricted meanwhile: never sent
        do_update_incident(uow, cast.boss, first, IncidentUpdate(restricted=True))
        uow.commit()
    runner(db, open_settings).run_until_idle()
    assert http_sink.received == []
    rows = outbox(db, purpose="webhook")
    assert {(r.status, r.last_error) for r in rows} == {
        ("cancelled", "not sent: the incident is restricted")
    }
    declare(db, cast.ic, title="Also queued")
    Runner(db, [IncidentWebhooks()]).run_until_idle()
    with db.unit_of_work() as uow:  # paused meanwhile: never sent
        do_update_webhook(uow, cast.admin, hook_id, WebhookUpdate(enabled=False),
                          url_refusal=url_refusal(open_settings))  # fmt: skip
        uow.commit()
    runner(db, open_settings).run_until_idle()
    assert http_sink.received == []
    later = [r for r in outbox(db, purpose="webhook") if r.id not in {x.id for x in rows}]
    assert later
    assert {(r.status, r.last_error) for r in later} == {
        ("cancelled", "not sent: the incident webhook is paused")
    }


def test_the_outbound_policy_refuses_private_addresses_when_saving(
    db: Database, cast: Cast, settings: Settings
) -> None:
    for url in ("http://127.0.0.1:9/x", "http://169.254.169.254/latest", "ftp://example.org/",
                "https://user:pw@example.org/"):  # fmt: skip
        with pytest.raises(InvalidInput) as caught:
            create_hook(db, cast, settings, url)
        assert [e.field for e in caught.value.errors] == ["url"], url
    with pytest.raises(InvalidInput) as caught:
        create_hook(db, cast, notify_settings(settings), "http://127.0.0.1:9/",
                    event_types=["incident.declared", "alert.created"])  # fmt: skip
    assert [(e.field, e.reason) for e in caught.value.errors] == [
        ("event_types.1", "not an incident event type: 'alert.created'")
    ]
