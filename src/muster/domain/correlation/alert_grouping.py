"""Security alerts correlated by what they share (the engine's ``alert_correlation``
module calls :func:`react` with each new alert, in the order they arrived).

For an alert that came in through a security tool (:data:`SECURITY_TYPES`):

1. its observables are extracted (as incidents' are: :mod:`investigation.extract`) and
   kept in ``alert_observables``;
2. if an earlier security alert, of any tool or service, has a value of a grouping
   kind (source IP, user, host by default; :mod:`correlation.settings`) seen within the
   window, the alert joins that alert's cluster (one is started from the earlier
   alert if it has none), and the membership records which value and which alert;
3. if a value is already an observable of an open incident, the alert's group is
   linked to that incident (when no incident holds it) and the incident's timeline
   notes the sighting (``incident.observable_sighted``).

Values on the settings' ignore list (``localhost``, loopback and link-local addresses
by default: :mod:`correlation.ignore_list`) are kept in step 1 but take no part in 2 or 3.

An exercise's alerts (``exercise_run_id``) correlate only within their own run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert, Integration
from muster.domain.alerts.security_types import SECURITY_TYPES
from muster.domain.correlation.models import AlertCluster, AlertClusterMember, AlertObservable
from muster.domain.correlation.outcomes import CORRELATOR
from muster.domain.correlation.security_fields import security_fields
from muster.domain.correlation.settings import Grouping, grouping
from muster.domain.events.service import append_event
from muster.domain.incidents.links import do_link_alert_groups
from muster.domain.incidents.models import Incident, IncidentAlertGroup
from muster.domain.incidents.record import record
from muster.domain.investigation.auto import alert_values
from muster.domain.investigation.extract import Found, extract_payload
from muster.domain.investigation.models import Observable

PARTNERS = 200  # values of earlier alerts shared, looked at
KIND_ORDER = {"user-account": 0, "hostname": 1, "ip": 2}  # how the reason is listed
# An incident in these takes no new alerts by sighting.
NOT_OPEN = ("resolved", "in_review", "closed", "declined", "merged")


def same_run(column: Any, run_id: str | None) -> Any:
    """Real alerts correlate with real alerts and incidents only; an exercise's with
    its own run's only."""
    return column.is_(None) if run_id is None else column == run_id


def security_alerts(uow: UnitOfWork, alert_ids: Sequence[str]) -> list[Alert]:
    """Those of ``alert_ids`` that came in through a security tool, in the given order."""
    if not alert_ids:
        return []
    rows = {
        a.id: a
        for a in uow.session.scalars(
            select(Alert)
            .join(Integration, Integration.id == Alert.integration_id)
            .where(Alert.id.in_(set(alert_ids)), Integration.type.in_(SECURITY_TYPES))
        )
    }
    return [rows[i] for i in dict.fromkeys(alert_ids) if i in rows]


def react(uow: UnitOfWork, alert_ids: Sequence[str]) -> int:
    """Extract, group and look for sightings; returns how many alerts were read."""
    alerts = security_alerts(uow, alert_ids)
    settings = grouping(uow) if alerts else None
    for alert in alerts:
        assert settings is not None
        found = store_observables(uow, alert)
        telling = [f for f in found if not settings.ignore.ignores(f.kind, f.value)]
        join_cluster(uow, alert, telling, settings)
        link_sightings(uow, alert, telling)
    return len(alerts)


def store_observables(uow: UnitOfWork, alert: Alert) -> list[Found]:
    """Extract and keep the alert's observables (idempotent)."""
    found = list(
        dict.fromkeys(
            [
                *extract_payload(*alert_values(alert)),
                *security_fields(alert.labels, alert.custom_details),
            ]
        )
    )
    have = set(
        uow.session.execute(
            select(AlertObservable.kind, AlertObservable.value).where(
                AlertObservable.alert_id == alert.id
            )
        )
    )
    for f in found:
        if (f.kind, f.value) not in have:
            uow.session.add(AlertObservable(alert_id=alert.id, kind=f.kind, value=f.value,
                                            seen_at=alert.first_seen))  # fmt: skip
    uow.flush()
    return found


