"""Pydantic shapes for contact methods, notification rules, channels and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MethodType = Literal["email", "sms", "voice", "push", "chat", "webhook"]
Urgency = Literal["high", "low"]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MethodCreate(Strict):
    type: MethodType
    label: Label
    address: Address = Field(
        description="email address; phone in international form (+14155550123) for sms and "
        "voice; an ntfy URL for push; an Apprise URL (slack://, msteams://, discord://, "
        "tgram://, mmost://, json://...) for chat; an http(s) URL for webhook"
    )
    verified: bool = Field(False, description="admins only: mark verified without a code")


class MethodUpdate(Strict):
    label: Label | None = None
    address: Address | None = Field(None, description="changing it asks for a new verification")


class CodeIn(Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]


class MethodOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    type: MethodType
    label: str
    address: str
    verified: bool
    verified_at: datetime | None
    code_sent_at: datetime | None
    code_expires_at: datetime | None
    secret: str | None = Field(None, description="webhooks: the key that signs each delivery")
    created_at: datetime
    updated_at: datetime


class RuleCreate(Strict):
    urgency: Urgency
    contact_method_id: str = Field(min_length=1, max_length=36)
    delay_minutes: int = Field(ge=0, le=1440)


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    urgency: Urgency
    contact_method_id: str
    delay_minutes: int
    created_at: datetime


class StepOut(BaseModel):
    contact_method_id: str
    type: MethodType
    delay_minutes: int
    rule_id: str | None = Field(description="None: one of the defaults")


class RulesOut(BaseModel):
    items: list[RuleOut]
    effective: dict[Urgency, list[StepOut]] = Field(
        description="what a page at each urgency would do now (the defaults when no rule)"
    )
    warnings: list[str]


class ChannelCreate(Strict):
    type: Literal["chat", "email", "webhook"]
    label: Label
    address: Address


class ChannelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    owner_type: Literal["team", "service"]
    owner_id: str
    type: str
    label: str
    address: str
    secret: str | None
    created_at: datetime


class OutboxOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    purpose: str
    status: Literal["queued", "sending", "sent", "failed", "cancelled"]
    user_id: str | None
    contact_method_id: str | None
    channel_id: str | None
    method_type: str
    group_id: str | None
    escalation_id: str | None
    level: int | None
    loop: int | None
    urgency: str | None
    step: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    bundle_id: str | None
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    sent_at: datetime | None
