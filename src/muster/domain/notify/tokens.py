"""One-click acknowledge and resolve links, and email reply addresses.

A token is a row (purpose, alert groups, person, expiry, use) whose id travels signed with
the installation's secret (itsdangerous): short enough for an SMS and for the local part
of ``act+<token>@<domain>``. A link is single-purpose (ack, resolve, or reply), bound
to its alert groups, expires (24 h by default) and works once. Used, expired, tampered or
other-group links change nothing and say why. The person acts as themselves, with their
own role: the token stands in for signing in, for this one action only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update

from muster.db.uow import UnitOfWork
from muster.domain.accounts.credentials import actor_for
from muster.domain.accounts.models import User
from muster.domain.alerts.models import AlertGroup
from muster.domain.alerts.service import do_acknowledge_group, do_resolve_group
from muster.domain.events.actor import Via
from muster.domain.notify.models import ActionToken
from muster.errors import MusterError

SALT = "muster-act"
ACTIONS = {"ack": "acknowledge", "resolve": "resolve"}


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def mint(
    uow: UnitOfWork, secret: str, purpose: str, group_ids: list[str], user_id: str,
    outbox_id: str | None, ttl: timedelta,
) -> str:  # fmt: skip
    """Store a new token and return its signed form."""
    token_id = secrets.token_urlsafe(9)
    uow.session.add(ActionToken(
        id=token_id, purpose=purpose, group_ids=list(group_ids), user_id=user_id,
        outbox_id=outbox_id, created_at=uow.now, expires_at=uow.now + ttl,
    ))  # fmt: skip
    return _serializer(secret).dumps(token_id)


@dataclass
class Checked:
    """What a token is and whether it can act: ``problem`` says why not."""

    problem: str | None
    title: str
    token: ActionToken | None = None
    groups: list[AlertGroup] = field(default_factory=list)
    user: User | None = None
    done: list[str] = field(default_factory=list)


def check(uow: UnitOfWork, secret: str, signed: str, *, group_id: str | None = None) -> Checked:
    """Read ``signed`` without using it. ``group_id``: the group the caller means to act
    on (from the confirmation form); a token for other groups is refused."""
    try:
        token_id = _serializer(secret).loads(signed)
    except BadSignature:
        return Checked("This link is not valid: it was changed or cut short.", "Invalid link")
    token = uow.session.get(ActionToken, token_id) if isinstance(token_id, str) else None
    if token is None:
        return Checked("This link is not valid.", "Invalid link")
    groups = [g for gid in token.group_ids if (g := uow.session.get(AlertGroup, gid)) is not None]
    user = uow.session.get(User, token.user_id)
    found = Checked(None, "Confirm", token, groups, user)
    if group_id is not None and group_id not in token.group_ids:
        found.problem, found.title = (
            "This link is for another alert group; nothing changed.",
            "Wrong alert group",
        )
    elif token.used_at is not None:
        found.problem = f"This link was already used ({_when(token.used_at)}); nothing changed."
        found.title = "Link already used"
    elif token.expires_at <= uow.now:
        found.problem = (
            f"This link expired at {_when(token.expires_at)}; open the alert group instead."
        )
        found.title = "Link expired"
    elif user is None or user.archived_at is not None:
        found.problem, found.title = (
            "The person this link was sent to can no longer act.",
            "Not allowed",
        )
    return found


def do_use(
    uow: UnitOfWork, secret: str, signed: str, *, action: str | None = None,
    group_id: str | None = None, via: str = "link",
) -> Checked:  # fmt: skip
    """Act on a token: acknowledge or resolve its alert groups as the person it was sent
    to, once. ``action`` is needed for reply tokens ("ack" or "resolve")."""
    found = check(uow, secret, signed, group_id=group_id)
    token, user = found.token, found.user
    if found.problem or token is None or user is None:
        return found
    action = token.purpose if token.purpose in ACTIONS else action
    if action not in ACTIONS:
        found.problem, found.title = "Say “ack” or “resolve”.", "Nothing to do"
        return found
    claimed = uow.session.execute(
        update(ActionToken)
        .where(ActionToken.id == token.id, ActionToken.used_at.is_(None))
        .values(used_at=uow.now, used_action=action, used_via=via)
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        found.problem, found.title = (
            "This link was already used; nothing changed.",
            "Link already used",
        )
        return found
    actor = actor_for(user, Via.INGEST if via == "email" else Via.UI)
    command = do_acknowledge_group if action == "ack" else do_resolve_group
    try:
        for group in found.groups:
            if group.status != "resolved" and (action == "resolve" or group.status == "triggered"):
                command(uow, actor, group.id)
                found.done.append(group.id)
    except MusterError as exc:  # e.g. a viewer: refused, and the token stays unused
        uow.rollback()
        found.problem, found.title = exc.detail, exc.title
        return found
    found.title = "Acknowledged" if action == "ack" else "Resolved"
    return found


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")
