"""Planning: what applying a directory of configuration files would create, change and
delete, after checking every file (schema, repeated names, references by name).

Objects are matched by kind and name. An object in the files and in Muster is changed
when its document differs, and adopted (marked managed, nothing else) when it is the
same but was not managed yet. An object in Muster and not in the files is deleted only
if it is managed (it came from files before); others are left alone.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.config_code.documents import Document, Located, dump, read_directory
from muster.domain.config_code.kind import Current, Kind, dump_doc
from muster.domain.config_code.models import ManagedObject
from muster.domain.config_code.registry import KINDS
from muster.errors import FieldError, InvalidInput

Action = Literal["create", "update", "adopt", "delete"]
MAX_REPORTED = 200


@dataclass
class Change:
    action: Action
    kind: Kind
    name: str
    object_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    model: BaseModel | None = None
    document: Document | None = None

    @property
    def file(self) -> str:
        return self.document.file if self.document else f"{self.kind.folder}/"

    def diff(self) -> list[str]:
        """The change as unified-diff lines of the YAML (empty for adopt)."""
        if self.action == "adopt":
            return []
        before = dump(self.before).splitlines() if self.before else []
        after = dump(self.after).splitlines() if self.after else []
        lines = difflib.unified_diff(before, after, lineterm="", n=2)
        return [line for line in lines if not line.startswith(("---", "+++"))]


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    unmanaged: dict[str, int] = field(default_factory=dict)  # kind -> objects left alone

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def empty(self) -> bool:
        return not self.changes


def invalid(problems: list[Located]) -> InvalidInput:
    """The error listing every problem as ``file:line``, reason."""
    problems = sorted(problems, key=lambda p: (p.file, p.line, p.reason))
    shown = problems[:MAX_REPORTED]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return InvalidInput(
        f"configuration not applied: {shown[0]}{more}",
        errors=[FieldError(f"{p.file}:{p.line}" if p.line else p.file, p.reason) for p in shown],
    )


def make_plan(uow: UnitOfWork, root: Path) -> Plan:
    """The plan for the files under ``root``; :class:`InvalidInput` naming every problem
    with its file and line when any file is not usable."""
    docs, problems = read_directory(root, [k.folder for k in KINDS])
    by_folder = {k.folder: k for k in KINDS}
    desired: dict[str, dict[str, tuple[Document, BaseModel]]] = {k.folder: {} for k in KINDS}
    for doc in docs:
        problems.extend(doc.problems)
        if doc.problems:
            continue
        model = _validate(by_folder[doc.kind], doc, problems)
        if model is None:
            continue
        key = by_folder[doc.kind].key
        name = by_folder[doc.kind].name_of(model)
        seen = desired[doc.kind].get(name)
        if seen is not None:
            problems.append(doc.problem([key], f"{key} {name!r} is also used by {seen[0].file}"))
            continue
        desired[doc.kind][name] = (doc, model)
    current = {k.folder: k.current(uow) for k in KINDS}
    managed = _managed_ids(uow)
    deleting = {
        k.folder: {n for n, (oid, _) in current[k.folder].items()
                   if oid in managed.get(k.folder, set()) and n not in desired[k.folder]}
        for k in KINDS
    }  # fmt: skip
    for kind in KINDS:
        for doc, model in desired[kind.folder].values():
            for ref in kind.references(model):
                known = ref.name in desired[ref.kind] or (
                    ref.name in current[ref.kind] and ref.name not in deleting[ref.kind]
                )
                if not known:
                    label = by_folder[ref.kind].label
                    problems.append(
                        doc.problem(
                            ref.path, f"no {label} named {ref.name!r} in the files or in Muster"
                        )
                    )
    if problems:
        raise invalid(problems)
    return _changes(desired, current, managed, deleting)


def _validate(kind: Kind, doc: Document, problems: list[Located]) -> BaseModel | None:
    try:
        return kind.schema.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [p for p in err["loc"] if isinstance(p, str | int)]
            where = ".".join(str(p) for p in loc)
            reason = str(err["msg"])
            problems.append(doc.problem(loc, f"{where}: {reason}" if where else reason))
        return None


def _managed_ids(uow: UnitOfWork) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for kind, object_id in uow.session.execute(select(ManagedObject.kind, ManagedObject.object_id)):
        out.setdefault(kind, set()).add(object_id)
    return out


def _changes(
    desired: dict[str, dict[str, tuple[Document, BaseModel]]],
    current: dict[str, dict[str, Current]],
    managed: dict[str, set[str]],
    deleting: dict[str, set[str]],
) -> Plan:
    plan = Plan()
    for kind in KINDS:
        have, marks = current[kind.folder], managed.get(kind.folder, set())
        for name in sorted(desired[kind.folder]):
            doc, model = desired[kind.folder][name]
            after = dump_doc(model)
            if name not in have:
                plan.changes.append(
                    Change("create", kind, name, after=after, model=model, document=doc)
                )
                continue
            object_id, before = have[name]
            if before != after:
                plan.changes.append(
                    Change("update", kind, name, object_id, before, after, model, doc)
                )
            elif object_id not in marks:
                plan.changes.append(
                    Change("adopt", kind, name, object_id, before, after, model, doc)
                )
        left = [n for n in have if n not in desired[kind.folder] and n not in deleting[kind.folder]]
        if left:
            plan.unmanaged[kind.folder] = len(left)
    for kind in reversed(KINDS):
        for name in sorted(deleting[kind.folder]):
            object_id, before = current[kind.folder][name]
            plan.changes.append(Change("delete", kind, name, object_id, before=before))
    return plan
