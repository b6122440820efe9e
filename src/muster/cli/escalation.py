"""``muster escalation``: escalation policies and the escalation of an alert group."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from muster.cli.common import CLI_ACTOR, database, emit, handles_errors
from muster.db.uow import UnitOfWork
from muster.domain.accounts import service as accounts
from muster.domain.catalog.service import find_service
from muster.domain.escalation import actions
from muster.domain.escalation import service as policies
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.escalation.schemas import EscalationOut, ReassignIn, ServicePagingIn, SnoozeIn
from muster.domain.inputs import parse_input
from muster.errors import NotFound


@click.group()
def escalation() -> None:
    """Escalation policies, and paging of alert groups."""


@escalation.command("policies")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def list_policies(as_json: bool) -> None:
    """List the active escalation policies."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        rows = [policies.policy_out(uow, p) for p in policies.list_policies(uow, limit=500).items]

    def text() -> None:
        for p in rows:
            levels = " → ".join(", ".join(t.name for t in lv.targets) for lv in p.levels)
            services = ", ".join(s.name for s in p.services) or "no service"
            click.echo(
                f"{p.name}  [{p.team_name}]  {levels}  (repeats {p.repeat_count}; {services})"
            )

    emit(rows, as_json, text)


@escalation.command("assign")
@click.option("--service", "service_ref", required=True, help="The service's name or id.")
@click.option("--policy", "policy_ref", default=None, help="The policy's name or id.")
@click.option("--none", "no_policy", is_flag=True, help="Stop paging for the service.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def assign(service_ref: str, policy_ref: str | None, no_policy: bool, as_json: bool) -> None:
    """Set the policy that pages for a service."""
    if no_policy == (policy_ref is not None):
        raise click.UsageError("give either --policy or --none")
    with database() as db, db.unit_of_work() as uow:
        service = find_service(uow, service_ref)
        policy_id = None if policy_ref is None else _policy(uow, policy_ref).id
        paging = ServicePagingIn(escalation_policy_id=policy_id)
        out = policies.paging_out(
            uow, policies.do_assign_policy(uow, CLI_ACTOR, service.id, paging)
        )
        uow.commit()
    emit(
        out,
        as_json,
        lambda: click.echo(f"{out.service_name}: {out.escalation_policy_name or 'no policy'}"),
    )


@escalation.command("show")
@click.argument("group_id")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def show(group_id: str, as_json: bool) -> None:
    """Where an alert group's escalation stands."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        out = actions.escalation_out(actions.get_escalation(uow, group_id))
    emit(out, as_json, lambda: _print(out))


@escalation.command("escalate-now")
@click.argument("group_id")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def escalate_now(group_id: str, as_json: bool) -> None:
    """Page the next level now."""
    with database() as db, db.unit_of_work() as uow:
        out = actions.escalation_out(actions.do_escalate_now(uow, CLI_ACTOR, group_id))
        uow.commit()
    emit(out, as_json, lambda: _print(out))


@escalation.command("snooze")
@click.argument("group_id")
@click.option("--minutes", type=int, required=True, help="How long until it pages again.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def snooze(group_id: str, minutes: int, as_json: bool) -> None:
    """Acknowledge for a while; then it pages again."""
    data = parse_input(SnoozeIn, {"minutes": minutes})
    with database() as db, db.unit_of_work() as uow:
        out = actions.escalation_out(actions.do_snooze(uow, CLI_ACTOR, group_id, data.minutes))
        uow.commit()
    emit(out, as_json, lambda: _print(out))


@escalation.command("reassign")
@click.argument("group_id")
@click.option("--user", "user_ref", default=None, help="A person's email or id.")
@click.option("--policy", "policy_ref", default=None, help="A policy's name or id.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def reassign(group_id: str, user_ref: str | None, policy_ref: str | None, as_json: bool) -> None:
    """Page one person, or follow another policy, from now."""
    with database() as db, db.unit_of_work() as uow:
        user = accounts.find_user_by_email(uow, user_ref) if user_ref else None
        data = parse_input(ReassignIn, {
            "user_id": user.id if user else user_ref,
            "escalation_policy_id": _policy(uow, policy_ref).id if policy_ref else None,
        })  # fmt: skip
        out = actions.escalation_out(actions.do_reassign(uow, CLI_ACTOR, group_id, data))
        uow.commit()
    emit(out, as_json, lambda: _print(out))


def _policy(uow: UnitOfWork, ref: str) -> EscalationPolicy:
    policy = uow.session.get(EscalationPolicy, ref) or uow.session.scalar(
        select(EscalationPolicy).where(func.lower(EscalationPolicy.name) == ref.strip().lower())
    )
    if policy is None:
        raise NotFound(f"no escalation policy is named or has the id {ref!r}")
    return policy


def _print(out: EscalationOut) -> None:
    click.echo(f"{out.status}: {out.policy_name}, reached level {out.reached_level or '-'} of {out.levels}"
               f" (pass {out.loop + 1} of {out.repeat_count + 1})")  # fmt: skip
    if out.next_due_at:
        click.echo(f"next: level {out.next_level or '-'} at {out.next_due_at.isoformat()}")
