"""Who is acting, and through which door: every command takes one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum


class Role(IntEnum):
    """Ordered: each role can do everything the ones below it can."""

    VIEWER = 10
    RESPONDER = 20
    MANAGER = 30
    ADMIN = 40

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls[value.upper()]
        except KeyError:
            raise ValueError(f"unknown role {value!r}") from None


class Via(StrEnum):
    UI = "ui"
    API = "api"
    CLI = "cli"
    ENGINE = "engine"
    SYSTEM = "system"
    INGEST = "ingest"
    SSO = "sso"  # a single sign-on login and what it changes (just-in-time accounts, rules)


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" or "system"
    id: str | None
    label: str
    role: Role
    via: Via
    token_id: str | None = None
    ip: str | None = None

    @classmethod
    def system(cls, via: Via = Via.SYSTEM, label: str = "muster") -> Actor:
        return cls(kind="system", id=None, label=label, role=Role.ADMIN, via=via)

    def through(self, via: Via, *, ip: str | None = None, token_id: str | None = None) -> Actor:
        return replace(self, via=via, ip=ip, token_id=token_id)
