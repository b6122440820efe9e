"""How security alerts are grouped by shared observables (one settings row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.correlation.ignore_list import DEFAULT_IGNORED, IgnoreList
from muster.domain.correlation.models import CorrelationSettings
from muster.domain.correlation.schemas import SettingsIn
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event

ROW_ID = "default"
DEFAULT_WINDOW_MINUTES = 60
DEFAULT_KINDS = ("ip", "user-account", "hostname")


@dataclass(frozen=True)
class Grouping:
    window: timedelta
    kinds: frozenset[str]
    ignore: IgnoreList


def get_settings(uow: UnitOfWork) -> SettingsIn:
    """The settings in force (``ignored`` always given)."""
    row = uow.session.get(CorrelationSettings, ROW_ID)
    if row is None:
        return SettingsIn(window_minutes=DEFAULT_WINDOW_MINUTES, kinds=list(DEFAULT_KINDS),
                          ignored=list(DEFAULT_IGNORED))  # fmt: skip
    return SettingsIn.model_validate(
        {"window_minutes": row.window_minutes, "kinds": row.kinds, "ignored": row.ignored}
    )


def grouping(uow: UnitOfWork) -> Grouping:
    s = get_settings(uow)
    return Grouping(timedelta(minutes=s.window_minutes), frozenset(s.kinds),
                    IgnoreList.of(s.ignored or ()))  # fmt: skip


def do_update_settings(uow: UnitOfWork, actor: Actor, data: SettingsIn) -> SettingsIn:
    """Change the window, kinds or ignored values (``correlation.settings_changed`` with
    ``changes: {field: [before, after]}``; nothing changed records nothing); alerts
    already grouped stay where they are. ``data.ignored`` None keeps the list.
    Precondition: admin role."""
    require(actor, Role.ADMIN)
    before = get_settings(uow)
    kinds = list(dict.fromkeys(data.kinds))
    ignored = list(before.ignored or ()) if data.ignored is None else data.ignored
    row = uow.session.get(CorrelationSettings, ROW_ID)
    if row is None:
        row = CorrelationSettings(id=ROW_ID, window_minutes=before.window_minutes,
                                  kinds=list(before.kinds), ignored=list(before.ignored or ()),
                                  updated_at=uow.now)  # fmt: skip
        uow.session.add(row)
    changes: dict[str, list[object]] = {}
    if data.window_minutes != before.window_minutes:
        changes["window_minutes"] = [before.window_minutes, data.window_minutes]
    if kinds != list(before.kinds):
        changes["kinds"] = [list(before.kinds), kinds]
    if ignored != list(before.ignored or ()):
        changes["ignored"] = [list(before.ignored or ()), ignored]
    row.window_minutes, row.kinds, row.ignored = data.window_minutes, kinds, ignored
    if changes:
        row.updated_at = uow.now
        append_event(uow, actor, "correlation.settings_changed", subject_type="correlation",
                     subject_id=ROW_ID, data={"changes": changes})  # fmt: skip
    uow.flush()
    return get_settings(uow)
