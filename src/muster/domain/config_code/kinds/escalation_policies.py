"""``escalation_policies/``: policies by name; level targets name a user (email), a
schedule or a team."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, User
from muster.domain.accounts.schemas import Description
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.config_code.kinds.lookup import id_named, live, names_by_id
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.escalation.schemas import (
    MAX_LEVELS,
    MAX_TARGETS,
    AckTimeout,
    LevelIn,
    PolicyCreate,
    PolicyName,
    PolicyUpdate,
    RepeatCount,
    TargetIn,
)
from muster.domain.escalation.service import do_archive_policy, do_create_policy, do_update_policy
from muster.domain.events.actor import Actor
from muster.domain.oncall.models import Schedule

_FOLDERS = {"user": "users", "schedule": "schedules", "team": "teams"}
_MODELS: dict[str, tuple[Any, str]] = {
    "user": (User, "email"),
    "schedule": (Schedule, "name"),
    "team": (Team, "name"),
}


class TargetDoc(FileSchema):
    type: Literal["user", "schedule", "team"]
    name: str = Field(min_length=1, max_length=320)


class LevelDoc(FileSchema):
    delay_minutes: int = Field(ge=1, le=24 * 60)
    targets: list[TargetDoc] = Field(min_length=1, max_length=MAX_TARGETS)


class PolicyDoc(FileSchema):
    name: PolicyName
    description: Description = ""
    team: PolicyName
    repeat_count: RepeatCount = 0
    ack_timeout_minutes: AckTimeout | None = None
    levels: list[LevelDoc] = Field(min_length=1, max_length=MAX_LEVELS)


class EscalationPoliciesKind:
    folder: ClassVar[str] = "escalation_policies"
    key: ClassVar[str] = "name"
    label: ClassVar[str] = "escalation policy"
    schema: ClassVar[type[FileSchema]] = PolicyDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.name)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        names = {t: names_by_id(uow, m, column=c) for t, (m, c) in _MODELS.items()}
        out: dict[str, Current] = {}
        for policy in live(uow, EscalationPolicy):
            levels = [
                LevelDoc.model_construct(
                    delay_minutes=lv.delay_minutes,
                    targets=[
                        TargetDoc.model_construct(
                            type=t["type"], name=names[t["type"]].get(t["id"], t["id"])
                        )
                        for t in lv.targets
                    ],
                )
                for lv in policy.levels
            ]
            doc = PolicyDoc.model_construct(
                name=policy.name, description=policy.description,
                team=names["team"].get(policy.team_id, policy.team_id),
                repeat_count=policy.repeat_count, ack_timeout_minutes=policy.ack_timeout_minutes,
                levels=levels,
            )  # fmt: skip
            out[policy.name] = (policy.id, dump_doc(doc))
        return out

    def references(self, doc: Any) -> list[Ref]:
        assert isinstance(doc, PolicyDoc)
        refs = [Ref(("team",), "teams", doc.team)]
        for i, level in enumerate(doc.levels):
            for j, t in enumerate(level.targets):
                refs.append(Ref(("levels", i, "targets", j, "name"), _FOLDERS[t.type], t.name))
        return refs

    def _levels(self, uow: UnitOfWork, doc: PolicyDoc) -> list[LevelIn]:
        return [
            LevelIn(
                delay_minutes=level.delay_minutes,
                targets=[
                    TargetIn(type=t.type, id=id_named(
                        uow, _MODELS[t.type][0], t.name, column=_MODELS[t.type][1],
                        field=f"levels.{i}.targets.{j}.name",
                    ))
                    for j, t in enumerate(level.targets)
                ],
            )
            for i, level in enumerate(doc.levels)
        ]  # fmt: skip

    def create(self, uow: UnitOfWork, actor: Actor, doc: PolicyDoc) -> str:
        policy = do_create_policy(
            uow, actor,
            PolicyCreate(
                name=doc.name, description=doc.description,
                team_id=id_named(uow, Team, doc.team, field="team"),
                repeat_count=doc.repeat_count, ack_timeout_minutes=doc.ack_timeout_minutes,
                levels=self._levels(uow, doc),
            ),
        )  # fmt: skip
        return policy.id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: PolicyDoc) -> None:
        do_update_policy(
            uow, actor, object_id,
            PolicyUpdate(
                name=doc.name, description=doc.description,
                team_id=id_named(uow, Team, doc.team, field="team"),
                repeat_count=doc.repeat_count, ack_timeout_minutes=doc.ack_timeout_minutes,
                levels=self._levels(uow, doc),
            ),
        )  # fmt: skip

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_archive_policy(uow, actor, object_id)
