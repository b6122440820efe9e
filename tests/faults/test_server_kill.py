"""``kill -9`` of ``muster serve`` while clients send alerts: after a restart, every alert
that was answered 2xx is stored, none is half-stored, and the hash chains verify."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from faults.checks import check_alerts_whole
from faults.support import BACKENDS, Senders, audit_verify, database_url, opened, serve
from faults.world import build_world

KILLS = 2


@pytest.mark.xdist_group("faults")
@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_of_the_server_loses_no_acknowledged_alert(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url, opened(url) as db:
        world = build_world(db)
        server = serve(url, tmp_path, "node")
        try:
            server.start()
            with Senders(world, lambda: [server.base], threads=4) as senders:
                for kill in range(KILLS):
                    senders.wait_acknowledged(120 * (kill + 1))
                    server.kill()
                    time.sleep(0.3)  # senders meet a dead server meanwhile
                    server.start()
                senders.wait_acknowledged(120 * KILLS + 60)
        except BaseException:
            print(server.tail())
            raise
        finally:
            server.stop()
        acknowledged = senders.acknowledged()
        unanswered = [s for s in senders.sent if s.status is None]
        others = {s.status for s in senders.sent if s.status is not None and s.status >= 300}
        assert not others - {503}, f"unexpected answers: {others}"
        stored = check_alerts_whole(db, world.service, acknowledged)
        print(f"{backend}: {len(acknowledged)} acknowledged, {len(unanswered)} cut off by the "
              f"kills, {stored} stored; {audit_verify(url, tmp_path)}")  # fmt: skip
        assert len(acknowledged) <= stored <= len(acknowledged) + len(unanswered)
