"""Ingest throughput and latency against a real Muster server.

Prints: single events/s on /v2/enqueue with ~30% duplicates; alerts/s in Alertmanager
batches of 100 (and the server's CPU per alert, steadier on a shared machine); p50/p99
accept latency at a fixed offered rate of 500 events/s; start-up time and the server's
peak memory. For where the time goes, see bench/ingest_profile.py; for the same load on
Alerta, bench/alerta.py (which reads this script's --json).
Usage: python bench/ingest.py [--postgres URL|auto] [--seconds N] [--json FILE]
(``--postgres auto``: a scratch database on the local PostgreSQL, dropped after.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _harness import (
    Conn,
    add_integration,
    db_label,
    dumps,
    muster_server,
    percentile,
    pg_database,
    report,
    scaled,
    setup_service,
)

TARGETS = {"single_events_per_s": 1500, "batched_alerts_per_s": 15000, "p99_ms_at_500": 50}
# The load, the same for Muster and (bench/alerta.py) Alerta.
CONNECTIONS = 32  # closed loop, single events
BATCH_CONNECTIONS = 4  # closed loop, Alertmanager batches
OPEN_RATE = 500  # events/s offered in the open loop
OPEN_CONNECTIONS = 64
DUPLICATES = 0.3


def dedup_key(i: int, dup_every: float) -> str:
    """~30% of events repeat a recent dedup key (a re-sent or flapping source)."""
    if random.random() < dup_every:
        return f"k-{random.randrange(max(0, i - 50), i + 1)}"
    return f"k-{i}"


def pd_event(key: str, i: int, dup_every: float) -> bytes:
    dedup = dedup_key(i, dup_every)
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
            errors += not 200 <= status < 300
        conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - start, errors, latencies


async def open_loop(
    port: int, path: str, make: Callable[[int], bytes], rate: float, seconds: float
) -> tuple[list[float], int, int]:
    """Offer ``rate`` requests/s regardless of answers (no coordinated omission)."""
    conns = [await Conn.open(port) for _ in range(OPEN_CONNECTIONS)]
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
        errors += not 200 <= status < 300
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
    return _cpu_seconds(Path(f"/proc/{pid}/stat"))


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU time of each thread of the process so far, by the kernel's thread name (Muster
    names its own: muster.threads; "main" serves HTTP and parses), "<name>:<tid>" where
    two threads share a name."""
    seconds: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = "main" if task.name == str(pid) else (task / "comm").read_text().strip()
            cpu = _cpu_seconds(task / "stat")
        except OSError:  # the thread ended meanwhile
            continue
        seconds[f"{name}:{task.name}" if name in seconds else name] = cpu
    return seconds


