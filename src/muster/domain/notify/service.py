"""Commands and queries on contact methods and notification rules.

Everyone manages their own; admins manage anyone's. A method is used for pages once
verified: a 6-digit code is sent through it (valid 10 minutes, 5 tries, one new code a
minute) and entered back, or an admin marks it verified.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select, update

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.accounts.permissions import require, require_self_or
from muster.domain.accounts.service import get_user
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.notify.addresses import masked, normalise_address
from muster.domain.notify.models import ContactMethod, NotificationRule, OutboxMessage
from muster.domain.notify.outbox import queue_notice
from muster.domain.notify.plan import MethodView, RuleView, Step, rules_beyond, steps_for
from muster.domain.notify.schemas import MethodCreate, MethodUpdate, RuleCreate
from muster.errors import Conflict, FieldError, InvalidInput, NotFound, RateLimited

CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODE_RESEND = timedelta(minutes=1)


def _event(uow: UnitOfWork, actor: Actor, kind: str, user_id: str, **data: object) -> None:
    append_event(uow, actor, kind, subject_type="user", subject_id=user_id, data=dict(data))


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


# ---------------------------------------------------------------- contact methods


def list_methods(uow: UnitOfWork, actor: Actor, user_id: str) -> Sequence[ContactMethod]:
    require_self_or(actor, user_id, Role.ADMIN)
    return active_methods(uow, user_id)


def active_methods(uow: UnitOfWork, user_id: str) -> Sequence[ContactMethod]:
    return uow.session.scalars(
        select(ContactMethod)
        .where(ContactMethod.user_id == user_id, ContactMethod.removed_at.is_(None))
        .order_by(ContactMethod.created_at, ContactMethod.id)
    ).all()


def get_method(uow: UnitOfWork, actor: Actor, user_id: str, method_id: str) -> ContactMethod:
    require_self_or(actor, user_id, Role.ADMIN)
    method = uow.session.get(ContactMethod, method_id)
    if method is None or method.user_id != user_id or method.removed_at is not None:
        raise NotFound("no such contact method")
    return method


def do_add_method(uow: UnitOfWork, actor: Actor, user_id: str, data: MethodCreate) -> ContactMethod:
    """Add a contact method (unverified, unless an admin says it is verified)."""
    require_self_or(actor, user_id, Role.ADMIN)
    if data.verified:
        require(actor, Role.ADMIN)
    user = get_user(uow, user_id)
    address = normalise_address(data.type, data.address)
    _check_free(uow, user.id, data.type, address)
    method = ContactMethod(
        user_id=user.id, type=data.type, label=data.label, address=address,
        secret=new_secret() if data.type == "webhook" else None,
        verified_at=uow.now if data.verified else None,
        verified_by=actor.label if data.verified else None,
        code_attempts=0, created_at=uow.now, updated_at=uow.now,
    )  # fmt: skip
    uow.session.add(method)
    uow.flush()
    _event(uow, actor, "contact_method.added", user.id, method_id=method.id, type=method.type,
           label=method.label, address=masked(method.type, address), verified=data.verified)  # fmt: skip
    return method


def _check_free(
    uow: UnitOfWork, user_id: str, type: str, address: str, except_id: str = ""
) -> None:
    taken = uow.session.scalar(
        select(ContactMethod.id).where(
            ContactMethod.user_id == user_id, ContactMethod.type == type,
            ContactMethod.address == address, ContactMethod.removed_at.is_(None),
            ContactMethod.id != except_id,
        )
    )  # fmt: skip
    if taken:
        raise Conflict(
            "you already have this contact method", errors=[FieldError("address", "already added")]
        )


def do_update_method(
    uow: UnitOfWork, actor: Actor, user_id: str, method_id: str, data: MethodUpdate
) -> ContactMethod:
    method = get_method(uow, actor, user_id, method_id)
    changes: dict[str, object] = {}
    if data.label is not None and data.label != method.label:
        changes["label"] = {"from": method.label, "to": data.label}
        method.label = data.label
    if data.address is not None:
        address = normalise_address(method.type, data.address)
        if address != method.address:
            _check_free(uow, user_id, method.type, address, except_id=method.id)
            changes["address"] = masked(method.type, address)
            method.address = address
            method.verified_at = method.verified_by = method.code_hash = None
            method.code_expires_at = None
            _cancel_queued(uow, method.id, "the address changed")
    if changes:
        method.updated_at = uow.now
        _event(uow, actor, "contact_method.updated", user_id, method_id=method.id, **changes)
    return method


def do_remove_method(uow: UnitOfWork, actor: Actor, user_id: str, method_id: str) -> None:
    """Remove a method with its rules; messages not yet sent through it are cancelled."""
    method = get_method(uow, actor, user_id, method_id)
    method.removed_at = method.updated_at = uow.now
    for rule in uow.session.scalars(
        select(NotificationRule).where(NotificationRule.contact_method_id == method.id)
    ):
        uow.session.delete(rule)
    _cancel_queued(uow, method.id, "the contact method was removed")
    _event(uow, actor, "contact_method.removed", user_id, method_id=method.id, type=method.type,
           label=method.label)  # fmt: skip


def _cancel_queued(uow: UnitOfWork, method_id: str, why: str) -> None:
    uow.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.contact_method_id == method_id, OutboxMessage.status == "queued")
        .values(status="cancelled", last_error=why, updated_at=uow.now)
        .execution_options(synchronize_session=False)
    )


def ensure_account_email(uow: UnitOfWork, user: User) -> None:
    """A person who never had a contact method is reached at their account email (which
    an admin entered or they signed up with), as a verified method they can change."""
    count = uow.session.scalar(
        select(func.count()).select_from(ContactMethod).where(ContactMethod.user_id == user.id)
    )
    if count:
        return
    method = ContactMethod(
        user_id=user.id, type="email", label="Account email", address=user.email,
        verified_at=uow.now, verified_by="account email", code_attempts=0,
        created_at=uow.now, updated_at=uow.now,
    )  # fmt: skip
    uow.session.add(method)
    uow.flush()


# ---------------------------------------------------------------- verification


def _code_hash(method_id: str, code: str) -> str:
    return hashlib.sha256(f"{method_id}:{code}".encode()).hexdigest()


def do_send_code(uow: UnitOfWork, actor: Actor, user_id: str, method_id: str) -> ContactMethod:
    """Send a new verification code through the method (at most one a minute)."""
    method = get_method(uow, actor, user_id, method_id)
    if method.verified:
        raise Conflict("this contact method is already verified")
    if method.code_sent_at is not None and uow.now - method.code_sent_at < CODE_RESEND:
        wait = int((method.code_sent_at + CODE_RESEND - uow.now).total_seconds()) + 1
        raise RateLimited(f"a code was just sent; ask again in {wait} s", retry_after=wait)
    code = f"{secrets.randbelow(10**6):06d}"
    method.code_hash = _code_hash(method.id, code)
    method.code_sent_at = method.updated_at = uow.now
    method.code_expires_at = uow.now + CODE_TTL
    method.code_attempts = 0
    text = f"Your Muster verification code is {code}. It expires in 10 minutes."
    queue_notice(uow, method, "verify", f"verify|{method.id}|{uow.now.isoformat()}",
                 subject="Muster verification code", text=text, extra={"code": code})  # fmt: skip
    _event(uow, actor, "contact_method.code_sent", user_id, method_id=method.id)
    return method


def do_verify(uow: UnitOfWork, actor: Actor, user_id: str, method_id: str, code: str) -> str | None:
    """Check ``code``; verify the method when it is right. Returns what was wrong, or None.

    A wrong code counts against the tries even though it is refused, so the caller commits
    whatever the answer, then reports the problem (see :func:`code_problem`).
    """
    method = get_method(uow, actor, user_id, method_id)
    if method.verified:
        return None
    if method.code_hash is None or method.code_expires_at is None:
        return "no code was sent; send one first"
    if method.code_expires_at <= uow.now:
        return "the code expired; send a new one"
    if method.code_attempts >= CODE_ATTEMPTS:
        return "too many wrong codes; send a new one"
    if not hmac.compare_digest(method.code_hash, _code_hash(method.id, code.strip())):
        method.code_attempts += 1
        left = CODE_ATTEMPTS - method.code_attempts
        return f"wrong code; {left} tries left" if left else "wrong code; send a new one"
    method.verified_at = method.updated_at = uow.now
    method.verified_by = actor.label
    method.code_hash = method.code_expires_at = None
    _event(uow, actor, "contact_method.verified", user_id, method_id=method.id, how="code")
    return None


def code_problem(problem: str) -> InvalidInput:
    return InvalidInput(problem, errors=[FieldError("code", problem)])


def do_mark_verified(uow: UnitOfWork, actor: Actor, user_id: str, method_id: str) -> ContactMethod:
    require(actor, Role.ADMIN)
    method = get_method(uow, actor, user_id, method_id)
    if not method.verified:
        method.verified_at = method.updated_at = uow.now
        method.verified_by = actor.label
        method.code_hash = method.code_expires_at = None
        _event(uow, actor, "contact_method.verified", user_id, method_id=method.id, how="admin")
    return method


def do_send_test(uow: UnitOfWork, actor: Actor, user_id: str, method_id: str) -> ContactMethod:
    """Send a test message through a verified method (at most one a minute)."""
    method = get_method(uow, actor, user_id, method_id)
    if not method.verified:
        raise Conflict("verify this contact method first")
    last = uow.session.scalar(
        select(func.max(OutboxMessage.created_at)).where(
            OutboxMessage.contact_method_id == method.id, OutboxMessage.purpose == "test"
        )
    )
    if last is not None and uow.now - last < CODE_RESEND:
        raise RateLimited("a test was just sent; try again in a minute", retry_after=60)
    queue_notice(uow, method, "test", f"test|{method.id}|{uow.now.isoformat()}",
                 subject="Muster test message",
                 text=f"This is a test from Muster to “{method.label}”. Pages will reach you here.")  # fmt: skip
    _event(uow, actor, "contact_method.test_sent", user_id, method_id=method.id)
    return method


# ---------------------------------------------------------------- rules


def list_rules(uow: UnitOfWork, actor: Actor, user_id: str) -> Sequence[NotificationRule]:
    require_self_or(actor, user_id, Role.ADMIN)
    return _rules(uow, user_id)


def _rules(uow: UnitOfWork, user_id: str) -> Sequence[NotificationRule]:
    return uow.session.scalars(
        select(NotificationRule)
        .where(NotificationRule.user_id == user_id)
        .order_by(NotificationRule.urgency, NotificationRule.delay_minutes, NotificationRule.id)
    ).all()


def do_add_rule(uow: UnitOfWork, actor: Actor, user_id: str, data: RuleCreate) -> NotificationRule:
    require_self_or(actor, user_id, Role.ADMIN)
    method = uow.session.get(ContactMethod, data.contact_method_id)
    if method is None or method.user_id != user_id or method.removed_at is not None:
        raise InvalidInput("no such contact method",
                           errors=[FieldError("contact_method_id", "not one of this person's methods")])  # fmt: skip
    taken = uow.session.scalar(
        select(NotificationRule.id).where(
            NotificationRule.user_id == user_id, NotificationRule.urgency == data.urgency,
            NotificationRule.contact_method_id == method.id,
            NotificationRule.delay_minutes == data.delay_minutes,
        )
    )  # fmt: skip
    if taken:
        raise Conflict("this rule exists", errors=[FieldError("delay_minutes", "already a rule")])
    rule = NotificationRule(user_id=user_id, urgency=data.urgency, contact_method_id=method.id,
                            delay_minutes=data.delay_minutes, created_at=uow.now)  # fmt: skip
    uow.session.add(rule)
    uow.flush()
    _event(uow, actor, "notification_rule.added", user_id, rule_id=rule.id, urgency=rule.urgency,
           method_id=method.id, delay_minutes=rule.delay_minutes)  # fmt: skip
    return rule


def do_remove_rule(uow: UnitOfWork, actor: Actor, user_id: str, rule_id: str) -> None:
    require_self_or(actor, user_id, Role.ADMIN)
    rule = uow.session.get(NotificationRule, rule_id)
    if rule is None or rule.user_id != user_id:
        raise NotFound("no such notification rule")
    uow.session.delete(rule)
    _event(uow, actor, "notification_rule.removed", user_id, rule_id=rule.id, urgency=rule.urgency)


# ---------------------------------------------------------------- what a page would do


def views(uow: UnitOfWork, user_id: str) -> tuple[list[MethodView], list[RuleView]]:
    methods = [MethodView(m.id, m.type, m.label, m.usable) for m in active_methods(uow, user_id)]
    rules = [
        RuleView(r.id, r.urgency, r.contact_method_id, r.delay_minutes)
        for r in _rules(uow, user_id)
    ]
    return methods, rules


def effective_steps(uow: UnitOfWork, user_id: str, urgency: str) -> list[Step]:
    methods, rules = views(uow, user_id)
    return steps_for(methods, rules, urgency)


def late_steps(
    uow: UnitOfWork, user_id: str, step_delay_minutes: int, urgency: str = "high"
) -> list[Step]:
    """The person's steps at ``urgency`` that come after ``step_delay_minutes`` — the delay
    of the escalation level that pages them — and so may be cut short by the next level."""
    return rules_beyond(effective_steps(uow, user_id, urgency), step_delay_minutes)
