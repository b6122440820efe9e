"""A storm of new alert groups: one engine pass starts, steps and notifies every one of
them, chains the escalation events per service, and sends every bundle that is due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from escalation_support import build_world, make_policy, notified, user
from escalation_support import trigger as trigger_group
from muster.channels.fake import FakeChannel
from muster.config import Settings
from muster.db.uow import Database, UnitOfWork
from muster.domain.events.models import Event, EventStream
from muster.domain.events.service import events_for
from muster.engine.modules import default_modules
from muster.engine.modules.delivery import Delivery
from muster.engine.modules.notifications import Notifications
from muster.engine.runner import Runner
from notify_support import build_paging, notify_settings, request
from notify_support import trigger as trigger_page

STORM = 130  # more groups than one pass of the engine used to step (100)


def test_one_pass_pages_every_group_of_a_storm(db: Database) -> None:
    world = build_world(db)
    make_policy(db, world, [[user(world.alice)], [{"type": "team", "id": world.team}]])
    groups = [trigger_group(db, world, f"disk-{i}") for i in range(STORM)]
    result = Runner(db, default_modules()).run_once()
    assert not result.errors, result.errors
    assert result.items["escalation_timers"] == STORM
    assert sorted(n[0] for n in notified(db)) == [world.alice] * STORM
    with db.unit_of_work(readonly=True) as uow:
        streams = set(
            uow.session.scalars(select(Event.stream).where(Event.type.like("escalation.%")))
        )
        assert streams == {f"escalations:{world.service}"}
        per_group = uow.session.scalar(
            select(func.count())
            .select_from(EventStream)
            .where(EventStream.stream.like("alert_group:%"))
        )
        assert per_group == 0
        # The group's timeline still shows its escalation (events are found by subject).
        timeline = [e.type for e in events_for(uow, "alert_group", groups[7])]
    assert timeline[:4] == [
        "alert_group.opened", "escalation.started", "escalation.level_reached",
        "notification.requested",
    ]  # fmt: skip


class Counting:
    """A module that says whether it has work, and counts how often it is run."""

    name = "counting"

    def __init__(self, has_work: bool) -> None:
        self.has_work = has_work
        self.runs = 0

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        assert uow.readonly
        return self.has_work

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        self.runs += 1
        return 1


def test_a_module_with_nothing_pending_is_not_run(db: Database) -> None:
    idle, busy = Counting(False), Counting(True)
    busy.name = "busy"
    result = Runner(db, [idle, busy]).run_once()
    assert (idle.runs, busy.runs) == (0, 1)
    assert result.items == {"counting": 0, "busy": 1}


def _pages(db: Database, settings: Settings, throttle: str) -> list[int]:
    """Queue STORM pages to one person's webhook; one pass: how many groups each sent
    message carried."""
    paging = build_paging(db, {"webhook": "https://hooks.example.com/muster"})
    for i in range(STORM):
        request(db, trigger_page(db, paging, f"Pod {i} crash-looping"), paging.alice.id)
    hook = FakeChannel("webhook")
    cfg = notify_settings(settings, throttle=throttle)
    Runner(db, [Notifications()]).run_until_idle()
    assert not Runner(db, [Delivery(cfg, {"webhook": hook})]).run_once().errors
    return [len(m.data["groups"]) for m in hook.sent]


def test_every_bundle_due_to_an_unthrottled_method_goes_in_one_pass(
    db: Database, settings: Settings
) -> None:
    assert sorted(_pages(db, settings, "sms=5/15m")) == [30, 50, 50]


def test_a_throttled_method_gets_one_bundle_a_pass(db: Database, settings: Settings) -> None:
    assert _pages(db, settings, "*=1/1m") == [50]
