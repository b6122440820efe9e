"""Commands and queries on drill scenarios: applying a document (a new scenario or a new
version of one), archiving, reading them back, and installing the shipped ones.

Managers edit; everyone signed in reads. A saved version never changes: applying a
document that differs from the current version saves the next one, and runs started
earlier keep the version they started with.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.drills.models import Scenario, ScenarioVersion
from muster.domain.drills.parse import parse_scenario
from muster.domain.drills.schemas import ScenarioDef
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.playbooks.defaults import FIRST_START
from muster.errors import NotFound


def _event(uow: UnitOfWork, actor: Actor, scenario: Scenario, type_: str, **data: object) -> None:
    append_event(uow, actor, type_, subject_type="drill_scenario", subject_id=scenario.id,
                 data={"key": scenario.key, "title": scenario.title, **data})  # fmt: skip


def do_apply_scenario(
    uow: UnitOfWork, actor: Actor, source: str, *, builtin: bool = False
) -> tuple[Scenario, bool]:
    """Save ``source`` (YAML) as a new scenario, or as the next version of the scenario
    with its ``key``; returns it and whether it was created. Precondition: the actor is a
    manager. Applying the current version's source again changes nothing; an archived
    scenario applied again comes back."""
    require(actor, Role.MANAGER)
    definition = parse_scenario(source)
    scenario = uow.session.scalar(select(Scenario).where(Scenario.key == definition.key))
    if scenario is None:
        scenario = Scenario(key=definition.key, title=definition.title,
                            description=definition.description, builtin=builtin,
                            current_version=1, created_at=uow.now, updated_at=uow.now)  # fmt: skip
        uow.session.add(scenario)
        uow.flush()
        _add_version(uow, actor, scenario, definition, source)
        _event(uow, actor, scenario, "drill_scenario.created", version=1)
        return scenario, True
    current = current_version(uow, scenario)
    if current.source == source and scenario.archived_at is None:
        return scenario, False
    scenario.current_version = current.version + 1
    scenario.title, scenario.description = definition.title, definition.description
    scenario.archived_at = None
    scenario.updated_at = uow.now
    _add_version(uow, actor, scenario, definition, source)
    _event(uow, actor, scenario, "drill_scenario.version_saved", version=scenario.current_version)
    return scenario, False


def _add_version(
    uow: UnitOfWork, actor: Actor, scenario: Scenario, definition: ScenarioDef, source: str
) -> None:
    uow.session.add(ScenarioVersion(
        scenario_id=scenario.id, version=scenario.current_version, source=source,
        definition=definition.model_dump(mode="json", exclude_none=True),
        created_at=uow.now, created_by=actor.label,
    ))  # fmt: skip
    uow.flush()


def do_archive_scenario(uow: UnitOfWork, actor: Actor, scenario_id: str) -> Scenario:
    """Retire a scenario from the list (its runs and versions stay). Precondition: the
    actor is a manager."""
    require(actor, Role.MANAGER)
    scenario = get_scenario(uow, scenario_id)
    if scenario.archived_at is None:
        scenario.archived_at = scenario.updated_at = uow.now
        _event(uow, actor, scenario, "drill_scenario.archived")
    return scenario


def shipped_sources() -> dict[str, str]:
    """The YAML of each shipped scenario, by file name."""
    folder = resources.files("muster.domain.drills").joinpath("shipped")
    return {
        item.name: item.read_text(encoding="utf-8")
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.name.endswith(".yaml")
    }


def do_install_shipped(uow: UnitOfWork, actor: Actor) -> list[Scenario]:
    """Install each shipped scenario whose key is not taken (an edited or archived copy
    is never replaced); returns those installed. Precondition: the actor is a manager."""
    require(actor, Role.MANAGER)
    installed = []
    for source in shipped_sources().values():
        key = parse_scenario(source).key
        if uow.session.scalar(select(Scenario.id).where(Scenario.key == key)) is None:
            installed.append(do_apply_scenario(uow, actor, source, builtin=True)[0])
    return installed


def do_install_shipped_once(uow: UnitOfWork) -> list[Scenario]:
    """On first start (no scenario at all, archived ones included), install the shipped
    scenarios, as :func:`muster.domain.playbooks.defaults.do_install_defaults_once` does
    playbooks; later starts change nothing, so an edited, archived or removed-from-use
    scenario stays as its users left it."""
    if uow.session.scalar(select(func.count()).select_from(Scenario)):
        return []
    return do_install_shipped(uow, FIRST_START)


# ---- queries --------------------------------------------------------------------------


def get_scenario(uow: UnitOfWork, id_or_key: str) -> Scenario:
    """The scenario with this id, else this key; NotFound when neither."""
    scenario = uow.session.get(Scenario, id_or_key) or uow.session.scalar(
        select(Scenario).where(Scenario.key == id_or_key.strip())
    )
    if scenario is None:
        raise NotFound(f"no drill scenario has the id or key {id_or_key!r}")
    return scenario


def list_scenarios(uow: UnitOfWork, *, archived: bool = False) -> Sequence[Scenario]:
    archived_clause = (
        Scenario.archived_at.is_not(None) if archived else Scenario.archived_at.is_(None)
    )
    return uow.session.scalars(select(Scenario).where(archived_clause).order_by(Scenario.key)).all()


def current_version(uow: UnitOfWork, scenario: Scenario) -> ScenarioVersion:
    found = uow.session.scalar(
        select(ScenarioVersion).where(
            ScenarioVersion.scenario_id == scenario.id,
            ScenarioVersion.version == scenario.current_version,
        )
    )
    if found is None:  # pragma: no cover - every scenario is saved with its first version
        raise NotFound(f"scenario {scenario.key} has no version {scenario.current_version}")
    return found


def versions(uow: UnitOfWork, scenario_id: str) -> Sequence[ScenarioVersion]:
    """Every saved version, newest first."""
    return uow.session.scalars(
        select(ScenarioVersion)
        .where(ScenarioVersion.scenario_id == scenario_id)
        .order_by(ScenarioVersion.version.desc())
    ).all()


def definition_of(version: ScenarioVersion) -> ScenarioDef:
    return ScenarioDef.model_validate(version.definition)
