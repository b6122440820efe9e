"""Pydantic shapes for sites, zones and devices (API and UI input, API output)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from muster.domain.accounts.schemas import Strict

SiteName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
DeviceKind = Literal["camera", "door", "sensor", "network_segment", "host"]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


def _known_zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r}") from None
    return value


class SiteCreate(Strict):
    name: SiteName
    address: Address = ""
    time_zone: str = Field(default="UTC", min_length=1, max_length=64)
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    _zone = field_validator("time_zone")(_known_zone)


class SiteUpdate(Strict):
    """Only the fields given change; ``latitude``/``longitude`` given as null clear them."""

    name: SiteName | None = None
    address: Address | None = None
    time_zone: str | None = Field(default=None, min_length=1, max_length=64)
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    _zone = field_validator("time_zone")(_known_zone)


class ZoneCreate(Strict):
    name: SiteName
    restricted: bool = False


class ZoneUpdate(Strict):
    name: SiteName | None = None
    restricted: bool | None = None


class DeviceCreate(Strict):
    kind: DeviceKind
    name: SiteName
    external_id: ExternalId
    zone_id: str | None = Field(default=None, min_length=1, max_length=36)


class DeviceUpdate(Strict):
    """Only the fields given change; ``zone_id`` given as null takes it out of its zone."""

    name: SiteName | None = None
    external_id: ExternalId | None = None
    zone_id: str | None = Field(default=None, min_length=1, max_length=36)


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    address: str
    time_zone: str
    latitude: float | None
    longitude: float | None
    created_at: datetime


class ZoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    site_id: str
    name: str
    restricted: bool
    created_at: datetime


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    site_id: str
    zone_id: str | None
    kind: str
    name: str
    external_id: str
    online: bool | None
    last_event_at: datetime | None
    last_status_at: datetime | None
    created_at: datetime


class SightingOut(BaseModel):
    """One sighting of an identity (a site event that carried it)."""

    site_event_id: str
    occurred_at: datetime
    identity: str
    identity_kind: str | None
    kind: str
    site_id: str
    site_name: str
    zone_id: str | None
    zone_name: str | None
    restricted: bool
    device_id: str | None
    device_name: str | None
    alert_id: str | None


DEVICE_KIND_LABELS: dict[str, str] = {
    "camera": "Camera",
    "door": "Door reader / controller",
    "sensor": "Sensor",
    "network_segment": "Network segment",
    "host": "Host",
}
