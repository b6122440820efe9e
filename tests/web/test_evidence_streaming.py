"""A file far larger than the memory an upload may use goes through a real server
(uvicorn, real HTTP, chunked) into the evidence store a chunk at a time: Python's peak
allocation during a 256 MiB upload stays a small fraction of the file, and the stored
SHA-256 is the source's. Downloading it back streams too."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterator

import httpx

from helpers import Person
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.web.app import create_app
from muster.web.context import AppContext
from server_support import serving

MiB = 1024 * 1024
TOTAL = 256 * MiB
LIMIT = 32 * MiB  # what the whole upload, server and client, may allocate at peak


def _source() -> Iterator[bytes]:
    for n in range(TOTAL // MiB):
        yield hashlib.sha256(n.to_bytes(4, "big")).digest() * (MiB // 32)


def test_a_large_upload_streams_in_bounded_memory(
    settings: Settings, db: Database, clock: ManualClock, people: dict[str, Person]
) -> None:
    resp = people["responder"]
    expected = hashlib.sha256()
    for chunk in _source():
        expected.update(chunk)
    app = create_app(AppContext(settings=settings, db=db, clock=clock))
    with serving(app) as url, httpx.Client(base_url=url, headers=resp.auth, timeout=120) as http:
        r = http.post("/api/v1/incidents", json={"title": "Ransomware on file server"})
        incident = r.json()["id"]
        tracemalloc.start()
        try:
            r = http.put(f"/api/v1/incidents/{incident}/evidence/upload",
                         params={"filename": "fileserver.img"}, content=_source())  # fmt: skip
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert r.status_code == 201, r.text
        assert (r.json()["sha256"], r.json()["size"]) == (expected.hexdigest(), TOTAL)
        assert peak < LIMIT, f"peak {peak / MiB:.1f} MiB for a {TOTAL // MiB} MiB upload"

        back = hashlib.sha256()
        size = 0
        with http.stream("GET", f"/api/v1/evidence/{r.json()['id']}/content") as down:
            assert down.status_code == 200
            for chunk in down.iter_bytes():
                back.update(chunk)
                size += len(chunk)
        assert (back.hexdigest(), size) == (expected.hexdigest(), TOTAL)
