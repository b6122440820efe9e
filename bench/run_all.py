"""Run every benchmark and keep what they printed in bench/results/<date>.md and .json.

Each script prints its own figures with their conditions and targets, and each figure
once more as a ``BENCH-JSON {...}`` line (``_harness.report``). This runs them in turn
(never in parallel: they would measure each other), shows their human lines as they come,
and writes:

* ``<date>.md``: the machine, then per script a table of its figures (value, target,
  database, offered load) and what it printed;
* ``<date>.json``: the same figures, machine-readable, with every condition.

A full run (scale 1, every script) also points the README's link to the latest results
at the new file. ``--quick`` runs every workload at 1% (``MUSTER_BENCH_SCALE=0.01``) to
prove the scripts work in a few minutes; its figures mean nothing, so it writes to
var/bench/quick/ instead of bench/results/. ``--only ingest.py ui.py`` runs some scripts
only. Alerta's virtualenv is made once under var/bench/alerta-venv (needs PyPI).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _harness import JSON_PREFIX, machine

HERE = Path(__file__).parent

# (what it measures, script, arguments); {tmp} is a scratch directory of this run.
RUNS = [
    ("ingest on SQLite", "ingest.py", []),
    ("ingest on PostgreSQL", "ingest.py", ["--postgres", "auto", "--json", "{tmp}/pg.json"]),
    ("Alerta baseline (PostgreSQL)", "alerta.py", ["--muster-json", "{tmp}/pg.json"]),
    ("alert to first notification", "notify.py", []),
    ("escalation timing at 10,000 escalations, SQLite", "escalation.py", []),
    (
        "escalation timing at 10,000 escalations, PostgreSQL",
        "escalation.py",
        ["--postgres", "auto"],
    ),
    ("schedule resolution", "oncall.py", []),
    ("pages at 100,000 incidents and 1,000,000 alerts", "ui.py", []),
    ("incident metrics at 100,000 incidents", "metrics.py", []),
]


def run_one(script: str, args: list[str], env: dict[str, str]) -> tuple[int, list[str], float]:
    """Run a script, echoing its human lines; (exit code, every line, seconds)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / script), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if not line.startswith(JSON_PREFIX):
            print(line, end="", flush=True)
    return proc.wait(), lines, time.perf_counter() - started


def figures_table(figures: list[dict[str, Any]]) -> list[str]:
    if not figures:
        return ["(no figures)", ""]
    out = [
        "| figure | value | target | database | offered load |",
        "|---|---:|---|---|---|",
    ]
    for f in figures:
        c = f["conditions"]
        value = "—" if f["value"] is None else f"{f['value']:,} {f['unit']}".replace(",", " ")
        target = f["target"] or ""
        if f["met"] is not None:
            target += " ✓" if f["met"] else " ✗ missed"
        cells = [f["name"], value, target, c.get("database") or "", c.get("offered_load") or ""]
        out.append("| " + " | ".join(str(x).replace("|", "/") for x in cells) + " |")
    return [*out, ""]


def link_latest(today: str) -> None:
    """Point the README's link to the latest results at this run's file."""
    readme = HERE.parent / "README.md"
    text = readme.read_text()
    linked = re.sub(
        r"\[bench/results/[0-9-]+\.md\]\(bench/results/[0-9-]+\.md\)",
        f"[bench/results/{today}.md](bench/results/{today}.md)",
        text,
    )
    if linked != text:
        readme.write_text(linked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1%% of every workload")
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="run only these scripts")
    parser.add_argument("--out", type=Path, help="directory for <date>.md and .json")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.quick:
        env["MUSTER_BENCH_SCALE"] = "0.01"
    scale = float(env.get("MUSTER_BENCH_SCALE", "1"))
    root = HERE.parent
    out_dir = args.out or (root / "var" / "bench" / "quick" if args.quick else HERE / "results")
    out_dir.mkdir(parents=True, exist_ok=True)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    started_at = datetime.now(UTC)
    host = machine()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="muster-bench-") as tmp:
        for title, script, script_args in RUNS:
            if args.only and script not in args.only:
                continue
            argv = [a.replace("{tmp}", tmp) for a in script_args]
            print(f"\n== {title}: {script} {' '.join(script_args)}", flush=True)
            code, lines, seconds = run_one(script, argv, env)
            figures = [
                json.loads(x[len(JSON_PREFIX) :]) for x in lines if x.startswith(JSON_PREFIX)
            ]
            runs.append({
                "title": title, "script": script, "args": script_args, "exit_code": code,
                "seconds": round(seconds, 1), "figures": figures,
                "output": [x for x in lines if not x.startswith(JSON_PREFIX)],
            })  # fmt: skip
            if code != 0:
                print(f"   {script} exited {code}", file=sys.stderr)
    total = (datetime.now(UTC) - started_at).total_seconds()
    md = [
        f"# Benchmarks, {today}",
        "",
        f"Machine: {host['machine']}, {host['cores']} cores, Python {host['python']}; server, "
        "database and load generator on the same machine. "
        f"Scale {scale:g} (1 is the full workload); the whole run took {total / 60:.1f} min. "
        "Every figure's conditions are in the [JSON file]"
        f"({today}.json) beside this one.",
        "",
    ]
    for run in runs:
        status = (
            ""
            if run["exit_code"] == 0
            else f" — exit code {run['exit_code']} (a target missed, or a failure: see below)"
        )
        md += [f"## {run['title']} (`{run['script']}`, {run['seconds']} s){status}", ""]
        md += figures_table(run["figures"])
        md += ["```", "\n".join(run["output"]).strip(), "```", ""]
    (out_dir / f"{today}.md").write_text("\n".join(md))
    document = {
        "date": today, "started_at": started_at.isoformat(), "seconds": round(total, 1),
        "scale": scale, "machine": host,
        "runs": [{k: v for k, v in run.items() if k != "output"} for run in runs],
    }  # fmt: skip
    (out_dir / f"{today}.json").write_text(json.dumps(document, indent=2, ensure_ascii=False))
    if out_dir == HERE / "results" and not args.only and scale == 1:
        link_latest(today)
    print(f"\nresults written to {out_dir / today}.md and .json ({total / 60:.1f} min)")
    return 1 if any(run["exit_code"] for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
