"""Live updates: one poller per process reads new events from the log by position and
fans them out to the pages that listen, over server-sent events (``GET /live``).

The poller reads the database, not a broker, so it works the same with one node or many
behind a load balancer: every node sees every committed event. It polls only while some
page listens; with nobody listening a process makes no queries at all.

A stream sends only what matches its topics, and only what identifies an event (id, type,
subject, time), never the event's data: a page that hears of a change fetches it again
through its own, permission-checked URL. Topics:

* ``alerts``: every alert and alert group event (streams ``alerts:<service>``);
* ``service:<id>``: a service's own events and its alerts' events;
* ``alert:<id>``, ``alert_group:<id>`` (an alert group hears its alerts' events too);
* ``routing``: routing rule changes;
* ``incidents``: every incident event; ``incident:<id>``: one incident's timeline;
* ``sites``: every site's own events; ``site:<id>``: a site's own events (devices'
  reports, its configuration) and every event naming the site (an alert placed there, an
  incident set there).

Events of a restricted incident reach only streams whose caller may see it (admins,
the security team, and the incident's participants when the stream opened).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import signal
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from muster.clock import isoformat
from muster.db.uow import Database, UnitOfWork
from muster.domain.events.actor import Actor
from muster.domain.events.models import Event
from muster.domain.incidents.visibility import participating_incident_ids, sees_all_restricted
from muster.errors import FieldError, InvalidInput, NotAuthenticated, Unavailable
from muster.web.auth import identify
from muster.web.context import AppContext, app_context

log = logging.getLogger(__name__)

# "kind:<id>" topics a page may ask for, and topics without an id.
TOPIC_KINDS = frozenset(
    {"service", "alert", "alert_group", "routing_rule", "incident", "site", "drill_run"}
)
PLAIN_TOPICS = frozenset({"alerts", "routing", "incidents", "sites"})
MAX_TOPICS = 20
_TOPIC_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")

# The event names a stream may carry, for pages to listen to (EventSource dispatches on
# the exact name); "live.reset" tells a page it may have missed something.
LIVE_EVENT_TYPES = (
    "live.reset",
    "alert_group.opened", "alert_group.triggered", "alert_group.acknowledged", "alert_group.resolved",
    "alert.triggered", "alert.acknowledged", "alert.resolved",
    "alerts.repeated",
    "integration.created", "integration.updated", "integration.key_regenerated", "integration.revoked",
    "maintenance.scheduled", "maintenance.cancelled",
    "service.change", "service.updated", "service.archived", "service.alert_settings_changed",
    "routing_rule.created", "routing_rule.updated", "routing_rule.deleted",
    "escalation.started", "escalation.level_reached", "escalation.skipped_level", "escalation.held",
    "escalation.fallback_to_managers", "escalation.exhausted", "escalation.stopped",
    "escalation.restarted", "escalation.escalated", "escalation.reassigned", "escalation.snoozed",
    "escalation.ack_timeout", "notification.failed",
    "incident.declared", "incident.updated", "incident.status_changed", "incident.reopened",
    "incident.timestamp_corrected", "incident.participant_joined", "incident.participant_added",
    "incident.participant_left", "incident.role_assigned", "incident.role_handed_off",
    "incident.role_relinquished", "incident.alert_group_linked", "incident.alert_group_unlinked",
    "incident.note_added", "incident.note_corrected", "incident.key_event_marked",
    "incident.key_event_unmarked", "incident.attachment_added", "incident.task_created",
    "incident.task_updated", "incident.task_reminded", "incident.update_posted",
    "incident.update_due", "incident.commander_needed", "incident.merged",
    "incident.absorbed", "incident.split", "incident.subscribed", "incident.unsubscribed",
    "notification.sent",
    "incident.playbook_started", "incident.playbook_step", "incident.playbook_finished",
    "incident.playbook_decided", "incident.playbook_paged",
    "alert.placed", "incident.site_set", "site.activity", "site.device_health", "site.updated",
    "site.zone_added", "site.zone_updated", "site.zone_removed", "site.device_added",
    "site.device_updated", "site.device_removed",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LiveEvent:
    position: int
    id: str
    type: str
    subject_type: str
    subject_id: str
    occurred_at: str
    topics: frozenset[str]
    restricted_incident: str | None = None  # the id, when about a restricted incident

    def encode(self) -> str:
        """The event as one server-sent event; its ``id`` is the log position."""
        data = {
            "id": self.id,
            "position": self.position,
            "type": self.type,
            "subject": {"type": self.subject_type, "id": self.subject_id},
            "occurred_at": self.occurred_at,
        }
        return f"id: {self.position}\nevent: {self.type}\ndata: {json.dumps(data)}\n\n"


def topics_of(
    stream: str, subject_type: str, subject_id: str, data: Mapping[str, Any]
) -> frozenset[str]:
    """Every topic an event is about."""
    topics = {f"{subject_type}:{subject_id}"}
    if stream.startswith("alerts:"):
        topics.update(("alerts", "service:" + stream.removeprefix("alerts:")))
    for key, kind in (
        ("group_id", "alert_group"),
        ("alert_id", "alert"),
        ("service_id", "service"),
        ("incident_id", "incident"),
        ("site_id", "site"),
        ("previous_site_id", "site"),  # an incident moved away from a site
    ):
        value = data.get(key)
        if isinstance(value, str):
            topics.add(f"{kind}:{value}")
    # Events about many alerts at once (alerts.repeated) name them in lists.
    for key, kind in (("group_ids", "alert_group"), ("alert_ids", "alert")):
        values = data.get(key)
        if isinstance(values, list):
            topics.update(f"{kind}:{value}" for value in values if isinstance(value, str))
    if subject_type == "routing_rule":
        topics.add("routing")
    if subject_type == "incident":
        topics.add("incidents")
    if subject_type == "site":
        topics.add("sites")
    return frozenset(topics)


def parse_topics(text: str) -> frozenset[str]:
    """The topics of a comma-separated list, or :class:`InvalidInput` naming the bad one."""
    topics = {t.strip() for t in text.split(",") if t.strip()}
    if not topics or len(topics) > MAX_TOPICS:
        raise InvalidInput(
            "bad topics", errors=[FieldError("topics", f"give 1 to {MAX_TOPICS} topics")]
        )
    for topic in topics:
        kind, _, ident = topic.partition(":")
        if topic in PLAIN_TOPICS or (kind in TOPIC_KINDS and _TOPIC_ID.fullmatch(ident)):
            continue
        raise InvalidInput(
            "bad topics", errors=[FieldError("topics", f"unknown topic {topic[:80]!r}")]
        )
    return frozenset(topics)


def read_events(uow: UnitOfWork, after: int, upto: int | None, limit: int) -> list[LiveEvent]:
    """The events after position ``after`` (up to ``upto``), oldest first."""
    query = select(
        Event.position,
        Event.id,
        Event.type,
        Event.stream,
        Event.subject_type,
        Event.subject_id,
        Event.occurred_at,
        Event.data,
    ).where(Event.position > after)
    if upto is not None:
        query = query.where(Event.position <= upto)
    rows = uow.session.execute(query.order_by(Event.position).limit(limit)).all()
    return [
        LiveEvent(
            position=r.position,
            id=r.id,
            type=r.type,
            subject_type=r.subject_type,
            subject_id=r.subject_id,
            occurred_at=isoformat(r.occurred_at),
            topics=topics_of(r.stream, r.subject_type, r.subject_id, r.data or {}),
            restricted_incident=_restricted_incident(r.data or {}),
        )
        for r in rows
    ]


def _restricted_incident(data: Mapping[str, Any]) -> str | None:
    incident_id = data.get("incident_id")
    if data.get("restricted") is True and isinstance(incident_id, str):
        return incident_id
    return None


def last_position(uow: UnitOfWork) -> int:
    """The newest position in the log (0 when empty): a page rendered now has seen it."""
    return int(uow.session.scalar(select(func.max(Event.position))) or 0)


class Subscription:
    """One listening stream: its topics, and the events for it not yet sent."""

    def __init__(
        self,
        topics: frozenset[str],
        after: int,
        size: int,
        may_see: Callable[[str], bool] | None = None,
    ) -> None:
        self.topics = topics
        self.may_see = may_see  # which restricted incidents it may hear of (None: all)
        self.after = after  # the hub's position when it subscribed: later events queue here
        self.queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(maxsize=size)
        self.missed = False

    def offer(self, event: LiveEvent) -> None:
        if event.position <= self.after or not self.wants(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.missed = True  # a slow reader: it is told to reload instead

    def wants(self, event: LiveEvent) -> bool:
        if not event.topics & self.topics:
            return False
        hidden = event.restricted_incident
        return hidden is None or self.may_see is None or self.may_see(hidden)

    def end(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)
        self.missed = self.missed or self.queue.full()


class LiveHub:
    """The process's one poller and its subscribers. Runs on the server's event loop."""

    def __init__(
        self,
        db: Database,
        *,
        interval: float = 0.3,
        batch: int = 500,
        heartbeat: float = 15.0,
        queue_size: int = 1000,
    ) -> None:
        self.db = db
        self.interval = interval
        self.batch = batch
        self.heartbeat = heartbeat
        self.queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self._last: int | None = None  # None while idle: re-read when someone subscribes
        self._lock: asyncio.Lock | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._lock, self._wake = asyncio.Lock(), asyncio.Event()
        self.closed = False
        self._task = asyncio.create_task(self._run(), name="muster-live-poller")

    async def stop(self) -> None:
        self.close_streams()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def close_streams(self) -> None:
        """End every open stream (at shutdown); safe to call from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._close_now()
        else:
            loop.call_soon_threadsafe(self._close_now)

    def _close_now(self) -> None:
        self.closed = True
        for sub in list(self._subscribers):
            sub.end()
        self._subscribers.clear()

    async def subscribe(
        self, topics: frozenset[str], may_see: Callable[[str], bool] | None = None
    ) -> Subscription:
        if not self.running or self._lock is None or self._wake is None:
            raise RuntimeError("the live hub is not running")
        async with self._lock:
            if self._last is None:
                self._last = await asyncio.to_thread(self._read_last)
            sub = Subscription(topics, self._last, self.queue_size, may_see)
            self._subscribers.add(sub)
            self._wake.set()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    async def replay(self, sub: Subscription, after: int) -> tuple[list[LiveEvent], bool]:
        """The events for ``sub`` between ``after`` and its subscription, and whether
        there were more than one batch of them (then the page should simply reload)."""
        if after >= sub.after:
            return [], False
        rows = await asyncio.to_thread(self._read, after, sub.after)
        return [e for e in rows if sub.wants(e)], len(rows) >= self.batch

    def _read_last(self) -> int:
        with self.db.unit_of_work(readonly=True) as uow:
            return last_position(uow)

    def _read(self, after: int, upto: int | None = None) -> list[LiveEvent]:
        with self.db.unit_of_work(readonly=True) as uow:
            return read_events(uow, after, upto, self.batch)

    async def _run(self) -> None:
        assert self._lock is not None
        assert self._wake is not None
        while True:
            if not self._subscribers:
                self._last = None
                self._wake.clear()
                await self._wake.wait()
                continue
            full = False
            try:
                async with self._lock:
                    assert self._last is not None
                    rows = await asyncio.to_thread(self._read, self._last)
                    if rows:
                        self._last = rows[-1].position
                    for event in rows:
                        for sub in self._subscribers:
                            sub.offer(event)
                    full = len(rows) >= self.batch
            except Exception:  # the database may be briefly away: keep polling
                log.warning("live updates: reading the event log failed", exc_info=True)
                await asyncio.sleep(min(5.0, self.interval * 10))
            if _server_exiting():
                self._close_now()
            elif not full:
                await asyncio.sleep(self.interval)


