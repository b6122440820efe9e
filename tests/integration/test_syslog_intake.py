"""CEF over syslog through the real listener: UDP datagrams and TCP streams (octet
counting and line framing), routed by APP-NAME = key or by the vendor/product match,
unroutable and malformed messages dropped and counted."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.integrations import do_create_integration, do_revoke_integration
from muster.domain.alerts.models import Alert
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.inbound.syslog import SyslogListener
from muster.metrics import REGISTRY

FIREWALL = ("CEF:0|Check Point|VPN-1 & FireWall-1|R81.20|Drop|Drop|7|act=Drop src=203.0.113.45 "
            "spt=51040 dst=10.20.0.11 dpt=3389 dvchost=fw-edge-1 msg=Connection dropped")  # fmt: skip
MALWARE = ("CEF:0|Trend Micro|Deep Security Agent|20.0|4000030|Malware Detected|9|dvchost=WS-0042 "
           "suser=jdoe fileHash=5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef")  # fmt: skip


@pytest.fixture
def keys(db: Database) -> dict[str, str]:
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="SecOps"))
        edge = do_create_service(uow, SYSTEM, ServiceCreate(name="edge", team_id=team.id))
        endpoints = do_create_service(uow, SYSTEM, ServiceCreate(name="endpoints", team_id=team.id))
        firewall = do_create_integration(uow, SYSTEM, edge.id, IntegrationCreate(type="cef"))
        do_create_integration(uow, SYSTEM, endpoints.id, IntegrationCreate(
            type="cef", config={"match": [{"vendor": "trend micro"}]}))  # fmt: skip
        revoked = do_create_integration(uow, SYSTEM, edge.id, IntegrationCreate(type="cef"))
        do_revoke_integration(uow, SYSTEM, revoked.id)
        uow.commit()
        return {"firewall": firewall.key, "edge": edge.id, "endpoints": endpoints.id,
                "revoked": revoked.key}  # fmt: skip


@pytest.fixture
def listener(db: Database) -> Iterator[SyslogListener]:
    server = SyslogListener(db, port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def alerts(db: Database) -> list[Alert]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Alert).order_by(Alert.dedup_key)))


def rejected(reason: str) -> float:
    return (
        REGISTRY.get_sample_value("muster_ingest_rejected_total", {"type": "cef", "reason": reason})
        or 0.0
    )


def udp(port: int, *messages: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for message in messages:
            sock.sendto(message, ("127.0.0.1", port))


def test_udp_routes_by_app_name_and_by_vendor(
    db: Database, keys: dict[str, str], listener: SyslogListener
) -> None:
    udp(listener.port,
        f"<134>1 2026-11-24T08:17:02Z fw-edge-1 {keys['firewall']} - - - {FIREWALL}".encode(),
        f"<86>Nov 24 08:18:00 ws-0042 dsa[881]: {MALWARE}".encode())  # fmt: skip
    assert listener.wait_processed(2)
    firewall, malware = alerts(db)
    assert firewall.service_id == keys["edge"]
    assert firewall.severity == "error"
    assert firewall.labels["src_ip"] == "203.0.113.45"
    assert malware.service_id == keys["endpoints"]
    assert malware.severity == "critical"
    assert malware.custom_details["security"]["user"] == "jdoe"


def test_tcp_octet_counting_and_lines_fold_repeats(
    db: Database, keys: dict[str, str], listener: SyslogListener
) -> None:
    framed = f"<134>1 - fw-edge-1 {keys['firewall']} - - - {FIREWALL}".encode()
    line = f"<13>Nov 24 08:18:00 ws-0042 {MALWARE}\n".encode()
    with socket.create_connection(("127.0.0.1", listener.port)) as sock:
        sock.sendall(str(len(framed)).encode() + b" " + framed + line)
        sock.sendall(str(len(framed)).encode() + b" " + framed)
    assert listener.wait_processed(3)
    firewall, malware = alerts(db)
    assert firewall.occurrences == 2
    assert malware.labels["device_vendor"] == "Trend Micro"


def test_unroutable_revoked_and_malformed_are_dropped_and_counted(
    db: Database, keys: dict[str, str], listener: SyslogListener
) -> None:
    unknown, malformed = rejected("unknown_key"), rejected("malformed")
    udp(listener.port,
        f"<134>1 - fw {keys['revoked']} - - - {FIREWALL}".encode(),  # revoked key, no match
        b"<134>1 - fw app - - - CEF:0|Nobody|Nothing|1|1|x|5|src=10.0.0.1",
        b"<134>Nov 24 08:18:00 fw sshd[1]: Accepted password for root",
        b"<134>1 - fw app - - - CEF:0|Acme|IDS|1.0|42")  # fmt: skip
    assert listener.wait_processed(4)
    assert alerts(db) == []
    assert rejected("unknown_key") - unknown == 2
    assert rejected("malformed") - malformed == 2


def test_oversized_tcp_frame_closes_the_connection(
    db: Database, keys: dict[str, str], listener: SyslogListener
) -> None:
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
        sock.sendall(b"999999 " + b"x" * 100)
        assert sock.recv(10) == b""  # closed by the listener
    assert alerts(db) == []
