"""What "nothing acknowledged is lost, nothing half-stored" means in rows: checks on a
database after a fault."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from faults.receivers import Hit
from faults.support import Sent
from muster.db.uow import Database
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.events.models import Event
from muster.domain.notify.compose import message_key
from muster.domain.notify.models import OutboxMessage

IN_FLIGHT = 5.0  # seconds: a send and its record take far less
CLOCK_SLACK = 0.05  # the database's now and the receiver's time.time() are one clock


def check_alerts_whole(db: Database, service_id: str, acknowledged: Iterable[Sent]) -> int:
    """Every acknowledged alert is stored; every stored alert is whole: its group exists
    and counts it, and the log has the event that says it arrived (``alert_group.opened``
    naming it for the first of a group, ``alert.triggered`` about it otherwise); every
    group has its one ``alert_group.opened``; no such event names an alert that is not
    stored. Returns how many alerts are stored."""
    with db.unit_of_work(readonly=True) as uow:
        alerts = uow.session.execute(
            select(Alert.id, Alert.dedup_key, Alert.group_id).where(Alert.service_id == service_id)
        ).all()
        groups = {
            g.id: g.alert_count
            for g in uow.session.scalars(
                select(AlertGroup).where(AlertGroup.service_id == service_id)
            )
        }
        events = uow.session.execute(
            select(Event.type, Event.subject_id, Event.data).where(
                Event.type.in_(("alert_group.opened", "alert.triggered"))
            )
        ).all()
    stored_keys = Counter(a.dedup_key for a in alerts)
    missing = [s.dedup_key for s in acknowledged if stored_keys[s.dedup_key] == 0]
    assert not missing, f"{len(missing)} acknowledged alerts are not stored: {missing[:5]}"
    doubled = [k for k, n in stored_keys.items() if n > 1]
    assert not doubled, f"alerts stored twice: {doubled[:5]}"
    opened = Counter(e.subject_id for e in events if e.type == "alert_group.opened")
    announced = Counter(
        e.data["alert_id"] if e.type == "alert_group.opened" else e.subject_id for e in events
    )
    alert_ids = {a.id for a in alerts}
    per_group = Counter(a.group_id for a in alerts)
    for a in alerts:
        assert a.group_id in groups, f"alert {a.id} has no group"
        assert announced[a.id] == 1, f"alert {a.id} has {announced[a.id]} arrival events"
    for group_id, count in groups.items():
        assert opened[group_id] == 1, f"group {group_id} opened {opened[group_id]} times"
        assert per_group[group_id] == count, (
            f"group {group_id} counts {count}, holds {per_group[group_id]}"
        )
    orphans = [k for k in announced if k not in alert_ids]
    assert not orphans, f"events name alerts that are not stored: {orphans[:5]}"
    return len(alerts)


def check_steps_once(db: Database, group_ids: list[str], levels: int, passes: int) -> int:
    """Each group's escalation reached every level of every pass exactly once (and asked
    once for each person of each step), then was exhausted once. Returns the steps."""
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.execute(
            select(Event.type, Event.subject_id, Event.data).where(
                Event.subject_id.in_(group_ids),
                Event.type.in_(("escalation.level_reached", "escalation.exhausted",
                                "notification.requested")),
            )
        ).all()  # fmt: skip
    reached = Counter(
        (e.subject_id, e.data["level"], e.data["loop"])
        for e in rows
        if e.type == "escalation.level_reached"
    )
    asked = Counter(
        (e.subject_id, e.data["level"], e.data["loop"], e.data["user_id"])
        for e in rows
        if e.type == "notification.requested"
    )
    exhausted = Counter(e.subject_id for e in rows if e.type == "escalation.exhausted")
    twice = {k: n for k, n in reached.items() if n > 1}
    assert not twice, f"steps taken twice: {list(twice)[:5]}"
    twice = {k: n for k, n in asked.items() if n > 1}
    assert not twice, f"people asked twice for one step: {list(twice)[:5]}"
    expected = {(g, lvl + 1, loop) for g in group_ids for lvl in range(levels)
                for loop in range(passes)}  # fmt: skip
    missing = expected - set(reached)
    assert not missing, f"{len(missing)} due steps never taken: {sorted(missing)[:5]}"
    assert set(reached) == expected
    assert all(exhausted[g] == 1 for g in group_ids), exhausted
    return len(reached)


def check_pages_delivered(db: Database, hits: list[Hit], kills: list[float]) -> dict[str, Any]:
    """Each page row is sent, in the message its record names (the key of its carrier's
    bundle: :func:`muster.domain.notify.compose.message_key`), which reached the person's receiver and lists the row's group. A receiver got a
    group's page in more messages than we sent it only where a worker died with that
    message in flight: the first copy was accepted shortly before a kill, and a row of
    that page was sent again when its lease ran out. Returns the figures: pages,
    messages, duplicates, and the window (seconds between the receiver's acceptance and
    our record of it)."""
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.execute(
            select(OutboxMessage.id, OutboxMessage.user_id, OutboxMessage.group_id,
                   OutboxMessage.status, OutboxMessage.sent_at, OutboxMessage.idempotency_key,
                   OutboxMessage.bundle_id)
            .where(OutboxMessage.purpose == "page")
        ).all()  # fmt: skip
        expired = Counter(  # outbox row -> times sent again after its lease ran out
            e.data["outbox_id"]
            for e in uow.session.scalars(select(Event).where(Event.type == "notification.retrying"))
            if e.data.get("lease_expired")
        )
    unsent = [r for r in rows if r.status != "sent"]
    assert not unsent, f"{len(unsent)} pages not sent: {[(r.id, r.status) for r in unsent[:5]]}"
    bundles: dict[str, list[Any]] = {}  # carrier id -> the rows its message carried
    for r in rows:
        bundles.setdefault(r.bundle_id or r.id, []).append(r)
    key_of = {carrier: message_key(list(members)) for carrier, members in bundles.items()}
    received: dict[str, list[Hit]] = {}
    for hit in hits:
        received.setdefault(hit.key, []).append(hit)
    sent_in: dict[tuple[str, str], set[str]] = {}  # (user, group) -> keys we recorded
    reused: set[str] = set()  # keys whose copies carried different pages
    for r in rows:
        key = key_of[r.bundle_id or r.id]
        copies = received.get(key, [])
        assert copies, f"page {r.id} recorded as sent in message {key}, which never arrived"
        assert all(h.path.endswith(f"/{r.user_id}") for h in copies)
        assert any(r.group_id in h.groups for h in copies), f"message {key} lacks page {r.id}"
        if not all(r.group_id in h.groups for h in copies):
            # Sent again after a lease ran out, bundled with more pages under the same
            # key: a receiver dropping repeated keys would lose this page.
            reused.add(key)
        sent_in.setdefault((r.user_id, r.group_id), set()).add(key)
    got: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        for group_id in hit.groups:
            got.setdefault((hit.path.rsplit("/", 1)[-1], group_id), []).append(hit)
    extra = [k for k in got if k not in sent_in]
    assert not extra, f"pages nobody queued: {extra[:5]}"
    resent: Counter[tuple[str, str]] = Counter()
    for r in rows:
        resent[(r.user_id, r.group_id)] += expired[r.id]
    duplicates = 0
    for page, copies in got.items():
        more = len(copies) - len(sent_in[page])
        if more <= 0:
            continue
        duplicates += more
        assert resent[page] >= more, f"page {page} came {len(copies)} times, not resent"
        first = min(h.at for h in copies)
        assert any(0 <= k - first < IN_FLIGHT for k in kills), (
            f"page {page} came twice, but no worker died while it was in flight: first copy "
            f"at {first:.2f}, kills at {[round(k, 2) for k in kills]}"
        )
    sent_at = {key_of[r.id]: r.sent_at.timestamp() for r in rows if r.sent_at and r.id in key_of}
    last: dict[str, float] = {}  # the copy our record followed
    for h in hits:
        if h.key in sent_at and h.at <= sent_at[h.key] + CLOCK_SLACK:
            last[h.key] = max(last.get(h.key, 0.0), h.at)
    window = sorted(max(0.0, sent_at[key] - at) for key, at in last.items())
    return {
        "pages": len(rows), "messages": len(received), "duplicates": duplicates,
        "resent_after_lease": sum(expired.values()),
        "keys_reused_for_other_pages": len(reused),
        "window_p50_ms": round(1000 * window[len(window) // 2]) if window else 0,
        "window_max_ms": round(1000 * window[-1]) if window else 0,
    }  # fmt: skip
