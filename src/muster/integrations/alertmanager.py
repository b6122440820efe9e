"""Prometheus Alertmanager webhook (payload version "4") → :class:`InboundBatch`.

One notification carries a whole alert group, and one group can mix firing and resolved
alerts, so each alert is read on its own: ``status`` firing → trigger, resolved → resolve.
The upsert key is the alert's ``fingerprint`` (or, when absent, a stable hash of its
labels). The top-level ``status``, ``version`` and any unknown fields are ignored.

Mapping of the other fields:

* ``summary``: ``annotations.summary``, else ``annotations.description``, else the
  ``alertname`` label with the other labels in brackets;
* ``details``: ``annotations.description``;
* ``severity``: the ``severity`` label through :func:`map_severity` (unknown → warning);
* ``source``: the ``instance`` label, else ``job``, else ``"alertmanager"``;
  ``component``: ``component``/``service``/``job`` label; ``group``: ``group``/``namespace``
  label; ``class_``: ``alertname``;
* ``startsAt`` → ``occurred_at``; ``endsAt`` → ``ends_at`` (Go's zero time means unset).

:func:`parse_alert` is shared with the Grafana parser, whose alerts have the same core.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from muster.errors import FieldError, InvalidInput
from muster.integrations.fields import (
    Problems,
    count,
    is_object,
    lenient_url,
    opt_str,
    opt_timestamp,
    string_map,
    sub,
    type_name,
)
from muster.integrations.normalized import (
    MAX_ANNOTATION_VALUE,
    MAX_DEDUP_KEY,
    MAX_DETAILS,
    MAX_SHORT_TEXT,
    MAX_SUMMARY,
    Action,
    Image,
    InboundAlert,
    InboundBatch,
    JsonObject,
    JsonValue,
    Link,
    clean_text,
    load_json,
    map_severity,
)

GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)
_STATUS_ACTIONS: dict[str, Action] = {"firing": "trigger", "resolved": "resolve"}


def parse_alertmanager(body: object) -> InboundBatch:
    """Parse an Alertmanager webhook body (raw bytes or decoded JSON) into a batch."""
    doc = load_json(body)
    return parse_group(doc, "The Alertmanager payload is invalid.")


def parse_group(
    doc: JsonValue,
    detail: str,
    *,
    alert_extras: AlertExtras | None = None,
) -> InboundBatch:
    """Parse an Alertmanager-shaped group (also used for Grafana's payload)."""
    if not is_object(doc):
        raise InvalidInput(
            detail, errors=[FieldError("body", f"must be a JSON object, not {type_name(doc)}")]
        )
    problems = Problems()
    items = doc.get("alerts")
    if not isinstance(items, list):
        reason = "is missing" if items is None else f"must be a list, not {type_name(items)}"
        problems.add("alerts", reason)
        items = []
    group_key = opt_str(doc, "groupKey", "", problems)
    receiver = opt_str(doc, "receiver", "", problems)
    truncated = count(doc, "truncatedAlerts", "", problems)
    alerts: list[InboundAlert] = []
    for index, item in enumerate(items):
        alert = parse_alert(item, sub("alerts", index), problems, extras=alert_extras)
        if alert is not None:
            alerts.append(alert)
    problems.raise_if_any(detail)
    return InboundBatch(
        alerts=alerts,
        group_key=clean_text(group_key, MAX_SHORT_TEXT * 4) if group_key else None,
        truncated_alerts=truncated,
        receiver=clean_text(receiver, MAX_SHORT_TEXT) if receiver else None,
    )


class AlertExtras:
    """What a dialect (Grafana) adds to each alert: links, images, custom details.

    Subclasses override :meth:`read`; the base adds nothing.
    """

    def read(
        self, item: JsonObject, path: str, problems: Problems
    ) -> tuple[list[Link], list[Image], JsonObject]:
        return [], [], {}


def parse_alert(
    item: JsonValue, path: str, problems: Problems, *, extras: AlertExtras | None = None
) -> InboundAlert | None:
    """Parse one alert of a group; report problems under ``path`` and return ``None``
    when the alert is unusable."""
    if not is_object(item):
        problems.add(path, f"must be an object, not {type_name(item)}")
        return None
    before = len(problems.errors)
    action = _action(item, path, problems)
    labels = string_map(item, "labels", path, problems, required=True)
    annotations = string_map(item, "annotations", path, problems, max_value=MAX_ANNOTATION_VALUE)
    fingerprint = opt_str(item, "fingerprint", path, problems)
    starts_at = opt_timestamp(item, "startsAt", path, problems)
    ends_at = opt_timestamp(item, "endsAt", path, problems)
    generator_url = lenient_url(item, "generatorURL", path, problems)
    links, images, custom = (extras or AlertExtras()).read(item, path, problems)
    if action is None or len(problems.errors) > before:
        return None
    return InboundAlert(
        action=action,
        dedup_key=_dedup_key(fingerprint, labels),
        summary=_summary(labels, annotations),
        details=clean_text(annotations.get("description", ""), MAX_DETAILS),
        severity=map_severity(labels.get("severity")),
        source=_first(labels, "instance", "job") or "alertmanager",
        component=_first(labels, "component", "service", "job"),
        group=_first(labels, "group", "namespace"),
        class_=_first(labels, "alertname"),
        labels=labels,
        annotations=annotations,
        custom_details=custom,
        links=links,
        images=images,
        occurred_at=None if starts_at == GO_ZERO_TIME else starts_at,
        ends_at=None if ends_at == GO_ZERO_TIME else ends_at,
        generator_url=generator_url,
        raw=item,
    )


def _action(item: JsonObject, path: str, problems: Problems) -> Action | None:
    status = opt_str(item, "status", path, problems)
    if status is None:
        if item.get("status") is None:
            problems.add(sub(path, "status"), "is missing")
        return None
    action = _STATUS_ACTIONS.get(status.strip().lower())
    if action is None:
        problems.add(sub(path, "status"), f"must be 'firing' or 'resolved' (got {status[:64]!r})")
    return action


def labels_hash(labels: dict[str, str]) -> str:
    """A stable key for a label set: the same labels always give the same key."""
    canonical = json.dumps(sorted(labels.items()), ensure_ascii=False, separators=(",", ":"))
    return "labels-sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _dedup_key(fingerprint: str | None, labels: dict[str, str]) -> str:
    key = clean_text(fingerprint or "", MAX_DEDUP_KEY * 4)
    if key and len(key) <= MAX_DEDUP_KEY:
        return key
    return labels_hash(labels)


def _summary(labels: dict[str, str], annotations: dict[str, str]) -> str:
    for key in ("summary", "description"):
        text = clean_text(annotations.get(key, ""), MAX_SUMMARY)
        if text:
            return text
    name = labels.get("alertname") or "Alert"
    others = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname")
    return clean_text(f"{name} ({others})" if others else name, MAX_SUMMARY)


def _first(labels: dict[str, str], *names: str) -> str | None:
    for name in names:
        given = labels.get(name)
        if not given:  # absent or empty: nothing to clean (most of the names asked for)
            continue
        value = clean_text(given, MAX_SHORT_TEXT)
        if value:
            return value
    return None
