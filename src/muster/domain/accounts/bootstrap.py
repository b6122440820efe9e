"""The first admin of a new installation."""

from __future__ import annotations

import secrets

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.accounts.schemas import UserCreate
from muster.domain.accounts.service import count_users, do_create_user
from muster.domain.events.actor import Actor, Via

DEFAULT_ADMIN_EMAIL = "admin@localhost"


def do_ensure_first_admin(
    uow: UnitOfWork, email: str | None, password: str | None
) -> tuple[User, str | None] | None:
    """If no user exists, create an admin and return it with the generated password
    (None when ``password`` was given). Returns None when users already exist."""
    if count_users(uow) > 0:
        return None
    generated = None if password else secrets.token_urlsafe(15)
    user = do_create_user(
        uow,
        Actor.system(Via.SYSTEM, label="first start"),
        UserCreate(
            email=email or DEFAULT_ADMIN_EMAIL,
            name="Administrator",
            role="admin",
            password=password or generated,
        ),
    )
    return user, generated
