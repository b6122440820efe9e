"""Notes each API token's expiry on its owner's timeline, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import ApiToken
from muster.domain.events.actor import Actor, Via
from muster.domain.events.service import append_event

ENGINE = Actor.system(Via.ENGINE, label="engine")


def _due(now: datetime) -> Select[ApiToken]:
    return select(ApiToken).where(
        ApiToken.expires_at <= now,
        ApiToken.expired_noted_at.is_(None),
        ApiToken.revoked_at.is_(None),
    )


class TokenExpiry:
    name = "token_expiry"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return uow.session.scalar(_due(now).limit(1)) is not None

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        due = claim(uow, _due(now).order_by(ApiToken.expires_at), limit=200)
        for token in due:
            token.expired_noted_at = now
            append_event(
                uow,
                ENGINE,
                "api_token.expired",
                subject_type="user",
                subject_id=token.user_id,
                data={"token_id": token.id, "name": token.name},
            )
        return len(due)
