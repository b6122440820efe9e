"""``muster review``: list post-incident reviews, show one, export one (Markdown or
HTML). Commands act as the CLI (an administrator) unless ``--as EMAIL`` names a person,
whose role and visibility then apply exactly as through the API."""

from __future__ import annotations

from pathlib import Path

import click

from muster.cli.common import AS_OPTION, JSON_OPTION, acting_as, database, emit, handles_errors
from muster.domain.incidents.service import find_incident, reference
from muster.domain.reviews import review_service as reviews
from muster.domain.reviews.review_export import export_review
from muster.domain.reviews.review_schemas import STATUS_LABELS
from muster.domain.reviews.review_views import is_overdue, review_out


@click.group("review")
def review() -> None:
    """Post-incident reviews: list, show, export."""


@review.command("list")
@click.option("--status", type=click.Choice(list(STATUS_LABELS)), default=None)
@click.option("--overdue", is_flag=True, help="Only reviews past their due time.")
@click.option("--limit", type=click.IntRange(1, 500), default=100)
@AS_OPTION
@JSON_OPTION
@handles_errors
def list_(
    status: str | None, overdue: bool, limit: int, as_email: str | None, as_json: bool
) -> None:
    """Reviews by due date."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        actor = acting_as(uow, as_email)
        rows = [
            (r, i) for r, i in reviews.list_reviews(uow, actor, status=status, limit=limit)
            if not overdue or is_overdue(r, uow)
        ]  # fmt: skip
        data = [
            {**review_out(uow, r).model_dump(mode="json"), "reference": reference(i)}
            for r, i in rows
        ]

    def text() -> None:
        if not data:
            click.echo("no reviews")
        for d in data:
            due = (d["due_at"] or "no due date")[:16].replace("T", " ")
            late = "  OVERDUE" if d["overdue"] else ""
            click.echo(f"{d['reference']:<9} {STATUS_LABELS[d['status']]:<10} due {due}{late}")

    emit(data, as_json, text)


@review.command("show")
@click.argument("ref")
@AS_OPTION
@JSON_OPTION
@handles_errors
def show(ref: str, as_email: str | None, as_json: bool) -> None:
    """One incident's review (INC-12 or the incident's id)."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        actor = acting_as(uow, as_email)
        incident = find_incident(uow, actor, ref)
        _, row = reviews.get_review(uow, actor, incident.id)
        out = review_out(uow, row)

    def text() -> None:
        click.echo(
            f"{STATUS_LABELS[out.status]} · version {out.version}"
            + (" · OVERDUE" if out.overdue else "")
        )
        click.echo(out.body)

    emit(out, as_json, text)


@review.command("export")
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
@AS_OPTION
@handles_errors
def export(ref: str, fmt: str, output: Path | None, as_email: str | None) -> None:
    """Export a review as Markdown or HTML (to stdout, or ``--output``)."""
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        incident = find_incident(uow, actor, ref)
        _, _, text = export_review(uow, actor, incident.id, fmt)
        uow.commit()
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
