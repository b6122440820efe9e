"""Evidence input and output (API bodies, form and CLI input)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

Text300 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_URI = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://\S+|/\S.*)$")


class EvidenceMeta(BaseModel):
    """What the collector says about an item. ``title`` defaults to the file's name;
    ``collected_by`` to whoever adds it, ``collected_at`` to now (not in the future)."""

    model_config = ConfigDict(extra="forbid")

    title: Text300 = ""
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000)] = ""
    source: Text300 = ""
    collected_by: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] = ""
    collected_at: AwareDatetime | None = None


def check_sha256(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = value.strip().lower()
    if not _SHA256.match(cleaned):
        raise ValueError("a SHA-256 is 64 hexadecimal characters")
    return cleaned


class ExternalIn(EvidenceMeta):
    """Evidence kept elsewhere: an object-storage location, a camera clip URL, a disk
    image's path; its SHA-256 and size as the collector computed them, if known."""

    uri: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    sha256: str | None = None
    size: Annotated[int, Field(ge=0)] | None = None
    media_type: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    @field_validator("uri")
    @classmethod
    def _uri(cls, value: str) -> str:
        if not _URI.match(value) or any(ord(c) < 32 for c in value):
            raise ValueError("a URL (scheme://...) or an absolute path")
        return value

    @field_validator("sha256")
    @classmethod
    def _sha(cls, value: str | None) -> str | None:
        return check_sha256(value)


class TransferIn(BaseModel):
    """A hand-over of custody. ``from_`` defaults to the current custodian."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] = Field(
        "", alias="from"
    )
    to: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]
    reason: Reason


class DisposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    method: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class EvidenceOut(BaseModel):
    id: str
    incident_id: str
    number: int
    label: str
    kind: str
    title: str
    description: str
    filename: str | None
    media_type: str | None
    size: int | None
    sha256: str | None
    external_uri: str | None
    source: str
    collected_by: str
    collected_at: datetime
    custodian: str
    created_at: datetime
    created_by: str
    supersedes_id: str | None
    superseded_by_id: str | None
    status: str
    stored: bool
    disposed_at: datetime | None
    disposal_reason: str | None
    disposal_method: str | None
    deleted_at: datetime | None
    deleted_by: str | None
    deleted_reason: str | None
    last_verified_at: datetime | None
    last_verify_ok: bool | None


class CustodyOut(BaseModel):
    seq: int
    at: datetime
    type: str
    actor: str
    via: str
    data: dict[str, Any]
    hash: str


class VerifyOut(BaseModel):
    id: str
    label: str
    ok: bool | None
    sha256_expected: str | None
    sha256_found: str | None
    detail: str


class HoldOut(BaseModel):
    id: str
    incident_id: str
    placed_at: datetime
    placed_by: str
    reason: str
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None


def evidence_out(item: Any) -> EvidenceOut:
    """An :class:`~muster.domain.compliance.evidence_models.EvidenceItem` as output."""
    return EvidenceOut(
        id=item.id, incident_id=item.incident_id, number=item.number, label=item.label,
        kind=item.kind, title=item.title, description=item.description, filename=item.filename,
        media_type=item.media_type, size=item.size, sha256=item.sha256,
        external_uri=item.external_uri, source=item.source, collected_by=item.collected_by,
        collected_at=item.collected_at, custodian=item.custodian, created_at=item.created_at,
        created_by=item.created_by, supersedes_id=item.supersedes_id,
        superseded_by_id=item.superseded_by_id, status=item.status, stored=item.has_bytes,
        disposed_at=item.disposed_at, disposal_reason=item.disposal_reason,
        disposal_method=item.disposal_method, deleted_at=item.deleted_at,
        deleted_by=item.deleted_by, deleted_reason=item.deleted_reason,
        last_verified_at=item.last_verified_at, last_verify_ok=item.last_verify_ok,
    )  # fmt: skip
