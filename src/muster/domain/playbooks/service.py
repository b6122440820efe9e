"""Commands and queries on playbooks: applying a document (a new playbook or a new version
of one), enabling, disabling, archiving, and reading them back.

Managers edit; everyone signed in reads. A version is never changed once saved: applying
a document that differs from the current version saves the next one, and runs started
earlier keep the version they started with.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from muster.db.pagination import Page, paginate
from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.playbooks.models import Playbook, PlaybookVersion
from muster.domain.playbooks.parse import parse_source
from muster.domain.playbooks.schemas import PlaybookDef
from muster.errors import FieldError, InvalidInput, NotFound


def _event(uow: UnitOfWork, actor: Actor, playbook: Playbook, type_: str, **data: object) -> None:
    append_event(
        uow,
        actor,
        type_,
        subject_type="playbook",
        subject_id=playbook.id,
        data={"playbook_id": playbook.id, "key": playbook.key, "name": playbook.name, **data},
    )


def do_apply_playbook(
    uow: UnitOfWork, actor: Actor, source: str, *, builtin: bool = False
) -> Playbook:
    """Save ``source`` (YAML) as a new playbook, or as the next version of the playbook with
    its ``key``. Precondition: the actor is a manager. Applying the current version's
    source again changes nothing. ``enabled`` in the document applies when it is written
    there (or on creation); otherwise a new version keeps the playbook's switch. An
    archived playbook applied again comes back."""
    require(actor, Role.MANAGER)
    definition = parse_source(source)
    playbook = uow.session.scalar(select(Playbook).where(Playbook.key == definition.key))
    if playbook is None:
        return _create(uow, actor, definition, source, builtin=builtin)
    current = current_version(uow, playbook)
    if current.source == source and playbook.archived_at is None:
        return playbook
    playbook.current_version = current.version + 1
    _apply_fields(playbook, definition, creating=False)
    playbook.archived_at = None
    playbook.updated_at = uow.now
    _add_version(uow, actor, playbook, definition, source)
    _event(uow, actor, playbook, "playbook.version_saved", version=playbook.current_version,
           changes={"version": [current.version, playbook.current_version]})  # fmt: skip
    return playbook


def do_restore_version(uow: UnitOfWork, actor: Actor, playbook_id: str, number: int) -> Playbook:
    """Save version ``number``'s YAML as the playbook's next version: its triggers,
    conditions and steps come back, and no version is rewritten (runs already started keep
    the version they started with). Precondition: the actor is a manager. Restoring the
    current version changes nothing; an archived playbook comes back."""
    require(actor, Role.MANAGER)
    playbook = get_playbook(uow, playbook_id)
    source = get_version(uow, playbook.id, number).source
    before = playbook.current_version
    restored = do_apply_playbook(uow, actor, source)
    if restored.current_version != before:
        _event(uow, actor, restored, "playbook.version_restored",
               version=restored.current_version, from_version=number)  # fmt: skip
    return restored


def _create(
    uow: UnitOfWork, actor: Actor, definition: PlaybookDef, source: str, *, builtin: bool
) -> Playbook:
    playbook = Playbook(
        key=definition.key,
        builtin=builtin,
        current_version=1,
        created_at=uow.now,
        updated_at=uow.now,
    )
    _apply_fields(playbook, definition, creating=True)
    uow.session.add(playbook)
    uow.flush()
    _add_version(uow, actor, playbook, definition, source)
    _event(uow, actor, playbook, "playbook.created", version=1, builtin=builtin,
           enabled=playbook.enabled)  # fmt: skip
    return playbook


def _apply_fields(playbook: Playbook, definition: PlaybookDef, *, creating: bool) -> None:
    playbook.name = definition.name
    playbook.description = definition.description
    playbook.repeatable = definition.repeatable
    if creating or "enabled" in definition.model_fields_set:
        playbook.enabled = definition.enabled


def _add_version(
    uow: UnitOfWork, actor: Actor, playbook: Playbook, definition: PlaybookDef, source: str
) -> PlaybookVersion:
    version = PlaybookVersion(
        playbook_id=playbook.id,
        version=playbook.current_version,
        source=source,
        definition=definition.model_dump(mode="json", by_alias=True, exclude_none=True),
        created_at=uow.now,
        created_by=actor.label,
    )
    uow.session.add(version)
    uow.flush()
    return version


def do_set_enabled(uow: UnitOfWork, actor: Actor, playbook_id: str, enabled: bool) -> Playbook:
    """Turn automatic triggering on or off (manual runs work either way). Precondition: the
    actor is a manager; the playbook is not archived."""
    require(actor, Role.MANAGER)
    playbook = get_playbook(uow, playbook_id)
    if playbook.archived_at is not None:
        raise InvalidInput(
            "an archived playbook cannot be enabled or disabled",
            errors=[FieldError("enabled", "the playbook is archived; apply it again first")],
        )
    if playbook.enabled != enabled:
        playbook.enabled = enabled
        playbook.updated_at = uow.now
        _event(uow, actor, playbook, "playbook.enabled" if enabled else "playbook.disabled")
    return playbook


def do_archive(uow: UnitOfWork, actor: Actor, playbook_id: str) -> Playbook:
    """Retire a playbook: it stops triggering and leaves the list; its runs and versions
    stay. Precondition: the actor is a manager."""
    require(actor, Role.MANAGER)
    playbook = get_playbook(uow, playbook_id)
    if playbook.archived_at is None:
        playbook.archived_at = uow.now
        playbook.enabled = False
        playbook.updated_at = uow.now
        _event(uow, actor, playbook, "playbook.archived")
    return playbook


# ---- queries --------------------------------------------------------------------------


def get_playbook(uow: UnitOfWork, id_or_key: str) -> Playbook:
    """The playbook with this id, else this key; NotFound when neither."""
    playbook = uow.session.get(Playbook, id_or_key) or uow.session.scalar(
        select(Playbook).where(Playbook.key == id_or_key.strip())
    )
    if playbook is None:
        raise NotFound(f"no playbook has the id or key {id_or_key!r}")
    return playbook


def key_taken(uow: UnitOfWork, key: str) -> bool:
    return uow.session.scalar(select(Playbook.id).where(Playbook.key == key)) is not None


def list_playbooks(
    uow: UnitOfWork,
    *,
    archived: bool = False,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[Playbook]:
    """Playbooks by key (archived ones only when asked)."""
    query = select(Playbook).where(
        Playbook.archived_at.is_not(None) if archived else Playbook.archived_at.is_(None)
    )
    return paginate(
        uow.session, query, sort=Playbook.key, tiebreak=Playbook.id, cursor=cursor, limit=limit
    )


def enabled_playbooks(uow: UnitOfWork) -> Sequence[Playbook]:
    return uow.session.scalars(
        select(Playbook)
        .where(Playbook.enabled.is_(True), Playbook.archived_at.is_(None))
        .order_by(Playbook.key)
    ).all()


def versions(uow: UnitOfWork, playbook_id: str) -> Sequence[PlaybookVersion]:
    """Every saved version, newest first."""
    return uow.session.scalars(
        select(PlaybookVersion)
        .where(PlaybookVersion.playbook_id == playbook_id)
        .order_by(PlaybookVersion.version.desc())
    ).all()


def current_version(uow: UnitOfWork, playbook: Playbook) -> PlaybookVersion:
    found = uow.session.scalar(
        select(PlaybookVersion).where(
            PlaybookVersion.playbook_id == playbook.id,
            PlaybookVersion.version == playbook.current_version,
        )
    )
    if found is None:  # pragma: no cover - every playbook is saved with its first version
        raise NotFound(f"playbook {playbook.key} has no version {playbook.current_version}")
    return found


def get_version(uow: UnitOfWork, playbook_id: str, number: int) -> PlaybookVersion:
    found = uow.session.scalar(
        select(PlaybookVersion).where(
            PlaybookVersion.playbook_id == playbook_id, PlaybookVersion.version == number
        )
    )
    if found is None:
        raise NotFound(f"this playbook has no version {number}")
    return found


def definition_of(version: PlaybookVersion) -> PlaybookDef:
    """The validated document of a saved version."""
    return PlaybookDef.model_validate(version.definition)
