"""Files and links attached to an incident's timeline.

A file's bytes live in a :class:`BlobStore` under their SHA-256 (so the same file twice
is stored once); the row records the hash, and reading it back checks the bytes still
hash to it. The store is passed in (the web layer builds a :class:`FileBlobStore` under
``settings.var_dir / "attachments"``), so this module knows nothing of configuration.

A blob is written before the transaction commits; if the transaction then fails, the
blob stays unreferenced (harmless: content-addressed, and a later upload reuses it).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.markdown import safe_url
from muster.domain.incidents.models import Attachment
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import FieldError, InvalidInput, MusterError, NotFound, TooLarge

MAX_FILE_BYTES = 25 * 1024 * 1024
CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobDamaged(MusterError):
    """A stored file no longer matches the SHA-256 recorded when it was attached."""

    status = 500
    title = "Stored file damaged"


class BlobStore(Protocol):
    """Bytes kept by their SHA-256 (lowercase hex)."""

    def put(self, content: BinaryIO, *, limit: int) -> tuple[str, int]:
        """Store everything ``content`` yields; return (sha256, size). More than ``limit``
        bytes: raise :class:`TooLarge` and keep nothing."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256`` (:class:`NotFound` if none)."""
        ...


class FileBlobStore:
    """Blobs as files ``<root>/<aa>/<sha256>``, written to a temporary file, flushed to
    disk and renamed into place, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def in_var_dir(cls, var_dir: Path) -> FileBlobStore:
        return cls(var_dir / "attachments")

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise NotFound("no such file")
        return self.root / sha256[:2] / sha256

    def put(self, content: BinaryIO, *, limit: int) -> tuple[str, int]:
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := content.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(f"files may be at most {limit // (1024 * 1024)} MB")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            final = self.path_of(sha256)
            final.parent.mkdir(exist_ok=True)
            os.replace(temp, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return sha256, size

    def get(self, sha256: str) -> bytes:
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            raise NotFound("the file's content is missing from the store") from None


def _check_name(name: str) -> str:
    cleaned = name.strip().replace("\\", "/").rsplit("/", 1)[-1]
    if not cleaned or len(cleaned) > 300 or any(ord(c) < 32 for c in cleaned):
        raise InvalidInput("bad name", errors=[FieldError("name", "1 to 300 printable characters")])
    return cleaned


def do_attach_file(
    uow: UnitOfWork,
    actor: Actor,
    incident_id: str,
    store: BlobStore,
    *,
    name: str,
    content: bytes | BinaryIO,
    content_type: str | None = None,
) -> Attachment:
    """Store a file and put it on the timeline (``incident.attachment_added`` with its
    SHA-256).

    Preconditions: responder role; the incident visible; a name of 1 to 300 printable
    characters (any directory part is dropped); at most :data:`MAX_FILE_BYTES` bytes
    (:class:`TooLarge` otherwise, and nothing is stored)."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    clean_name = _check_name(name)
    kind = (content_type or "application/octet-stream").strip()[:200]
    reader: BinaryIO = io.BytesIO(content) if isinstance(content, bytes) else content
    sha256, size = store.put(reader, limit=MAX_FILE_BYTES)
    row = Attachment(
        incident_id=incident.id, kind="file", name=clean_name, content_type=kind, size=size,
        sha256=sha256, created_at=uow.now, created_by=actor.label,
    )  # fmt: skip
    uow.session.add(row)
    uow.flush()
    record(
        uow, actor, incident, "incident.attachment_added", attachment_id=row.id, kind="file",
        name=clean_name, sha256=sha256, size=size, content_type=kind, url=None,
    )  # fmt: skip
    return row


def do_attach_link(
    uow: UnitOfWork, actor: Actor, incident_id: str, *, url: str, name: str = ""
) -> Attachment:
    """Put a link (a dashboard, a ticket, a document) on the timeline.

    Preconditions: responder role; the incident visible; an absolute http(s) URL of at
    most 2000 characters; a name of at most 300 (the URL when left out)."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    url = url.strip()
    if len(url) > 2000 or url.lower().startswith("mailto:") or not safe_url(url):
        raise InvalidInput(
            "bad link", errors=[FieldError("url", "an http:// or https:// address, at most 2000")]
        )
    clean_name = _check_name(name) if name.strip() else url[:300]
    row = Attachment(
        incident_id=incident.id, kind="link", name=clean_name, url=url, created_at=uow.now,
        created_by=actor.label,
    )  # fmt: skip
    uow.session.add(row)
    uow.flush()
    record(
        uow, actor, incident, "incident.attachment_added", attachment_id=row.id, kind="link",
        name=clean_name, sha256=None, url=url,
    )  # fmt: skip
    return row


def list_attachments(uow: UnitOfWork, actor: Actor, incident_id: str) -> list[Attachment]:
    """The incident's attachments, oldest first. Precondition: the incident visible."""
    incident = get_visible_incident(uow, actor, incident_id)
    return list(
        uow.session.scalars(
            select(Attachment)
            .where(Attachment.incident_id == incident.id)
            .order_by(Attachment.created_at, Attachment.id)
        )
    )


def get_attachment(uow: UnitOfWork, actor: Actor, attachment_id: str) -> Attachment:
    """The attachment if its incident is visible to ``actor``; :class:`NotFound` otherwise."""
    row = uow.session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("no such attachment")
    try:
        get_visible_incident(uow, actor, row.incident_id)
    except NotFound:
        raise NotFound("no such attachment") from None
    return row


def read_attachment(
    uow: UnitOfWork, actor: Actor, attachment_id: str, store: BlobStore
) -> tuple[Attachment, bytes]:
    """A file attachment and its bytes, checked against the recorded SHA-256
    (:class:`BlobDamaged` when they differ).

    Preconditions: the incident visible; the attachment is a file."""
    row = get_attachment(uow, actor, attachment_id)
    if row.kind != "file" or row.sha256 is None:
        raise InvalidInput("a link has no content to read; follow its url")
    content = store.get(row.sha256)
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise BlobDamaged(f"the stored content of {row.name!r} does not match its SHA-256")
    return row, content
