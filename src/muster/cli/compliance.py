"""``muster compliance``: regulatory clocks on incidents — apply a regime, record a
fact, list clocks (one incident's, or across incidents), record a submission.

Commands act as the CLI (an administrator) unless ``--as EMAIL`` names a person, whose
role and visibility then apply exactly as through the API. Incidents are named by id or
reference (``INC-12``); a clock by its id or its deadline (``gdpr-33/authority``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from muster.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    acting_as,
    database,
    emit,
    handles_errors,
    settings,
)
from muster.db.uow import UnitOfWork
from muster.domain.compliance import clocks, facts, submissions
from muster.domain.compliance.clock_schemas import (
    ClockOut,
    FactIn,
    RegimeApplyIn,
    RegimeRemoveIn,
    SubmissionIn,
)
from muster.domain.compliance.clock_views import (
    STATUS_LABELS,
    incident_compliance,
    left_words,
    list_clocks,
    recorded_submission_out,
)
from muster.domain.events.actor import Actor
from muster.domain.incidents.attachments import FileBlobStore
from muster.domain.incidents.service import find_incident
from muster.domain.inputs import parse_input
from muster.errors import NotFound

AT = click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"])


@click.group("compliance")
def compliance() -> None:
    """Regulatory clocks: apply, fact, clocks, submit."""


def _line(c: ClockOut) -> str:
    due = c.due_at.isoformat() if c.due_at else "-"
    left = left_words(c.seconds_left) if c.seconds_left is not None else c.waiting_for or ""
    return f"{c.incident_reference}  {c.deadline:<28} {STATUS_LABELS[c.status]:<15} due {due}  {left}"  # fmt: skip


def _print(out: list[ClockOut]) -> None:
    for c in out:
        click.echo(_line(c))


def _clock(uow: UnitOfWork, actor: Actor, incident_id: str, which: str) -> ClockOut:
    for c in incident_compliance(uow, actor, incident_id).clocks:
        if which in (c.id, c.deadline):
            return c
    raise NotFound(f"the incident has no clock {which!r}")


@compliance.command("apply")
@click.argument("incident_ref")
@click.argument("regime")
@click.option("--reason", required=True, help="Why it applies (or, with --remove, why not).")
@click.option("--remove", is_flag=True, help="The regime no longer applies.")
@AS_OPTION
@JSON_OPTION
@handles_errors
def apply(
    incident_ref: str, regime: str, reason: str, remove: bool, as_email: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Mark REGIME (e.g. gdpr-33) as applying to an incident, or remove it."""
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        incident = find_incident(uow, actor, incident_ref)
        if remove:
            data = parse_input(RegimeRemoveIn, {"reason": reason})
            clocks.do_remove_regime(uow, actor, incident.id, regime, data)
        else:
            body = parse_input(RegimeApplyIn, {"regime": regime, "reason": reason})
            clocks.do_apply_regime(uow, actor, incident.id, body)
        uow.commit()
        out = incident_compliance(uow, actor, incident.id).clocks
    emit(out, as_json, lambda: _print(out))


@compliance.command("fact")
@click.argument("incident_ref")
@click.argument("key")
@click.option("--at", "at", type=AT, default=None, help="A time with its offset.")
@click.option("--number", type=int, default=None, help="A count (affected_people).")
@click.option("--reason", required=True, help="How it is known.")
@AS_OPTION
@JSON_OPTION
@handles_errors
def fact(
    incident_ref: str, key: str, at: datetime | None, number: int | None, reason: str,
    as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Record (or correct) a fact: aware_at, material_at ... --at, or affected_people --number."""
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        incident = find_incident(uow, actor, incident_ref)
        data = parse_input(FactIn, {"at": at, "number": number, "reason": reason})
        facts.do_record_fact(uow, actor, incident.id, key, data)
        uow.commit()
        out = incident_compliance(uow, actor, incident.id).clocks
    emit(out, as_json, lambda: _print(out))


@compliance.command("clocks")
@click.argument("incident_ref", required=False)
@click.option("--status", default=None, help="running, missed, submitted ...")
@click.option("--regime", default=None, help="A regime's key.")
@click.option("--due-before", type=AT, default=None)
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
@AS_OPTION
@JSON_OPTION
@handles_errors
def list_(
    incident_ref: str | None, status: str | None, regime: str | None,
    due_before: datetime | None, limit: int, as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """An incident's clocks, or (without INCIDENT) those with a deadline across incidents."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        actor = acting_as(uow, as_email)
        if incident_ref:
            incident = find_incident(uow, actor, incident_ref)
            out = incident_compliance(uow, actor, incident.id).clocks
        else:
            out, _ = list_clocks(
                uow, actor, status=status, regime=regime, due_before=due_before, limit=limit
            )
    emit(out, as_json, lambda: _print(out))


@compliance.command("submit")
@click.argument("incident_ref")
@click.argument("clock")
@click.option("--recipient", required=True)
@click.option("--reference", default="")
@click.option("--at", "at", type=AT, default=None, help="When it was sent (default now).")
@click.option("--late-reason", default=None, help="Required when sent after the deadline.")
@click.option("--notes", default="")
@click.option("--document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@AS_OPTION
@JSON_OPTION
@handles_errors
def submit(
    incident_ref: str, clock: str, recipient: str, reference: str, at: datetime | None,
    late_reason: str | None, notes: str, document: Path | None, as_email: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Record the report of CLOCK (its id or deadline, e.g. gdpr-33/authority) as sent."""
    store = FileBlobStore.in_var_dir(settings().var_dir)
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        incident = find_incident(uow, actor, incident_ref)
        target = _clock(uow, actor, incident.id, clock)
        data = parse_input(SubmissionIn, {
            "recipient": recipient, "reference": reference, "submitted_at": at,
            "late_reason": late_reason, "notes": notes,
        })  # fmt: skip
        if document is not None:
            with document.open("rb") as content:
                row = submissions.do_record_submission(
                    uow, actor, incident.id, target.id, data, store=store, document=content,
                    document_name=document.name,
                )  # fmt: skip
        else:
            row = submissions.do_record_submission(uow, actor, incident.id, target.id, data)
        uow.commit()
        out = recorded_submission_out(uow, row)
    emit(out, as_json, lambda: click.echo(
        f"{target.deadline} submitted {out.submitted_at.isoformat()} to {out.recipient}"
        + (" (late)" if out.late else "")
        + (f"  document sha256 {out.document_sha256}" if out.document_sha256 else "")
    ))  # fmt: skip
