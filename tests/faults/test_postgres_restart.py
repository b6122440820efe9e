"""PostgreSQL stopped (immediate: as in a crash) and started again under load: while it
is down the server answers 503 with Retry-After (so Alertmanager and PagerDuty clients
retry) - never a 500, never a 2xx for an alert it did not store; once it is back the
same server process answers 2xx again without a restart, and everything it
acknowledged is stored. Runs on a cluster of the test's own, not the shared one."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from faults.checks import check_alerts_whole
from faults.pg_cluster import own_cluster
from faults.support import Senders, audit_verify, opened, serve
from faults.world import build_world
from muster.db import migrate

DOWN_SECONDS = 4.0


@pytest.mark.xdist_group("faults")
def test_postgres_restart_under_load_answers_503_and_recovers(tmp_path: Path) -> None:
    with own_cluster() as cluster:
        admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE muster"))
        admin.dispose()
        url = cluster.url.rsplit("/", 1)[0] + "/muster"
        migrate.upgrade(url)
        with opened(url) as db:
            world = build_world(db)
        server = serve(url, tmp_path, "node")
        try:
            server.start()
            with Senders(world, lambda: [server.base], threads=3, pause=0.01) as senders:
                senders.wait_acknowledged(100)
                cluster.stop("immediate")
                stopped = len(senders.sent)
                time.sleep(DOWN_SECONDS)
                ready_while_down = httpx.get(f"{server.base}/readyz", timeout=10).status_code
                during = senders.sent[stopped:]
                back = len(senders.acknowledged())
                restarted = time.monotonic()
                cluster.start()
                senders.wait_acknowledged(back + 1, timeout=60)  # no restart of the server
                recovery = time.monotonic() - restarted
                senders.wait_acknowledged(back + 100, timeout=60)
        except BaseException:
            print(server.tail())
            raise
        finally:
            server.stop()
        statuses = {s.status for s in senders.sent}
        assert statuses <= {202, 503, None}, f"answers other than 202 and 503: {statuses}"
        unavailable = [s for s in during if s.status == 503]
        assert unavailable, f"no 503 while PostgreSQL was down: {[s.status for s in during][:10]}"
        assert ready_while_down == 503
        for s in unavailable:
            assert s.headers.get("retry-after"), s.headers
            if s.kind == "alertmanager":
                assert s.headers["content-type"] == "application/problem+json", s.headers
                assert s.body["status"] == 503, s.body
            else:  # the PagerDuty Events API's own error shape
                assert s.body["status"] == "error", s.body
        with opened(url) as db:
            stored = check_alerts_whole(db, world.service, senders.acknowledged())
        print(f"\n{len(senders.acknowledged())} acknowledged, {len(unavailable)} answered 503 "
              f"while down, 2xx again {recovery:.1f}s after starting PostgreSQL, {stored} stored; "
              f"{audit_verify(url, tmp_path)}")  # fmt: skip
