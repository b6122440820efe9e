"""Live updates: the poller reads the event log and /live streams what a page listens to,
over a real HTTP server (TestClient cannot stream server-sent events reliably)."""

from __future__ import annotations

import asyncio
import queue
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alert_support import make_integration, make_service, send
from helpers import Person
from live_support import WAIT, Stream, signed_in
from muster.config import Settings
from muster.db.uow import Database
from muster.errors import InvalidInput
from muster.web.app import create_app
from muster.web.context import AppContext
from muster.web.live import LiveEvent, Subscription, parse_topics, topics_of
from server_support import serving
from ui_support import as_person


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(AppContext(settings=settings, db=db, clock=db.clock))


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


def test_topics() -> None:
    opened = topics_of("alerts:svc1", "alert_group", "g1", {"alert_id": "a1", "group_id": "g1"})
    assert opened == {"alert_group:g1", "alerts", "service:svc1", "alert:a1"}
    acked = topics_of("alerts:svc1", "alert", "a1", {"group_id": "g1"})
    assert acked == {"alert:a1", "alerts", "service:svc1", "alert_group:g1"}
    assert topics_of("service:svc1", "service", "svc1", {"integration_id": "i"}) == {"service:svc1"}
    assert "routing" in topics_of("routing_rule:r", "routing_rule", "r", {})
    assert parse_topics(" alerts, service:abc-1 ,") == {"alerts", "service:abc-1"}
    for bad in ("", "users", "user:1", "service:", "service:a b", "alerts,x"):
        with pytest.raises(InvalidInput):
            parse_topics(bad)


def test_live_needs_a_session_and_known_topics(
    client: TestClient, people: dict[str, Person]
) -> None:
    r = client.get("/live?topics=alerts", headers={"Accept": "text/event-stream"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    as_person(client, people["viewer"])
    r = client.get("/live?topics=users", headers={"Accept": "text/event-stream"})
    assert r.status_code == 422
    assert client.get("/live").status_code == 422


def test_new_alert_arrives_within_two_seconds(
    server: str, app: FastAPI, people: dict[str, Person]
) -> None:
    with signed_in(server, people["viewer"]) as viewer, httpx.Client(base_url=server) as api:
        checkout = make_service(api, people["manager"], "checkout")
        other = make_service(api, people["manager"], "search")
        key = make_integration(api, people["manager"], checkout)["key"]
        everything = Stream(viewer, "/live?topics=alerts")
        elsewhere = Stream(viewer, f"/live?topics=service:{other}")
        assert everything.status == 200
        assert everything.content_type.startswith("text/event-stream")
        assert "hello" in everything.next().comments  # subscribed
        assert "hello" in elsewhere.next().comments

        started = time.monotonic()
        answer = send(api, key, "Card payments failing")
        message = everything.next_event()
        assert time.monotonic() - started < WAIT
        assert message.event == "alert_group.opened"
        body = message.json()
        assert body["type"] == "alert_group.opened"
        assert body["subject"]["type"] == "alert_group"
        assert body["occurred_at"].endswith("Z")
        assert message.id == str(body["position"])
        assert "data" not in body  # identifies the event; the page fetches what it may see

        # One alert's topic hears its acknowledgement (and nothing about other services).
        alert_id = api.get("/api/v1/alerts", headers=people["admin"].auth).json()["items"][0]["id"]
        one = Stream(viewer, f"/live?topics=alert:{alert_id}")
        one.next()
        r = api.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=people["responder"].auth)
        assert r.status_code == 200
        assert one.next_event().event == "alert.acknowledged"
        assert everything.next_event().event == "alert.acknowledged"
        assert everything.next_event().event == "alert_group.acknowledged"
        with pytest.raises(queue.Empty):
            elsewhere.next(timeout=0.8)
        assert answer["status"] == "success"


def test_last_event_id_replays_what_was_missed(
    server: str, app: FastAPI, people: dict[str, Person]
) -> None:
    with signed_in(server, people["viewer"]) as viewer, httpx.Client(base_url=server) as api:
        checkout = make_service(api, people["manager"], "checkout")
        key = make_integration(api, people["manager"], checkout)["key"]
        first = Stream(viewer, "/live?topics=alerts")
        first.next()
        send(api, key, "One")
        seen = first.next_event()
        send(api, key, "Two")
        send(api, key, "Three")
        # A reconnecting browser says where it was; it gets Two and Three, then new ones.
        again = Stream(viewer, "/live?topics=alerts", headers={"Last-Event-ID": seen.id or ""})
        again.next()
        replayed = [again.next_event().json()["position"] for _ in range(2)]
        assert replayed == sorted(replayed)
        assert replayed[0] > int(seen.id or 0)
        send(api, key, "Four")
        assert again.next_event().json()["position"] > replayed[-1]
        # A page passes the position it was rendered at, for the same effect.
        late = Stream(viewer, f"/live?topics=alerts&after={seen.id}")
        late.next()
        assert late.next_event().json()["position"] == replayed[0]


def test_streams_end_cleanly(server: str, app: FastAPI, people: dict[str, Person]) -> None:
    hub = app.state.live
    hub.heartbeat = 0.2
    with signed_in(server, people["viewer"]) as viewer:
        stream = Stream(viewer, "/live?topics=alerts")
        stream.next()
        assert "heartbeat" in stream.next(timeout=2).comments  # keeps proxies from timing out
        assert hub.subscriber_count == 1
    # The client went away: its subscription is dropped, and the poller goes idle.
    deadline = time.monotonic() + 3
    while hub.subscriber_count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.subscriber_count == 0
    with signed_in(server, people["viewer"]) as viewer:
        stream = Stream(viewer, "/live?topics=alerts")
        stream.next()
        hub.close_streams()  # as at shutdown
        deadline = time.monotonic() + 3
        while (message := stream.messages.get(timeout=3)) is not None:
            assert time.monotonic() < deadline
        assert message is None


def test_a_slow_reader_is_told_to_reload() -> None:
    """A subscriber whose queue is full drops events and is flagged, so its stream sends
    "live.reset" (the page reloads) instead of silently missing changes."""

    async def scenario() -> None:
        sub = Subscription(frozenset({"alerts"}), after=10, size=2)
        event = LiveEvent(11, "e", "alert.triggered", "alert", "a", "2026-01-05T09:00:00Z",
                          frozenset({"alerts"}))  # fmt: skip
        sub.offer(LiveEvent(9, "old", "alert.triggered", "alert", "a", "", frozenset({"alerts"})))
        sub.offer(
            LiveEvent(12, "other", "service.updated", "service", "s", "", frozenset({"service:s"}))
        )
        assert sub.queue.qsize() == 0  # before it subscribed, or not its topic
        for _ in range(3):
            sub.offer(event)
        assert sub.queue.qsize() == 2
        assert sub.missed

    asyncio.run(scenario())
