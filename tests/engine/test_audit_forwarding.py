"""Streaming the audit log to a SIEM with real local receivers: a signed webhook, and
syslog RFC 5424 over UDP, TCP and TLS. Every event after the forwarder's start arrives,
in order, exactly as the log holds it — across receiver outages, a lost batch (a crash
mid-send) and an engine restart — and a PostgreSQL sequence gap loses nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from audit_support import RFC5424, Collector, forwarder_state, free_port, log_after, self_signed
from muster.channels.destinations import url_refusal
from muster.channels.webhook import verify_signature
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate, TeamUpdate
from muster.domain.accounts.service import do_create_team, do_update_team
from muster.domain.audit.forwarders import (
    ForwarderIn,
    ForwarderUpdate,
    do_create_forwarder,
    do_update_forwarder,
)
from muster.domain.audit.forwarding import LEASE, claim_batches
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.events.models import Event
from muster.engine.modules.audit_forwarding import AuditForwarding
from muster.engine.runner import Runner
from notify_support import HttpSink, http_sink, notify_settings

__all__ = ["http_sink"]  # fixture

ADMIN = Actor(kind="user", id="u-admin", label="ada@example.org", role=Role.ADMIN, via=Via.API,
              token_id="t-1", ip="203.0.113.5")  # fmt: skip


@pytest.fixture
def open_settings(settings: Settings) -> Settings:
    return notify_settings(settings)  # may reach 127.0.0.1, where the receivers listen


def forwarder(db: Database, settings: Settings, **fields: Any) -> tuple[str, str | None, int]:
    """Create one; returns its id, secret and starting position."""
    with db.unit_of_work() as uow:
        hook, secret = do_create_forwarder(
            uow, ADMIN, ForwarderIn(name=fields.pop("name", "siem"), **fields),
            url_refusal=url_refusal(settings),
        )  # fmt: skip
        uow.commit()
        return hook.id, secret, hook.position


def make_teams(db: Database, *names: str) -> None:
    for name in names:
        with db.unit_of_work() as uow:
            team = do_create_team(uow, ADMIN, TeamCreate(name=name))
            do_update_team(uow, ADMIN, team.id, TeamUpdate(description=f"{name} team"))
            uow.commit()


def engine(db: Database, settings: Settings) -> Runner:
    return Runner(db, [AuditForwarding(settings)])


def webhook_ids(sink: HttpSink) -> list[str]:
    return [e["id"] for r in sink.received for e in r.json()["events"]]


def test_webhook_batches_are_signed_and_carry_who_from_where(
    db: Database, open_settings: Settings, http_sink: HttpSink
) -> None:
    hook_id, secret, start = forwarder(
        db, open_settings, kind="webhook", url=http_sink.url("/siem")
    )
    assert secret
    assert secret.startswith("whsec_")
    make_teams(db, "Payments", "Search")
    engine(db, open_settings).run_until_idle()

    assert webhook_ids(http_sink) == log_after(db, start)
    request = http_sink.received[0]
    headers = request.headers
    assert verify_signature(secret, headers["x-muster-timestamp"], request.body,
                            headers["x-muster-signature"], now=float(headers["x-muster-timestamp"]))  # fmt: skip
    assert not verify_signature("whsec_other", headers["x-muster-timestamp"], request.body,
                                headers["x-muster-signature"], now=float(headers["x-muster-timestamp"]))  # fmt: skip
    body = request.json()
    assert body["forwarder"] == "siem"
    created = next(e for e in body["events"] if e["type"] == "team.created")
    assert (created["actor"], created["via"], created["ip"]) == (
        "ada@example.org",
        "api",
        "203.0.113.5",
    )
    assert created["token_id"] == "t-1"
    assert body["events"][0]["type"] == "audit_forwarder.created"
    assert forwarder_state(db, hook_id).position == body["through"]


def test_webhook_outage_is_retried_with_backoff_and_nothing_is_skipped(
    db: Database, clock: ManualClock, open_settings: Settings, http_sink: HttpSink
) -> None:
    hook_id, _, start = forwarder(db, open_settings, kind="webhook", url=http_sink.url())
    make_teams(db, "Payments")
    http_sink.statuses = [503, 503]
    runner = engine(db, open_settings)
    runner.run_until_idle()
    failing = forwarder_state(db, hook_id)
    assert (failing.position, failing.failures) == (start, 1)
    assert failing.last_error
    assert "503" in failing.last_error
    assert http_sink.received == []

    runner.run_until_idle()  # still backing off: not tried again
    assert http_sink.statuses == [503]
    clock.advance(seconds=5)
    runner.run_until_idle()  # the second 503
    assert forwarder_state(db, hook_id).failures == 2
    clock.advance(seconds=9)
    runner.run_until_idle()
    assert forwarder_state(db, hook_id).failures == 2  # 10 s after the second failure, not yet
    clock.advance(seconds=1)
    make_teams(db, "Search")
    runner.run_until_idle()

    recovered = forwarder_state(db, hook_id)
    assert (recovered.failures, recovered.last_error, recovered.retry_at) == (0, None, None)
    sent = webhook_ids(http_sink)
    assert sent == log_after(db, start)[: len(sent)]
    assert len(sent) == len(set(sent))
    types = [e["type"] for r in http_sink.received for e in r.json()["events"]]
    assert "audit_forwarder.failing" in types
    assert types.count("team.created") == 2


def test_a_batch_lost_in_a_crash_is_sent_again_after_the_lease_and_restart_resumes(
    db: Database, clock: ManualClock, open_settings: Settings, http_sink: HttpSink
) -> None:
    _hook_id, _, start = forwarder(db, open_settings, kind="webhook", url=http_sink.url())
    make_teams(db, "Payments")
    with db.unit_of_work() as uow:  # the engine took a batch, then died before sending it
        assert len(claim_batches(uow, uow.now)) == 1
        uow.commit()
    runner = engine(db, open_settings)  # a new engine process
    runner.run_until_idle()
    assert http_sink.received == []  # the lease still holds
    clock.advance(LEASE)
    runner.run_until_idle()
    first = webhook_ids(http_sink)
    assert first == log_after(db, start)

    make_teams(db, "Search")
    engine(db, open_settings).run_until_idle()  # restarted again: resumes after the last sent
    assert webhook_ids(http_sink) == log_after(db, start)


def test_type_prefixes_filter_what_is_sent_and_pausing_resumes_where_it_stopped(
    db: Database, open_settings: Settings, http_sink: HttpSink
) -> None:
    hook_id, _, _start = forwarder(
        db, open_settings, kind="webhook", url=http_sink.url(), type_prefixes=["team.up"]
    )
    make_teams(db, "Payments")
    engine(db, open_settings).run_until_idle()
    assert [e["type"] for r in http_sink.received for e in r.json()["events"]] == ["team.updated"]
    with db.unit_of_work() as uow:
        do_update_forwarder(uow, ADMIN, hook_id, ForwarderUpdate(enabled=False),
                            url_refusal=url_refusal(open_settings))  # fmt: skip
        uow.commit()
    make_teams(db, "Search")
    engine(db, open_settings).run_until_idle()
    assert len(http_sink.received) == 1  # paused
    with db.unit_of_work() as uow:
        do_update_forwarder(uow, ADMIN, hook_id, ForwarderUpdate(enabled=True),
                            url_refusal=url_refusal(open_settings))  # fmt: skip
        uow.commit()
    engine(db, open_settings).run_until_idle()
    sent = [e for r in http_sink.received for e in r.json()["events"]]
    assert [e["type"] for e in sent] == ["team.updated", "team.updated"]
    assert forwarder_state(db, hook_id).position == max(_positions(db))


def _positions(db: Database) -> list[int]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Event.position)))


def test_a_position_gap_left_by_a_rolled_back_transaction_loses_nothing(
    db: Database, open_settings: Settings, http_sink: HttpSink
) -> None:
    _hook_id, _, start = forwarder(db, open_settings, kind="webhook", url=http_sink.url())
    with db.unit_of_work() as uow:  # appends, writes (takes a position), then rolls back
        do_create_team(uow, ADMIN, TeamCreate(name="Never"))
        uow.flush()
    make_teams(db, "Payments")
    engine(db, open_settings).run_until_idle()
    assert webhook_ids(http_sink) == log_after(db, start)
    sent = [e for r in http_sink.received for e in r.json()["events"]]
    assert "Never" not in json.dumps(sent)
    assert any(e["type"] == "team.created" for e in sent)
    if db.dialect == "postgresql":  # a sequence does not go back: the gap is real
        positions = [e["position"] for e in sent]
        assert positions[-1] - positions[0] + 1 > len(positions)


def parsed(message: bytes) -> tuple[dict[str, bytes], dict[str, Any]]:
    match = RFC5424.match(message)
    assert match, message[:300]
    return match.groupdict(), json.loads(match["msg"])


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_syslog_rfc5424_over_each_transport(
    db: Database, open_settings: Settings, tmp_path: Path, transport: str
) -> None:
    context, ca = self_signed(tmp_path) if transport == "tls" else (None, None)
    collector = Collector(transport, free_port(), context)
    collector.start()
    try:
        _, _, start = forwarder(db, open_settings, kind="syslog", host="127.0.0.1",
                                port=collector.port, transport=transport, tls_ca_pem=ca)  # fmt: skip
        make_teams(db, "Payments", 'Search "quoted" ]')
        engine(db, open_settings).run_until_idle()
        expected = log_after(db, start)
        messages = collector.wait_for(len(expected))
    finally:
        collector.stop()
    found = [parsed(m) for m in messages]
    assert [body["id"] for _, body in found] == expected
    head, body = next((h, b) for h, b in found if b["type"] == "team.created")
    assert head["pri"] == b"110"
    assert head["app"] == b"muster"
    assert head["msgid"] == b"team.created"
    assert head["host"] == b"muster.test"
    assert b'actor="ada@example.org"' in head["sd"]
    assert b'ip="203.0.113.5"' in head["sd"]
    assert body["via"] == "api"
    assert body["subject_type"] == "team"
    quoted = next(b for _, b in found if b["type"] == "team.created" and "quoted" in str(b["data"]))
    assert quoted["data"]["name"] == 'Search "quoted" ]'


def test_syslog_collector_outage_and_restart_resume_without_a_gap(
    db: Database, clock: ManualClock, open_settings: Settings
) -> None:
    collector = Collector("tcp", free_port())
    collector.start()
    hook_id, _, start = forwarder(db, open_settings, kind="syslog", host="127.0.0.1",
                                  port=collector.port, transport="tcp")  # fmt: skip
    make_teams(db, "Payments")
    engine(db, open_settings).run_until_idle()
    first = len(log_after(db, start))
    assert len(collector.wait_for(first)) == first
    collector.stop()

    make_teams(db, "Search")
    engine(db, open_settings).run_until_idle()  # the collector is down
    down = forwarder_state(db, hook_id)
    assert down.failures == 1
    assert down.last_error
    assert "syslog 127.0.0.1" in down.last_error
    make_teams(db, "Billing")

    collector.start()  # back on the same port, after the backoff
    try:
        clock.advance(seconds=5)
        engine(db, open_settings).run_until_idle()
        expected = log_after(db, start)
        messages = collector.wait_for(len(expected))
    finally:
        collector.stop()
    assert [parsed(m)[1]["id"] for m in messages] == expected
    assert forwarder_state(db, hook_id).failures == 0
