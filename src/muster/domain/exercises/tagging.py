"""How the exercise mark propagates, and the checks that keep real and exercise apart.

Rules (each enforced where the row is made; the domain commands call these helpers):

- A service is exercise only when made by :func:`muster.domain.exercises.setup.exercise_service`.
- An integration takes its service's mark (``do_create_integration``).
- An alert takes the mark of the service it lands on; routing rules never move an alert
  between a real service and an exercise one (:func:`same_world`), so alerts through an
  exercise integration stay exercise and real alerts never reach an exercise service.
- An incident takes the mark of its services and alert groups
  (:func:`incident_run_for`); declaring one over a mix of real and exercise (or of two
  runs) is refused with :class:`~muster.errors.Conflict`, and so is linking an alert
  group, adding a service or merging across the line (:func:`check_same_run`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import AlertGroup
from muster.domain.catalog.models import Service
from muster.errors import Conflict, FieldError


def is_exercise(row: Any) -> bool:
    """Whether ``row`` (a service, integration, alert or incident) is exercise."""
    return getattr(row, "exercise_run_id", None) is not None


def real_only(column: Any) -> ColumnElement[bool]:
    """The SQL condition keeping real rows: ``Model.exercise_run_id IS NULL``."""
    clause: ColumnElement[bool] = column.is_(None)
    return clause


def same_world(a: str | None, b: str | None) -> bool:
    """Whether two marks (run ids or None) may meet: both real, or the same run."""
    return a == b


def _describe(run_id: str | None) -> str:
    return "real" if run_id is None else f"exercise run {run_id}"


def check_same_run(expected: str | None, found: str | None, *, field: str, what: str) -> None:
    """Refuse (409) putting ``what`` marked ``found`` into something marked ``expected``."""
    if not same_world(expected, found):
        raise Conflict(
            f"cannot mix real and exercise work: {what} is {_describe(found)}, "
            f"the incident is {_describe(expected)}",
            errors=[FieldError(field, f"{what} is {_describe(found)}")],
        )


def service_runs(uow: UnitOfWork, service_ids: Sequence[str]) -> dict[str, str | None]:
    """The mark of each service, by id (unknown ids are left out)."""
    if not service_ids:
        return {}
    rows = uow.session.execute(
        select(Service.id, Service.exercise_run_id).where(Service.id.in_(set(service_ids)))
    )
    return {row.id: row.exercise_run_id for row in rows}


def group_runs(uow: UnitOfWork, group_ids: Sequence[str]) -> dict[str, str | None]:
    """The mark of each alert group (its service's), by id (unknown ids are left out)."""
    if not group_ids:
        return {}
    rows = uow.session.execute(
        select(AlertGroup.id, Service.exercise_run_id)
        .join(Service, Service.id == AlertGroup.service_id)
        .where(AlertGroup.id.in_(set(group_ids)))
    )
    return {row.id: row.exercise_run_id for row in rows}


def _marks(
    uow: UnitOfWork, service_ids: Sequence[str], group_ids: Sequence[str]
) -> list[tuple[str, str, str | None]]:
    """(field, what, mark) of each known service and alert group; unknown ids are left
    to the caller's own checks (they answer 422 naming them)."""
    services, groups = service_runs(uow, service_ids), group_runs(uow, group_ids)
    marks = [(f"service_ids.{i}", "the service", services[s])
             for i, s in enumerate(service_ids) if s in services]  # fmt: skip
    marks += [(f"group_ids.{i}", "the alert group", groups[g])
              for i, g in enumerate(group_ids) if g in groups]  # fmt: skip
    return marks


def incident_run_for(
    uow: UnitOfWork, service_ids: Sequence[str], group_ids: Sequence[str]
) -> str | None:
    """The mark an incident declared over these services and alert groups takes: the
    first one's (services first). Raises :class:`Conflict` naming the field (``service_ids.N`` /
    ``group_ids.N``) when they mix real and exercise, or two runs."""
    marks = _marks(uow, service_ids, group_ids)
    run_id = marks[0][2] if marks else None
    for field, what, mark in marks:
        check_same_run(run_id, mark, field=field, what=what)
    return run_id


def check_joins(
    uow: UnitOfWork, run_id: str | None, service_ids: Sequence[str] = (),
    group_ids: Sequence[str] = (),
) -> None:  # fmt: skip
    """Refuse (409) adding these services or alert groups to an incident marked
    ``run_id`` (None: real) unless they carry the same mark."""
    for field, what, mark in _marks(uow, service_ids, group_ids):
        check_same_run(run_id, mark, field=field, what=what)
