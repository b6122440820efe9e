"""The stored bytes a backup carries: evidence files (by storage key) and incident
attachments (by SHA-256), exactly those the database snapshot refers to, each checked
against the SHA-256 the database recorded — on the way out and on the way back in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select

from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_store import EvidenceStore
from muster.domain.incidents.attachments import BlobStore
from muster.domain.incidents.models import Attachment
from muster.errors import NotFound

FILES = "files"
EVIDENCE = "evidence"
ATTACHMENTS = "attachments"
NO_LIMIT = 1 << 62


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One stored object: which store, its key there, the SHA-256 the database records."""

    store: str  # EVIDENCE or ATTACHMENTS
    key: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"store": self.store, "key": self.key, "sha256": self.sha256}

    @property
    def relative(self) -> str:
        return f"{FILES}/{self.store}/{self.key}"


def referenced(conn: Connection) -> list[StoredFile]:
    """Every object the database refers to (distinct, in a stable order)."""
    evidence = conn.execute(
        select(EvidenceItem.storage_key, EvidenceItem.sha256).where(
            EvidenceItem.storage_key.is_not(None), EvidenceItem.sha256.is_not(None)
        )
    ).all()
    attachments = conn.execute(
        select(Attachment.sha256).where(Attachment.sha256.is_not(None)).distinct()
    ).all()
    found = {StoredFile(EVIDENCE, key, sha) for key, sha in evidence if key and sha}
    found |= {StoredFile(ATTACHMENTS, sha, sha) for (sha,) in attachments if sha}
    return sorted(found, key=lambda f: (f.store, f.key))


def copy_out(
    files: list[StoredFile], evidence: EvidenceStore, attachments: BlobStore, dest: Path
) -> tuple[list[StoredFile], list[str]]:
    """Copy each object into ``dest``; returns those copied and problems (an object gone
    from its store, or no longer matching its hash), which the backup reports."""
    copied, problems = [], []
    for stored in files:
        target = dest / stored.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            with target.open("wb") as out:
                if stored.store == EVIDENCE:
                    for chunk in evidence.get(stored.key):
                        digest.update(chunk)
                        out.write(chunk)
                else:
                    data = attachments.get(stored.key)
                    digest.update(data)
                    out.write(data)
        except NotFound:
            target.unlink(missing_ok=True)
            problems.append(f"{stored.store} {stored.key}: missing from its store")
            continue
        if digest.hexdigest() != stored.sha256:
            problems.append(f"{stored.store} {stored.key}: does not match its recorded SHA-256")
        copied.append(stored)
    return copied, problems


def copy_in(
    files: list[StoredFile], source: Path, evidence: EvidenceStore, attachments: BlobStore
) -> list[str]:
    """Put each object back under its key; returns those whose bytes do not match."""
    problems = []
    for stored in files:
        path = source / stored.relative
        if stored.store == EVIDENCE:
            with path.open("rb") as handle:
                put = evidence.put(iter(lambda: handle.read(1 << 20), b""), limit=NO_LIMIT,
                                   key=stored.key)  # fmt: skip
            sha = put.sha256
        else:
            with path.open("rb") as handle:
                sha, _size = attachments.put(handle, limit=NO_LIMIT)
        if sha != stored.sha256:
            problems.append(f"{stored.store} {stored.key}: restored bytes do not match")
    return problems
