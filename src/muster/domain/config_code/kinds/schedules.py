"""``schedules/``: on-call schedules by name, with their team, zone and layers (the one
that wins first at the top), each layer's rotation naming its people by email.

A file describes each layer's rotation in force now (else the next one planned); a
changed rotation is set from now on, so who was on call before stays as it was. Layers
are matched by name: a layer missing from the file is removed from now on, a new name
adds a layer, and a changed order reorders the layers from now.

Overrides, shift swaps and temporary schedules are not configuration: they are one-off
changes people make while on call (often hours before the shift), so they are neither
exported nor touched by ``muster config apply`` — applying the files never cancels one.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, ClassVar, cast

from pydantic import AwareDatetime, Field, model_validator
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, User
from muster.domain.accounts.schemas import Description, Email, TimeZone
from muster.domain.catalog.schemas import ServiceName
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.config_code.kinds.lookup import id_named, live, names_by_id
from muster.domain.events.actor import Actor
from muster.domain.oncall.load import get_schedule
from muster.domain.oncall.models import RotationVersion, Schedule, ScheduleLayer
from muster.domain.oncall.schemas import (
    MAX_PARTICIPANTS,
    LayerCreate,
    LayerName,
    LayerOrder,
    LayerRename,
    RestrictionIn,
    RotationIn,
    ScheduleCreate,
    ScheduleName,
    ScheduleUpdate,
    TurnUnit,
)
from muster.domain.oncall.service import (
    active_layers,
    current_version,
    do_add_layer,
    do_archive_schedule,
    do_create_schedule,
    do_remove_layer,
    do_rename_layer,
    do_reorder_layers,
    do_set_rotation,
    do_update_schedule,
)

MAX_LAYERS = 50


class RotationDoc(FileSchema):
    participants: list[Email] = Field(min_length=1, max_length=MAX_PARTICIPANTS)
    start: AwareDatetime
    turn_length: int = Field(ge=1, le=1000)
    turn_unit: TurnUnit
    restrictions: list[RestrictionIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _utc(self) -> RotationDoc:
        self.start = self.start.astimezone(UTC)
        return self


class LayerDoc(FileSchema):
    name: LayerName
    rotation: RotationDoc | None = None


class ScheduleDoc(FileSchema):
    name: ScheduleName
    description: Description = ""
    team: ServiceName
    time_zone: TimeZone
    layers: list[LayerDoc] = Field(default_factory=list, max_length=MAX_LAYERS)

    @model_validator(mode="after")
    def _unique_layers(self) -> ScheduleDoc:
        if len({layer.name.lower() for layer in self.layers}) != len(self.layers):
            raise ValueError("a layer name is used twice")
        return self


def _rotation(version: RotationVersion | None, emails: dict[str, str]) -> RotationDoc | None:
    if version is None:
        return None
    return RotationDoc.model_construct(
        participants=[emails.get(p, p) for p in version.participants],
        start=version.start.astimezone(UTC),
        turn_length=version.turn_length,
        turn_unit=cast(Any, version.turn_unit),
        restrictions=[RestrictionIn.model_construct(**r) for r in version.restrictions],
    )


def _same(a: RotationDoc | None, b: RotationDoc | None) -> bool:
    if a is None or b is None:
        return a is b
    return dump_doc(a) == dump_doc(b)


class SchedulesKind:
    folder: ClassVar[str] = "schedules"
    key: ClassVar[str] = "name"
    label: ClassVar[str] = "schedule"
    schema: ClassVar[type[FileSchema]] = ScheduleDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.name)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        teams, emails = names_by_id(uow, Team), names_by_id(uow, User, column="email")
        layers: dict[str, list[ScheduleLayer]] = {}
        for layer in uow.session.scalars(
            select(ScheduleLayer).where(ScheduleLayer.removed_at.is_(None))
        ):
            layers.setdefault(layer.schedule_id, []).append(layer)
        out: dict[str, Current] = {}
        for schedule in live(uow, Schedule):
            ordered = sorted(layers.get(schedule.id, []), key=lambda lv: lv.rank, reverse=True)
            doc = ScheduleDoc.model_construct(
                name=schedule.name, description=schedule.description,
                team=teams.get(schedule.team_id, schedule.team_id), time_zone=schedule.time_zone,
                layers=[LayerDoc.model_construct(
                    name=lv.name, rotation=_rotation(current_version(lv, uow.now), emails))
                    for lv in ordered],
            )  # fmt: skip
            out[schedule.name] = (schedule.id, dump_doc(doc))
        return out

    def references(self, doc: Any) -> list[Ref]:
        assert isinstance(doc, ScheduleDoc)
        refs = [Ref(("team",), "teams", doc.team)]
        for i, layer in enumerate(doc.layers):
            for j, email in enumerate(layer.rotation.participants if layer.rotation else []):
                refs.append(Ref(("layers", i, "rotation", "participants", j), "users", email))
        return refs

    def create(self, uow: UnitOfWork, actor: Actor, doc: ScheduleDoc) -> str:
        schedule = do_create_schedule(
            uow, actor,
            ScheduleCreate(name=doc.name, description=doc.description, time_zone=doc.time_zone,
                           team_id=id_named(uow, Team, doc.team, field="team")),
        )  # fmt: skip
        self._layers(uow, actor, schedule.id, doc)
        return schedule.id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: ScheduleDoc) -> None:
        do_update_schedule(
            uow, actor, object_id,
            ScheduleUpdate(name=doc.name, description=doc.description, time_zone=doc.time_zone,
                           team_id=id_named(uow, Team, doc.team, field="team")),
        )  # fmt: skip
        self._layers(uow, actor, object_id, doc)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_archive_schedule(uow, actor, object_id)

    def _layers(self, uow: UnitOfWork, actor: Actor, schedule_id: str, doc: ScheduleDoc) -> None:
        """Remove, add, rename (case), reorder, then set the rotations that differ."""
        schedule = get_schedule(uow, schedule_id)
        emails = names_by_id(uow, User, column="email")
        wanted = {layer.name.lower(): layer for layer in doc.layers}
        have = {layer.name.lower(): layer for layer in active_layers(schedule)}
        for name, layer in list(have.items()):
            w = wanted.get(name)
            # A rotation cannot be unset: a layer that should have none starts afresh.
            if w is None or (w.rotation is None and current_version(layer, uow.now) is not None):
                do_remove_layer(uow, actor, schedule_id, layer.id)
                del have[name]
        for w in doc.layers:
            found = have.get(w.name.lower())
            if found is None:
                have[w.name.lower()] = do_add_layer(
                    uow, actor, schedule_id, LayerCreate(name=w.name)
                )
            elif found.name != w.name:
                do_rename_layer(uow, actor, schedule_id, found.id, LayerRename(name=w.name))
        order = [have[w.name.lower()].id for w in doc.layers]
        if order and order != [layer.id for layer in active_layers(schedule)]:
            do_reorder_layers(uow, actor, schedule_id, LayerOrder(layer_ids=order))
        for i, w in enumerate(doc.layers):
            layer = have[w.name.lower()]
            if w.rotation is None or _same(
                _rotation(current_version(layer, uow.now), emails), w.rotation
            ):
                continue
            field = f"layers.{i}.rotation.participants"
            do_set_rotation(
                uow, actor, schedule_id, layer.id,
                RotationIn(
                    participants=[id_named(uow, User, e, column="email", field=f"{field}.{j}")
                                  for j, e in enumerate(w.rotation.participants)],
                    start=w.rotation.start, turn_length=w.rotation.turn_length,
                    turn_unit=w.rotation.turn_unit, restrictions=w.rotation.restrictions,
                ),
            )  # fmt: skip
