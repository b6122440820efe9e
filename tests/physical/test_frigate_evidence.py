"""Frigate snapshots and clips become incident evidence (with hash) when an incident is
declared from a Frigate alert or its group is linked: fetched from a real local HTTP
server standing in for Frigate, once, bounded, retried, and noted when they never come."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from incident_support import declare, incident_events
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.alerts.models import Alert, Integration
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_store import FileEvidenceStore
from muster.domain.incidents.links import do_link_alert_groups
from muster.domain.incidents.timeline_text import describe
from muster.domain.physical.frigate import do_frigate_message
from muster.domain.physical.frigate_evidence import MediaJob
from muster.domain.physical.models import FrigateMediaFetch
from muster.engine.modules.frigate_evidence import HOLD, FrigateEvidence
from muster.engine.runner import Runner
from muster.integrations.frigate import parse_frigate
from physical_support import frigate_integration, review
from sites_support import Place, build_place

JPEG = b"\xff\xd8\xff\xe0" + b"snapshot-bytes" * 100
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"clip-bytes" * 5000


@dataclass
class FakeFrigate:
    """Serves ``files`` (path -> (status, body)); counts requests per path."""

    port: int = 0
    files: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, event_id: str, snapshot: bytes = JPEG, clip: bytes = MP4) -> None:
        self.files[f"/api/events/{event_id}/snapshot.jpg"] = (200, snapshot)
        self.files[f"/api/events/{event_id}/clip.mp4"] = (200, clip)


@pytest.fixture
def frigate_http() -> Iterator[FakeFrigate]:
    fake = FakeFrigate()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.hits[self.path] = fake.hits.get(self.path, 0) + 1
            status, body = fake.files.get(self.path, (404, b"Event not found"))
            self.send_response(status)
            kind = "video/mp4" if self.path.endswith(".mp4") else "image/jpeg"
            self.send_header("Content-Type", kind if status == 200 else "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def place(db: Database) -> Place:
    return build_place(db)


@pytest.fixture
def store(tmp_path: Path) -> FileEvidenceStore:
    return FileEvidenceStore(tmp_path / "evidence")


@pytest.fixture
def module(settings: Settings, store: FileEvidenceStore) -> FrigateEvidence:
    # No MUSTER_OUTBOUND_ALLOW: the configured Frigate URL is trusted on its own.
    return FrigateEvidence(replace(settings, evidence=replace(settings.evidence, max_bytes=10**6)),
                           store)  # fmt: skip


def frigate_alert(
    db: Database, place: Place, base: str, review_id: str, detections: list[str]
) -> Alert:
    integration_id, _ = frigate_integration(db, place.physical, place.hq, frigate_url=base)
    with db.unit_of_work() as uow:
        integration = uow.session.get_one(Integration, integration_id)
        payload = review("new", review_id, "cam_server", detections=detections,
                         objects=["person"], zones=["rack_row"])  # fmt: skip
        message = parse_frigate("frigate", "frigate/reviews", payload)
        assert message is not None
        assert do_frigate_message(uow, integration, message) == "created"
        uow.commit()
        alert = uow.session.scalars(
            select(Alert).where(Alert.dedup_key == f"frigate:{review_id}")
        ).one()
        uow.session.expunge_all()
        return alert


def evidence(db: Database, incident_id: str) -> list[EvidenceItem]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.incident_id == incident_id)
            .order_by(EvidenceItem.number)
        ).all()
        uow.session.expunge_all()
        return list(rows)


def run(db: Database, module: FrigateEvidence) -> int:
    result = Runner(db, [module]).run_until_idle()
    assert not result.errors
    return result.items.get("frigate_evidence", 0)


def test_declaring_from_a_frigate_alert_attaches_snapshot_and_clip_with_hash(
    db: Database, place: Place, module: FrigateEvidence, frigate_http: FakeFrigate,
    store: FileEvidenceStore,
) -> None:  # fmt: skip
    frigate_http.serve("1795500000.1-abc")
    alert = frigate_alert(db, place, frigate_http.url, "rv-1", ["1795500000.1-abc"])
    incident = declare(db, SYSTEM, group_ids=[alert.group_id])

    assert run(db, module) == 2
    items = evidence(db, incident)
    assert [(i.filename, i.media_type, i.size, i.sha256) for i in items] == [
        ("frigate-1795500000.1-abc-snapshot.jpg", "image/jpeg", len(JPEG),
         hashlib.sha256(JPEG).hexdigest()),
        ("frigate-1795500000.1-abc-clip.mp4", "video/mp4", len(MP4),
         hashlib.sha256(MP4).hexdigest()),
    ]  # fmt: skip
    assert all(i.source == "Frigate camera cam_server, review rv-1" for i in items)
    assert "cam_server" in items[0].description
    assert "rv-1" in items[0].description
    assert items[0].storage_key is not None
    assert b"".join(store.get(items[0].storage_key)) == JPEG
    types = [e.type for e in incident_events(db, incident)]
    assert types.count("incident.evidence_added") == 2

    # Idempotent: linking the group again, running again fetch nothing more.
    with db.unit_of_work() as uow:
        do_link_alert_groups(uow, SYSTEM, incident, [alert.group_id])
        uow.commit()
    assert run(db, module) == 0
    assert len(evidence(db, incident)) == 2
    assert frigate_http.hits == {
        "/api/events/1795500000.1-abc/snapshot.jpg": 1, "/api/events/1795500000.1-abc/clip.mp4": 1,
    }  # fmt: skip


def test_linking_the_group_later_attaches_too_and_a_restarted_engine_fetches_nothing_twice(
    db: Database, place: Place, settings: Settings, store: FileEvidenceStore,
    module: FrigateEvidence, frigate_http: FakeFrigate,
) -> None:  # fmt: skip
    frigate_http.serve("e1")
    frigate_http.serve("e2")
    alert = frigate_alert(db, place, frigate_http.url, "rv-2", ["e1", "e2"])
    incident = declare(db, SYSTEM)
    assert run(db, module) == 0  # nothing linked yet
    with db.unit_of_work() as uow:
        do_link_alert_groups(uow, SYSTEM, incident, [alert.group_id])
        uow.commit()
    assert run(db, module) == 4
    assert sorted(i.filename or "" for i in evidence(db, incident)) == [
        "frigate-e1-clip.mp4", "frigate-e1-snapshot.jpg",
        "frigate-e2-clip.mp4", "frigate-e2-snapshot.jpg",
    ]  # fmt: skip
    assert run(db, FrigateEvidence(settings, store)) == 0  # a new process: cursor is durable
    assert sum(frigate_http.hits.values()) == 4


def test_a_failed_fetch_is_retried_then_noted_on_the_timeline(
    db: Database, place: Place, clock: ManualClock, module: FrigateEvidence,
    frigate_http: FakeFrigate,
) -> None:  # fmt: skip
    frigate_http.files["/api/events/e9/snapshot.jpg"] = (200, JPEG)  # the clip never comes
    alert = frigate_alert(db, place, frigate_http.url, "rv-3", ["e9"])
    incident = declare(db, SYSTEM, group_ids=[alert.group_id])

    assert run(db, module) == 2
    assert [i.filename for i in evidence(db, incident)] == ["frigate-e9-snapshot.jpg"]
    clip = "/api/events/e9/clip.mp4"
    assert frigate_http.hits[clip] == 1
    assert run(db, module) == 0  # waiting for the retry
    clock.advance(timedelta(seconds=31))
    assert run(db, module) == 1
    assert frigate_http.hits[clip] == 2
    assert not [
        e for e in incident_events(db, incident) if e.type == "incident.frigate_media_failed"
    ]
    clock.advance(timedelta(minutes=3))
    assert run(db, module) == 1
    assert frigate_http.hits[clip] == 3
    [noted] = [
        e for e in incident_events(db, incident) if e.type == "incident.frigate_media_failed"
    ]
    assert noted.data["filename"] == "frigate-e9-clip.mp4"
    assert noted.data["attempts"] == 3
    assert "404" in noted.data["error"]
    assert "cam_server" in describe(noted.type, noted.data, {})
    clock.advance(timedelta(hours=1))
    assert run(db, module) == 0  # given up: not fetched again
    assert frigate_http.hits[clip] == 3
    assert len(evidence(db, incident)) == 1


def test_a_file_over_the_limit_is_not_kept_and_noted_at_once(
    db: Database, place: Place, settings: Settings, store: FileEvidenceStore,
    frigate_http: FakeFrigate, tmp_path: Path,
) -> None:  # fmt: skip
    frigate_http.serve("big", clip=b"x" * 5000)
    alert = frigate_alert(db, place, frigate_http.url, "rv-4", ["big"])
    incident = declare(db, SYSTEM, group_ids=[alert.group_id])
    assert run(db, FrigateEvidence(settings, store, max_bytes=4000)) == 2
    assert [i.filename for i in evidence(db, incident)] == ["frigate-big-snapshot.jpg"]
    [noted] = [
        e for e in incident_events(db, incident) if e.type == "incident.frigate_media_failed"
    ]
    assert noted.data["kind"] == "clip"
    assert "limit" in noted.data["error"]
    assert noted.data["attempts"] == 1
    leftovers = [p for p in (tmp_path / "evidence").iterdir() if p.name.startswith(".upload")]
    assert leftovers == []
    assert len(list((tmp_path / "evidence").iterdir())) == 1


def test_only_frigate_alerts_links_are_fetched_and_only_from_the_configured_frigate(
    db: Database, place: Place, module: FrigateEvidence, frigate_http: FakeFrigate,
) -> None:  # fmt: skip
    frigate_http.serve("e5")
    alert = frigate_alert(db, place, frigate_http.url, "rv-5", ["e5"])
    with db.unit_of_work() as uow:  # a link elsewhere on the same alert is not fetched
        row = uow.session.get_one(Alert, alert.id)
        row.links = [*row.links, {"href": "http://169.254.169.254/api/events/x/clip.mp4",
                                  "text": "elsewhere"}]  # fmt: skip
        uow.commit()
    incident = declare(db, SYSTEM, group_ids=[alert.group_id])
    assert run(db, module) == 3  # e5's two files, and x's clip, fetched from the configured URL
    names = sorted(i.filename or "" for i in evidence(db, incident))
    assert names == ["frigate-e5-clip.mp4", "frigate-e5-snapshot.jpg"]
    assert frigate_http.hits.get("/api/events/x/clip.mp4") == 1  # asked of Frigate, not 169.254


def test_an_unreachable_frigate_is_tried_once_per_pass_not_once_per_file(
    db: Database, place: Place, clock: ManualClock, module: FrigateEvidence
) -> None:
    hangups: list[int] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up() -> None:  # accepts and closes at once: Frigate broken
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            hangups.append(1)
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        alert = frigate_alert(db, place, f"http://127.0.0.1:{port}", "rv-6", ["a", "b"])
        incident = declare(db, SYSTEM, group_ids=[alert.group_id])
        assert run(db, module) == 4  # handed over; only the first was tried
        assert len(hangups) == 1
        clock.advance(timedelta(seconds=31))
        assert run(db, module) == 4
        assert len(hangups) == 2
        assert evidence(db, incident) == []
        assert not [
            e for e in incident_events(db, incident) if e.type == "incident.frigate_media_failed"
        ]
    finally:
        listener.close()


def fetch_rows(db: Database) -> list[tuple[str, int]]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(select(FrigateMediaFetch)).all()
        return [(r.filename, r.attempts) for r in rows]


def test_attempts_and_the_wait_survive_an_engine_restart(
    db: Database, place: Place, clock: ManualClock, settings: Settings,
    store: FileEvidenceStore, frigate_http: FakeFrigate,
) -> None:  # fmt: skip
    frigate_http.files["/api/events/e7/snapshot.jpg"] = (200, JPEG)  # the clip never comes
    alert = frigate_alert(db, place, frigate_http.url, "rv-7", ["e7"])
    incident = declare(db, SYSTEM, group_ids=[alert.group_id])
    clip = "/api/events/e7/clip.mp4"

    assert run(db, FrigateEvidence(settings, store)) == 2
    clock.advance(timedelta(seconds=31))
    assert run(db, FrigateEvidence(settings, store)) == 1  # a new process each time
    assert frigate_http.hits[clip] == 2
    assert fetch_rows(db) == [("frigate-e7-clip.mp4", 2)]

    # Restarted at once: the 2-minute wait after the second failure is remembered too.
    assert run(db, FrigateEvidence(settings, store)) == 0
    clock.advance(timedelta(seconds=90))
    assert run(db, FrigateEvidence(settings, store)) == 0
    assert frigate_http.hits[clip] == 2
    clock.advance(timedelta(seconds=31))
    assert run(db, FrigateEvidence(settings, store)) == 1
    assert frigate_http.hits[clip] == 3  # the third attempt, not a first one again
    [noted] = [
        e for e in incident_events(db, incident) if e.type == "incident.frigate_media_failed"
    ]
    assert noted.data["attempts"] == 3
    assert fetch_rows(db) == []  # settled: nothing left to count
    clock.advance(timedelta(hours=1))
    assert run(db, FrigateEvidence(settings, store)) == 0
    assert frigate_http.hits[clip] == 3


class DiesMidFetch(FrigateEvidence):
    """An engine killed after handing its files over, before fetching any."""

    def fetch_all(self, db: Database, jobs: Sequence[MediaJob]) -> None:
        pass


def test_a_worker_dying_mid_fetch_spends_the_attempt_and_the_file_is_tried_after_the_hold(
    db: Database, place: Place, clock: ManualClock, settings: Settings,
    store: FileEvidenceStore, frigate_http: FakeFrigate,
) -> None:  # fmt: skip
    frigate_http.serve("e8")
    alert = frigate_alert(db, place, frigate_http.url, "rv-8", ["e8"])
    incident = declare(db, SYSTEM, group_ids=[alert.group_id])
    assert run(db, DiesMidFetch(settings, store, attempts=2)) == 2
    assert sorted(fetch_rows(db)) == [("frigate-e8-clip.mp4", 1), ("frigate-e8-snapshot.jpg", 1)]

    survivor = FrigateEvidence(settings, store, attempts=2)
    assert run(db, survivor) == 0  # held by the dead worker's claim
    clock.advance(HOLD + timedelta(seconds=1))
    assert run(db, survivor) == 2
    assert sorted(i.filename or "" for i in evidence(db, incident)) == [
        "frigate-e8-clip.mp4", "frigate-e8-snapshot.jpg",
    ]  # fmt: skip
    assert fetch_rows(db) == []
    assert sum(frigate_http.hits.values()) == 2
