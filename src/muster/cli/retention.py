"""``muster retention``: the retention policies per kind (list, set, reset) and one
retention pass now (``run``). Policies need the admin role (the CLI is one unless
``--as EMAIL`` names a person)."""

from __future__ import annotations

import click

from muster.cli.common import AS_OPTION, JSON_OPTION, acting_as, database, emit, handles_errors
from muster.cli.common import settings as load_cli_settings
from muster.domain.compliance.evidence_store import evidence_store
from muster.domain.incidents.attachments import FileBlobStore
from muster.domain.inputs import parse_input
from muster.domain.retention.policies import (
    KINDS,
    Policies,
    PolicyIn,
    do_reset_policy,
    do_set_policy,
    effective_policies,
    list_policies,
)
from muster.domain.retention.run import run_policies


@click.group("retention")
def retention() -> None:
    """Retention policies (alerts, raw payloads, incidents, notifications, evidence)."""


@retention.command("policies")
@JSON_OPTION
@handles_errors
def policies(as_json: bool) -> None:
    """List each kind's retention: days kept (0: forever) and where that comes from."""
    default = load_cli_settings().evidence.retention_days
    with database() as db, db.unit_of_work(readonly=True) as uow:
        rows = list_policies(uow, evidence_default=default)

    def text() -> None:
        for p in rows:
            days = "forever" if p.days == 0 else f"{p.days} days"
            click.echo(f"{p.kind:<14} {days:<12} ({p.source})  {p.description}")

    emit(rows, as_json, text)


@retention.command("set")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("days", type=int)
@AS_OPTION
@handles_errors
def set_(kind: str, days: int, as_email: str | None) -> None:
    """Keep KIND for DAYS days after it ended (0: forever)."""
    data = parse_input(PolicyIn, {"days": days})
    with database() as db, db.unit_of_work() as uow:
        do_set_policy(uow, acting_as(uow, as_email), kind, data)
        uow.commit()
    click.echo(f"{kind}: kept {'forever' if days == 0 else f'{days} days'}")


@retention.command("reset")
@click.argument("kind", type=click.Choice(list(KINDS)))
@AS_OPTION
@handles_errors
def reset(kind: str, as_email: str | None) -> None:
    """Drop KIND's policy: its default applies again (MUSTER_RETENTION_DAYS for evidence,
    forever for the others)."""
    with database() as db, db.unit_of_work() as uow:
        dropped = do_reset_policy(uow, acting_as(uow, as_email), kind)
        uow.commit()
    click.echo(f"{kind}: default restored" if dropped else f"{kind}: had no policy")


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; remove nothing.")
@click.option("--days", type=int, default=None, help="Evidence days for this pass only.")
@JSON_OPTION
@handles_errors
def run(dry_run: bool, days: int | None, as_json: bool) -> None:
    """Run one retention pass now over every policy (at most one batch per kind)."""
    cfg = load_cli_settings()
    with database() as db, db.unit_of_work() as uow:
        found = effective_policies(uow, evidence_default=cfg.evidence.retention_days)
        chosen = Policies({**found.days, **({"evidence": days} if days is not None else {})})
        if not chosen.active:
            raise click.UsageError(
                "retention is off: set a policy (muster retention set KIND DAYS), "
                "MUSTER_RETENTION_DAYS, or pass --days"
            )
        report = run_policies(
            uow, chosen, evidence_store=evidence_store(cfg),
            attachment_store=FileBlobStore.in_var_dir(cfg.var_dir), dry_run=dry_run,
        )  # fmt: skip
        uow.commit()
    counts = report.counts

    def text() -> None:
        verb = "would remove" if dry_run else "removed"
        parts = [f"{counts[k]} {label}" for k, label in _LABELS if k in counts]
        click.echo(f"{verb}: {', '.join(parts)}")
        if "held" in counts or "incidents_held" in counts:
            held = max(counts.get("held", 0), counts.get("incidents_held", 0))
            click.echo(f"{held} incidents skipped for legal hold")
        if not report.complete:
            click.echo("more is due than one batch: run again to go on")

    emit({**counts, "complete": report.complete}, as_json, text)


_LABELS = (
    ("evidence", "evidence files"),
    ("attachments", "attachment files"),
    ("messages", "message bodies"),
    ("incidents_removed", "incidents"),
    ("alerts", "alerts"),
    ("alert_groups", "alert groups"),
    ("raw_payloads", "raw payloads"),
    ("notifications", "notifications"),
    ("events_pruned", "events pruned"),
)