def _cpu_seconds(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def am_batch(b: int) -> bytes:
    """Alertmanager webhook payload (version 4) with 100 firing alerts."""
    alerts = [{"status": "firing", "labels": {"alertname": "HighLoad", "instance": f"node-{b}-{j}",
                                               "severity": "warning"},
               "annotations": {"summary": f"Load high on node-{b}-{j}"},
               "startsAt": "2026-01-05T08:59:00Z", "endsAt": "0001-01-01T00:00:00Z",
               "fingerprint": f"{b:04x}{j:04x}"} for j in range(100)]  # fmt: skip
    return dumps({"version": "4", "groupKey": f"g{b}", "status": "firing", "receiver": "m",
                  "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
                  "externalURL": "", "truncatedAlerts": 0, "alerts": alerts})  # fmt: skip


def drive(
    port: int, single_path: str, batch_path: str, make: Callable[[int], bytes], seconds: float,
    pid: int,
) -> dict[str, Any]:  # fmt: skip
    """The three phases, against any server: ``make(i)`` builds the i-th single event."""
    results: dict[str, Any] = {}
    n = int(1500 * seconds)
    bodies = [make(i) for i in range(n)]
    asyncio.run(closed_loop(port, single_path, bodies[:300], CONNECTIONS))  # warm up
    elapsed, errors, lat = asyncio.run(closed_loop(port, single_path, bodies, CONNECTIONS))
    results["single_events_per_s"] = round(n / elapsed)
    results["single_errors"] = errors
    results["single_p50_ms_closed_loop"] = round(percentile(lat, 50) * 1000, 1)
    results["single_p99_ms_closed_loop"] = round(percentile(lat, 99) * 1000, 1)

    batches = [am_batch(b) for b in range(max(20, int(20 * seconds)))]
    cpu_before, threads_before = server_cpu_seconds(pid), thread_cpu_seconds(pid)
    elapsed, errors, _ = asyncio.run(closed_loop(port, batch_path, batches, BATCH_CONNECTIONS))
    cpu, threads = server_cpu_seconds(pid) - cpu_before, thread_cpu_seconds(pid)
    alerts = len(batches) * 100
    # Which thread bounds the rate: the writer applies every batch in series.
    results["batched_thread_cpu_us_per_alert"] = {
        name: round((spent - threads_before.get(name, 0.0)) / alerts * 1e6, 1)
        for name, spent in sorted(threads.items(), key=lambda kv: -kv[1])
        if spent - threads_before.get(name, 0.0) > 0
    }
    results["batched_wall_us_per_alert"] = round(elapsed / alerts * 1e6, 1)
    results["batched_alerts_per_s"] = round(len(batches) * 100 / elapsed)
    results["batched_errors"] = errors
    # Steadier than the rate on a shared machine: what each alert cost the server.
    results["batched_server_cpu_us_per_alert"] = round(cpu / (len(batches) * 100) * 1e6)

    offset = n + 10
    lat, errors, sent = asyncio.run(
        open_loop(port, single_path, lambda i: make(offset + i), OPEN_RATE, seconds)
    )
    results["p50_ms_at_500"] = round(percentile(lat, 50) * 1000, 1)
    results["p99_ms_at_500"] = round(percentile(lat, 99) * 1000, 1)
    results["open_loop_sent"] = sent
    results["open_loop_errors"] = errors
    return results


def run(database_url: str | None, seconds: float) -> dict[str, Any]:
    with muster_server(database_url, engine=False) as server:
        # A name of its own: a PostgreSQL database keeps what earlier runs stored.
        service = setup_service(server, name=f"bench-{time.time_ns():x}")
        pd = add_integration(server, service, "pagerduty")
        am = add_integration(server, service, "alertmanager")
        results: dict[str, Any] = {
            "database": db_label(database_url),
            "seconds": seconds,
            "startup_seconds": round(server.startup_seconds, 2),
            **drive(server.port, "/v2/enqueue", f"/ingest/alertmanager/{am['key']}",
                    lambda i: pd_event(pd["key"], i, DUPLICATES), seconds, server.pid),
        }  # fmt: skip
        results["server_peak_rss_mib"] = round(server.rss_mib(), 1)
    return results


@contextmanager
def database(postgres: str | None) -> Iterator[str | None]:
    """None for SQLite, the URL given, or (``auto``) a scratch PostgreSQL database."""
    if postgres == "auto":
        with pg_database("muster_bench_ingest") as url:
            yield url
    else:
        with nullcontext(postgres) as url:
            yield url


def print_and_report(results: dict[str, Any], system: str = "muster") -> None:
    """The human lines and the BENCH-JSON figures; Muster's targets apply to Muster only."""
    db = results["database"]
    ours = system == "muster"
    closed = f"closed loop, {CONNECTIONS} connections, {DUPLICATES:.0%} duplicates"
    batch = f"closed loop, {BATCH_CONNECTIONS} connections, batches of 100"
    offered = f"open loop, {OPEN_RATE} events/s, {results['open_loop_sent']} events"

    def goal(text: str) -> str:
        return f"target {text}; " if ours else ""

    single = "/v2/enqueue single events (30% dup)" if ours else "POST /alert single (30% dup)"
    print(f"ingest benchmark ({system}) — {db}, server and load generator on this machine")
    if "startup_seconds" in results:
        print(f"  start-up to ready (empty database): {results['startup_seconds']} s")
    t_single = goal(f"≥ {TARGETS['single_events_per_s']}")
    t_batch = goal(f"≥ {TARGETS['batched_alerts_per_s']}")
    t_p99 = goal(f"p99 ≤ {TARGETS['p99_ms_at_500']} ms")
    print(f"  {single + ':':<35}{results['single_events_per_s']}/s "
          f"({t_single}errors {results['single_errors']}; "
          f"p50 {results['single_p50_ms_closed_loop']} ms, p99 {results['single_p99_ms_closed_loop']} ms)")  # fmt: skip
    print(f"  Alertmanager batches of 100:       {results['batched_alerts_per_s']} alerts/s "
          f"({t_batch}errors {results['batched_errors']}; "
          f"server CPU {results['batched_server_cpu_us_per_alert'] or '?'} µs per alert)")  # fmt: skip
    print(f"  accept latency at 500 events/s:    p50 {results['p50_ms_at_500']} ms, "
          f"p99 {results['p99_ms_at_500']} ms ({t_p99}"
          f"errors {results['open_loop_errors']} of {results['open_loop_sent']})")  # fmt: skip
    if results.get("batched_thread_cpu_us_per_alert"):
        spent = ", ".join(
            f"{name} {us}" for name, us in results["batched_thread_cpu_us_per_alert"].items()
        )
        print(f"  server CPU by thread, batches:     {spent} µs per alert "
              f"(wall {results['batched_wall_us_per_alert']} µs per alert)")  # fmt: skip
    if "server_peak_rss_mib" in results:
        print(f"  server peak RSS (VmHWM):           {results['server_peak_rss_mib']} MiB")
    p = f"ingest.{system}.{'postgresql' if db.startswith('postgresql') else 'sqlite'}"

    def target(key: str, op: str) -> str | None:
        return f"{op} {TARGETS[key]}" if ours else None

    if "startup_seconds" in results:
        report(f"{p}.startup_empty_db", results["startup_seconds"], "s", database=db,
               offered_load="none")  # fmt: skip
    report(f"{p}.single_events_per_s", results["single_events_per_s"], "events/s", database=db,
           target=target("single_events_per_s", ">="), offered_load=closed,
           errors=results["single_errors"])  # fmt: skip
    report(f"{p}.single_p99_closed_loop", results["single_p99_ms_closed_loop"], "ms",
           database=db, offered_load=closed)  # fmt: skip
    report(f"{p}.batched_alerts_per_s", results["batched_alerts_per_s"], "alerts/s", database=db,
           target=target("batched_alerts_per_s", ">="), offered_load=batch,
           errors=results["batched_errors"])  # fmt: skip
    if results["batched_server_cpu_us_per_alert"] is not None:
        report(f"{p}.batched_server_cpu_per_alert", results["batched_server_cpu_us_per_alert"],
               "µs", database=db, offered_load=batch)  # fmt: skip
    report(f"{p}.p50_at_500", results["p50_ms_at_500"], "ms", database=db, offered_load=offered,
           errors=results["open_loop_errors"])  # fmt: skip
    report(f"{p}.p99_at_500", results["p99_ms_at_500"], "ms", database=db, offered_load=offered,
           target=target("p99_ms_at_500", "<="), errors=results["open_loop_errors"])  # fmt: skip
    if "server_peak_rss_mib" in results:
        report(f"{p}.server_peak_rss", results["server_peak_rss_mib"], "MiB", database=db,
               offered_load="all three phases above")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres", metavar="URL", help="PostgreSQL at URL ('auto': a scratch database)"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="length of each phase (default 4 s times the scale)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    seconds = args.seconds or scaled(4.0, 0.05)
    with database(args.postgres) as url:
        results = run(url, seconds)
    print_and_report(results)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
