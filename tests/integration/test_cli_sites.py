"""``muster site``: create a site, a zone and a device; show it; trail an identity."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from muster.cli.common import Exit
from muster.cli.main import cli
from muster.clock import ManualClock
from muster.db.uow import Database
from sites_support import build_place, report


def test_site_commands(db: Database, db_url: str, tmp_path: Path, clock: ManualClock) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    made = run("site", "create", "Warehouse", "--time-zone", "America/Chicago", "--json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["time_zone"] == "America/Chicago"
    assert run("site", "create", "warehouse").exit_code == Exit.CONFLICT
    bad = run("site", "create", "Dock", "--time-zone", "Mars/Base")
    assert bad.exit_code == Exit.INVALID
    assert "time_zone" in bad.output
    assert run("site", "zone-add", "Warehouse", "Cage", "--restricted").exit_code == 0
    added = run("site", "device-add", "Warehouse", "--kind", "camera", "--name", "Cage cam",
                "--external-id", "cage_cam", "--zone", "cage")  # fmt: skip
    assert added.exit_code == 0, added.output
    no_zone = run("site", "device-add", "Warehouse", "--kind", "door", "--name", "D",
                  "--external-id", "d", "--zone", "Roof")  # fmt: skip
    assert no_zone.exit_code == Exit.INVALID
    shown = run("site", "show", "Warehouse")
    assert "zone Cage [restricted]" in shown.output
    assert "camera           Cage cam" in shown.output
    assert "Cage" in shown.output
    assert run("site", "show", "Nowhere").exit_code == Exit.NOT_FOUND


def test_trail_command(db: Database, db_url: str, tmp_path: Path, clock: ManualClock) -> None:
    place = build_place(db)
    report(db, place.door, "access_granted", clock.now() - timedelta(hours=1), identity="P-1")
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}
    since = (clock.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M%z")
    until = clock.now().strftime("%Y-%m-%dT%H:%M%z")
    out = CliRunner().invoke(cli, ["site", "trail", "P-1", "--since", since, "--until", until,
                                   "--json"], env=env, catch_exceptions=False)  # fmt: skip
    assert out.exit_code == 0, out.output
    [sighting] = json.loads(out.output)
    assert sighting["device_name"] == "Server room door"
    assert sighting["zone_name"] == "Server room"
