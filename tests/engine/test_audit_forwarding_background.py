"""A long-running engine forwards the audit log from threads of its own: a SIEM that takes
the connection and never answers (a real TCP server) holds up neither a due page nor
another forwarder; when it comes back, forwarding catches up with nothing skipped, and
a restarted engine resumes from the stored position."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from audit_support import (
    RFC5424,
    Collector,
    Silent,
    WebhookCollector,
    forwarder_state,
    free_port,
    log_after,
)
from escalation_support import build_world, make_policy, trigger, user
from helpers import SYSTEM
from muster.channels.destinations import url_refusal
from muster.channels.fake import FakeChannel
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.audit.forwarders import ForwarderIn, do_create_forwarder
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.events.models import Event
from muster.domain.notify.schemas import MethodCreate
from muster.domain.notify.service import do_add_method
from muster.engine.modules import default_modules
from muster.engine.modules.audit_forwarding import AuditForwarding
from muster.engine.runner import Runner
from notify_support import HttpSink, http_sink, notify_settings

__all__ = ["http_sink"]  # fixture

HANG = 30.0  # the read timeout: how long a send to the silent destination would wait
BOUND = 5.0  # how long a due page may take while the destination hangs
ADMIN = Actor(kind="user", id="u-admin", label="ada@example.org", role=Role.ADMIN, via=Via.API)


def _until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Wait for the engine's threads to get somewhere (bounded: a bug fails, not hangs)."""
    pause, deadline = threading.Event(), time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        pause.wait(0.01)


@pytest.fixture
def hanging_settings(settings: Settings) -> Settings:
    return notify_settings(settings, read_timeout=HANG)


@pytest.fixture
def silent() -> Iterator[Silent]:
    destination = Silent(free_port())
    destination.start()
    yield destination
    destination.stop()


def forwarder_to(db: Database, settings: Settings, kind: str, port: int, name: str) -> str:
    fields: dict[str, Any] = (
        {"url": f"http://127.0.0.1:{port}/siem"}
        if kind == "webhook"
        else {"host": "127.0.0.1", "port": port, "transport": "tcp"}
    )
    with db.unit_of_work() as uow:
        hook, _ = do_create_forwarder(uow, ADMIN, ForwarderIn(name=name, kind=kind, **fields),
                                      url_refusal=url_refusal(settings))  # fmt: skip
        uow.commit()
        return hook.id


def log_end(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.max(Event.position))) or 0)


def make_teams(db: Database, *names: str) -> None:
    for name in names:
        with db.unit_of_work() as uow:
            do_create_team(uow, ADMIN, TeamCreate(name=name))
            uow.commit()


def syslog_id(message: bytes) -> str:
    match = RFC5424.match(message)
    assert match, message[:300]
    return str(json.loads(match["msg"])["id"])


class Receiver:
    """The destination once it works again, on the silent one's port: a webhook receiver
    or a syslog collector over TCP."""

    def __init__(self, kind: str, port: int) -> None:
        self.webhook = WebhookCollector(port) if kind == "webhook" else None
        self.syslog = None if self.webhook else Collector("tcp", port)

    def start(self) -> None:
        (self.webhook or self.syslog).start()  # type: ignore[union-attr]

    def stop(self) -> None:
        (self.webhook or self.syslog).stop()  # type: ignore[union-attr]

    def ids(self) -> list[str]:
        if self.webhook is not None:
            return self.webhook.ids()
        assert self.syslog is not None
        return [syslog_id(m) for m in list(self.syslog.messages)]


