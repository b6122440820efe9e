"""The ingest benchmark's baseline: the same load on Alerta, side by side with Muster.

Alerta (``alerta-server`` from PyPI, pinned below) is installed into a virtualenv of its
own under ``var/bench/alerta-venv`` (made once, kept), given a scratch database on the
local PostgreSQL, and served by gunicorn with one worker per core. Nothing of Alerta is in
this repository: it is only installed and run. Authentication is off (its default).

It gets the three phases of bench/ingest.py with the same bodies' content, connections
and rates: single alerts on ``POST /alert`` (~30% repeating a recent key, which Alerta
de-duplicates on environment/resource/event), the same Alertmanager batches of 100 on its
``/webhooks/prometheus``, and the open loop at 500 alerts/s. Muster's figures are read
from ``--muster-json`` (what ``bench/ingest.py --postgres auto --json FILE`` wrote in the
same run), or measured here first when that is not given.

When Alerta cannot be installed or started, this prints why and exits 0: the baseline is
a comparison, not a gate. Usage:
python bench/alerta.py [--muster-json FILE] [--seconds N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _harness import db_label, dumps, free_port, pg_database, report, scaled
from ingest import DUPLICATES, database, dedup_key, drive, print_and_report
from ingest import run as run_muster

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "var" / "bench" / "alerta-venv"
PINS = ["alerta-server==9.1.0", "psycopg2-binary==2.9.13", "gunicorn==27.0.1"]


def ensure_venv() -> Path:
    """Alerta's virtualenv with the pinned packages; returns its bin directory."""
    bin_dir = VENV / "bin"
    stamp = VENV / ("installed-" + "-".join(p.replace("==", "_") for p in PINS))
    if stamp.exists():
        return bin_dir
    if not (bin_dir / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", *PINS],
        check=True,
        capture_output=True,
        text=True,
    )
    stamp.touch()
    return bin_dir


@contextmanager
def alerta_server(bin_dir: Path, database_url: str) -> Iterator[tuple[int, int, str]]:
    """gunicorn serving Alerta on a free port; yields (port, master pid, workers)."""
    tmp = Path(tempfile.mkdtemp(prefix="alerta-bench-"))
    conf = tmp / "alertad.conf"
    conf.write_text(
        f"DATABASE_URL = {database_url.replace('+psycopg', '')!r}\n"
        "AUTH_REQUIRED = False\nLOG_LEVEL = 'WARNING'\n"
        f"SECRET_KEY = {os.urandom(16).hex()!r}\n"
    )
    env = {**os.environ, "ALERTA_SVR_CONF_FILE": str(conf)}
    env.pop("DATABASE_URL", None)
    port = free_port()
    workers = str(os.cpu_count() or 1)
    log = (tmp / "gunicorn.log").open("wb")
    # One process first creates the schema (concurrent workers would race to create it).
    init = subprocess.run(
        [str(bin_dir / "python"), "-c", "from alerta import create_app; create_app()"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if init.returncode != 0:
        raise RuntimeError(f"Alerta did not start: {init.stderr[-1500:]}")
    proc = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "--workers", workers, "--threads", "8",
         "--worker-class", "gthread", "--keep-alive", "75", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "alerta:create_app()"],
        env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/management/healthcheck").is_success:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (tmp / "gunicorn.log").read_text(errors="replace")[-1500:]
                raise RuntimeError(f"Alerta did not become ready: {tail}")
            time.sleep(0.1)
        yield port, proc.pid, f"gunicorn, {workers} gthread workers x 8 threads"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def alerta_event(i: int) -> bytes:
    """The i-th single event of bench/ingest.py, in Alerta's own alert format."""
    dedup = dedup_key(i, DUPLICATES)
    return dumps({"resource": f"db-{i % 40}", "event": dedup, "environment": "Production",
                  "severity": "warning", "service": ["bench"], "origin": "bench",
                  "text": f"Disk almost full on db-{i % 40}", "value": str(i % 17),
                  "attributes": {"free_gb": i % 17}})  # fmt: skip


def run_alerta(seconds: float) -> dict[str, Any]:
    bin_dir = ensure_venv()
    with pg_database("alerta_bench") as url, alerta_server(bin_dir, url) as (port, pid, how):
        results = drive(port, "/alert", "/webhooks/prometheus", alerta_event, seconds, pid)
        results["database"] = db_label(url)
    results["server"] = how
    results["batched_server_cpu_us_per_alert"] = None  # the workers are other processes
    results["batched_thread_cpu_us_per_alert"] = {}  # (likewise)
    return results


def side_by_side(muster: dict[str, Any], alerta: dict[str, Any]) -> None:
    rows = [
        ("single events/s (closed loop)", "single_events_per_s", "/s", True),
        ("single p99 (closed loop)", "single_p99_ms_closed_loop", "ms", False),
        ("Alertmanager batch alerts/s", "batched_alerts_per_s", "/s", True),
        ("p50 at 500 events/s", "p50_ms_at_500", "ms", False),
        ("p99 at 500 events/s", "p99_ms_at_500", "ms", False),
    ]
    print("\nMuster vs Alerta, both on the local PostgreSQL, same load and connections")
    print(f"  {'figure':<32} {'Muster':>10} {'Alerta':>10} {'Muster/Alerta':>14}")
    for label, key, unit, higher in rows:
        m, a = muster[key], alerta[key]
        ratio = m / a if a else float("nan")
        print(f"  {label:<32} {m:>8} {unit:<2}{a:>8} {unit:<2}{ratio:>13.2f}x")
        note = "higher is better" if higher else "lower is better"
        report(f"ingest.ratio_muster_alerta.{key}", round(ratio, 2), "ratio",
               database=alerta["database"], offered_load="as bench/ingest.py",
               muster=m, alerta=a, note=note)  # fmt: skip
    errors = {k: alerta[k] for k in ("single_errors", "batched_errors", "open_loop_errors")}
    print(f"  Alerta errors (non-2xx): {errors}; Alerta served by {alerta['server']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--muster-json", metavar="FILE", help="Muster's figures on PostgreSQL")
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    seconds = args.seconds or scaled(4.0, 0.05)
    if args.muster_json and Path(args.muster_json).exists():
        muster = json.loads(Path(args.muster_json).read_text())
    else:
        with database("auto") as url:
            muster = run_muster(url, seconds)
    try:
        alerta = run_alerta(seconds)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        why = getattr(exc, "stderr", None) or str(exc)
        print(f"Alerta baseline skipped: it could not be installed or started here: {why}")
        report("ingest.alerta.available", 0, "bool", database="postgresql")
        return 0
    print_and_report(alerta, system="alerta")
    side_by_side(muster, alerta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
