"""``regimes/``: notification regimes by key, with their reports in order (the built-in
ones included: a file for one adopts it). A report's business days may name a holiday
calendar by key. A removed file archives the regime (incidents that apply it keep it);
a file for an archived regime brings it back."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.compliance.models import Regime
from muster.domain.compliance.regime_schemas import (
    Key,
    Name,
    RegimeCreate,
    RegimeUpdate,
    ReportIn,
    Text,
)
from muster.domain.compliance.regimes import (
    do_archive_regime,
    do_create_regime,
    do_restore_regime,
    do_update_regime,
    regimes,
    reports_of,
)
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.events.actor import Actor


class RegimeDoc(FileSchema):
    key: Key
    name: Name
    description: Text = ""
    proposed: bool = False
    reports: list[ReportIn] = Field(min_length=1, max_length=20)


class RegimesKind:
    folder: ClassVar[str] = "regimes"
    key: ClassVar[str] = "key"
    label: ClassVar[str] = "regime"
    schema: ClassVar[type[FileSchema]] = RegimeDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.key)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        out: dict[str, Current] = {}
        for regime in regimes(uow):
            reports = [
                ReportIn.model_construct(**{f: getattr(r, f) for f in ReportIn.model_fields})
                for r in reports_of(uow, regime.id)
            ]
            doc = RegimeDoc.model_construct(
                key=regime.key, name=regime.name, description=regime.description,
                proposed=regime.proposed, reports=reports,
            )  # fmt: skip
            out[regime.key] = (regime.id, dump_doc(doc))
        return out

    def references(self, doc: Any) -> list[Ref]:
        assert isinstance(doc, RegimeDoc)
        return [
            Ref(("reports", i, "holiday_calendar"), "holiday_calendars", r.holiday_calendar)
            for i, r in enumerate(doc.reports)
            if r.holiday_calendar is not None
        ]

    def create(self, uow: UnitOfWork, actor: Actor, doc: RegimeDoc) -> str:
        archived = uow.session.scalar(select(Regime).where(Regime.key == doc.key))
        if archived is not None:  # only archived ones are missing from current()
            do_restore_regime(uow, actor, archived.id)
            self.update(uow, actor, archived.id, doc)
            return archived.id
        data = RegimeCreate(
            key=doc.key, name=doc.name, description=doc.description, proposed=doc.proposed,
            reports=doc.reports,
        )  # fmt: skip
        return do_create_regime(uow, actor, data).id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: RegimeDoc) -> None:
        data = RegimeUpdate(
            name=doc.name, description=doc.description, proposed=doc.proposed,
            reports=doc.reports,
        )  # fmt: skip
        do_update_regime(uow, actor, object_id, data)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_archive_regime(uow, actor, object_id)
