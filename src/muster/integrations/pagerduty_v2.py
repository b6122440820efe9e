"""PagerDuty Events API v2: ``/v2/enqueue`` alert events and ``/v2/change/enqueue``.

Validation follows PagerDuty's rules, so tools written for PagerDuty behave the same here:

* ``routing_key`` (the integration key) is required; it is returned beside the event, not
  inside it, because it is a credential, not alert content;
* ``event_action`` is required: ``trigger``, ``acknowledge`` or ``resolve``;
* ``dedup_key`` is at most 255 characters; required for acknowledge and resolve; optional
  for trigger, where ``None`` means the caller must generate one;
* a trigger needs ``payload`` with ``summary`` (at most 1024 characters), ``source`` and
  ``severity`` (critical, error, warning, info); ``timestamp`` is optional ISO 8601;
  ``component``, ``group`` and ``class`` are optional strings; ``custom_details`` may be any
  JSON (a non-object is kept as ``{"details": value}``);
* ``images`` are ``{src, href, alt}`` and ``links`` are ``{href, text}``; every URL must be an
  absolute http(s) URL (Muster renders them as links, so other schemes are refused).

For acknowledge and resolve, PagerDuty ignores the payload, and so does this parser: the
returned alert carries the dedup key, with an empty summary and source and severity info.
:func:`errors_as_pagerduty` renders an error the way PagerDuty's 400 response lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from muster.errors import FieldError, InvalidInput, MusterError
from muster.integrations.fields import (
    Problems,
    is_object,
    opt_str,
    opt_timestamp,
    req_str,
    short_text,
    strict_url,
    sub,
    type_name,
    url_problem,
)
from muster.integrations.normalized import (
    ACTIONS,
    MAX_DEDUP_KEY,
    MAX_SHORT_TEXT,
    MAX_SUMMARY,
    SEVERITIES,
    Action,
    ChangeEvent,
    Image,
    InboundAlert,
    JsonObject,
    JsonValue,
    Link,
    Severity,
    clean_text,
    load_json,
)

INVALID_EVENT = "Event object is invalid"


@dataclass(frozen=True, slots=True)
class EnqueuedEvent:
    """A parsed ``/v2/enqueue`` request: the integration key and the alert event."""

    routing_key: str
    alert: InboundAlert


@dataclass(frozen=True, slots=True)
class EnqueuedChange:
    """A parsed ``/v2/change/enqueue`` request: the integration key and the change."""

    routing_key: str
    change: ChangeEvent


def parse_enqueue(body: object) -> EnqueuedEvent:
    """Parse an Events API v2 alert event (raw bytes or decoded JSON)."""
    doc = _object(load_json(body))
    problems = Problems()
    routing_key = req_str(doc, "routing_key", "", problems)
    action = _action(doc, problems)
    dedup_key = _dedup_key(doc, problems, required=action in ("acknowledge", "resolve"))
    if action != "trigger":
        problems.raise_if_any(INVALID_EVENT)
        # No problems were found, so every required value is present.
        assert routing_key is not None
        assert action is not None
        alert = InboundAlert(
            action=action,
            dedup_key=dedup_key,
            summary="",
            severity="info",
            source="",
            raw=_without_key(doc),
        )
        return EnqueuedEvent(routing_key=routing_key, alert=alert)

    found = _payload(doc, problems)
    payload = found or {}
    summary = _summary(payload, problems) if found is not None else None
    source = _text(payload, "source", "payload", problems) if found is not None else None
    severity = _severity(payload, problems) if found is not None else None
    timestamp = opt_timestamp(payload, "timestamp", "payload", problems)
    component = short_text(payload, "component", "payload", problems, MAX_SHORT_TEXT)
    group = short_text(payload, "group", "payload", problems, MAX_SHORT_TEXT)
    class_ = short_text(payload, "class", "payload", problems, MAX_SHORT_TEXT)
    custom_details = _custom_details(payload)
    images = _images(doc, problems)
    links = _links(doc, "links", problems)
    client = short_text(doc, "client", "", problems, MAX_SHORT_TEXT)
    client_url = strict_url(doc, "client_url", "", problems)
    problems.raise_if_any(INVALID_EVENT)
    # No problems were found, so every required value is present.
    assert routing_key is not None
    assert summary is not None
    assert source is not None
    assert severity is not None
    alert = InboundAlert(
        action="trigger",
        dedup_key=dedup_key,
        summary=summary,
        severity=severity,
        source=source,
        component=component,
        group=group,
        class_=class_,
        custom_details=custom_details,
        links=links,
        images=images,
        occurred_at=timestamp,
        client=client,
        client_url=client_url,
        raw=_without_key(doc),
    )
    return EnqueuedEvent(routing_key=routing_key, alert=alert)


def parse_change(body: object) -> EnqueuedChange:
    """Parse an Events API v2 change event (raw bytes or decoded JSON)."""
    doc = _object(load_json(body))
    problems = Problems()
    routing_key = req_str(doc, "routing_key", "", problems)
    found = _payload(doc, problems)
    payload = found or {}
    summary = _summary(payload, problems) if found is not None else None
    source = short_text(payload, "source", "payload", problems, MAX_SHORT_TEXT)
    timestamp = opt_timestamp(payload, "timestamp", "payload", problems)
    custom_details = _custom_details(payload)
    links = _links(doc, "links", problems)
    problems.raise_if_any(INVALID_EVENT)
    assert routing_key is not None  # no problems were found
    assert summary is not None
    change = ChangeEvent(
        summary=summary,
        source=source,
        timestamp=timestamp,
        custom_details=custom_details,
        links=links,
    )
    return EnqueuedChange(routing_key=routing_key, change=change)


def errors_as_pagerduty(exc: MusterError) -> list[str]:
    """The error's field errors as PagerDuty-style sentences, e.g.
    ``'payload.summary' is missing or blank``."""
    if not exc.errors:
        return [exc.detail]
    return [f"'{error.field}' {error.reason}" for error in exc.errors]


def _without_key(doc: JsonObject) -> JsonObject:
    """The event as received, minus the routing key: a credential is not alert content."""
    return {key: value for key, value in doc.items() if key != "routing_key"}


def _object(doc: JsonValue) -> JsonObject:
    if not is_object(doc):
        raise InvalidInput(
            INVALID_EVENT,
            errors=[FieldError("body", f"must be a JSON object, not {type_name(doc)}")],
        )
    return doc


def _action(doc: JsonObject, problems: Problems) -> Action | None:
    value = req_str(doc, "event_action", "", problems)
    if value is None:
        return None
    for action in ACTIONS:
        if value == action:
            return action
    problems.add("event_action", f"must be one of {', '.join(ACTIONS)} (got {value[:64]!r})")
    return None


def _dedup_key(doc: JsonObject, problems: Problems, *, required: bool) -> str | None:
    if required:
        value = req_str(doc, "dedup_key", "", problems)
    else:
        value = opt_str(doc, "dedup_key", "", problems)
        value = value if value and value.strip() else None
    if value is not None and len(value) > MAX_DEDUP_KEY:
        problems.add("dedup_key", f"must be at most {MAX_DEDUP_KEY} characters (got {len(value)})")
        return None
    return value


def _payload(doc: JsonObject, problems: Problems) -> JsonObject | None:
    payload = doc.get("payload")
    if is_object(payload):
        return payload
    reason = "is missing" if payload is None else f"must be an object, not {type_name(payload)}"
    problems.add("payload", reason)
    return None


def _summary(payload: JsonObject, problems: Problems) -> str | None:
    return _text(payload, "summary", "payload", problems, max_len=MAX_SUMMARY, strict=True)


def _text(
    obj: JsonObject,
    key: str,
    path: str,
    problems: Problems,
    *,
    max_len: int = MAX_SHORT_TEXT,
    strict: bool = False,
) -> str | None:
    """A required text field, cleaned; too long is an error when ``strict``, else cut."""
    value = req_str(obj, key, path, problems)
    if value is None:
        return None
    if strict and len(value) > max_len:
        problems.add(sub(path, key), f"must be at most {max_len} characters (got {len(value)})")
        return None
    cleaned = clean_text(value, max_len)
    if not cleaned:
        problems.add(sub(path, key), "is missing or blank")
        return None
    return cleaned


def _required_url(obj: JsonObject, key: str, path: str, problems: Problems) -> str | None:
    value = req_str(obj, key, path, problems)
    if value is None:
        return None
    reason = url_problem(value.strip())
    if reason is not None:
        problems.add(sub(path, key), reason)
        return None
    return value.strip()


def _severity(payload: JsonObject, problems: Problems) -> Severity | None:
    value = req_str(payload, "severity", "payload", problems)
    if value is None:
        return None
    for severity in SEVERITIES:
        if value == severity:
            return severity
    problems.add("payload.severity", f"must be one of {', '.join(SEVERITIES)} (got {value[:64]!r})")
    return None


def _custom_details(payload: JsonObject) -> JsonObject:
    value = payload.get("custom_details")
    if value is None:
        return {}
    if is_object(value):
        return value
    return {"details": value}


def _list_of_objects(doc: JsonObject, key: str, problems: Problems) -> list[tuple[str, JsonObject]]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(key, f"must be a list, not {type_name(value)}")
        return []
    result: list[tuple[str, JsonObject]] = []
    for index, item in enumerate(value):
        path = sub(key, index)
        if is_object(item):
            result.append((path, item))
        else:
            problems.add(path, f"must be an object, not {type_name(item)}")
    return result


def _links(doc: JsonObject, key: str, problems: Problems) -> list[Link]:
    links: list[Link] = []
    for path, item in _list_of_objects(doc, key, problems):
        href = _required_url(item, "href", path, problems)
        text = short_text(item, "text", path, problems, MAX_SHORT_TEXT)
        if href:
            links.append(Link(href=href, text=text))
    return links


def _images(doc: JsonObject, problems: Problems) -> list[Image]:
    images: list[Image] = []
    for path, item in _list_of_objects(doc, "images", problems):
        src = _required_url(item, "src", path, problems)
        href = strict_url(item, "href", path, problems)
        alt = short_text(item, "alt", path, problems, MAX_SHORT_TEXT)
        if src:
            images.append(Image(src=src, href=href, alt=alt))
    return images
