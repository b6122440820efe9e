"""Intake's working set for one transaction, read and written in bulk.

What intake needs to decide about an inbound alert - the open alert of its key, the
key's recent history (flapping), the open group it may join, its service's settings - is
looked up for many keys at once and held here; the alerts and groups it creates, and the
counters it bumps, are held here too and written in one statement per kind at the unit
of work's next flush (see :meth:`muster.db.uow.UnitOfWork.defer`).

It lives in the unit of work's memo: it never outlives the transaction, nor a rollback.
Intake reads through it, and writes nothing through the ORM on its hot path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, bindparam, or_, select, update

from muster.db.bulk import insert_rows
from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import OPEN_STATUSES, Alert, AlertGroup, MaintenanceWindow
from muster.domain.catalog.models import Service

_ALERT_TABLE: Table = Alert.__table__  # type: ignore[assignment]
_GROUP_TABLE: Table = AlertGroup.__table__  # type: ignore[assignment]
_ALERTS = _ALERT_TABLE.c
_GROUPS = _GROUP_TABLE.c
_MEMO = "alerts.intake"
_CHUNK = 500  # keys per look-up statement (well under every bound-parameter limit)

# Built once: intake runs these for every batch.
_LOOK_UP = select(
    _ALERTS.id, _ALERTS.dedup_key, _ALERTS.group_id, _ALERTS.status, _ALERTS.flapping,
    _ALERTS.first_seen,
).where(
    _ALERTS.service_id == bindparam("service_id"),
    _ALERTS.dedup_key.in_(bindparam("keys", expanding=True)),
    or_(
        _ALERTS.status.in_(OPEN_STATUSES),
        _ALERTS.first_seen >= bindparam("since", type_=_ALERTS.first_seen.type),
    ),
)  # fmt: skip
_SERVICE = select(
    Service.id, Service.archived_at, Service.alert_grouping, Service.flap_threshold,
    Service.flap_window_minutes, Service.site_id, Service.exercise_run_id,
).where(Service.id == bindparam("service_id"))  # fmt: skip
_NOW = bindparam("now", type_=MaintenanceWindow.starts_at.type)
_MAINTENANCE = (
    select(MaintenanceWindow.reason)
    .where(
        MaintenanceWindow.service_id == bindparam("service_id"),
        MaintenanceWindow.starts_at <= _NOW,
        MaintenanceWindow.ends_at > _NOW,
        MaintenanceWindow.cancelled_at.is_(None),
    )
    .limit(1)
)
_COUNT_OCCURRENCES = (
    update(_ALERT_TABLE)
    .where(_ALERTS.id == bindparam("b_id"))
    .values(occurrences=_ALERTS.occurrences + bindparam("b_added"), last_seen=bindparam("b_seen"))
)
_UPDATE_GROUPS = (
    update(_GROUP_TABLE)
    .where(_GROUPS.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        severity=bindparam("b_severity"),
        alert_count=bindparam("b_count"),
        last_seen=bindparam("b_seen"),
    )
)


@dataclass(slots=True)
class OpenAlert:
    """An open alert of a (service, dedup key); ``row`` is its insert until written."""

    id: str
    group_id: str
    status: str
    row: dict[str, Any] | None = None


@dataclass(slots=True)
class OpenGroup:
    """An open alert group; ``row`` is its insert until written."""

    id: str
    status: str
    severity: str
    alert_count: int
    first_seen: datetime
    row: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    id: str
    archived: bool
    grouping: dict[str, Any]
    flap_threshold: int
    flap_window: timedelta
    site_id: str | None = None  # where its alerts are placed (muster.domain.sites.placement)
    exercise_run_id: str | None = None  # its alerts are exercise (muster.domain.exercises)


Key = tuple[str, str]  # (service id, dedup key)


class IntakeStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._open: dict[Key, OpenAlert | None] = {}
        self._history: dict[Key, list[bool]] = {}
        self._groups: dict[tuple[str, str], OpenGroup] = {}
        self._services: dict[str, ServiceSettings | None] = {}
        self._maintenance: dict[str, str | None] = {}
        self._new_alerts: list[OpenAlert] = []
        self._new_groups: list[OpenGroup] = []
        self._counted: dict[str, int] = {}  # stored alert id -> occurrences to add
        self._changed_groups: dict[str, OpenGroup] = {}  # stored groups joined
        # Intake's routing of each inbound alert, kept for the transaction (see ingest._route).
        self.routed: dict[tuple[int, str], Any] = {}
        self._scheduled = False

    @classmethod
    def of(cls, uow: UnitOfWork) -> IntakeStore:
        store: IntakeStore | None = uow.memo.get(_MEMO)
        if store is None:
            store = uow.memo[_MEMO] = cls(uow)
        return store

    @property
    def _conn(self) -> Connection:
        return self.uow.session.connection()

    # ------------------------------------------------------------------ reads

    def prefetch(self, keys: Iterable[Key]) -> None:
        """Look up, for every key not yet known, its open alert and its recent history:
        one statement per service and 500 keys, not two per key."""
        unknown: dict[str, set[str]] = defaultdict(set)
        for key in keys:
            if key not in self._open:
                unknown[key[0]].add(key[1])
        for service_id, dedup_keys in unknown.items():
            self._look_up(service_id, sorted(dedup_keys))

    def _look_up(self, service_id: str, dedup_keys: Sequence[str]) -> None:
        settings = self.service(service_id)
        since = self.uow.now - (settings.flap_window if settings else timedelta(0))
        for chunk in _chunks(dedup_keys):
            for k in chunk:
                self._open[(service_id, k)] = None
                self._history[(service_id, k)] = []
            rows = self._conn.execute(
                _LOOK_UP, {"service_id": service_id, "keys": list(chunk), "since": since}
            )
            for row in rows:
                key = (service_id, row.dedup_key)
                if row.status in OPEN_STATUSES:
                    self._open[key] = OpenAlert(row.id, row.group_id, row.status)
                if row.first_seen >= since:
                    self._history[key].append(bool(row.flapping))

    def known_new(self, key: Key) -> None:
        """A key made up here (the sender gave none): nothing is stored under it."""
        self._open[key] = None
        self._history[key] = []

    def open_alert(self, key: Key) -> OpenAlert | None:
        if key not in self._open:
            self._look_up(key[0], [key[1]])
        alert = self._open[key]
        return alert if alert is not None and alert.status in OPEN_STATUSES else None

    def history(self, key: Key) -> list[bool]:
        """The flapping flags of the key's alerts first seen within its service's window
        (looked up with its open alert, then kept up to date here)."""
        if key not in self._history:
            self._look_up(key[0], [key[1]])
        return self._history[key]

    def service(self, service_id: str) -> ServiceSettings | None:
        if service_id not in self._services:
            row = self._conn.execute(_SERVICE, {"service_id": service_id}).first()
            self._services[service_id] = (
                None
                if row is None
                else ServiceSettings(
                    id=row.id,
                    archived=row.archived_at is not None,
                    grouping=row.alert_grouping or {"mode": "none"},
                    flap_threshold=row.flap_threshold,
                    flap_window=timedelta(minutes=row.flap_window_minutes),
                    site_id=row.site_id,
                    exercise_run_id=row.exercise_run_id,
                )
            )
        return self._services[service_id]

    def maintenance_reason(self, service_id: str) -> str | None:
        """Why alerts of the service are suppressed now (a maintenance window), or None."""
        if service_id not in self._maintenance:
            reason = self._conn.execute(
                _MAINTENANCE, {"service_id": service_id, "now": self.uow.now}
            ).scalar()
            self._maintenance[service_id] = None if reason is None else f"maintenance: {reason}"
        return self._maintenance[service_id]

    def open_group(
        self, service_id: str, group_key: str, window: timedelta | None
    ) -> OpenGroup | None:
        """The newest open group of the key (opened within ``window``, if given)."""
        now = self.uow.now
        cached = self._groups.get((service_id, group_key))
        if (
            cached is not None
            and cached.status in OPEN_STATUSES
            and (window is None or cached.first_seen >= now - window)
        ):
            return cached
        query = select(
            _GROUPS.id, _GROUPS.status, _GROUPS.severity, _GROUPS.alert_count, _GROUPS.first_seen
        ).where(
            _GROUPS.service_id == service_id,
            _GROUPS.group_key == group_key,
            _GROUPS.status.in_(OPEN_STATUSES),
        )
        if window is not None:
            query = query.where(_GROUPS.first_seen >= now - window)
        row = self._conn.execute(query.order_by(_GROUPS.first_seen.desc()).limit(1)).first()
        if row is None:
            return None
        group = OpenGroup(row.id, row.status, row.severity, row.alert_count, row.first_seen)
        self._groups[(service_id, group_key)] = group
        return group

    def forget(self, alert: OpenAlert, status: str, group_status: str) -> None:
        """The alert and its group changed outside intake (acknowledged, resolved)."""
        alert.status = status
        for group in self._groups.values():
            if group.id == alert.group_id:
                group.status = group_status

    # ------------------------------------------------------------------ writes

    def add_group(self, row: dict[str, Any]) -> OpenGroup:
        group = OpenGroup(
            row["id"], row["status"], row["severity"], row["alert_count"], row["first_seen"], row
        )
        self._groups[(row["service_id"], row["group_key"])] = group
        self._new_groups.append(group)
        self._schedule()
        return group

    def add_alert(self, row: dict[str, Any]) -> OpenAlert:
        key = (row["service_id"], row["dedup_key"])
        alert = OpenAlert(row["id"], row["group_id"], row["status"], row)
        self._open[key] = alert
        self.history(key).append(row["flapping"])
        self._new_alerts.append(alert)
        self._schedule()
        return alert

    def count_occurrence(self, alert: OpenAlert) -> None:
        if alert.row is not None:
            alert.row["occurrences"] += 1
            alert.row["last_seen"] = self.uow.now
        else:
            self._counted[alert.id] = self._counted.get(alert.id, 0) + 1
            self._schedule()

    def join(self, group: OpenGroup, severity: str, severity_rank: dict[str, int]) -> bool:
        """Add an alert to the group; True if that re-opened an acknowledged group."""
        group.alert_count += 1
        if severity_rank[severity] > severity_rank.get(group.severity, 0):
            group.severity = severity
        reopened = group.status == "acknowledged"
        if reopened:
            group.status = "triggered"
        if group.row is not None:
            group.row.update(
                alert_count=group.alert_count,
                severity=group.severity,
                status=group.status,
                last_seen=self.uow.now,
            )
        else:
            self._changed_groups[group.id] = group
            self._schedule()
        return reopened

    def _schedule(self) -> None:
        """Have the unit of work write what is held at its next flush (once)."""
        if not self._scheduled:
            self._scheduled = True
            self.uow.defer(_MEMO, self._write)

    def _write(self) -> None:
        self._scheduled = False
        conn, now = self._conn, self.uow.now
        if self._new_groups:
            insert_rows(conn, _GROUP_TABLE, [g.row for g in self._new_groups if g.row is not None])
            for group in self._new_groups:
                group.row = None
            self._new_groups.clear()
        if self._new_alerts:
            insert_rows(conn, _ALERT_TABLE, [a.row for a in self._new_alerts if a.row is not None])
            for alert in self._new_alerts:
                alert.row = None
            self._new_alerts.clear()
        if self._counted:
            conn.execute(
                _COUNT_OCCURRENCES,
                [{"b_id": id, "b_added": n, "b_seen": now} for id, n in self._counted.items()],
            )
            self._counted.clear()
        if self._changed_groups:
            conn.execute(
                _UPDATE_GROUPS,
                [
                    {
                        "b_id": g.id,
                        "b_status": g.status,
                        "b_severity": g.severity,
                        "b_count": g.alert_count,
                        "b_seen": now,
                    }
                    for g in self._changed_groups.values()
                ],
            )
            self._changed_groups.clear()


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
