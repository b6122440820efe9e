"""Templates in playbook steps: Jinja2's sandbox over the incident, its alerts and the
outputs of earlier steps (``steps.<name>.<output>``), plus ``secrets.<NAME>`` when the
caller passes secrets (actions only). An undefined name is an error, not an empty string,
so a typo stops the step with a message instead of sending a blank value.

Secrets never leave through an error: :func:`render` redacts them from its messages, and
:func:`redact` is what callers use on anything else they record.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert
from muster.domain.catalog.models import Service
from muster.domain.incidents.models import Incident, IncidentAlertGroup, IncidentService
from muster.domain.incidents.roles import current_roles
from muster.domain.incidents.service import reference
from muster.domain.incidents.views import incident_url
from muster.errors import FieldError, InvalidInput

REDACTED = "[secret]"
MAX_OUTPUT = 100_000  # characters one template may produce
MAX_REPEAT = 10_000  # ``"x" * n`` and ``[..] * n`` up to this many items/characters
MAX_ALERTS = 50


class TemplateProblem(InvalidInput):
    """A template that does not parse or does not render (the message says why)."""


class _Sandbox(SandboxedEnvironment):
    """The sandbox, also bounding ``*`` and ``**`` so a template cannot exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and _big(right, 64):
            raise SecurityError("exponent too large")
        if operator == "*":
            size = _size(left) * _number(right) + _size(right) * _number(left)
            if size > MAX_REPEAT:
                raise SecurityError(f"repetition longer than {MAX_REPEAT}")
        return super().call_binop(context, operator, left, right)


def _big(value: Any, limit: int) -> bool:
    return isinstance(value, int | float) and abs(value) > limit


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


def _number(value: Any) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    return _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def context_for(uow: UnitOfWork, incident: Incident, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """What templates see: ``incident`` (its fields, services, roles, alerts), ``alerts``
    (linked alerts: summary, severity, labels, source) and ``steps`` (outputs by step)."""
    services = uow.session.scalars(
        select(Service.name)
        .join(IncidentService, IncidentService.service_id == Service.id)
        .where(IncidentService.incident_id == incident.id)
        .order_by(Service.name)
    ).all()
    alerts = [
        {
            "summary": a.summary,
            "severity": a.severity,
            "labels": dict(a.labels or {}),
            "source": a.source,
            "status": a.status,
        }
        for a in uow.session.scalars(
            select(Alert)
            .join(IncidentAlertGroup, IncidentAlertGroup.group_id == Alert.group_id)
            .where(IncidentAlertGroup.incident_id == incident.id)
            .order_by(Alert.first_seen, Alert.id)
            .limit(MAX_ALERTS)
        )
    ]
    roles = {
        r.role_type.key: {"name": r.user.name, "email": r.user.email, "id": r.user_id}
        for r in current_roles(uow, incident.id)
    }
    data = {
        "id": incident.id,
        "reference": reference(incident),
        "number": incident.number,
        "title": incident.title,
        "summary": incident.summary,
        "type": incident.type_key,
        "severity": incident.severity,
        "severity_name": f"SEV{incident.severity}",
        "status": incident.status,
        "impact": incident.impact,
        "customer_facing": incident.customer_facing,
        "restricted": incident.restricted,
        "tags": list(incident.tags or []),
        "sites": list(incident.sites or []),
        "services": list(services),
        "roles": roles,
        "declared_at": incident.declared_at.isoformat(),
        "declared_by": incident.declared_by,
        "url": incident_url(incident),
        "alerts": alerts,
    }
    return {"incident": data, "alerts": alerts, "steps": dict(outputs)}


def render(
    text: str,
    context: Mapping[str, Any],
    *,
    secrets: Mapping[str, str] | None = None,
    field: str = "template",
) -> str:
    """``text`` rendered over ``context`` (and ``secrets`` as ``secrets.<NAME>``).
    Raises :class:`TemplateProblem` naming the error; secret values never appear in it."""
    if "{" not in text:
        return text  # no tags or expressions: nothing to render
    values = dict(context)
    if secrets is not None:
        values["secrets"] = dict(secrets)
    try:
        out = environment().from_string(text).render(values)
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        reason = redact(_reason(exc), secrets or {})
        raise TemplateProblem(f"{field}: {reason}", errors=[FieldError(field, reason)]) from None
    if len(out) > MAX_OUTPUT:
        reason = f"renders to more than {MAX_OUTPUT} characters"
        raise TemplateProblem(f"{field}: {reason}", errors=[FieldError(field, reason)])
    return out


def render_value(
    value: Any,
    context: Mapping[str, Any],
    *,
    secrets: Mapping[str, str] | None = None,
    field: str = "template",
) -> Any:
    """Every string in ``value`` (a string, or dicts/lists of them) rendered; other values
    (numbers, booleans, None) unchanged."""
    if isinstance(value, str):
        return render(value, context, secrets=secrets, field=field)
    if isinstance(value, Mapping):
        return {
            k: render_value(v, context, secrets=secrets, field=f"{field}.{k}")
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            render_value(v, context, secrets=secrets, field=f"{field}.{i}")
            for i, v in enumerate(value)
        ]
    return value


def check_syntax(text: str) -> str | None:
    """Why ``text`` is not a valid template, or None (for validating before saving)."""
    if "{" not in text:
        return None
    try:
        environment().parse(text)
    except TemplateError as exc:
        return _reason(exc)
    return None


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with every secret value replaced by ``[secret]`` (longest first)."""
    for value in sorted((v for v in secrets.values() if v), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def redact_value(value: Any, secrets: Mapping[str, str]) -> Any:
    """:func:`redact` through dicts and lists (outputs, captured responses)."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return {k: redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v, secrets) for v in value]
    return value


def _reason(exc: Exception) -> str:
    line = getattr(exc, "lineno", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    where = f" (line {line})" if isinstance(line, int) and line > 1 else ""
    return f"{message}{where}"
