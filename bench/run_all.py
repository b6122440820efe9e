"""Run every benchmark and keep what they printed in bench/results/<date>.md.

Each script prints its own figures with their conditions and targets; this only runs
them in turn (never in parallel: they would measure each other) and records the output.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
SCRIPTS = ["ingest.py", "oncall.py", "ui.py", "notify.py"]


def main() -> int:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    out = HERE / "results" / f"{today}.md"
    out.parent.mkdir(exist_ok=True)
    lines = [
        f"# Benchmarks, {today}",
        "",
        f"Machine: {platform.machine()}, {_cores()} cores, Python {platform.python_version()}; "
        "server and load generator on the same machine.",
        "",
    ]
    failed = 0
    for script in SCRIPTS:
        path = HERE / script
        if not path.exists():
            continue
        print(f"== {script}", flush=True)
        run = subprocess.run(
            [sys.executable, str(path)], capture_output=True, text=True, check=False
        )
        print(run.stdout, end="")
        if run.returncode != 0:
            failed += 1
            print(run.stderr[-2000:], file=sys.stderr)
        lines += [
            f"## {script}",
            "",
            "```",
            run.stdout.rstrip() or run.stderr.rstrip()[-2000:],
            "```",
            "",
        ]
    out.write_text("\n".join(lines))
    print(f"results written to {out}")
    return 1 if failed else 0


def _cores() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
