"""Paging a person, clock-driven: the right messages on the right channels at the right
times, cancellation, retries and fall-through, restarts, two workers, bundling,
throttling, Muster's own health — with a real SMTP server and a real HTTP receiver."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from helpers import SYSTEM, make_person
from muster.channels.fake import FakeChannel
from muster.channels.webhook import verify_signature
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.alerts.service import do_acknowledge_group
from muster.domain.notify.announce import do_add_channel
from muster.domain.notify.delivery import claim_due
from muster.domain.notify.health import channel_problems
from muster.domain.notify.jobs import Options
from muster.domain.notify.schemas import ChannelCreate, MethodCreate
from muster.domain.notify.service import do_add_method
from muster.engine.modules import default_modules
from muster.engine.modules.delivery import Delivery
from muster.engine.modules.notifications import Notifications
from muster.engine.runner import Runner
from notify_support import (
    HttpSink,
    SmtpSink,
    build_paging,
    events,
    fakes,
    http_sink,
    notify_settings,
    outbox,
    request,
    smtp_sink,
    trigger,
)

__all__ = ["http_sink", "smtp_sink"]  # fixtures


def test_a_page_goes_out_step_by_step_on_the_right_channels(
    db: Database, clock: ManualClock, settings: Settings, smtp_sink: SmtpSink, http_sink: HttpSink
) -> None:
    paging = build_paging(db, {"email": "alice@example.com", "webhook": http_sink.url(),
                               "sms": "+14155550100", "voice": "+14155550100"})  # fmt: skip
    channels = fakes()
    runner = Runner(db, default_modules(notify_settings(settings, smtp_sink), channels=channels))
    group = trigger(db, paging, "Disk full on db-1")
    clock.advance(minutes=3)
    request(db, group, paging.alice.id)
    runner.run_until_idle()
    # Defaults for high urgency: email and webhook at once, SMS after 2 min, voice after 5.
    (rcpt, mail), = smtp_sink.wait_for(1)  # fmt: skip
    assert rcpt == ["alice@example.com"]
    assert mail["Subject"] == "[CRITICAL] checkout-api: Disk full on db-1"
    assert mail["Reply-To"].startswith("act+")
    assert mail["Reply-To"].endswith("@muster.test")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"https://muster.test/alert-groups/{group}" in text
    assert "firing 3 min" in text
    assert "Acknowledge it: https://muster.test/act/" in text
    assert mail.get_body(("html",)) is not None
    (hook,) = http_sink.received
    assert hook.json()["groups"][0]["id"] == group
    assert not channels["sms"].sent
    clock.advance(minutes=2)
    runner.run_until_idle()
    (sms,) = channels["sms"].sent
    assert sms.address == "+14155550100"
    assert "checkout-api" in sms.short
    assert "/act/" in sms.short
    assert not channels["voice"].sent
    clock.advance(minutes=3)
    runner.run_until_idle()
    (call,) = channels["voice"].sent
    assert "Disk full on db-1" in call.voice
    sent = [e for e in events(db, group) if e.type == "notification.sent"]
    assert sorted(e.data["method_type"] for e in sent[:2]) == ["email", "webhook"]
    assert [e.data["method_type"] for e in sent[2:]] == ["sms", "voice"]
    assert [e.occurred_at - clock.now() for e in sent] == [timedelta(minutes=-5)] * 2 + [
        timedelta(minutes=-3), timedelta(0)]  # fmt: skip
    assert {r.status for r in outbox(db)} == {"sent"}


def test_delayed_steps_are_cancelled_when_the_group_is_acknowledged(
    db: Database, clock: ManualClock, settings: Settings, smtp_sink: SmtpSink
) -> None:
    paging = build_paging(db, {"email": "alice@example.com", "sms": "+14155550100"},
                          rules=[("high", "email", 0), ("high", "sms", 5)])  # fmt: skip
    channels = fakes()
    runner = Runner(db, default_modules(notify_settings(settings, smtp_sink), channels=channels))
    group = trigger(db, paging, "Checkout errors")
    request(db, group, paging.alice.id)
    runner.run_until_idle()
    assert len(smtp_sink.wait_for(1)) == 1
    clock.advance(minutes=1)
    with db.unit_of_work() as uow:
        do_acknowledge_group(uow, SYSTEM, group)
        uow.commit()
    runner.run_until_idle()
    clock.advance(minutes=10)
    runner.run_until_idle()
    assert not channels["sms"].attempts
    sms = outbox(db, method_type="sms")[0]
    assert sms.status == "cancelled"
    assert sms.last_error == "not sent: the alert group was acknowledged"


def test_a_channel_down_is_retried_with_backoff_then_falls_through(
    db: Database, clock: ManualClock, settings: Settings, smtp_sink: SmtpSink, http_sink: HttpSink
) -> None:
    paging = build_paging(db, {"webhook": http_sink.url(), "email": "alice@example.com"},
                          rules=[("high", "webhook", 0), ("high", "email", 15)])  # fmt: skip
    runner = Runner(db, default_modules(notify_settings(settings, smtp_sink), channels=fakes()))
    http_sink.statuses = [503] * 4
    group = trigger(db, paging, "Payment gateway down")
    start = clock.now()
    request(db, group, paging.alice.id)
    runner.run_until_idle()
    for wait in (15, 30, 60):  # exponential backoff between the four tries
        clock.advance(seconds=wait - 1)
        runner.run_until_idle()
        assert len(outbox(db, method_type="webhook")[0].last_error or "") > 0
        clock.advance(seconds=1)
        runner.run_until_idle()
    hook = outbox(db, method_type="webhook")[0]
    assert hook.status == "failed"
    assert hook.attempts == 4
    assert "HTTP 503" in (hook.last_error or "")
    # The email step (due at +15 min) is brought forward at once.
    assert len(smtp_sink.wait_for(1)) == 1
    email = outbox(db, method_type="email")[0]
    assert email.sent_at == start + timedelta(seconds=105)
    kinds = [e.type for e in events(db, group)]
    assert kinds.count("notification.retrying") == 3
    failed = [e for e in events(db, group) if e.type == "notification.failed"]
    assert failed[0].data["falls_through_to"] == "email"


def test_a_permanent_failure_falls_through_at_once(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    paging = build_paging(db, {"sms": "+14155550100", "voice": "+14155550101"},
                          rules=[("high", "sms", 0)])  # fmt: skip
    channels = fakes()
    channels["sms"].fail_next(permanent=True, error="21211 invalid 'To' number")
    runner = Runner(db, default_modules(notify_settings(settings), channels=channels))
    group = trigger(db, paging, "Queue stuck")
    request(db, group, paging.alice.id)
    runner.run_until_idle()
    assert len(channels["sms"].attempts) == 1
    assert not channels["sms"].sent
    (call,) = channels["voice"].sent  # no rule for voice: the next verified method
    assert call.address == "+14155550101"
    assert outbox(db, method_type="sms")[0].attempts == 1


def test_a_worker_dying_mid_delivery_sends_exactly_once_after_its_lease(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    paging = build_paging(db, {"sms": "+14155550100"})
    cfg = notify_settings(settings, lease_seconds=120)
    group = trigger(db, paging, "Disk full")
    request(db, group, paging.alice.id)
    Runner(db, [Notifications()]).run_until_idle()
    with db.unit_of_work() as uow:  # a worker claims, commits ... and dies before sending
        (job,) = claim_due(uow, Options.from_settings(cfg), uow.now)
        uow.commit()
    channels = fakes()
    runner = Runner(db, default_modules(cfg, channels=channels))  # the restarted worker
    runner.run_until_idle()
    assert not channels["sms"].attempts  # the lease still holds
    clock.advance(seconds=121)
    runner.run_until_idle()
    runner.run_until_idle()
    (sms,) = channels["sms"].sent
    assert sms.idempotency_key == job.message.idempotency_key
    row = outbox(db)[0]
    assert row.status == "sent"
    assert row.attempts == 2
    retried = [e for e in events(db, group) if e.type == "notification.retrying"]
    assert retried[0].data["lease_expired"] is True


def test_no_transaction_is_open_while_a_message_is_sent(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    """A send that writes to the database itself would wait forever for the writer lock
    if the claim's transaction were still open."""
    paging = build_paging(db, {"sms": "+14155550100"})
    channels = fakes()
    wrote: list[bool] = []

    def write_during_send(_message: object) -> None:
        with db.unit_of_work() as uow:
            make_person_in = uow.session.connection()
            assert make_person_in is not None
            uow.commit()
        wrote.append(True)

    channels["sms"].during_send = write_during_send
    runner = Runner(db, default_modules(notify_settings(settings), channels=channels))
    request(db, trigger(db, paging, "Slow provider"), paging.alice.id)
    worker = threading.Thread(target=runner.run_until_idle, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive()
    assert wrote == [True]
    assert len(channels["sms"].sent) == 1


def test_two_workers_send_each_message_once(
    db: Database, clock: ManualClock, settings: Settings, http_sink: HttpSink
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SKIP LOCKED between two workers needs PostgreSQL")
    cfg = notify_settings(settings, throttle="")
    paging = build_paging(db, {})
    people = [make_person(db, "responder") for _ in range(12)]
    with db.unit_of_work() as uow:
        for i, person in enumerate(people):
            do_add_method(uow, SYSTEM, person.id, MethodCreate(
                type="webhook", label="hook", address=http_sink.url(f"/p{i}"), verified=True))  # fmt: skip
        uow.commit()
    groups = [trigger(db, paging, f"Alert {i}") for i in range(5)]
    for group in groups:
        for person in people:
            request(db, group, person.id)
    Runner(db, [Notifications()]).run_until_idle()
    barrier = threading.Barrier(2)

    def work() -> None:
        runner = Runner(db, [Delivery(cfg)])
        barrier.wait()
        runner.run_until_idle()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    delivered = [(r.path, g["id"]) for r in http_sink.received for g in r.json()["groups"]]
    assert len(delivered) == len(set(delivered)) == 60
    assert {r.status for r in outbox(db)} == {"sent"}


def test_many_alerts_paging_one_person_are_bundled(
    db: Database, clock: ManualClock, settings: Settings, smtp_sink: SmtpSink
) -> None:
    paging = build_paging(db, {"email": "alice@example.com"})
    runner = Runner(db, default_modules(notify_settings(settings, smtp_sink), channels=fakes()))
    groups = []
    for i in range(7):
        groups.append(trigger(db, paging, f"Pod {i} crash-looping"))
        request(db, groups[-1], paging.alice.id)
        runner.run_until_idle()
        clock.advance(seconds=5)
    assert len(smtp_sink.wait_for(1)) == 1  # the first at once; the others wait out the minute
    clock.advance(seconds=30)
    runner.run_until_idle()
    (_, first), (_, bundle) = smtp_sink.wait_for(2)
    assert first["Subject"] == "[CRITICAL] checkout-api: Pod 0 crash-looping"
    assert bundle["Subject"] == "6 alerts on checkout-api"
    text = bundle.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert all(f"/alert-groups/{g}" in text for g in groups[1:])
    assert "Acknowledge all of these" in text
    rows = outbox(db)
    carrier = rows[1]
    assert {r.bundle_id for r in rows[2:]} == {carrier.id}
    assert {r.status for r in rows} == {"sent"}


def test_sms_is_throttled_to_five_per_fifteen_minutes(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    paging = build_paging(db, {"sms": "+14155550100"})
    channels = fakes()
    runner = Runner(db, default_modules(notify_settings(settings), channels=channels))
    start = clock.now()
    sent_at = []
    for i in range(20):  # one new alert group a minute for 20 minutes
        request(db, trigger(db, paging, f"Alert {i}"), paging.alice.id)
        before = len(channels["sms"].sent)
        runner.run_until_idle()
        sent_at += [clock.now() - start] * (len(channels["sms"].sent) - before)
        clock.advance(minutes=1)
    assert sent_at == [timedelta(minutes=m) for m in (0, 1, 2, 3, 4, 15, 16, 17, 18, 19)]
    assert channels["sms"].sent[5].short.startswith("Muster: 11 alerts on checkout-api")


def test_webhook_deliveries_are_signed(
    db: Database, clock: ManualClock, settings: Settings, http_sink: HttpSink
) -> None:
    paging = build_paging(db, {"webhook": http_sink.url()})
    runner = Runner(db, default_modules(notify_settings(settings), channels=fakes()))
    request(db, trigger(db, paging, "Signed"), paging.alice.id)
    runner.run_until_idle()
    (hook,) = http_sink.received
    with db.unit_of_work(readonly=True) as uow:
        from muster.domain.notify.models import ContactMethod

        secret = uow.session.get_one(ContactMethod, paging.methods["webhook"]).secret
    assert secret
    ts, sig = hook.headers["x-muster-timestamp"], hook.headers["x-muster-signature"]
    now = clock.now().timestamp()
    assert verify_signature(secret, ts, hook.body, sig, now=now)
    assert not verify_signature(secret, ts, hook.body + b" ", sig, now=now)
    assert not verify_signature(secret, ts, hook.body, sig, now=now + 301)  # replayed late
    assert hook.headers["x-muster-idempotency-key"] == outbox(db)[0].idempotency_key


def test_a_person_without_a_usable_method_is_flagged_on_the_timeline(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    paging = build_paging(db, {})
    with db.unit_of_work() as uow:  # their only method is unverified
        do_add_method(
            uow,
            SYSTEM,
            paging.alice.id,
            MethodCreate(type="sms", label="m", address="+14155550100"),
        )
        uow.commit()
    runner = Runner(db, default_modules(notify_settings(settings), channels=fakes()))
    group = trigger(db, paging, "Nobody home")
    request(db, group, paging.alice.id)
    runner.run_until_idle()
    (failed,) = events(db, group, "notification.failed")
    assert "no verified contact method" in failed.data["error"]


def test_team_channels_hear_of_groups_opening_and_closing(
    db: Database, clock: ManualClock, settings: Settings, http_sink: HttpSink
) -> None:
    paging = build_paging(db, {})
    with db.unit_of_work() as uow:
        from muster.domain.catalog.models import Service

        team_id = uow.session.get_one(Service, paging.service).team_id
        do_add_channel(uow, SYSTEM, "team", team_id,
                       ChannelCreate(type="webhook", label="#ops", address=http_sink.url("/room")))  # fmt: skip
        uow.commit()
    runner = Runner(db, default_modules(notify_settings(settings), channels=fakes()))
    group = trigger(db, paging, "Latency high")
    runner.run_until_idle()
    with db.unit_of_work() as uow:
        do_acknowledge_group(uow, SYSTEM, group)
        uow.commit()
    runner.run_until_idle()
    said = [r.json()["text"] for r in http_sink.received]
    assert said[0].startswith("Opened: [CRITICAL] checkout-api: Latency high")
    assert said[1].startswith("Acknowledged by test: [CRITICAL] checkout-api: Latency high")


def test_admins_are_told_when_a_channel_fails_for_five_minutes(
    db: Database, clock: ManualClock, settings: Settings, smtp_sink: SmtpSink
) -> None:
    paging = build_paging(db, {"sms": "+14155550100"})
    admin = make_person(db, "admin", "root@example.com")
    with db.unit_of_work() as uow:
        do_add_method(
            uow,
            SYSTEM,
            admin.id,
            MethodCreate(type="email", label="e", address="root@example.com", verified=True),
        )
        uow.commit()
    channels: dict[str, FakeChannel] = fakes()
    channels["sms"].fail_next(50)
    runner = Runner(db, default_modules(notify_settings(settings, smtp_sink), channels=channels))
    for minute in range(7):
        request(db, trigger(db, paging, f"Alert {minute}"), paging.alice.id)
        runner.run_until_idle()
        with db.unit_of_work(readonly=True) as uow:
            problems = channel_problems(uow, clock.now())
        assert bool(problems) == (minute >= 5)
        clock.advance(minutes=1)
    (rcpt, mail), = smtp_sink.wait_for(1)  # fmt: skip
    assert rcpt == ["root@example.com"]
    assert mail["Subject"] == "Muster: sms delivery is failing"
    assert problems[0].method_type == "sms"
