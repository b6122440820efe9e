"""Real receivers for notification tests — an SMTP server (aiosmtpd) and an HTTP server
in threads on 127.0.0.1 — and a small paging world: a service, alert groups, people with
contact methods, and ``notification.requested`` events appended as escalation would."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from helpers import SYSTEM, Person, make_person
from muster.channels.fake import FakeChannel
from muster.config import NotifySettings, Settings
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import AlertGroup
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.events.actor import Actor, Via
from muster.domain.events.models import Event
from muster.domain.events.service import append_event
from muster.domain.notify.models import ContactMethod, OutboxMessage
from muster.domain.notify.schemas import MethodCreate, RuleCreate
from muster.domain.notify.service import do_add_method, do_add_rule
from muster.integrations.normalized import InboundAlert

ESCALATION = Actor.system(Via.ENGINE, label="engine")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- SMTP


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: list[str] = []  # replies to give instead of 250, one per message

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        raw = envelope.original_content or b""
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@dataclass
class SmtpSink:
    port: int
    inbox: _Inbox

    @property
    def messages(self) -> list[tuple[list[str], EmailMessage]]:
        return self.inbox.messages

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[list[str], EmailMessage]]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpSink(port, inbox)
    controller.stop()


# ---------------------------------------------------------------- HTTP


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpSink:
    port: int
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give, then 200
    answer: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    on_request: Callable[[Received], None] | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            item = Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                            self.rfile.read(length))  # fmt: skip
            status = sink.statuses.pop(0) if sink.statuses else 200
            if status < 300:
                sink.received.append(item)
                if sink.on_request:
                    sink.on_request(item)
            body = json.dumps(sink.answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()
    server.server_close()


def notify_settings(settings: Settings, smtp: SmtpSink | None = None, **notify: Any) -> Settings:
    """``settings`` sending mail to ``smtp`` and allowed to reach 127.0.0.1."""
    base = NotifySettings(
        smtp_host="127.0.0.1" if smtp else None, smtp_port=smtp.port if smtp else 25,
        smtp_tls="none", smtp_from="muster@muster.test", outbound_allow=("127.0.0.1/32",),
        connect_timeout=2.0, read_timeout=3.0,
    )  # fmt: skip
    return replace(settings, base_url="https://muster.test", email_domain="muster.test",
                   notify=replace(base, **notify))  # fmt: skip


def fakes() -> dict[str, FakeChannel]:
    return {"sms": FakeChannel("sms"), "voice": FakeChannel("voice")}


# ---------------------------------------------------------------- a paging world


@dataclass
class Paging:
    service: str
    integration: str
    alice: Person
    methods: dict[str, str]  # type -> contact method id of alice


def build_paging(
    db: Database, methods: dict[str, str], *, rules: list[tuple[str, str, int]] | None = None
) -> Paging:
    """alice, responder, with verified ``methods`` (type -> address) and ``rules``
    (urgency, type, delay); the service "checkout-api" has a PagerDuty door."""
    alice = make_person(db, "responder", "alice@example.com")
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        service = do_create_service(
            uow, SYSTEM, ServiceCreate(name="checkout-api", team_id=team.id)
        )
        door = do_create_integration(uow, SYSTEM, service.id, IntegrationCreate(type="pagerduty"))
        ids = {}
        for kind, address in methods.items():
            m = do_add_method(
                uow,
                SYSTEM,
                alice.id,
                MethodCreate(type=kind, label=kind, address=address, verified=True),
            )
            ids[kind] = m.id
        for urgency, kind, delay in rules or []:
            do_add_rule(
                uow,
                SYSTEM,
                alice.id,
                RuleCreate(urgency=urgency, contact_method_id=ids[kind], delay_minutes=delay),
            )
        uow.commit()
        return Paging(service.id, door.id, alice, ids)


def trigger(db: Database, paging: Paging, summary: str, severity: str = "critical") -> str:
    """A new alert group on the service; returns its id."""
    from muster.domain.alerts.models import Integration

    with db.unit_of_work() as uow:
        door = uow.session.get_one(Integration, paging.integration)
        alert = InboundAlert(action="trigger", dedup_key=summary, summary=summary,
                             severity=severity, source="test")  # type: ignore[arg-type]  # fmt: skip
        (outcome,) = do_ingest(uow, door, [alert])
        uow.commit()
        assert outcome.group_id
        return outcome.group_id


def request(db: Database, group_id: str, user_id: str, *, urgency: str = "high", level: int = 1,
            loop: int = 0, escalation_id: str = "esc-1") -> None:  # fmt: skip
    """Append ``notification.requested`` as the escalation engine does."""
    with db.unit_of_work() as uow:
        append_event(uow, ESCALATION, "notification.requested", subject_type="alert_group",
                     subject_id=group_id,
                     data={"user_id": user_id, "group_id": group_id, "escalation_id": escalation_id,
                           "level": level, "loop": loop, "urgency": urgency, "reason": "escalation"})  # fmt: skip
        uow.commit()


def outbox(db: Database, **where: Any) -> list[OutboxMessage]:
    with db.unit_of_work(readonly=True) as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.created_at, OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(uow.session.scalars(query))


def events(db: Database, group_id: str, prefix: str = "notification.") -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        query = select(Event).where(Event.subject_id == group_id, Event.type.startswith(prefix))
        return list(uow.session.scalars(query.order_by(Event.position)))


def group_status(db: Database, group_id: str) -> str:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.get_one(AlertGroup, group_id).status


def method(db: Database, method_id: str) -> ContactMethod:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.get_one(ContactMethod, method_id)
