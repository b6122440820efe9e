"""Takes the due steps of playbook runs (see :mod:`muster.domain.playbooks.execute`).

In the runner's unit of work: wake the condition waits of incidents that changed
(events read by the cursor "playbook_waits"), claim due steps (``FOR UPDATE SKIP
LOCKED``) and take them — a run's immediate steps one after another in the same pass.
Actions are rendered and claimed there, and sent once the runner has committed, with no
transaction open; each outcome is recorded in its own short unit of work
(:mod:`muster.domain.playbooks.actions`).

Secrets are decrypted with the installation's secret key from ``settings``, only when a
step about to be taken is an action.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from muster.channels import outbound_policy
from muster.channels.http import Policy, Refused, Unreachable, request
from muster.config import Settings, load_settings
from muster.db.claim import claim
from muster.db.uow import Database, UnitOfWork
from muster.db.upsert import insert_ignore
from muster.domain.events.feed import advance_cursor, read_feed
from muster.domain.events.models import Event, EventCursor
from muster.domain.playbooks.actions import ActionCall, ActionResult, record
from muster.domain.playbooks.execute import (
    any_due,
    condition_waits_exist,
    due_steps,
    take_step,
    wake_waits,
)
from muster.domain.playbooks.models import RunStep
from muster.domain.playbooks.secrets import reveal_all
from muster.engine.pending import events_after_cursor

log = logging.getLogger(__name__)

CURSOR = "playbook_waits"
BATCH = 100
ROUNDS = 20  # steps made due by steps taken in this pass are taken too, up to this
RETRY = timedelta(minutes=1)
EVENT_BATCH = 500


class PlaybookSteps:
    name = "playbook_steps"

    def __init__(self, settings: Settings | None = None, *, workers: int = 4) -> None:
        """``settings`` give the secret key and outbound policy (default: the
        environment's, read when first needed)."""
        self._settings = settings
        self._policy: Policy | None = None
        self.workers = workers
        self._failing: dict[str, datetime] = {}  # step id -> when to try it again

    def _settings_now(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    def _outbound(self) -> Policy:
        if self._policy is None:
            self._policy = outbound_policy(self._settings_now())
        return self._policy

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        if any_due(uow, now):
            return True
        return condition_waits_exist(uow) and events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        acted = self._wake(uow, now)
        calls: list[ActionCall] = []
        secrets: dict[str, str] | None = None

        def reveal() -> dict[str, str]:
            nonlocal secrets
            if secrets is None:
                secrets = reveal_all(uow, self._settings_now().secret_key)
            return secrets

        taken: set[str] = set()
        for _ in range(ROUNDS):
            self._failing = {k: u for k, u in self._failing.items() if u > now}
            query = due_steps(now)
            skip = taken | set(self._failing)
            if skip:
                query = query.where(RunStep.id.not_in(list(skip)))
            rows = claim(uow, query, limit=BATCH)
            if not rows:
                break
            for row in rows:
                taken.add(row.id)
                try:
                    call = take_step(uow, row, now, reveal)
                except Exception:
                    self._failing[row.id] = now + RETRY
                    raise
                if call is not None:
                    calls.append(call)
            uow.flush()
        if calls:
            db = Database(uow.session.get_bind(), uow.clock)  # type: ignore[arg-type]
            policy = self._outbound()
            uow.after_commit(lambda: self.perform(db, policy, calls))
        return acted + len(taken)

    def _wake(self, uow: UnitOfWork, now: datetime) -> int:
        """Wake condition waits on incidents with new events; with none waiting, just
        move the cursor to the log's end (older events cannot matter to a later wait)."""
        if not condition_waits_exist(uow):
            insert_ignore(uow.session, EventCursor,
                          {"name": CURSOR, "position": 0, "updated_at": now})  # fmt: skip
            end = select(func.coalesce(func.max(Event.position), 0)).scalar_subquery()
            uow.session.execute(
                update(EventCursor).where(EventCursor.name == CURSOR)
                .values(position=end, updated_at=now)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            return 0
        woken = 0
        for _ in range(20):
            events = read_feed(uow, CURSOR, limit=EVENT_BATCH)
            if not events:
                break
            changed = {
                str((e.data or {}).get("incident_id") or e.subject_id)
                for e in events
                if e.subject_type == "incident" and not e.type.startswith("incident.playbook_")
            }
            woken += wake_waits(uow, changed, now)
            advance_cursor(uow, CURSOR, events[-1])
            if len(events) < EVENT_BATCH:
                break
        return woken

    def perform(self, db: Database, policy: Policy, calls: list[ActionCall]) -> None:
        """Send ``calls`` (claimed and committed) and record each outcome."""
        if len(calls) == 1:
            self._finish(db, calls[0], policy)
            return
        with ThreadPoolExecutor(max_workers=min(self.workers, len(calls))) as pool:
            list(pool.map(lambda call: self._finish(db, call, policy), calls))

    @staticmethod
    def _finish(db: Database, call: ActionCall, policy: Policy) -> None:
        result = send(call, policy)
        try:
            with db.unit_of_work() as uow:
                if not record(uow, call, result):
                    log.warning("playbook step %s: moved on before its outcome was recorded",
                                call.step_id)  # fmt: skip
                uow.commit()
        except Exception:  # the lease runs out and the call is made again
            log.exception("playbook step %s: recording the outcome failed", call.step_id)


def send(call: ActionCall, base: Policy) -> ActionResult:
    """Make the call (no database) under the outbound policy ``base`` with the step's
    timeout: any HTTP status is a result; so is no answer."""
    policy = Policy(base.allow, min(base.connect_timeout, call.timeout), call.timeout)
    try:
        answer = request(call.method, call.url, body=call.body, headers=call.headers, policy=policy)
    except Refused as exc:
        return ActionResult(error=call.redact(str(exc)), transient=False)
    except Unreachable as exc:
        return ActionResult(error=call.redact(str(exc)), transient=True)
    except Exception as exc:  # a bug must not lose the step: it is tried again
        log.error("playbook step %s: the call failed: %s", call.step_id, type(exc).__name__)
        return ActionResult(error=type(exc).__name__, transient=True)
    return ActionResult(answer.status, dict(answer.headers), answer.body)
