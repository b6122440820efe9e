"""Paging latency: from an alert accepted at /v2/enqueue (its 202) to the first message
about it at a local webhook receiver, through escalation, the outbox and delivery.

A real ``muster serve`` on SQLite (engine in the same process, polling every 20 ms when
idle); one service whose policy pages one person, whose only contact method is a
webhook on 127.0.0.1 (allowed by MUSTER_OUTBOUND_ALLOW). Every alert opens a new group.
The per-method throttle is off for webhooks here (MUSTER_NOTIFY_THROTTLE keeps only the
SMS and voice limits): with the default 1 message/minute, the pages of one minute to one
person arrive bundled in one message a minute, by design.

Prints p50/p99 at 50 and 200 new alerts/s, each with the machine's 1-minute load average
at its end (other work on the machine shows up as latency). Usage:
python bench/notify.py [--seconds N] [--rates R ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Conn, Server, db_label, dumps, muster_server, percentile, report, scaled

TARGET_P99_MS = 1000
RATES = (50, 200)


class Receiver:
    """A webhook receiver on 127.0.0.1: when each alert's first message arrived."""

    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        self.messages = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                now = time.perf_counter()
                receiver.messages += 1
                for group in json.loads(body).get("groups", []):
                    receiver.first.setdefault(group["summary"], now)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def setup(server: Server, hook_url: str) -> str:
    """A team, a service paged by a one-level policy to the admin, whose contact method is
    the webhook; returns the PagerDuty integration key."""
    with httpx.Client(base_url=server.base, headers=server.auth) as c:
        me = c.get("/api/v1/me").json()
        team = c.post("/api/v1/teams", json={"name": "bench-team"}).json()
        svc = c.post(
            "/api/v1/services", json={"name": "checkout-api", "team_id": team["id"]}
        ).json()
        c.post(f"/api/v1/users/{me['id']}/contact-methods", json={
            "type": "webhook", "label": "bench", "address": hook_url, "verified": True,
        }).raise_for_status()  # fmt: skip
        policy = c.post("/api/v1/escalation-policies", json={
            "name": "bench", "team_id": team["id"],
            "levels": [{"delay_minutes": 5, "targets": [{"type": "user", "id": me["id"]}]}],
        })  # fmt: skip
        policy.raise_for_status()
        c.patch(f"/api/v1/services/{svc['id']}/escalation-policy",
                json={"escalation_policy_id": policy.json()["id"]}).raise_for_status()  # fmt: skip
        door = c.post(f"/api/v1/services/{svc['id']}/integrations",
                      json={"type": "pagerduty", "rate_limit_per_minute": 1_000_000})  # fmt: skip
        door.raise_for_status()
        key: str = door.json()["key"]
        return key


async def offer(port: int, key: str, rate: int, seconds: float, tag: str) -> dict[str, float]:
    """Send ``rate`` new alerts a second for ``seconds``; returns when each was accepted."""
    accepted: dict[str, float] = {}
    total = int(rate * seconds)
    conns = [await Conn.open(port) for _ in range(8)]
    free: asyncio.Queue[Conn] = asyncio.Queue()
    for conn in conns:
        free.put_nowait(conn)
    start = time.perf_counter()

    async def one(i: int) -> None:
        summary = f"{tag} alert {i}"
        body = dumps({"routing_key": key, "event_action": "trigger", "dedup_key": summary,
                      "payload": {"summary": summary, "source": "bench", "severity": "critical"}})  # fmt: skip
        conn = await free.get()
        try:
            if await conn.post("/v2/enqueue", body) == 202:
                accepted[summary] = time.perf_counter()
        finally:
            free.put_nowait(conn)

    tasks = []
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    for conn in conns:
        conn.close()
    return accepted


def measure(
    server: Server, receiver: Receiver, key: str, rate: int, seconds: float
) -> dict[str, Any]:
    tag = f"r{rate}"
    accepted = asyncio.run(offer(server.port, key, rate, seconds, tag))
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and any(s not in receiver.first for s in accepted):
        time.sleep(0.05)
    latencies = [receiver.first[s] - t for s, t in accepted.items() if s in receiver.first]
    missing = len(accepted) - len(latencies)
    return {
        "rate": rate, "alerts": len(accepted), "missing": missing, "load": os.getloadavg()[0],
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=scaled(10.0, 0.5))
    parser.add_argument("--rates", type=int, nargs="+", default=list(RATES))
    args = parser.parse_args()
    receiver = Receiver()
    os.environ.update({
        "MUSTER_OUTBOUND_ALLOW": "127.0.0.1/32", "MUSTER_ENGINE_INTERVAL": "0.02",
        "MUSTER_NOTIFY_THROTTLE": "sms=5/15m,11/1h;voice=3/15m,7/1h",
    })  # fmt: skip
    results = []
    try:
        with muster_server() as server:
            key = setup(server, f"http://127.0.0.1:{receiver.port}/hook")
            for rate in args.rates:
                results.append(measure(server, receiver, key, rate, args.seconds))
    finally:
        receiver.close()
    print(f"Paging latency, alert accepted -> first webhook message (SQLite, {args.seconds:g} s "
          f"per rate, {receiver.messages} messages for {sum(r['alerts'] for r in results)} alerts)")  # fmt: skip
    failed = False
    for r in results:
        ok = r["missing"] == 0 and r["p99_ms"] < TARGET_P99_MS
        failed |= not ok
        print(f"  {r['rate']:>4} alerts/s: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms"
              f" ({r['alerts']} alerts, {r['missing']} never arrived, load average {r['load']:.2f})"
              f"  target p99 < {TARGET_P99_MS} ms: {'met' if ok else 'MISSED'}")  # fmt: skip
        load = (f"open loop, {r['rate']} new alerts/s for {args.seconds:g} s, 8 connections; "
                "engine in the server process, idle interval 20 ms")  # fmt: skip
        for p in ("p50", "p99", "max"):
            report(f"notify.first_message_{p}.at_{r['rate']}_per_s", r[f"{p}_ms"], "ms",
                   database=db_label(None), offered_load=load,
                   target=f"< {TARGET_P99_MS}" if p == "p99" else None,
                   never_arrived=r["missing"], alerts=r["alerts"])  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
