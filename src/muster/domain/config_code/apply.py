"""Applying a plan: every change through the domain's commands, in one unit of work.

The caller commits only when this returns; a domain rule broken on the way (a name taken
by an archived object, the last admin) stops it with the file and line, and the caller's
rollback leaves Muster as it was.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, select

from muster.db.uow import UnitOfWork
from muster.domain.config_code.documents import Located
from muster.domain.config_code.models import ManagedObject
from muster.domain.config_code.plan import Change, Plan, invalid, make_plan
from muster.domain.events.actor import Actor
from muster.domain.events.service import append_event
from muster.errors import MusterError


def do_apply_config(uow: UnitOfWork, actor: Actor, root: Path) -> Plan:
    """Plan the files under ``root`` and carry the plan out; returns the plan applied.
    Raises InvalidInput (file and line) when a file is unusable or a change is refused;
    the caller then must not commit."""
    plan = make_plan(uow, root)
    for change in plan.changes:
        try:
            _carry_out(uow, actor, change)
            uow.flush()
        except MusterError as exc:
            raise invalid([_located(change, exc)]) from None
    if not plan.empty:
        append_event(
            uow, actor, "config.applied", subject_type="config", subject_id="files",
            data={a: plan.count(a) for a in ("create", "update", "adopt", "delete")},
        )  # fmt: skip
    return plan


def _carry_out(uow: UnitOfWork, actor: Actor, change: Change) -> None:
    kind = change.kind
    if change.action == "create":
        object_id = kind.create(uow, actor, change.model)
        _mark(uow, kind.folder, object_id, change.name)
    elif change.action == "update":
        assert change.object_id is not None
        object_id = kind.update(uow, actor, change.object_id, change.model) or change.object_id
        if object_id != change.object_id:
            _unmark(uow, kind.folder, change.object_id)
        _mark(uow, kind.folder, object_id, change.name)
    elif change.action == "adopt":
        assert change.object_id is not None
        _mark(uow, kind.folder, change.object_id, change.name)
    else:
        assert change.object_id is not None
        kind.delete(uow, actor, change.object_id)
        _unmark(uow, kind.folder, change.object_id)


def _unmark(uow: UnitOfWork, kind: str, object_id: str) -> None:
    uow.session.execute(
        delete(ManagedObject).where(
            ManagedObject.kind == kind, ManagedObject.object_id == object_id
        )
    )


def _mark(uow: UnitOfWork, kind: str, object_id: str, name: str) -> None:
    mark = uow.session.scalar(
        select(ManagedObject).where(
            ManagedObject.kind == kind, ManagedObject.object_id == object_id
        )
    )
    if mark is None:
        uow.session.add(
            ManagedObject(kind=kind, object_id=object_id, name=name, applied_at=uow.now)
        )
    else:
        mark.name, mark.applied_at = name, uow.now


def _located(change: Change, exc: MusterError) -> Located:
    reason = exc.detail
    if exc.errors:
        reason += " (" + "; ".join(f"{e.field}: {e.reason}" for e in exc.errors) + ")"
    reason = f"cannot {change.action} {change.kind.label} {change.name!r}: {reason}"
    if change.document is None:
        return Located(change.file, 0, reason)
    path: list[str | int] = [change.kind.key]
    if exc.errors:
        path = [int(p) if p.isdigit() else p for p in exc.errors[0].field.split(".")]
    line = change.document.line_of(path)
    return Located(change.file, line, reason)
