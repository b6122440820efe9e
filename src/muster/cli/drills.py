"""``muster drill``: apply scenario files, list and show scenarios, install the shipped
ones, start a run, see a run, and clean one up after its report is kept.

Commands act as the CLI (an administrator) unless ``--as EMAIL`` names a person, whose
role then applies exactly as through the API.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from muster.cli.common import AS_OPTION, JSON_OPTION, acting_as, database, emit, handles_errors
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team
from muster.domain.accounts.service import find_user_by_email
from muster.domain.drills import report, runs, scenarios
from muster.domain.drills.drill_time import minutes
from muster.domain.drills.parse import MAX_SOURCE
from muster.domain.drills.views import run_out, scenario_out
from muster.errors import FieldError, InvalidInput


@click.group("drill")
def drill() -> None:
    """Drills: apply, list, show, install-defaults, start, status, cleanup."""


@drill.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@AS_OPTION
@JSON_OPTION
@handles_errors
def apply(file: Path, as_email: str | None, as_json: bool) -> None:
    """Create a scenario from FILE (YAML), or save it as the next version of the scenario
    with its key. Applying an unchanged file does nothing."""
    if file.stat().st_size > MAX_SOURCE:
        raise InvalidInput("file too large", errors=[FieldError("source", f"larger than {MAX_SOURCE // 1024} KB")])  # fmt: skip
    source = file.read_text(encoding="utf-8")
    with database() as db, db.unit_of_work() as uow:
        found, _created = scenarios.do_apply_scenario(uow, acting_as(uow, as_email), source)
        uow.commit()
        out = scenario_out(found)
    emit(out, as_json, lambda: click.echo(f"{out.key}: version {out.current_version} saved"))


@drill.command("list")
@JSON_OPTION
@handles_errors
def list_(as_json: bool) -> None:
    """The scenarios, by key."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        found = [scenario_out(s) for s in scenarios.list_scenarios(uow)]

    def text() -> None:
        for s in found:
            click.echo(
                f"{s.key:<32} v{s.current_version:<3} {s.title}{' (shipped)' if s.builtin else ''}"
            )

    emit(found, as_json, text)


@drill.command("show")
@click.argument("key")
@JSON_OPTION
@handles_errors
def show(key: str, as_json: bool) -> None:
    """A scenario (by key or id) and its current YAML."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        found = scenarios.get_scenario(uow, key)
        out = scenario_out(
            found, scenarios.current_version(uow, found), scenarios.versions(uow, found.id)
        )
    emit(
        out,
        as_json,
        lambda: click.echo(
            f"{out.key}: {out.title} (version {out.current_version})\n\n{out.source}"
        ),
    )


@drill.command("install-defaults")
@AS_OPTION
@JSON_OPTION
@handles_errors
def install_defaults(as_email: str | None, as_json: bool) -> None:
    """Install the shipped scenarios whose keys are free."""
    with database() as db, db.unit_of_work() as uow:
        installed = [
            scenario_out(s) for s in scenarios.do_install_shipped(uow, acting_as(uow, as_email))
        ]
        uow.commit()
    emit(installed, as_json, lambda: click.echo(f"{len(installed)} scenario(s) installed"))


def _user_id(uow: UnitOfWork, email: str, field: str) -> str:
    user = find_user_by_email(uow, email)
    if user is None:
        raise InvalidInput("no such person", errors=[FieldError(field, f"nobody has the email {email!r}")])  # fmt: skip
    return user.id


def _team_id(uow: UnitOfWork, name: str) -> str:
    team = uow.session.scalar(select(Team).where(func.lower(Team.name) == name.lower()))
    if team is None:
        raise InvalidInput("no such team", errors=[FieldError("team", f"no team is named {name!r}")])  # fmt: skip
    return team.id


@drill.command("start")
@click.argument("scenario")
@click.option("--team", required=True, help="The team drilling (its name).")
@click.option(
    "--mode", type=click.Choice(["live", "tabletop"]), default="tabletop", show_default=True
)
@click.option("--facilitator", required=True, help="The facilitator's email.")
@click.option("--participant", "participant", multiple=True, metavar="ROLE=EMAIL",
              help="Who plays a role of the scenario (repeatable).")  # fmt: skip
@AS_OPTION
@JSON_OPTION
@handles_errors
def start(
    scenario: str, team: str, mode: str, facilitator: str, participant: tuple[str, ...],
    as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Start a run of SCENARIO (key or id)."""
    with database() as db, db.unit_of_work() as uow:
        people: dict[str, str] = {}
        for item in participant:
            role, _, email = item.partition("=")
            if not role or not email:
                raise InvalidInput("bad participant", errors=[FieldError("participant", f"{item!r}: write ROLE=EMAIL")])  # fmt: skip
            people[role.strip()] = _user_id(uow, email.strip(), f"participant.{role.strip()}")
        run = runs.do_start_run(uow, acting_as(uow, as_email), scenario, team_id=_team_id(uow, team),
                                mode=mode, facilitator_id=_user_id(uow, facilitator, "facilitator"),
                                participants=people)  # fmt: skip
        uow.commit()
        out = run_out(uow, run)
    emit(out, as_json, lambda: click.echo(f"drill run {out.id} started ({out.mode})"))


@drill.command("status")
@click.argument("run_id")
@JSON_OPTION
@handles_errors
def status(run_id: str, as_json: bool) -> None:
    """A run: its injects and expectations."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        out = run_out(uow, runs.get_run(uow, run_id))

    def text() -> None:
        click.echo(f"{out.title} · {out.mode} · {out.status} · drill time {minutes(out.offset)}"
                   f" · score {out.score if out.score is not None else '-'}")  # fmt: skip
        for i in out.injects:
            click.echo(f"  inject {i.name:<24} {i.status:<8} {minutes(i.fired_offset)}")
        for e in out.expectations:
            click.echo(f"  expect {e.name:<24} {e.status:<8} {e.title}")

    emit(out, as_json, text)


@drill.command("cleanup")
@click.argument("run_id")
@AS_OPTION
@JSON_OPTION
@handles_errors
def cleanup(run_id: str, as_email: str | None, as_json: bool) -> None:
    """Remove everything RUN_ID created (its report must have been kept)."""
    with database() as db, db.unit_of_work() as uow:
        counts = report.do_cleanup_run(uow, acting_as(uow, as_email), run_id)
        uow.commit()
    emit(counts, as_json, lambda: click.echo(", ".join(f"{k}: {v}" for k, v in counts.items())))
