"""Pydantic shapes for investigation records: observables, affected assets, ATT&CK
techniques — what comes in and what goes out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from muster.domain.accounts.schemas import Strict

ObservableKind = Literal[
    "ip", "domain", "url", "hash-md5", "hash-sha1", "hash-sha256", "email", "user-account",
    "hostname", "file-name", "registry-key", "other",
]  # fmt: skip
Tlp = Literal["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
Source = Literal["alert", "note", "manual"]
AssetKind = Literal["host", "account", "device", "door", "camera", "other"]
AssetStatus = Literal["tbd", "compromised", "not_compromised", "restored"]
ASSET_KINDS: tuple[str, ...] = ("host", "account", "device", "door", "camera", "other")
ASSET_STATUSES: dict[str, str] = {
    "tbd": "To be determined", "compromised": "Compromised",
    "not_compromised": "Not compromised", "restored": "Restored",
}  # fmt: skip
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=20)]
RawValue = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


class ObservableIn(Strict):
    """A value seen in the incident; ``value`` is checked and normalised for ``kind``."""

    kind: ObservableKind
    value: RawValue
    tlp: Tlp = "AMBER"
    ioc: bool = False
    sighted: bool = False
    tags: Tags = []
    description: Text = ""
    first_seen: AwareDatetime | None = None


class ObservableUpdate(Strict):
    """Fields to change; those left out stay as they are."""

    tlp: Tlp | None = None
    ioc: bool | None = None
    sighted: bool | None = None
    tags: Tags | None = None
    description: Text | None = None


class ObservableOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_id: str
    kind: ObservableKind
    value: str
    tlp: Tlp
    ioc: bool
    sighted: bool
    tags: list[str]
    description: str
    source: Source
    first_seen: datetime
    added_at: datetime
    added_by: str
    seen_elsewhere: int = 0  # other incidents (that the reader may see) with this value


class SightingOut(BaseModel):
    """Where a value was seen: the observable and its incident."""

    observable: ObservableOut
    incident_reference: str
    incident_title: str
    incident_status: str
    incident_restricted: bool


class AssetIn(Strict):
    kind: AssetKind
    name: Name
    identifier: Identifier = ""
    status: AssetStatus = "tbd"
    notes: Text = ""
    site_id: str | None = Field(default=None, min_length=1, max_length=36)  # where it is


class AssetStatusIn(Strict):
    status: AssetStatus
    note: Text = ""


class AssetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_id: str
    kind: AssetKind
    name: str
    identifier: str
    status: AssetStatus
    notes: str
    added_at: datetime
    added_by: str
    status_changed_at: datetime
    status_changed_by: str
    site_id: str | None = None


class TechniqueIn(Strict):
    """An ATT&CK technique by id (``T1059`` or ``T1059.001``) under one of its tactics
    (left out: its only tactic; required when it has several)."""

    technique_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                   max_length=200)]  # fmt: skip
    tactic: str | None = None
    observed_at: AwareDatetime | None = None
    note: Text = ""


class TechniqueOut(BaseModel):
    id: str
    incident_id: str
    technique_id: str
    name: str
    tactic: str
    tactic_name: str
    observed_at: datetime | None
    note: str
    added_at: datetime
    added_by: str


class AttackTechniqueOut(BaseModel):
    """A technique of the shipped ATT&CK list."""

    id: str
    name: str
    tactics: list[str]
    label: str