def join_cluster(
    uow: UnitOfWork, alert: Alert, found: Sequence[Found], settings: Grouping
) -> AlertClusterMember | None:
    """Put the alert in the cluster of the latest earlier alert it shares a value with."""
    wanted = {(f.kind, f.value) for f in found if f.kind in settings.kinds}
    if not wanted or uow.session.get(AlertClusterMember, alert.id) is not None:
        return None
    rows = uow.session.execute(
        select(AlertObservable.alert_id, AlertObservable.kind, AlertObservable.value)
        .join(Alert, Alert.id == AlertObservable.alert_id)
        .where(
            same_run(Alert.exercise_run_id, alert.exercise_run_id),
            AlertObservable.value.in_({v for _k, v in wanted}),
            AlertObservable.kind.in_({k for k, _v in wanted}),
            AlertObservable.alert_id != alert.id,
            AlertObservable.seen_at >= alert.first_seen - settings.window,
            AlertObservable.seen_at <= alert.first_seen,
        )
        .order_by(AlertObservable.seen_at.desc(), AlertObservable.alert_id)
        .limit(PARTNERS)
    )
    shares: dict[str, list[dict[str, str]]] = {}  # partner → shared values, latest first
    for partner, kind, value in rows:
        if (kind, value) in wanted:
            shares.setdefault(partner, []).append({"kind": kind, "value": value})
    if not shares:
        return None
    clustered = {
        m.alert_id: m
        for m in uow.session.scalars(
            select(AlertClusterMember).where(AlertClusterMember.alert_id.in_(set(shares)))
        )
    }
    # The latest partner already in a cluster, else the latest partner.
    via = next((p for p in shares if p in clustered), next(iter(shares)))
    shared = sorted(shares[via], key=lambda s: (KIND_ORDER.get(s["kind"], 99), s["value"]))
    now = uow.now
    if via in clustered:
        cluster = uow.session.get_one(AlertCluster, clustered[via].cluster_id)
    else:
        first = uow.session.get_one(Alert, via)
        cluster = AlertCluster(first_seen=first.first_seen, last_seen=first.first_seen,
                               alert_count=1)  # fmt: skip
        uow.session.add(cluster)
        uow.flush()
        uow.session.add(AlertClusterMember(alert_id=via, cluster_id=cluster.id, shared=[],
                                           via_alert_id=None, joined_at=now))  # fmt: skip
    member = AlertClusterMember(alert_id=alert.id, cluster_id=cluster.id, shared=shared,
                                via_alert_id=via, joined_at=now)  # fmt: skip
    uow.session.add(member)
    cluster.alert_count += 1
    cluster.last_seen = max(cluster.last_seen, alert.first_seen)
    uow.flush()
    append_event(uow, CORRELATOR, "alert_cluster.joined", subject_type="alert_cluster",
                 subject_id=cluster.id, data={"alert_id": alert.id, "via_alert_id": via,
                 "shared": shared, "service_id": alert.service_id})  # fmt: skip
    return member


def link_sightings(uow: UnitOfWork, alert: Alert, found: Sequence[Found]) -> int:
    """Note the alert on each open incident that has one of its values as an observable,
    linking its group to the first of them (oldest declared) if no incident holds it.
    Returns on how many incidents it was noted."""
    values = {(f.kind, f.value) for f in found}
    if not values:
        return 0
    rows = uow.session.execute(
        select(Incident, Observable.kind, Observable.value)
        .join(Observable, Observable.incident_id == Incident.id)
        .where(
            Observable.value.in_({v for _k, v in values}),
            Incident.status.not_in(NOT_OPEN),
            same_run(Incident.exercise_run_id, alert.exercise_run_id),
        )
        .order_by(Incident.declared_at, Incident.id, Observable.kind, Observable.value)
    )
    seen: dict[str, tuple[Incident, list[dict[str, str]]]] = {}
    for incident, kind, value in rows:
        if (kind, value) in values:
            seen.setdefault(incident.id, (incident, []))[1].append({"kind": kind, "value": value})
    if not seen:
        return 0
    holder = uow.session.scalar(
        select(IncidentAlertGroup.incident_id).where(IncidentAlertGroup.group_id == alert.group_id)
    )
    noted = 0
    for incident, shared in seen.values():
        if holder == incident.id:
            continue  # it came in through the incident's own alert group
        linked = holder is None
        if linked:
            do_link_alert_groups(uow, CORRELATOR, incident.id, [alert.group_id])
            holder = incident.id
        record(uow, CORRELATOR, incident, "incident.observable_sighted", alert_id=alert.id,
               group_id=alert.group_id, summary=alert.summary, service_id=alert.service_id,
               observables=shared[:10], linked=linked)  # fmt: skip
        noted += 1
    return noted
