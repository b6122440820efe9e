"""``playbooks/``: playbooks by key, each file the playbook's own YAML document (as
``muster playbook apply`` and the editor take it). A changed document saves the
playbook's next version (runs already started keep theirs); an unchanged one saves
nothing. The on/off switch is part of the document: ``enabled`` is written out when the
switch differs from what the saved YAML says (default on). A removed file archives the
playbook."""

from __future__ import annotations

from typing import Any, ClassVar

from muster.db.uow import UnitOfWork
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.config_code.kinds.lookup import live
from muster.domain.config_code.kinds.sourced import SourceDoc, stored
from muster.domain.events.actor import Actor
from muster.domain.playbooks.models import Playbook
from muster.domain.playbooks.parse import parse_source
from muster.domain.playbooks.schemas import PlaybookDef
from muster.domain.playbooks.service import (
    current_version,
    do_apply_playbook,
    do_archive,
    do_set_enabled,
    get_playbook,
)


class PlaybookDoc(PlaybookDef, SourceDoc):
    @classmethod
    def check_source(cls, source: str) -> None:
        parse_source(source)


def _document(uow: UnitOfWork, playbook: Playbook) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the saved YAML's data, the document with the switch as it is now)."""
    saved = stored(current_version(uow, playbook).source)
    doc = dict(saved)
    if playbook.enabled != saved.get("enabled", True):
        doc["enabled"] = playbook.enabled
    return saved, doc


class PlaybooksKind:
    folder: ClassVar[str] = "playbooks"
    key: ClassVar[str] = "key"
    label: ClassVar[str] = "playbook"
    schema: ClassVar[type[FileSchema]] = PlaybookDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.key)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        return {p.key: (p.id, _document(uow, p)[1]) for p in live(uow, Playbook)}

    def references(self, doc: Any) -> list[Ref]:
        """None checked here: steps name people, schedules and policies by name or id
        and are resolved when they run, as for a playbook saved in the editor."""
        return []

    def create(self, uow: UnitOfWork, actor: Actor, doc: PlaybookDoc) -> str:
        playbook = do_apply_playbook(uow, actor, doc.source)
        self._switch(uow, actor, playbook, doc)
        return playbook.id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: PlaybookDoc) -> None:
        playbook = get_playbook(uow, object_id)
        if _document(uow, playbook)[0] != dump_doc(doc):
            playbook = do_apply_playbook(uow, actor, doc.source)
        self._switch(uow, actor, playbook, doc)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_archive(uow, actor, object_id)

    def _switch(self, uow: UnitOfWork, actor: Actor, playbook: Playbook, doc: PlaybookDoc) -> None:
        wanted = bool(dump_doc(doc).get("enabled", True))
        if playbook.enabled != wanted:
            do_set_enabled(uow, actor, playbook.id, wanted)
