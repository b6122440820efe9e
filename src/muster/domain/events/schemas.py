"""How events are shown through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    type: str
    occurred_at: datetime
    actor_type: str
    actor_id: str | None
    actor_label: str
    via: str
    ip: str | None
    subject_type: str
    subject_id: str
    data: dict[str, Any]