def _server_exiting() -> bool:
    """Whether the uvicorn server running this process is shutting down.

    Uvicorn tells an application nothing until every connection has closed, and an event
    stream never closes by itself; so the server is found through the signal handler it
    installs (its bound ``handle_exit``), and its ``should_exit`` flag read. Elsewhere
    (another server, a server in a thread) this is False and streams end through
    :meth:`LiveHub.close_streams` or the server's graceful-shutdown timeout.
    """
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return getattr(server, "should_exit", False) is True


def hub_of(request: Request) -> LiveHub:
    hub: LiveHub = request.app.state.live
    return hub


async def _stream(
    hub: LiveHub,
    topics: frozenset[str],
    since: int | None,
    may_see: Callable[[str], bool] | None = None,
) -> AsyncIterator[str]:
    """Subscribe, send what the client missed since ``since``, then each new event."""
    sub = await hub.subscribe(topics, may_see)
    try:
        yield "retry: 2000\n: hello\n\n"  # sends the headers at once; reconnect after 2 s
        backlog, reset = await hub.replay(sub, since) if since is not None else ([], False)
        sent = 0
        for old in backlog:
            yield old.encode()
            sent = old.position
        if reset:
            yield _reset(sub.after)
        while True:
            try:
                event = await asyncio.wait_for(sub.queue.get(), hub.heartbeat)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if event is None:
                return
            if sub.missed:
                sub.missed = False
                yield _reset(event.position)
            if event.position > sent:
                sent = event.position
                yield event.encode()
    finally:
        hub.unsubscribe(sub)


