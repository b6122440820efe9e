"""``muster evidence``: an incident's evidence (list, add, verify) and legal hold.
(``muster retention`` lives in :mod:`muster.cli.retention`; re-exported here.)

Commands act as the CLI (an administrator) unless ``--as EMAIL`` names a person.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import click

from muster.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    Exit,
    acting_as,
    database,
    emit,
    handles_errors,
    settings,
)
from muster.cli.retention import retention
from muster.domain.compliance import legal_hold
from muster.domain.compliance.evidence import add_file_evidence, do_add_external, list_evidence
from muster.domain.compliance.evidence_access import verify_incident_evidence
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_schemas import EvidenceMeta, ExternalIn
from muster.domain.compliance.evidence_store import CHUNK, evidence_store
from muster.domain.events.actor import Actor
from muster.domain.incidents.service import find_incident
from muster.domain.inputs import parse_input


@click.group("evidence")
def evidence() -> None:
    """Evidence on incidents, its chain of custody, and legal holds."""


def _resolve(as_email: str | None, ref: str) -> tuple[Actor, str]:
    with database() as db, db.unit_of_work(readonly=True) as uow:
        actor = acting_as(uow, as_email)
        return actor, find_incident(uow, actor, ref).id


def _line(item: EvidenceItem) -> str:
    size = f"{item.size} B" if item.size is not None else "size ?"
    where = item.filename or item.external_uri or ""
    return f"{item.label:<6} {item.status:<10} {item.sha256 or '-':<64}  {size:>14}  {where}"


@evidence.command("list")
@click.argument("incident")
@AS_OPTION
@JSON_OPTION
@handles_errors
def list_(incident: str, as_email: str | None, as_json: bool) -> None:
    """List an incident's evidence with its SHA-256."""
    actor, incident_id = _resolve(as_email, incident)
    with database() as db, db.unit_of_work(readonly=True) as uow:
        items = list_evidence(uow, actor, incident_id)
        rows = [{"id": i.id, "label": i.label, "status": i.status, "kind": i.kind,
                 "title": i.title, "sha256": i.sha256, "size": i.size,
                 "filename": i.filename, "uri": i.external_uri} for i in items]  # fmt: skip
        lines = [_line(i) for i in items]

    def text() -> None:
        for line in lines:
            click.echo(line)

    emit(rows, as_json, text)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


@evidence.command("add")
@click.argument("incident")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--uri", default=None, help="An external reference instead of a file.")
@click.option("--sha256", default=None, help="The external item's SHA-256, if known.")
@click.option("--size", type=int, default=None, help="The external item's size, if known.")
@click.option("--title", default="")
@click.option("--description", default="")
@click.option("--source", default="")
@click.option("--collected-by", default="")
@click.option("--collected-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]), default=None)
@click.option("--supersedes", default=None, help="The id of the item this replaces.")
@AS_OPTION
@JSON_OPTION
@handles_errors
def add(
    incident: str, path: Path | None, uri: str | None, sha256: str | None, size: int | None,
    title: str, description: str, source: str, collected_by: str,
    collected_at: datetime | None, supersedes: str | None, as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Add a file (streamed, hashed on arrival) or, with --uri, an external reference."""
    if (path is None) == (uri is None):
        raise click.UsageError("give either a PATH or --uri")
    actor, incident_id = _resolve(as_email, incident)
    meta = {"title": title, "description": description, "source": source,
            "collected_by": collected_by, "collected_at": collected_at}  # fmt: skip
    with database() as db:
        if path is not None:
            if not path.is_file():
                raise click.BadParameter(f"{path} is not a readable file", param_hint="PATH")
            item = add_file_evidence(
                db, actor, incident_id, evidence_store(settings()), _chunks(path),
                filename=path.name, media_type=None, meta=parse_input(EvidenceMeta, meta),
                limit=settings().evidence.max_bytes, supersedes_id=supersedes,
            )  # fmt: skip
        else:
            data = parse_input(ExternalIn, {**meta, "uri": uri, "sha256": sha256, "size": size})
            with db.unit_of_work() as uow:
                item = do_add_external(uow, actor, incident_id, data, supersedes_id=supersedes)
                uow.commit()
    emit({"id": item.id, "label": item.label, "sha256": item.sha256, "size": item.size},
         as_json, lambda: click.echo(f"{item.label} added: {item.sha256 or item.external_uri}"))  # fmt: skip


@evidence.command("verify")
@click.argument("incident")
@AS_OPTION
@JSON_OPTION
@handles_errors
def verify(incident: str, as_email: str | None, as_json: bool) -> None:
    """Recompute every stored hash of the incident's evidence; exit 7 on any mismatch."""
    actor, incident_id = _resolve(as_email, incident)
    with database() as db:
        results = verify_incident_evidence(db, actor, incident_id, evidence_store(settings()))
    bad = [r for r in results if r.ok is False]

    def text() -> None:
        for r in results:
            mark = "✓" if r.ok else ("✗" if r.ok is False else "-")
            click.echo(f"{mark} {r.label:<6} {r.detail}  expected {r.sha256_expected or '-'}"
                       + (f" found {r.sha256_found or '-'}" if r.ok is False else ""))  # fmt: skip
        click.echo(f"{len(bad)} of {len(results)} items failed verification" if bad
                   else f"ok: {len(results)} items checked")  # fmt: skip

    emit([r.__dict__ for r in results], as_json, text)
    if bad:
        sys.exit(Exit.CHAIN_BROKEN)


@evidence.command("hold")
@click.argument("incident")
@click.option("--reason", required=True)
@AS_OPTION
@handles_errors
def hold(incident: str, reason: str, as_email: str | None) -> None:
    """Put an incident on legal hold (retention then keeps everything of it)."""
    actor, incident_id = _resolve(as_email, incident)
    with database() as db, db.unit_of_work() as uow:
        legal_hold.do_place_hold(uow, actor, incident_id, reason=reason)
        uow.commit()
    click.echo("legal hold placed")


@evidence.command("release")
@click.argument("incident")
@click.option("--reason", required=True)
@AS_OPTION
@handles_errors
def release(incident: str, reason: str, as_email: str | None) -> None:
    """Release an incident's legal hold."""
    actor, incident_id = _resolve(as_email, incident)
    with database() as db, db.unit_of_work() as uow:
        legal_hold.do_release_hold(uow, actor, incident_id, reason=reason)
        uow.commit()
    click.echo("legal hold released")


__all__ = ["evidence", "retention"]
