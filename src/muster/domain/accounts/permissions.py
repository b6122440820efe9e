"""What each role may do. Commands call :func:`require`; routes declare the same."""

from __future__ import annotations

from muster.domain.events.actor import Actor, Role
from muster.errors import PermissionDenied


def require(actor: Actor, role: Role) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` holds ``role`` or higher."""
    if actor.role < role:
        raise PermissionDenied(f"this needs the {role.label} role; you are {actor.role.label}")


def require_self_or(actor: Actor, user_id: str, role: Role) -> None:
    """Allow acting on one's own account, or with ``role``."""
    if actor.id != user_id:
        require(actor, role)
