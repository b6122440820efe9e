"""Action steps: an HTTP request to another system, sent with no transaction open.

::

    pending ──prepare──> running (claimed_until = lease) ──send──> record:
       ^                   │   2xx ──────────────────────────> done (captures → outputs)
       │                   │   5xx, 408, 429, timeout, unreachable, tries left
       └───────────────────┤        ──> pending (due_at = backoff), "retrying"
       (lease expired:     │   4xx, refused by the outbound policy, no tries left
        sent again)        └──────> failed (the run fails; the Commander is paged)

:func:`prepare` (in the engine's unit of work) renders the URL, headers and body — with
secrets — into an in-memory :class:`ActionCall` and marks the step ``running`` with a
lease; nothing rendered is stored. After commit the engine sends it through
``muster.channels.http`` (the SSRF rules of every outgoing request), then
:func:`record` writes the outcome in a second short unit of work, only if the step is
still the same attempt. A worker that dies mid-call leaves the step ``running``; when
the lease ends it is claimed and sent again. Every try carries the header
``Idempotency-Key: <step id>``, so the receiver can drop a repeat.

Secret values are redacted (``[secret]``) from everything recorded: errors, captured
outputs, the timeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.playbooks.models import RunStep
from muster.domain.playbooks.run_state import complete_step, fail_step, step_event
from muster.domain.playbooks.schemas import ActionStep
from muster.domain.playbooks.step_kinds import StepContext
from muster.domain.playbooks.templating import TemplateProblem, redact, redact_value, render

IDEMPOTENCY_HEADER = "Idempotency-Key"
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=10)
LEASE_MARGIN = timedelta(seconds=60)
TRANSIENT_STATUSES = frozenset({408, 425, 429})
MAX_SNIPPET = 300


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 1 min, 2 min ... up to 10 min."""
    return min(BACKOFF_BASE * (1 << max(0, attempts - 1)), BACKOFF_MAX)


@dataclass(frozen=True)
class ActionCall:
    """One try of an action, rendered (it may hold secrets: never log or store it)."""

    step_id: str
    attempt: int
    retries: int
    method: str
    timeout: float
    capture: dict[str, str]
    url: str = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    hidden: tuple[str, ...] = field(repr=False, default=())  # secret values, to redact

    @property
    def secrets(self) -> dict[str, str]:
        return {str(i): value for i, value in enumerate(self.hidden)}

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)


@dataclass(frozen=True)
class ActionResult:
    status: int | None = None  # None: no answer (refused, unreachable, timeout)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    transient: bool = True


def prepare(ctx: StepContext, step: ActionStep, secrets: dict[str, str]) -> ActionCall | None:
    """Render ``step`` and claim it; None when it cannot render (the step failed)."""
    row = ctx.row
    try:
        url = render(step.url, ctx.values, secrets=secrets, field=f"steps.{row.name}.url")
        headers = {
            name: render(value, ctx.values, secrets=secrets, field=f"steps.{row.name}.headers.{name}")
            for name, value in step.headers.items()
        }  # fmt: skip
        body = (
            render(step.body, ctx.values, secrets=secrets, field=f"steps.{row.name}.body")
            if step.body is not None
            else None
        )
    except TemplateProblem as exc:
        fail_step(ctx.uow, row, str(exc))
        return None
    headers = {k: v for k, v in headers.items() if k.lower() != IDEMPOTENCY_HEADER.lower()}
    headers[IDEMPOTENCY_HEADER] = row.id
    headers.setdefault("User-Agent", "Muster-Playbook/1")
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json" if _is_json(body) else "text/plain"
    row.status, row.due_at = "running", None
    row.attempts += 1
    row.claimed_until = ctx.now + timedelta(seconds=step.timeout_seconds) * 2 + LEASE_MARGIN
    ctx.run.status = "running"
    return ActionCall(
        step_id=row.id, attempt=row.attempts, retries=step.retries, method=step.method,
        timeout=float(step.timeout_seconds), capture=dict(step.capture), url=url,
        headers=headers, body=(body or "").encode(), hidden=tuple(v for v in secrets.values() if v),
    )  # fmt: skip


def lease_expired(ctx: StepContext, step: ActionStep, secrets: dict[str, str]) -> ActionCall | None:  # fmt: skip
    """A ``running`` step whose worker never recorded an outcome: call again (same key)."""
    row = ctx.row
    if row.attempts > step.retries:
        fail_step(ctx.uow, row, f"no outcome recorded after {row.attempts} attempts")
        return None
    step_event(ctx.uow, ctx.run, row, "retrying",
               "the last attempt's outcome was never recorded; calling again with the same "
               "idempotency key", attempt=row.attempts)  # fmt: skip
    return prepare(ctx, step, secrets)


def record(uow: UnitOfWork, call: ActionCall, result: ActionResult) -> bool:
    """Write what ``call`` got; False (nothing written) when the step moved on meanwhile
    (its lease ran out and another try was made, or the run was cancelled)."""
    row = uow.session.scalar(
        select(RunStep).where(RunStep.id == call.step_id).execution_options(populate_existing=True)
    )
    if row is None or row.status != "running" or row.attempts != call.attempt:
        return False
    row.claimed_until = None
    what = f"{call.method} {call.redact(call.url)[:200]}"
    if result.status is not None and 200 <= result.status < 300:
        output = redact_value(_captured(call, result), call.secrets)
        complete_step(uow, row, "done", f"{what} answered {result.status}", output)
        return True
    if result.status is None:
        error = result.error or "no answer"
        transient = result.transient
    else:
        snippet = call.redact(result.body.decode("utf-8", "replace")[:MAX_SNIPPET]).strip()
        error = f"answered {result.status}" + (f": {snippet}" if snippet else "")
        transient = result.status >= 500 or result.status in TRANSIENT_STATUSES
    error = call.redact(error)
    if transient and row.attempts <= call.retries:
        row.status, row.error = "pending", error
        row.due_at = uow.now + backoff(row.attempts)
        step_event(uow, row.run, row, "retrying",
                   f"{what}: attempt {row.attempts} of {call.retries + 1} failed: {error}",
                   attempt=row.attempts, next_at=row.due_at.isoformat())  # fmt: skip
        return True
    tries = f" after {row.attempts} attempts" if row.attempts > 1 else ""
    fail_step(uow, row, f"{what} failed{tries}: {error}")
    return True


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _captured(call: ActionCall, result: ActionResult) -> dict[str, Any]:
    """``status`` plus each capture: ``status``, ``headers.<name>``, ``body`` or
    ``body.<path>`` (dotted, list items by number); a path not found captures None."""
    text = result.body.decode("utf-8", "replace")
    try:
        body: Any = json.loads(text) if text.strip() else None
    except ValueError:
        body = text[:10_000]
    out: dict[str, Any] = {"status": result.status}
    for name, path in call.capture.items():
        head, _, rest = path.partition(".")
        if head == "status":
            out[name] = result.status
        elif head == "headers":
            out[name] = result.headers.get(rest.lower())
        elif head == "body":
            out[name] = _dig(body, rest) if rest else body
        else:
            out[name] = None
    return out


def _dig(value: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):  # fmt: skip
            value = value[int(part)]
        else:
            return None
    return value
