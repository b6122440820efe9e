"""Security alerts correlated by shared observables: a Wazuh-shaped and a
Suricata-shaped alert on different services grouped by the source IP (and why), the
window, non-security alerts left alone, a third alert joining by the user, and a
sighting of an open incident's observable linking the alert to it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from correlation_support import door, group_alerts, ingest, suricata, wazuh
from helpers import SYSTEM
from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import Alert
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.correlation.models import AlertCluster, AlertClusterMember, AlertObservable
from muster.domain.correlation.schemas import SettingsIn
from muster.domain.correlation.settings import do_update_settings
from muster.domain.incidents.links import incident_of_group
from muster.domain.incidents.transitions import do_transition
from muster.domain.investigation.observables import do_add_observable
from muster.domain.investigation.schemas import ObservableIn
from muster.integrations.normalized import InboundAlert


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def other_service(db: Database, cast: Cast, name: str = "network") -> str:
    with db.unit_of_work() as uow:
        service = do_create_service(uow, SYSTEM, ServiceCreate(name=name, team_id=cast.team))
        uow.commit()
        return service.id


Members = dict[str, tuple[list[tuple[str, str]], str | None]]


def clusters(db: Database) -> dict[str, Members]:
    """cluster id → alert id → (shared (kind, value)s, via alert)."""
    with db.unit_of_work(readonly=True) as uow:
        out: dict[str, Members] = {}
        for m in uow.session.scalars(select(AlertClusterMember)):
            shared = [(s["kind"], s["value"]) for s in m.shared]
            out.setdefault(m.cluster_id, {})[m.alert_id] = (shared, m.via_alert_id)
        return out


def test_alerts_from_two_tools_sharing_a_source_ip_are_grouped(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    hids = door(db, cast.service, "wazuh")
    nids = door(db, other_service(db, cast), "suricata")
    first, _ = ingest(db, hids, wazuh())
    clock.advance(minutes=10)
    second, _ = ingest(db, nids, suricata())
    assert group_alerts(db) == 2
    ((cluster_id, members),) = clusters(db).items()
    assert members == {
        first: ([], None),
        second: ([("ip", "10.0.0.15"), ("ip", "203.0.113.7")], first),
    }
    with db.unit_of_work(readonly=True) as uow:
        cluster = uow.session.get_one(AlertCluster, cluster_id)
        assert cluster.alert_count == 2
        stored = set(uow.session.execute(select(AlertObservable.kind, AlertObservable.value).where(
            AlertObservable.alert_id == first)))  # fmt: skip
        assert {("ip", "203.0.113.7"), ("user-account", "alice"), ("hostname", "web-01"),
                ("ip", "10.0.0.15")} <= stored  # fmt: skip
    assert group_alerts(db) == 0  # read once


def test_a_third_alert_joins_by_the_user_and_the_window_is_kept(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    hids = door(db, cast.service, "wazuh")
    nids = door(db, other_service(db, cast), "suricata")
    _first, _ = ingest(db, hids, wazuh())
    _second, _ = ingest(db, nids, suricata())
    clock.advance(minutes=30)
    third, _ = ingest(db, hids, wazuh(src_ip="198.51.100.9", agent="db-02"))  # same user
    assert group_alerts(db) == 3
    ((_cluster, members),) = clusters(db).items()
    assert members[third][0][0] == ("user-account", "alice")
    assert ("hostname", "web-01") not in members[third][0]  # another host
    clock.advance(minutes=61)  # the default window is an hour
    ingest(db, nids, suricata(src_ip="198.51.100.9", flow="2"))
    assert group_alerts(db) == 1
    assert len(clusters(db)) == 1
    assert len(next(iter(clusters(db).values()))) == 3


def test_a_shorter_window_and_kinds_are_settings(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    with db.unit_of_work() as uow:
        do_update_settings(uow, SYSTEM, SettingsIn(window_minutes=5, kinds=["user-account"]))
        uow.commit()
    hids = door(db, cast.service, "wazuh")
    nids = door(db, cast.service, "suricata")
    ingest(db, hids, wazuh())
    ingest(db, nids, suricata())  # same IP, but IPs do not group now
    clock.advance(minutes=6)
    ingest(db, hids, wazuh(src_ip="192.0.2.1"))  # same user, after the window
    assert group_alerts(db) == 3
    assert clusters(db) == {}


def test_alerts_of_other_integrations_are_not_correlated(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    hids = door(db, cast.service, "wazuh")
    plain = door(db, cast.service, "pagerduty")
    ingest(db, hids, wazuh())
    alert_id, _ = ingest(db, plain, InboundAlert(
        action="trigger", dedup_key="pd", summary="Login failures from 203.0.113.7",
        severity="error", source="app"))  # fmt: skip
    assert group_alerts(db) == 1
    assert clusters(db) == {}
    with db.unit_of_work(readonly=True) as uow:
        assert (
            uow.session.scalar(
                select(AlertObservable.id).where(AlertObservable.alert_id == alert_id)
            )
            is None
        )


def test_a_sighting_of_an_open_incidents_observable_links_the_alert(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, title="SSH brute force", type="security")
    closed = declare(db, cast.ic, title="Old case", type="security")
    with db.unit_of_work() as uow:
        for target in (incident, closed):
            do_add_observable(uow, cast.ic, target, ObservableIn(kind="ip", value="203.0.113.7"))
        do_transition(uow, cast.ic, closed, "declined", note="noise")
        uow.commit()
    nids = door(db, cast.service, "suricata")
    alert_id, group_id = ingest(db, nids, suricata())
    assert group_alerts(db) == 1
    with db.unit_of_work(readonly=True) as uow:
        holder = incident_of_group(uow, group_id)
        assert holder is not None
        assert holder.id == incident
    sighted = [e for e in incident_events(db, incident) if e.type == "incident.observable_sighted"]
    assert len(sighted) == 1
    assert sighted[0].data["alert_id"] == alert_id
    assert sighted[0].data["linked"] is True
    assert sighted[0].data["observables"] == [{"kind": "ip", "value": "203.0.113.7"}]
    assert [e for e in incident_events(db, closed) if e.type == "incident.observable_sighted"] == []
    # Another alert in the same (now linked) group is not noted again.
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Alert, alert_id).group_id == group_id


def test_exercise_alerts_correlate_only_within_their_run(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, title="Real case", type="security")
    with db.unit_of_work() as uow:
        do_add_observable(uow, cast.ic, incident, ObservableIn(kind="ip", value="203.0.113.7"))
        uow.commit()
    hids = door(db, cast.service, "wazuh")
    nids = door(db, cast.service, "suricata")
    real, _ = ingest(db, hids, wazuh(user="bob"))
    drill, drill_group = ingest(db, nids, suricata())
    with db.unit_of_work() as uow:  # as an exercise integration tags it
        uow.session.get_one(Alert, drill).exercise_run_id = "01a00000-0000-7000-8000-00000000d111"
        uow.commit()
    assert group_alerts(db) == 2
    assert clusters(db) == {}
    with db.unit_of_work(readonly=True) as uow:
        holder = incident_of_group(uow, drill_group)
        assert holder is None or holder.id != incident
    sighted = [e for e in incident_events(db, incident) if e.type == "incident.observable_sighted"]
    assert [e.data["alert_id"] for e in sighted] == [real]