@pytest.mark.parametrize("kind", ["webhook", "syslog"])
def test_a_hanging_destination_holds_up_no_page_and_forwarding_catches_up(
    db: Database, clock: ManualClock, hanging_settings: Settings, silent: Silent, kind: str
) -> None:
    world = build_world(db)
    make_policy(db, world, [[user(world.alice)]])
    with db.unit_of_work() as uow:
        do_add_method(uow, SYSTEM, world.alice, MethodCreate(
            type="sms", label="phone", address="+14155550100", verified=True))  # fmt: skip
        uow.commit()
    hook_id = forwarder_to(db, hanging_settings, kind, silent.port, "siem")
    start = forwarder_state(db, hook_id).position
    make_teams(db, "Payments")
    sms = FakeChannel("sms")
    channels = {"sms": sms, "voice": FakeChannel("voice")}
    runner = Runner(db, default_modules(hanging_settings, channels=channels))
    thread = threading.Thread(target=runner.run_forever, args=(0.01,), daemon=True)
    receiver = Receiver(kind, silent.port)
    thread.start()
    try:
        _until(lambda: silent.holding() == 1, "the first batch reached the destination")
        began = time.monotonic()
        trigger(db, world)  # an alert whose escalation pages alice at once
        _until(lambda: bool(sms.sent), "the page was sent")
        took = time.monotonic() - began
        assert took < BOUND, f"the page waited {took:.1f}s behind the hanging destination"
        assert silent.holding() == 1, "the batch is still waiting for an answer"
        hanging = forwarder_state(db, hook_id)
        assert (hanging.position, hanging.failures) == (start, 0)
        assert hanging.claim is not None

        silent.stop()  # the SIEM goes away: the send fails and is retried after a backoff
        _until(lambda: forwarder_state(db, hook_id).failures == 1, "the failed send was recorded")
        assert forwarder_state(db, hook_id).position == start
        receiver.start()  # back on the same port
        clock.advance(seconds=5)
        _until(lambda: forwarder_state(db, hook_id).position == log_end(db), "forwarding caught up")
        assert receiver.ids() == log_after(db, start)
        assert forwarder_state(db, hook_id).failures == 0
    finally:
        silent.stop()
        runner.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()

    try:  # a new engine process resumes from the stored position: nothing twice, no gap
        make_teams(db, "Search")
        restarted = Runner(db, default_modules(hanging_settings, channels=channels))
        assert not restarted.run_until_idle().errors
        if kind == "syslog":
            receiver.syslog.wait_for(len(log_after(db, start)))  # type: ignore[union-attr]
        assert receiver.ids() == log_after(db, start)
    finally:
        receiver.stop()
    assert forwarder_state(db, hook_id).position == log_end(db)


def test_a_hanging_forwarder_holds_up_no_other_forwarder(
    db: Database, hanging_settings: Settings, silent: Silent, http_sink: HttpSink
) -> None:
    stuck = forwarder_to(db, hanging_settings, "webhook", silent.port, "stuck")
    stuck_start = forwarder_state(db, stuck).position
    working = forwarder_to(db, hanging_settings, "webhook", http_sink.port, "working")
    start = forwarder_state(db, working).position
    make_teams(db, "Payments")
    module = AuditForwarding(hanging_settings, workers=2)
    runner = Runner(db, [module])
    module.start_background()
    try:
        assert runner.run_once().items["audit_forwarding"] == 2
        _until(lambda: silent.holding() == 1, "the stuck one's batch reached its destination")
        make_teams(db, "Search")  # more to send while the stuck one hangs
        _until(lambda: runner.run_once().items["audit_forwarding"] == 0
               and forwarder_state(db, working).position == log_end(db), "the working one kept up")  # fmt: skip
        sent = [e["id"] for r in http_sink.received for e in r.json()["events"]]
        assert sent == log_after(db, start)
        assert forwarder_state(db, stuck).position == stuck_start
        assert forwarder_state(db, stuck).claim is not None
    finally:
        silent.stop()
        module.stop_background()


def test_claiming_stops_while_every_sender_is_busy(
    db: Database, hanging_settings: Settings, silent: Silent, http_sink: HttpSink
) -> None:
    """A claimed batch never waits behind a hanging one (its lease would run out)."""
    stuck = forwarder_to(db, hanging_settings, "webhook", silent.port, "stuck")
    waiting = forwarder_to(db, hanging_settings, "webhook", http_sink.port, "waiting")
    start = forwarder_state(db, waiting).position
    make_teams(db, "Payments")
    module = AuditForwarding(hanging_settings, workers=1)
    runner = Runner(db, [module])
    module.start_background()
    try:
        assert runner.run_once().items["audit_forwarding"] == 1  # the older forwarder first
        _until(lambda: silent.holding() == 1, "the stuck one's batch reached its destination")
        assert runner.run_until_idle().items["audit_forwarding"] == 0, "the only sender is busy"
        assert forwarder_state(db, waiting).claim is None
        assert forwarder_state(db, waiting).position == start
        assert http_sink.received == []

        silent.stop()  # the stuck send fails; the sender is free again
        _until(lambda: forwarder_state(db, stuck).failures == 1, "the stuck send failed")
        _until(lambda: runner.run_once().items["audit_forwarding"] == 1, "the other was claimed")
        _until(lambda: forwarder_state(db, waiting).position == log_end(db), "the other was sent")
        assert [e["id"] for r in http_sink.received for e in r.json()["events"]] == log_after(
            db, start
        )
    finally:
        silent.stop()
        module.stop_background()
