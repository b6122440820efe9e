"""``muster backup`` / ``muster restore`` (muster.backup) on both databases: a backup
taken while events are being written restores into an empty installation with every
incident, event (hash chains intact) and stored file (evidence and attachments, hashes
intact); a packed backup, a damaged one, and a non-empty target."""

from __future__ import annotations

import json
import os
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from empty_db_support import empty_database
from evidence_support import add_file
from helpers import SYSTEM
from incident_support import build_cast, declare
from muster.backup.archive import backup, restore
from muster.backup.database import BackupError, is_empty
from muster.cli.main import cli
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.engine import make_engine
from muster.db.uow import Database
from muster.domain.compliance.evidence_access import verify_incident_evidence
from muster.domain.compliance.evidence_store import FileEvidenceStore
from muster.domain.events.models import Event
from muster.domain.events.verify import verify_chains
from muster.domain.incidents.attachments import FileBlobStore, do_attach_file, read_attachment
from muster.domain.incidents.models import Incident
from muster.domain.incidents.notes import do_add_note


@pytest.fixture
def empty_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as ``db_url``: the restore target."""
    with empty_database(db_url, tmp_path, "restore") as url:
        yield url


def _populate(db: Database, settings: Settings) -> tuple[list[str], list[str], str]:
    """Incidents with notes, two evidence files and an attachment."""
    cast = build_cast(db)
    incidents = [declare(db, cast.ic, service_ids=[cast.service], title=f"Outage {n}")
                 for n in range(3)]  # fmt: skip
    store = FileEvidenceStore(settings.var_dir / "evidence")
    hashes = [add_file(db, cast.ic, incidents[0], store, data).sha256 or ""
              for data in (b"pcap" * 5000, b"memory image")]  # fmt: skip
    with db.unit_of_work() as uow:
        attached = do_attach_file(uow, cast.ic, incidents[1], FileBlobStore.in_var_dir(settings.var_dir),
                                  name="graph.png", content=b"\x89PNG graph")  # fmt: skip
        uow.commit()
        return incidents, hashes, attached.id


def _restored_settings(settings: Settings, url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=url, var_dir=tmp_path / "restored-var", secret_key="other")


def test_a_backup_taken_while_writing_restores_everything(
    db: Database, settings: Settings, empty_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    incidents, hashes, attachment_id = _populate(db, settings)
    stop = threading.Event()

    def keep_writing() -> None:  # the running installation goes on taking notes
        n = 0
        while not stop.is_set():
            with db.unit_of_work() as uow:
                do_add_note(uow, SYSTEM, incidents[2], f"note {n}")
                uow.commit()
            n += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        report = backup(settings, tmp_path / "backup", clock.now())
    finally:
        stop.set()
        writer.join()
    assert report.problems == []
    assert report.files == 3
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert {f["sha256"] for f in manifest["files"] if f["store"] == "evidence"} == set(hashes)

    target = _restored_settings(settings, empty_url, tmp_path)
    restored = restore(target, tmp_path / "backup")
    assert restored.problems == []
    copy = Database(make_engine(empty_url), clock)
    try:
        with copy.unit_of_work(readonly=True) as uow:
            assert set(incidents) <= set(uow.session.scalars(select(Incident.id)))
            chains = verify_chains(uow)
            assert chains.ok, chains.first_break  # a torn snapshot would break a chain head
            assert chains.events == uow.session.scalar(select(func.count()).select_from(Event))
            attachment = read_attachment(uow, SYSTEM, attachment_id,
                                         FileBlobStore.in_var_dir(target.var_dir))  # fmt: skip
            assert attachment[1] == b"\x89PNG graph"
        results = verify_incident_evidence(copy, SYSTEM, incidents[0],
                                           FileEvidenceStore(target.var_dir / "evidence"))  # fmt: skip
        assert sorted(r.ok for r in results) == [True, True]
    finally:
        copy.dispose()


def test_the_command_line_packs_and_refuses_a_database_in_use(
    db: Database, settings: Settings, empty_url: str, tmp_path: Path
) -> None:
    _populate(db, settings)
    runner = CliRunner()
    env = {"MUSTER_DATABASE_URL": settings.database_url, "MUSTER_VAR_DIR": str(settings.var_dir),
           "MUSTER_SECRET_KEY": "test-secret-key"}  # fmt: skip
    packed = tmp_path / "muster.tar.gz"
    result = runner.invoke(cli, ["backup", str(packed), "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["files"] == 3
    with tarfile.open(packed) as tar:
        assert "manifest.json" in tar.getnames()
    again = runner.invoke(cli, ["backup", str(packed)], env=env)
    assert again.exit_code == 1
    assert "exists already" in again.output
    # Restoring over the installation it came from: refused, nothing touched.
    refused = runner.invoke(cli, ["restore", str(packed)], env=env)
    assert refused.exit_code == 5
    assert "not empty" in refused.output
    target = {**env, "MUSTER_DATABASE_URL": empty_url,
              "MUSTER_VAR_DIR": str(tmp_path / "restored-var")}  # fmt: skip
    done = runner.invoke(cli, ["restore", str(packed), "--json"], env=target)
    assert done.exit_code == 0, done.output
    assert os.path.isdir(tmp_path / "restored-var" / "evidence")


def test_a_damaged_backup_is_refused_before_anything_is_written(
    db: Database, settings: Settings, empty_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    _populate(db, settings)
    backup(settings, tmp_path / "backup", clock.now())
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    first = manifest["files"][0]
    damaged = tmp_path / "backup" / "files" / first["store"] / first["key"]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"!")
    target = _restored_settings(settings, empty_url, tmp_path)
    with pytest.raises(BackupError, match="does not match its SHA-256"):
        restore(target, tmp_path / "backup")
    assert is_empty(empty_url)
    with pytest.raises(BackupError, match="no such backup"):
        restore(target, tmp_path / "nothing-here")
