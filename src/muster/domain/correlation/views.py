"""Reading correlation for people: a match with its site events, the matches of an
alert or incident, an alert cluster with why each alert is in it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert, Integration
from muster.domain.correlation.models import (
    AlertCluster,
    AlertClusterMember,
    CorrelationMatch,
    CorrelationMatchEvent,
)
from muster.domain.correlation.schemas import (
    ClusterMemberOut,
    ClusterOut,
    MatchEventOut,
    MatchOut,
)
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.sites.models import SiteEvent
from muster.errors import NotFound

MAX_LIST = 200


def _events(uow: UnitOfWork, match_ids: Sequence[str]) -> dict[str, list[MatchEventOut]]:
    rows = uow.session.execute(
        select(CorrelationMatchEvent.match_id, SiteEvent)
        .join(SiteEvent, SiteEvent.id == CorrelationMatchEvent.site_event_id)
        .where(CorrelationMatchEvent.match_id.in_(set(match_ids)))
        .order_by(SiteEvent.occurred_at, SiteEvent.id)
    )
    out: dict[str, list[MatchEventOut]] = {}
    for match_id, e in rows:
        out.setdefault(match_id, []).append(
            MatchEventOut(
                id=e.id,
                kind=e.kind,
                occurred_at=e.occurred_at,
                zone_id=e.zone_id,
                device_id=e.device_id,
                identity=e.identity,
                identity_kind=e.identity_kind,
            )
        )
    return out


def _out(
    rows: Sequence[CorrelationMatch], events: dict[str, list[MatchEventOut]]
) -> list[MatchOut]:
    return [
        MatchOut(
            id=m.id,
            rule_id=m.rule_id,
            rule_name=m.rule_name,
            site_id=m.site_id,
            zone_id=m.zone_id,
            first_event_at=m.first_event_at,
            last_event_at=m.last_event_at,
            matched_at=m.matched_at,
            alert_id=m.alert_id,
            incident_id=m.incident_id,
            events=events.get(m.id, []),
        )
        for m in rows
    ]


def get_match(uow: UnitOfWork, match_id: str) -> MatchOut:
    row = uow.session.get(CorrelationMatch, match_id)
    if row is None:
        raise NotFound("no such correlation match")
    return _out([row], _events(uow, [row.id]))[0]


def list_matches(
    uow: UnitOfWork, actor: Actor, *, alert_id: str | None = None,
    incident_id: str | None = None, rule_id: str | None = None, limit: int = 50,
) -> list[MatchOut]:  # fmt: skip
    """Matches, newest first, of an alert, an incident (visible to ``actor``:
    :class:`NotFound` otherwise) or a rule, or all."""
    query = select(CorrelationMatch)
    if alert_id:
        query = query.where(CorrelationMatch.alert_id == alert_id)
    if incident_id:
        get_visible_incident(uow, actor, incident_id)
        query = query.where(CorrelationMatch.incident_id == incident_id)
    if rule_id:
        query = query.where(CorrelationMatch.rule_id == rule_id)
    rows = uow.session.scalars(
        query.order_by(CorrelationMatch.matched_at.desc(), CorrelationMatch.id.desc()).limit(
            max(1, min(limit, MAX_LIST))
        )
    ).all()
    return _out(rows, _events(uow, [m.id for m in rows]))


def get_cluster(uow: UnitOfWork, cluster_id: str) -> ClusterOut:
    cluster = uow.session.get(AlertCluster, cluster_id)
    if cluster is None:
        raise NotFound("no such alert cluster")
    rows = uow.session.execute(
        select(AlertClusterMember, Alert, Integration.type)
        .join(Alert, Alert.id == AlertClusterMember.alert_id)
        .outerjoin(Integration, Integration.id == Alert.integration_id)
        .where(AlertClusterMember.cluster_id == cluster.id)
        .order_by(Alert.first_seen, Alert.id)
    )
    members = [
        ClusterMemberOut(
            alert_id=a.id,
            summary=a.summary,
            service_id=a.service_id,
            integration_type=type_,
            severity=a.severity,
            status=a.status,
            first_seen=a.first_seen,
            shared=m.shared,
            via_alert_id=m.via_alert_id,
            joined_at=m.joined_at,
        )
        for m, a, type_ in rows
    ]
    return ClusterOut(id=cluster.id, first_seen=cluster.first_seen, last_seen=cluster.last_seen,
                      alert_count=cluster.alert_count, members=members)  # fmt: skip


def cluster_of_alert(uow: UnitOfWork, alert_id: str) -> ClusterOut | None:
    member = uow.session.get(AlertClusterMember, alert_id)
    return None if member is None else get_cluster(uow, member.cluster_id)


def list_clusters(uow: UnitOfWork, *, limit: int = 50) -> list[AlertCluster]:
    """The clusters with the latest activity first."""
    return list(
        uow.session.scalars(
            select(AlertCluster)
            .order_by(AlertCluster.last_seen.desc(), AlertCluster.id.desc())
            .limit(max(1, min(limit, MAX_LIST)))
        )
    )


def alert_correlation(uow: UnitOfWork, actor: Actor, alert_id: str) -> dict[str, object] | None:
    """What the alert page shows: the alert's cluster (with why) and, for responders,
    the match that raised the alert; None when there is neither."""
    cluster = cluster_of_alert(uow, alert_id)
    matches = (
        list_matches(uow, actor, alert_id=alert_id, limit=5) if actor.role >= Role.RESPONDER else []
    )
    if cluster is None and not matches:
        return None
    return {"cluster": cluster, "matches": matches}
