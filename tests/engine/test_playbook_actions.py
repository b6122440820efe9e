"""Action steps against a real local HTTP server: success with captured outputs, a 5xx
then success (same idempotency key, backoff), a 4xx failing at once and paging, a
timeout retried, a destination the outbound policy refuses, and a call whose worker
died before recording its outcome."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from incident_support import Cast, build_cast, declare
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.events.models import Event
from muster.domain.incidents.models import Task
from muster.domain.playbooks.secrets import do_set_secret
from muster.engine.modules.playbook_steps import PlaybookSteps
from muster.engine.runner import Runner
from playbook_support import (
    Engine,
    make_playbook,
    playbook_engine,
    run_state,
    start_run,
    step_of,
    step_statuses,
)

TOKEN = "tok-5ecret-value"


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A local HTTP server answering each request with the next scripted answer
    (status, JSON body, delay in seconds), then 200 ``{"id": "T-1", ...}``."""

    port: int = 0
    calls: list[Call] = field(default_factory=list)
    script: list[tuple[int, dict[str, Any], float]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            rec.calls.append(Call(self.command, self.path,
                                  {k.lower(): v for k, v in self.headers.items()},
                                  self.rfile.read(length)))  # fmt: skip
            status, answer, delay = (
                rec.script.pop(0) if rec.script
                else (200, {"id": "T-1", "echo": self.headers.get("authorization")}, 0.0)
            )  # fmt: skip
            time.sleep(delay)
            body = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Location", "/tickets/T-1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (a timeout test)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


@pytest.fixture
def edr_token(db: Database, settings: Settings) -> str:
    with db.unit_of_work() as uow:
        do_set_secret(uow, SYSTEM, "EDR_TOKEN", TOKEN, settings.secret_key)
        uow.commit()
    return TOKEN


@pytest.fixture
def engine(db: Database, settings: Settings, edr_token: str) -> Engine:
    return playbook_engine(db, settings)


def action(receiver: Receiver, **extra: Any) -> dict[str, Any]:
    return {
        "name": "isolate", "kind": "action", "method": "POST",
        "url": receiver.url("/hosts/{{ incident.number }}/isolate"),
        "headers": {"Authorization": "Bearer {{ secrets.EDR_TOKEN }}"},
        "body": '{"incident": "{{ incident.reference }}"}', **extra,
    }  # fmt: skip


def all_event_text(db: Database) -> str:
    with db.unit_of_work(readonly=True) as uow:
        return json.dumps([e.data for e in uow.session.scalars(select(Event))])


def test_an_action_calls_with_secrets_and_captures_the_answer(
    db: Database, cast: Cast, engine: Engine, receiver: Receiver
) -> None:
    incident_id = declare(db, cast.ic)
    capture = {"ticket": "body.id", "echo": "body.echo", "where": "headers.location",
               "code": "status"}  # fmt: skip
    playbook = make_playbook(db, [
        action(receiver, capture=capture),
        {"name": "follow", "kind": "tasks", "tasks": [{"title": "Follow {{ steps.isolate.ticket }}"}]},
    ])  # fmt: skip
    run_id = start_run(db, playbook, incident_id)
    engine.run()
    assert run_state(db, run_id) == ("succeeded", [("isolate", "done"), ("follow", "done")])
    (call,) = receiver.calls
    step = step_of(db, run_id, "isolate")
    assert (call.method, call.path) == ("POST", "/hosts/1/isolate")
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.headers["idempotency-key"] == step.id
    assert call.headers["content-type"] == "application/json"
    assert json.loads(call.body) == {"incident": "INC-1"}
    assert step.output == {"status": 200, "ticket": "T-1", "echo": "Bearer [secret]",
                           "where": "/tickets/T-1", "code": 200}  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalars(select(Task.title)).all() == ["Follow T-1"]
    assert TOKEN not in all_event_text(db)
    assert step.attempts == 1
    assert step.claimed_until is None


def test_a_server_error_is_retried_with_backoff_and_the_same_key(
    db: Database, cast: Cast, engine: Engine, receiver: Receiver, clock: ManualClock
) -> None:
    receiver.script = [(503, {"error": f"upstream down (token {TOKEN})"}, 0.0)]
    incident_id = declare(db, cast.ic)
    run_id = start_run(db, make_playbook(db, [action(receiver)]), incident_id)
    engine.run()
    step = step_of(db, run_id, "isolate")
    assert (step.status, step.attempts, step.due_at) == (
        "pending", 1, clock.now() + timedelta(seconds=30),
    )  # fmt: skip
    assert TOKEN not in (step.error or "")
    assert "[secret]" in (step.error or "")
    engine.later(clock, 0.45)
    assert len(receiver.calls) == 1
    engine.later(clock, 0.05)
    assert run_state(db, run_id) == ("succeeded", [("isolate", "done")])
    assert [c.headers["idempotency-key"] for c in receiver.calls] == [step.id, step.id]
    assert step_statuses(db, incident_id) == [("isolate", "retrying"), ("isolate", "done")]
    assert TOKEN not in all_event_text(db)


def test_a_client_error_fails_at_once_and_pages_the_declarer(
    db: Database, cast: Cast, engine: Engine, receiver: Receiver
) -> None:
    receiver.script = [(404, {"error": "no such host"}, 0.0)]
    incident_id = declare(db, cast.ic)
    run_id = start_run(db, make_playbook(db, [action(receiver, retries=5)]), incident_id)
    engine.run()
    assert run_state(db, run_id) == ("failed", [("isolate", "failed")])
    assert len(receiver.calls) == 1
    error = step_of(db, run_id, "isolate").error or ""
    assert error.startswith(f"POST {receiver.url('/hosts/1/isolate')} failed: answered 404")
    assert "no such host" in error
    (page,) = [m for m in engine.channels["email"].sent if "playbook failed" in m.subject]
    assert page.address == cast.ic.label
    assert "answered 404" in page.text


def test_a_timeout_is_retried(
    db: Database, cast: Cast, engine: Engine, receiver: Receiver, clock: ManualClock
) -> None:
    receiver.script = [(200, {"id": "late"}, 2.0)]
    incident_id = declare(db, cast.ic)
    step_def = action(receiver, timeout_seconds=1, retries=1, capture={"ticket": "body.id"})
    run_id = start_run(db, make_playbook(db, [step_def]), incident_id)
    engine.run()
    step = step_of(db, run_id, "isolate")
    assert step.status == "pending"
    assert "timed out" in (step.error or "")
    engine.later(clock, 0.5)
    assert run_state(db, run_id) == ("succeeded", [("isolate", "done")])
    assert step_of(db, run_id, "isolate").output == {"status": 200, "ticket": "T-1"}


def test_the_outbound_policy_refuses_a_private_address(
    db: Database, cast: Cast, settings: Settings, receiver: Receiver, edr_token: str
) -> None:
    incident_id = declare(db, cast.ic)
    run_id = start_run(db, make_playbook(db, [action(receiver)]), incident_id)
    runner = Runner(db, [PlaybookSteps(settings)])  # no allow-list: 127.0.0.1 is private
    assert not runner.run_until_idle().errors
    assert run_state(db, run_id) == ("failed", [("isolate", "failed")])
    assert "refused by the outbound policy" in (step_of(db, run_id, "isolate").error or "")
    assert receiver.calls == []


def test_a_call_whose_worker_died_is_made_again_with_the_same_key(
    db: Database, cast: Cast, engine: Engine, receiver: Receiver, clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    incident_id = declare(db, cast.ic)
    run_id = start_run(db, make_playbook(db, [action(receiver)]), incident_id)
    monkeypatch.setattr(PlaybookSteps, "perform", lambda *_a: None)  # dies after claiming
    engine.run()
    step = step_of(db, run_id, "isolate")
    assert (step.status, step.attempts, receiver.calls) == ("running", 1, [])
    monkeypatch.undo()
    engine = engine.restarted()
    engine.later(clock, 1)  # the lease (10 s x 2 + 60 s) has not run out
    assert step_of(db, run_id, "isolate").status == "running"
    engine.later(clock, 0.5)
    assert run_state(db, run_id) == ("succeeded", [("isolate", "done")])
    (call,) = receiver.calls
    assert call.headers["idempotency-key"] == step.id
    assert step_of(db, run_id, "isolate").attempts == 2
    assert step_statuses(db, incident_id) == [("isolate", "retrying"), ("isolate", "done")]
