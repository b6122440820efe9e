"""``muster backup`` and ``muster restore``: a whole installation to a directory or a
``.tar.gz`` file and back.

The manifest records when and from which schema revision the backup was taken, the
database file and its SHA-256, and every stored object with its SHA-256. Restore
refuses a database that already has tables, checks every hash, puts the database and the
objects back, then migrates the schema to this release's head (so a backup of an older
release restores into a newer one).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from muster.backup import database
from muster.backup.database import BackupError
from muster.backup.files import StoredFile, copy_in, copy_out, referenced
from muster.clock import isoformat
from muster.config import Settings
from muster.db import migrate
from muster.domain.compliance.evidence_store import evidence_store
from muster.domain.incidents.attachments import FileBlobStore

MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(slots=True)
class Report:
    """What a backup or restore did, for the command to print."""

    path: Path
    database: str
    revision: str | None
    files: int
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "database": self.database, "revision": self.revision,
                "files": self.files, "problems": self.problems}  # fmt: skip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _revision(conn: Connection) -> str | None:
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup(settings: Settings, dest: Path, now: datetime) -> Report:
    """Write a backup of the installation ``settings`` describe to ``dest``: a new
    directory, or a ``.tar.gz`` file when the name ends so. Safe while Muster runs."""
    if dest.exists():
        raise BackupError(f"{dest} exists already: name a new directory or file")
    packed = dest.name.endswith(".tar.gz")
    work = Path(tempfile.mkdtemp(prefix="muster-backup-")) if packed else dest
    work.mkdir(parents=True, exist_ok=True)
    try:
        name, (revision, files) = database.snapshot(
            settings.database_url, work, lambda conn: (_revision(conn), referenced(conn))
        )
        copied, problems = copy_out(
            files, evidence_store(settings), FileBlobStore.in_var_dir(settings.var_dir), work
        )
        manifest = {
            "format": FORMAT, "muster": version("muster"), "taken_at": isoformat(now),
            "database": {"kind": database.kind_of(settings.database_url), "file": name,
                         "sha256": _sha256(work / name), "revision": revision},
            "files": [f.as_dict() for f in copied], "problems": problems,
        }  # fmt: skip
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if packed:
            with tarfile.open(dest, "w:gz") as tar:
                for path in sorted(work.rglob("*")):
                    tar.add(path, arcname=str(path.relative_to(work)), recursive=False)
    except BaseException:
        if not packed:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    finally:
        if packed:
            shutil.rmtree(work, ignore_errors=True)
    return Report(dest, name, revision, len(copied), problems)


@contextmanager
def _opened(source: Path) -> Iterator[Path]:
    """The backup's directory (a packed one unpacked into a temporary directory)."""
    if source.is_dir():
        yield source
        return
    if not source.is_file():
        raise BackupError(f"{source}: no such backup")
    work = Path(tempfile.mkdtemp(prefix="muster-restore-"))
    try:
        with tarfile.open(source, "r:gz") as tar:
            tar.extractall(work, filter="data")
        yield work
    except tarfile.TarError as exc:
        raise BackupError(f"{source}: not a backup archive ({exc})") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _manifest(root: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"the backup's {MANIFEST} is missing or unreadable ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
    return manifest


def verify(root: Path, manifest: dict[str, Any]) -> list[StoredFile]:
    """Every file of the backup present and matching its SHA-256; returns the objects."""
    db = manifest["database"]
    if _sha256(root / db["file"]) != db["sha256"]:
        raise BackupError(f"{db['file']} does not match the SHA-256 in the manifest")
    files = [StoredFile(f["store"], f["key"], f["sha256"]) for f in manifest["files"]]
    for stored in files:
        path = root / stored.relative
        if not path.is_file() or _sha256(path) != stored.sha256:
            raise BackupError(f"{stored.relative} is missing or does not match its SHA-256")
    return files


def restore(settings: Settings, source: Path) -> Report:
    """Bring the backup at ``source`` into the empty installation ``settings`` describe,
    then migrate it to this release's schema."""
    url = settings.database_url
    if not database.is_empty(url):
        raise BackupError("the database is not empty: restore only into a new installation")
    with _opened(source) as root:
        manifest = _manifest(root)
        files = verify(root, manifest)
        name = manifest["database"]["file"]
        database.restore(url, root, name)
        problems = copy_in(
            files, root, evidence_store(settings), FileBlobStore.in_var_dir(settings.var_dir)
        )
    migrate.upgrade(url)
    return Report(source, name, manifest["database"]["revision"], len(files), problems)
