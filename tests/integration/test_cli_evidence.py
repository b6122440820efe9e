"""``muster evidence`` and ``muster retention``: add (streamed from a path, or a
reference), list, verify (exit 7 and ✗ on a tampered file), hold and release; a custody
row edited in the database fails ``muster audit verify``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import update

from evidence_support import custody, sha
from incident_support import build_cast, declare
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database
from muster.domain.compliance.evidence_store import FileEvidenceStore
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident


def test_evidence_commands(db: Database, db_url: str, tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(var)}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    cast = build_cast(db)
    incident = declare(db, cast.ic)
    image = tmp_path / "host42.img"
    image.write_bytes(b"\x7fELF" * 300_000)
    r = run("evidence", "add", "INC-1", str(image), "--source", "host42", "--json",
            "--as", "resp@example.com")  # fmt: skip
    assert r.exit_code == 0, r.output
    added = json.loads(r.output)
    assert (added["label"], added["sha256"]) == ("EV-1", sha(image.read_bytes()))
    r = run("evidence", "add", "INC-1", "--uri", "s3://cams/door-3/clip.mp4", "--sha256", "nope")
    assert r.exit_code == Exit.INVALID
    assert "sha256" in r.output
    r = run("evidence", "add", "INC-1", "--uri", "https://cams.example/door-3/clip.mp4")
    assert r.exit_code == 0, r.output
    r = run("evidence", "add", "INC-1", "--as", "viewer@example.com", str(image))
    assert r.exit_code == Exit.FORBIDDEN

    listed = json.loads(run("evidence", "list", incident, "--json").output)
    assert [(i["label"], i["kind"]) for i in listed] == [("EV-1", "file"), ("EV-2", "external")]

    r = run("evidence", "verify", "INC-1")
    assert r.exit_code == 0, r.output
    assert "✓ EV-1" in r.output

    store = FileEvidenceStore(var / "evidence")
    with store.path_of(_key(db, added["id"])).open("r+b") as f:
        f.seek(1000)
        f.write(b"\x00")
    r = run("evidence", "verify", "INC-1")
    assert r.exit_code == Exit.CHAIN_BROKEN
    assert "✗ EV-1" in r.output
    assert "1 of 2 items failed" in r.output
    assert custody(db, added["id"])[-1].data["ok"] is False

    r = run("audit", "verify")
    assert r.exit_code == 0, r.output
    collected = custody(db, added["id"])[0]
    with db.unit_of_work() as uow:
        uow.session.execute(
            update(Event).where(Event.id == collected.id)
            .values(data={**collected.data, "sha256": sha(b"forged")})
        )  # fmt: skip
        uow.commit()
    r = run("audit", "verify", "--json")
    assert r.exit_code == Exit.CHAIN_BROKEN
    assert json.loads(r.output)["first_break"]["stream"] == f"evidence:{added['id']}"

    assert run("evidence", "hold", "INC-1", "--reason", "regulator").exit_code == 0
    with db.unit_of_work() as uow:
        uow.session.execute(update(Incident).values(
            status="closed", closed_at=uow.now - timedelta(days=100)))  # fmt: skip
        uow.commit()
    r = run("retention", "run", "--days", "30", "--json")
    counts = json.loads(r.output)
    assert (counts["held"], counts["evidence"]) == (1, 0)
    assert run("evidence", "release", "INC-1", "--reason", "closed").exit_code == 0
    assert run("evidence", "release", "INC-1", "--reason", "again").exit_code == Exit.CONFLICT
    r = run("retention", "run", "--days", "30", "--dry-run")
    assert "would remove: 1 evidence files" in r.output, r.output
    assert run("retention", "run").exit_code == Exit.USAGE  # off unless configured


def _key(db: Database, evidence_id: str) -> str:
    from muster.domain.compliance.evidence_models import EvidenceItem

    with db.unit_of_work(readonly=True) as uow:
        key = uow.session.get_one(EvidenceItem, evidence_id).storage_key
    assert key is not None
    return key
