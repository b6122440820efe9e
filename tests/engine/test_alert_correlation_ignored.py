"""Values too common to correlate by (the settings' ignore list: loopback, link-local,
``localhost`` by default; an admin adds a resolver or a gateway network) are recorded as
the alert's observables but neither group alerts nor link them to an incident."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from correlation_support import door, group_alerts, ingest, suricata, wazuh
from helpers import SYSTEM
from incident_support import Cast, build_cast, declare, incident_events
from muster.db.uow import Database
from muster.domain.correlation.ignore_list import DEFAULT_IGNORED
from muster.domain.correlation.models import AlertClusterMember, AlertObservable
from muster.domain.correlation.schemas import SettingsIn
from muster.domain.correlation.settings import do_update_settings
from muster.domain.incidents.links import incident_of_group
from muster.domain.investigation.observables import do_add_observable
from muster.domain.investigation.schemas import ObservableIn


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def set_ignored(db: Database, *extra: str, kinds: tuple[str, ...] = ("ip",)) -> None:
    with db.unit_of_work() as uow:
        do_update_settings(uow, SYSTEM, SettingsIn(window_minutes=60, kinds=list(kinds),
                                                   ignored=[*DEFAULT_IGNORED, *extra]))  # fmt: skip
        uow.commit()


def shared_by_member(db: Database) -> dict[str, list[str]]:
    with db.unit_of_work(readonly=True) as uow:
        return {
            m.alert_id: [s["value"] for s in m.shared]
            for m in uow.session.scalars(select(AlertClusterMember))
        }


def observed(db: Database, alert_id: str) -> set[str]:
    with db.unit_of_work(readonly=True) as uow:
        return set(uow.session.scalars(
            select(AlertObservable.value).where(AlertObservable.alert_id == alert_id)))  # fmt: skip


def test_loopback_alone_groups_nothing_by_default_but_a_gateway_still_does(
    db: Database, cast: Cast
) -> None:
    hids = door(db, cast.service, "wazuh")
    nids = door(db, cast.service, "suricata")
    first, _ = ingest(db, hids, wazuh(src_ip="127.0.0.1", user="alice"))
    second, _ = ingest(db, nids, suricata(src_ip="127.0.0.1"))
    assert group_alerts(db) == 2
    assert "127.0.0.1" in observed(db, first)  # recorded all the same
    assert "127.0.0.1" in observed(db, second)
    # They also share the agent's address 10.0.0.15, which is not ignored by default.
    assert shared_by_member(db) == {first: [], second: ["10.0.0.15"]}


def test_an_ignored_network_neither_groups_nor_shows_as_the_reason(
    db: Database, cast: Cast
) -> None:
    set_ignored(db, "10.0.0.0/24")
    hids = door(db, cast.service, "wazuh")
    nids = door(db, cast.service, "suricata")
    first, _ = ingest(db, hids, wazuh(src_ip="127.0.0.1", user="alice"))
    second, _ = ingest(db, nids, suricata(src_ip="127.0.0.1", flow="1"))
    assert group_alerts(db) == 2
    assert shared_by_member(db) == {}
    assert {"127.0.0.1", "10.0.0.15"} <= observed(db, first)
    assert {"127.0.0.1", "10.0.0.15"} <= observed(db, second)

    third, _ = ingest(db, hids, wazuh(src_ip="203.0.113.7", user="bob"))
    fourth, _ = ingest(db, nids, suricata(src_ip="203.0.113.7", flow="2"))
    assert group_alerts(db) == 2
    assert shared_by_member(db) == {third: [], fourth: ["203.0.113.7"]}


def test_an_exact_value_of_any_kind_is_ignored(db: Database, cast: Cast) -> None:
    set_ignored(db, "Alice", kinds=("user-account",))
    hids = door(db, cast.service, "wazuh")
    ingest(db, hids, wazuh(src_ip="198.51.100.1", user="alice"))
    ingest(db, hids, wazuh(src_ip="198.51.100.2", user="alice"))
    assert group_alerts(db) == 2
    assert shared_by_member(db) == {}


def test_an_ignored_value_on_an_open_incident_links_nothing(db: Database, cast: Cast) -> None:
    set_ignored(db, "10.0.0.53")  # the DNS resolver
    incident = declare(db, cast.ic, title="Odd lookups", type="security")
    with db.unit_of_work() as uow:
        do_add_observable(uow, cast.ic, incident, ObservableIn(kind="ip", value="10.0.0.53"))
        do_add_observable(uow, cast.ic, incident, ObservableIn(kind="ip", value="127.0.0.1"))
        uow.commit()
    nids = door(db, cast.service, "suricata")
    ignored_alert, ignored_group = ingest(db, nids, suricata(src_ip="10.0.0.53", flow="1"))
    loopback_alert, loopback_group = ingest(db, nids, suricata(src_ip="127.0.0.1", flow="2"))
    assert group_alerts(db) == 2
    with db.unit_of_work(readonly=True) as uow:
        assert incident_of_group(uow, ignored_group) is None
        assert incident_of_group(uow, loopback_group) is None
    assert "10.0.0.53" in observed(db, ignored_alert)
    assert "127.0.0.1" in observed(db, loopback_alert)
    assert [
        e for e in incident_events(db, incident) if e.type == "incident.observable_sighted"
    ] == []

    # Taken off the list, the same value links the next alert.
    set_ignored(db)
    _alert, group = ingest(db, nids, suricata(src_ip="10.0.0.53", flow="3"))
    assert group_alerts(db) == 1
    with db.unit_of_work(readonly=True) as uow:
        holder = incident_of_group(uow, group)
        assert holder is not None
        assert holder.id == incident
