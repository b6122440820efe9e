"""A long-running engine sends from threads of delivery's own: a slow channel does not
hold up the next passes (new pages are still queued and sent), and every message still
goes exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable

from muster.channels.base import Message
from muster.channels.fake import FakeChannel
from muster.config import Settings
from muster.db.uow import Database
from muster.engine.modules.delivery import Delivery
from muster.engine.modules.notifications import Notifications
from muster.engine.runner import Runner
from notify_support import build_paging, fakes, notify_settings, outbox, request, trigger


def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait for the engine thread to get somewhere (bounded, so a bug fails, not hangs)."""
    pause = threading.Event()
    for _ in range(2000):
        if condition():
            return
        pause.wait(0.01)
    raise AssertionError(f"never happened: {what}")


def test_a_slow_send_does_not_hold_up_the_engine(db: Database, settings: Settings) -> None:
    paging = build_paging(db, {"webhook": "https://hooks.example.com/muster"})
    hook = FakeChannel("webhook")
    entered, release = threading.Event(), threading.Event()

    def first_send_hangs(message: Message) -> None:
        if not entered.is_set():
            entered.set()
            release.wait(30)

    hook.during_send = first_send_hangs
    cfg = notify_settings(settings, throttle="sms=5/15m")
    delivery = Delivery(cfg, {"webhook": hook, **fakes()})
    runner = Runner(db, [Notifications(), delivery])
    thread = threading.Thread(target=runner.run_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        slow = trigger(db, paging, "first: its send hangs")
        request(db, slow, paging.alice.id)
        _until(entered.is_set, "the first send began")
        quick = trigger(db, paging, "second: sent while the first hangs")
        request(db, quick, paging.alice.id)
        _until(lambda: bool(outbox(db, group_id=quick, status="sent")), "the second was sent")
        assert not release.is_set()
        assert outbox(db, group_id=slow, status="sending"), "the first is still under way"
        release.set()
        _until(lambda: bool(outbox(db, group_id=slow, status="sent")), "the first was sent")
    finally:
        release.set()
        runner.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()
    sent = sorted(g["id"] for m in hook.sent for g in m.data["groups"])
    assert sent == sorted([slow, quick]), "each page sent exactly once"
    assert [r.status for r in outbox(db)] == ["sent", "sent"]


def test_claiming_stops_while_every_sender_is_busy(db: Database, settings: Settings) -> None:
    """A claimed message never waits behind busy senders (its lease would run out)."""
    paging = build_paging(db, {"webhook": "https://hooks.example.com/muster"})
    hook = FakeChannel("webhook")
    release = threading.Event()
    hook.during_send = lambda message: release.wait(30) and None
    cfg = notify_settings(settings, throttle="sms=5/15m")
    delivery = Delivery(cfg, {"webhook": hook, **fakes()}, workers=1)
    runner = Runner(db, [Notifications(), delivery])
    delivery.start_background()
    try:
        first = trigger(db, paging, "first")
        request(db, first, paging.alice.id)
        assert runner.run_until_idle().items["delivery"] == 1
        second = trigger(db, paging, "second")
        request(db, second, paging.alice.id)
        result = runner.run_until_idle()
        assert result.items["delivery"] == 0, "the only sender is busy: nothing claimed"
        assert [r.status for r in outbox(db, group_id=second)] == ["queued"]
        release.set()
        _until(lambda: bool(outbox(db, group_id=first, status="sent")), "the first was sent")
        _until(lambda: runner.run_once().items["delivery"] == 1, "the second was claimed")
        _until(lambda: bool(outbox(db, group_id=second, status="sent")), "the second was sent")
    finally:
        release.set()
        delivery.stop_background()
    assert [r.status for r in outbox(db)] == ["sent", "sent"]
