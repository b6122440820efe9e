"""Ingest throughput and latency against a real Muster server.

Prints: single events/s on /v2/enqueue with ~30% duplicates; alerts/s in Alertmanager
batches of 100 (and the server's CPU per alert, steadier on a shared machine); p50/p99
accept latency at a fixed offered rate of 500 events/s. For where the time goes, see
bench/ingest_profile.py.
Usage: python bench/ingest.py [--postgres URL] [--seconds N] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Conn, add_integration, dumps, muster_server, percentile, setup_service

TARGETS = {"single_events_per_s": 1500, "batched_alerts_per_s": 15000, "p99_ms_at_500": 50}


def pd_event(key: str, i: int, dup_every: float) -> bytes:
    # ~30% of events repeat a recent dedup key (a re-sent or flapping source).
    dedup = (
        f"k-{random.randrange(max(0, i - 50), i + 1)}" if random.random() < dup_every else f"k-{i}"
    )
    return dumps({"routing_key": key, "event_action": "trigger", "dedup_key": dedup,
                  "payload": {"summary": f"Disk almost full on db-{i % 40}", "source": f"db-{i % 40}",
                              "severity": "warning", "custom_details": {"free_gb": i % 17}}})  # fmt: skip


async def closed_loop(
    port: int, path: str, bodies: list[bytes], connections: int
) -> tuple[float, int, list[float]]:
    """Send every body as fast as ``connections`` keep-alive connections allow."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        conn = await Conn.open(port)
        while not queue.empty():
            body = queue.get_nowait()
            t = time.perf_counter()
            status = await conn.post(path, body)
            latencies.append(time.perf_counter() - t)
            errors += status != 202
        conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - start, errors, latencies


async def open_loop(
    port: int, path: str, make: Any, rate: float, seconds: float
) -> tuple[list[float], int, int]:
    """Offer ``rate`` requests/s regardless of answers (no coordinated omission)."""
    conns = [await Conn.open(port) for _ in range(64)]
    free: asyncio.Queue[Conn] = asyncio.Queue()
    for c in conns:
        free.put_nowait(c)
    latencies: list[float] = []
    errors = 0
    tasks = []

    async def one(i: int, due: float) -> None:
        nonlocal errors
        conn = await free.get()
        status = await conn.post(path, make(i))
        latencies.append(time.perf_counter() - due)  # from when it was due, not when sent
        errors += status != 202
        free.put_nowait(conn)

    start = time.perf_counter()
    n = int(rate * seconds)
    for i in range(n):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    for c in conns:
        c.close()
    return latencies, errors, n


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(database_url: str | None, seconds: float) -> dict[str, Any]:
    db_label = "postgresql" if database_url else "sqlite (WAL, synchronous=FULL)"
    with muster_server(database_url, engine=False) as server:
        # A name of its own: a PostgreSQL database keeps what earlier runs stored.
        service = setup_service(server, name=f"bench-{time.time_ns():x}")
        pd = add_integration(server, service, "pagerduty")
        am = add_integration(server, service, "alertmanager")
        results: dict[str, Any] = {
            "database": db_label,
            "startup_seconds": round(server.startup_seconds, 2),
        }  # type: ignore[attr-defined]

        n = int(1500 * seconds)
        bodies = [pd_event(pd["key"], i, 0.3) for i in range(n)]
        asyncio.run(closed_loop(server.port, "/v2/enqueue", bodies[:300], 32))  # warm up
        elapsed, errors, lat = asyncio.run(closed_loop(server.port, "/v2/enqueue", bodies, 32))
        results["single_events_per_s"] = round(n / elapsed)
        results["single_errors"] = errors
        results["single_p99_ms_closed_loop"] = round(percentile(lat, 99) * 1000, 1)

        batches = []
        for b in range(max(20, int(20 * seconds))):
            alerts = [{"status": "firing", "labels": {"alertname": "HighLoad", "instance": f"node-{b}-{j}",
                                                       "severity": "warning"},
                       "annotations": {"summary": f"Load high on node-{b}-{j}"},
                       "startsAt": "2026-01-05T08:59:00Z", "endsAt": "0001-01-01T00:00:00Z",
                       "fingerprint": f"{b:04x}{j:04x}"} for j in range(100)]  # fmt: skip
            batches.append(dumps({"version": "4", "groupKey": f"g{b}", "status": "firing", "receiver": "m",
                                  "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
                                  "externalURL": "", "truncatedAlerts": 0, "alerts": alerts}))  # fmt: skip
        cpu_before = server_cpu_seconds(server.pid)
        elapsed, errors, _ = asyncio.run(
            closed_loop(server.port, f"/ingest/alertmanager/{am['key']}", batches, 4)
        )
        cpu = server_cpu_seconds(server.pid) - cpu_before
        results["batched_alerts_per_s"] = round(len(batches) * 100 / elapsed)
        results["batched_errors"] = errors
        # Steadier than the rate on a shared machine: what each alert cost the server.
        results["batched_server_cpu_us_per_alert"] = round(cpu / (len(batches) * 100) * 1e6)

        offset = n + 10
        lat, errors, sent = asyncio.run(open_loop(
            server.port, "/v2/enqueue", lambda i: pd_event(pd["key"], offset + i, 0.3), 500, seconds))  # fmt: skip
        results["p50_ms_at_500"] = round(percentile(lat, 50) * 1000, 1)
        results["p99_ms_at_500"] = round(percentile(lat, 99) * 1000, 1)
        results["open_loop_sent"] = sent
        results["open_loop_errors"] = errors
        results["server_peak_rss_mib"] = round(server.rss_mib(), 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres", metavar="URL", help="run against PostgreSQL at URL instead of SQLite"
    )
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="length of each phase (default 4)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    results = run(args.postgres, args.seconds)
    print(
        f"ingest benchmark — {results['database']}, 2-core machine, server and load generator on it"
    )
    print(f"  start-up to ready:                 {results['startup_seconds']} s")
    print(f"  /v2/enqueue single events (30% dup): {results['single_events_per_s']}/s "
          f"(target ≥ {TARGETS['single_events_per_s']}; errors {results['single_errors']})")  # fmt: skip
    print(f"  Alertmanager batches of 100:       {results['batched_alerts_per_s']} alerts/s "
          f"(target ≥ {TARGETS['batched_alerts_per_s']}; errors {results['batched_errors']}; "
          f"server CPU {results['batched_server_cpu_us_per_alert']} µs per alert)")  # fmt: skip
    print(f"  accept latency at 500 events/s:    p50 {results['p50_ms_at_500']} ms, "
          f"p99 {results['p99_ms_at_500']} ms (target p99 ≤ {TARGETS['p99_ms_at_500']} ms; "
          f"errors {results['open_loop_errors']} of {results['open_loop_sent']})")  # fmt: skip
    print(f"  server peak RSS:                   {results['server_peak_rss_mib']} MiB")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
