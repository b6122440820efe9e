"""Receivers down, slow (beyond the timeouts) and answering garbage, with a real
``muster engine``, a real HTTP receiver and a real SMTP relay (aiosmtpd): a transient
failure is retried with the backoff of ``muster.domain.notify.delivery`` until the page's
tries run out, then the page falls through to the person's next method (email); a
refusal for good (HTTP 400) falls through at once; a receiver that hangs holds up
nobody else's pages; and each message ends sent or failed, never stuck."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update

from faults.receivers import smtp_port, webhooks
from faults.support import BACKENDS, audit_verify, database_url, engine, free_port, opened, running
from faults.world import build_world, pull_timers_forward, settled, trigger_groups
from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.events.models import Event
from muster.domain.notify.delivery import backoff
from muster.domain.notify.models import ContactMethod, OutboxMessage
from muster.domain.notify.outbox import MAX_ATTEMPTS
from muster.domain.notify.schemas import MethodCreate, RuleCreate
from muster.domain.notify.service import do_add_method, do_add_rule

FAULTS = ("slow", "garbage", "status:503", "down", "status:400")
GROUPS = 5
TIMEOUTS = {"MUSTER_OUTBOUND_CONNECT_TIMEOUT": "2", "MUSTER_OUTBOUND_READ_TIMEOUT": "3"}


def pull_retries_forward(db: Database, *, but: str | None = None) -> None:
    """Time passing for queued messages: a retry waiting for its backoff is due now (all
    but the message ``but``, which the test moves itself)."""
    now = db.clock.now()
    query = update(OutboxMessage).where(
        OutboxMessage.status == "queued", OutboxMessage.next_attempt_at > now
    )
    if but is not None:
        query = query.where(OutboxMessage.id != but)
    with db.engine.begin() as conn:
        conn.execute(query.values(next_attempt_at=now))
    pull_timers_forward(db)


def pull_one_forward(db: Database, outbox_id: str, attempts: int) -> None:
    """The retry after try ``attempts`` of one message is due now (once the receiver is
    set up for it: moved only while that try is the last one made)."""
    with db.engine.begin() as conn:
        conn.execute(update(OutboxMessage)
                     .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "queued",
                            OutboxMessage.attempts == attempts)
                     .values(next_attempt_at=db.clock.now()))  # fmt: skip


def email_fallback(db: Database, user_id: str) -> None:
    """``user_id`` is paged by webhook only; email is what a failed page falls to."""
    with db.unit_of_work() as uow:
        method = uow.session.scalars(
            select(ContactMethod).where(ContactMethod.user_id == user_id)
        ).one()
        do_add_rule(uow, SYSTEM, user_id,
                    RuleCreate(urgency="high", contact_method_id=method.id, delay_minutes=0))  # fmt: skip
        do_add_method(uow, SYSTEM, user_id, MethodCreate(
            type="email", label="mail", address=f"{user_id}@example.com", verified=True))  # fmt: skip
        uow.commit()


def pages(db: Database, user_id: str, method_type: str) -> list[OutboxMessage]:
    with db.unit_of_work(readonly=True) as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).where(
            OutboxMessage.user_id == user_id, OutboxMessage.method_type == method_type)))  # fmt: skip
        uow.session.expunge_all()
        return rows


def retries(db: Database) -> list[dict[str, Any]]:
    with db.unit_of_work(readonly=True) as uow:
        return [
            {**e.data, "occurred_at": e.occurred_at}
            for e in uow.session.scalars(select(Event).where(Event.type == "notification.retrying"))
        ]


@pytest.mark.xdist_group("faults")
@pytest.mark.parametrize("backend", BACKENDS)
def test_webhook_receivers_down_slow_and_garbage(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url, opened(url) as db, webhooks() as hooks, \
            smtp_port() as smtp:  # fmt: skip
        hooks.slow_seconds = 20
        world = build_world(db, users=1 + len(FAULTS), hook_base=hooks.url("/hook"), levels=1,
                            per_level=1 + len(FAULTS))  # fmt: skip
        ok, faulty = world.users[0], dict(zip(FAULTS, world.users[1:], strict=True))
        for fault, user_id in faulty.items():
            email_fallback(db, user_id)
            if fault == "down":  # nothing listens there
                with db.engine.begin() as conn:
                    conn.execute(text("UPDATE contact_methods SET address = :a "
                                      "WHERE user_id = :u AND type = 'webhook'"),
                                 {"a": f"http://127.0.0.1:{free_port()}/hook", "u": user_id})  # fmt: skip
            else:
                hooks.modes[f"/hook/{user_id}"] = fault
        worker = engine(url, tmp_path, "engine", MUSTER_SMTP_RELAY_HOST="127.0.0.1",
                        MUSTER_SMTP_RELAY_PORT=str(smtp.box.port), MUSTER_SMTP_RELAY_TLS="none",
                        MUSTER_NOTIFY_LEASE_SECONDS="30", **TIMEOUTS)  # fmt: skip
        stop = threading.Event()
        opened_at: dict[str, float] = {}

        def time_passes() -> None:
            while not stop.wait(0.3):
                # A new group every ~1.2 s while others fail, once the engine is up.
                up = bool(hooks.accepted(f"/hook/{ok}"))
                if (
                    len(opened_at) < GROUPS
                    and (up or not opened_at)
                    and (time.time() - max(opened_at.values(), default=0) > 1.2)
                ):
                    (group,) = trigger_groups(db, world, 1)
                    opened_at[group] = time.time()
                pull_retries_forward(db)

        clock = threading.Thread(target=time_passes, daemon=True)
        with running(worker):
            clock.start()
            try:
                deadline = time.monotonic() + 150
                while len(opened_at) < GROUPS or not settled(db, GROUPS):
                    assert time.monotonic() < deadline, "messages still waiting"
                    time.sleep(0.3)
            finally:
                stop.set()
                clock.join()
        # The person whose receiver works got every page promptly, while others hung.
        got = {g: h.at for h in hooks.accepted(f"/hook/{ok}") for g in h.groups}
        assert set(got) == set(opened_at)
        first = min(opened_at, key=lambda g: opened_at[g])  # waited for the engine to start
        late = max(got[g] - opened_at[g] for g in got if g != first)
        assert late < 8, f"a working receiver waited {late:.1f}s behind failing ones"
        for row in pages(db, ok, "webhook"):
            assert (row.status, row.attempts) == ("sent", 1)
        for fault, user_id in faulty.items():
            tries = 1 if fault == "status:400" else MAX_ATTEMPTS["page"]
            for row in pages(db, user_id, "webhook"):
                assert (row.status, row.attempts) == ("failed", tries), (fault, row.last_error)
            mails = pages(db, user_id, "email")
            assert mails, fault
            assert all(m.status == "sent" for m in mails), (fault, mails)
        mailed = {r for rcpts, _ in smtp.box.accepted for r in rcpts}
        assert mailed == {f"{u}@example.com" for u in faulty.values()}
        waits = retries(db)
        assert waits, "no retry was scheduled"
        for w in waits:
            due = datetime.fromisoformat(w["next_attempt_at"].replace("Z", "+00:00"))
            waited = due - w["occurred_at"].astimezone(due.tzinfo)
            assert abs((waited - backoff(w["attempt"])).total_seconds()) < 1, w
        errors = {f: pages(db, u, "webhook")[0].last_error for f, u in faulty.items()}
        print(f"\n{backend}: {len(waits)} retries with backoff; last errors: {errors}; "
              f"ok receiver at most {late:.2f}s behind; {audit_verify(url, tmp_path)}")  # fmt: skip
        assert "503" in (errors["status:503"] or "")
        assert "400" in (errors["status:400"] or "")


RELAY = ("down", "garbage", "slow", "ok")  # the relay's state at each try of the first page


def email_first(db: Database, user_id: str, address: str) -> None:
    """``user_id`` is paged by email at ``address``; their webhook is the fallback."""
    with db.unit_of_work() as uow:
        method = do_add_method(uow, SYSTEM, user_id, MethodCreate(
            type="email", label="mail", address=address, verified=True))  # fmt: skip
        do_add_rule(uow, SYSTEM, user_id,
                    RuleCreate(urgency="high", contact_method_id=method.id, delay_minutes=0))  # fmt: skip
        uow.commit()


@pytest.mark.xdist_group("faults")
@pytest.mark.parametrize("backend", BACKENDS)
def test_smtp_relay_down_garbage_slow_then_back(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url, opened(url) as db, webhooks() as hooks, \
            smtp_port() as smtp:  # fmt: skip
        smtp.box.slow_seconds = 20
        world = build_world(db, users=3, hook_base=hooks.url("/hook"), levels=1, per_level=3)
        mail, refused, ok = world.users
        email_first(db, mail, f"{mail}@example.com")
        email_first(db, refused, f"reject-{refused}@example.com")
        smtp.set(RELAY[0])
        worker = engine(url, tmp_path, "engine", MUSTER_SMTP_RELAY_HOST="127.0.0.1",
                        MUSTER_SMTP_RELAY_PORT=str(smtp.box.port), MUSTER_SMTP_RELAY_TLS="none",
                        MUSTER_NOTIFY_LEASE_SECONDS="30", **TIMEOUTS)  # fmt: skip
        (first,) = trigger_groups(db, world, 1)
        second_at: dict[str, float] = {}
        with running(worker):
            deadline = time.monotonic() + 120
            while not settled(db, 1 + len(second_at)):
                assert time.monotonic() < deadline, "messages still waiting"
                rows = [r for r in pages(db, mail, "email") if r.group_id == first]
                row = rows[0] if rows else None
                if row and row.status == "queued" and row.attempts:  # a retry waits
                    smtp.set(RELAY[row.attempts])  # the relay as the next try finds it
                    if RELAY[row.attempts] == "slow" and not second_at:
                        (group,) = trigger_groups(db, world, 1)  # while the relay hangs
                        second_at[group] = time.time()
                    pull_one_forward(db, row.id, row.attempts)
                pull_retries_forward(db, but=row.id if row else None)
                time.sleep(0.2)
        (row,) = [r for r in pages(db, mail, "email") if r.group_id == first]
        assert (row.status, row.attempts) == ("sent", len(RELAY))
        assert all(r.status == "sent" for r in pages(db, mail, "email"))
        tries = sorted((w["attempt"], w["error"]) for w in retries(db) if w["outbox_id"] == row.id)
        errors = [error for _, error in tries]
        assert "ConnectionRefused" in errors[0], errors
        assert "timed out" in errors[2], errors
        assert len(errors) == len(RELAY) - 1
        for bounced in pages(db, refused, "email"):  # 550: no retry helps; the webhook goes
            assert bounced.status == "failed"
            assert "550" in (bounced.last_error or "")
        assert {r.status for r in pages(db, refused, "webhook")} == {"sent"}
        assert {h.path for h in hooks.accepted()} == {f"/hook/{refused}", f"/hook/{ok}"}
        (group,) = second_at
        got = [h.at for h in hooks.accepted(f"/hook/{ok}") if group in h.groups]
        assert got, "the webhook page waited behind the hanging relay"
        assert got[0] - second_at[group] < 5
        print(
            f"\n{backend}: email sent on try {row.attempts} after {errors}; "
            f"webhook page {got[0] - second_at[group]:.2f}s while the relay hung"
        )