def _reset(position: int) -> str:
    return f"id: {position}\nevent: live.reset\ndata: {{}}\n\n"


router = APIRouter(include_in_schema=False)


@router.get("/live")
async def live(
    request: Request,
    topics: str = Query(..., max_length=2000),
    after: int | None = Query(None, ge=0, description="Replay events after this position"),
    ctx: AppContext = Depends(app_context),
) -> StreamingResponse:
    """A server-sent event stream of the events about ``topics`` (signed-in users)."""
    caller = await run_in_threadpool(identify, request, ctx)
    if caller is None:
        raise NotAuthenticated("sign in to receive live updates")
    wanted = parse_topics(topics)
    hub = hub_of(request)
    if not hub.running or hub.closed:
        raise Unavailable("live updates are not running in this process")
    since = _last_event_id(request.headers.get("last-event-id"), after)
    may_see = await run_in_threadpool(_restricted_filter, ctx.db, caller.actor)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _stream(hub, wanted, since, may_see), media_type="text/event-stream", headers=headers
    )


def _restricted_filter(db: Database, actor: Actor) -> Callable[[str], bool] | None:
    """Which restricted incidents ``actor`` may hear of: None for all of them, else the
    ones they take part in now (a page that joins one reloads, and listens again)."""
    with db.unit_of_work(readonly=True) as uow:
        if sees_all_restricted(uow, actor):
            return None
        allowed = frozenset(participating_incident_ids(uow, actor.id))
    return allowed.__contains__


def _last_event_id(header: str | None, after: int | None) -> int | None:
    """Where a reconnecting client left off (its Last-Event-ID), else ``after``."""
    if header and header.strip().isdigit():
        return int(header.strip())
    return after


def live_context(uow: UnitOfWork, *topics: str) -> dict[str, Any]:
    """What a live page's template needs: its topics, and the log position it shows."""
    return {"live_topics": ",".join(topics), "live_after": str(last_position(uow))}
