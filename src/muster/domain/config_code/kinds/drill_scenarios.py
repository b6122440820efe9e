"""``drill_scenarios/``: drill scenarios by key, each file the scenario's own YAML
document (as ``muster drill apply`` and the editor take it). A changed document saves
the scenario's next version (runs already started keep theirs); an unchanged one saves
nothing; a removed file archives the scenario."""

from __future__ import annotations

from typing import Any, ClassVar

from muster.db.uow import UnitOfWork
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.config_code.kinds.lookup import live
from muster.domain.config_code.kinds.sourced import SourceDoc, stored
from muster.domain.drills.models import Scenario
from muster.domain.drills.parse import parse_scenario
from muster.domain.drills.scenarios import (
    current_version,
    do_apply_scenario,
    do_archive_scenario,
    get_scenario,
)
from muster.domain.drills.schemas import ScenarioDef
from muster.domain.events.actor import Actor


class ScenarioDoc(ScenarioDef, SourceDoc):
    @classmethod
    def check_source(cls, source: str) -> None:
        parse_scenario(source)


class DrillScenariosKind:
    folder: ClassVar[str] = "drill_scenarios"
    key: ClassVar[str] = "key"
    label: ClassVar[str] = "drill scenario"
    schema: ClassVar[type[FileSchema]] = ScenarioDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.key)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        return {s.key: (s.id, stored(current_version(uow, s).source)) for s in live(uow, Scenario)}

    def references(self, doc: Any) -> list[Ref]:
        """None: a scenario names roles of its own; people are chosen for each run."""
        return []

    def create(self, uow: UnitOfWork, actor: Actor, doc: ScenarioDoc) -> str:
        return do_apply_scenario(uow, actor, doc.source)[0].id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: ScenarioDoc) -> None:
        scenario = get_scenario(uow, object_id)
        if stored(current_version(uow, scenario).source) != dump_doc(doc):
            do_apply_scenario(uow, actor, doc.source)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_archive_scenario(uow, actor, object_id)
