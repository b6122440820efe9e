"""The scenario document: what a drill's YAML file (or the UI editor) must say.

Example::

    key: checkout-outage
    title: SEV1 checkout outage with a failed rollback
    objectives: [Page and assemble within 10 minutes]
    roles:
      - {key: commander, description: Runs the response}
    injects:
      - name: first_alert            # at minute 0 of drill time
        kind: alert
        format: alertmanager         # any intake format: see FORMATS
        payload: {...}               # the body as the tool sends it
      - name: rollback_fails
        after: first_alert           # fires 10 minutes after first_alert fired...
        when: {check: commander_assigned}   # ...and once a Commander was assigned
        delay_minutes: 10
        kind: message
        to_role: commander
        text: The rollback failed; the old version will not start.
      - {name: secret, kind: fact, at_minute: 5, text: The database is fine.}
    expectations:
      - {name: ack, title: Alert acknowledged in 5 minutes, check: alert_acknowledged,
         after: first_alert, within_minutes: 5}
      - {name: liaison, title: Holding statement drafted, check: manual}

An inject without ``after`` or ``when`` fires at ``at_minute`` (default 0). Checks (used
by expectations and by injects' ``when``) read the run's event log: see
:data:`AUTOMATIC_CHECKS`.

Alert injects go through any intake format (:data:`FORMATS`; the parsing is
:mod:`muster.domain.drills.intake`): a mapping ``payload`` is sent as JSON, a list as JSON
lines (Suricata EVE), a string as it is (CEF records, one a line). ``access_control``
takes the vendor ``preset`` its payload is shaped like (default ``muster``); ``frigate``
the ``topic`` under the prefix the message comes on (default ``reviews``). Physical
injects (access control, Frigate) happen at the run's exercise site, laid out as the
optional ``site`` says (zones, and devices placed in them)::

    site:
      name: DC1
      zones: [{name: Server room B, restricted: true}]
      devices: [{kind: door, external_id: dc1-srv-b, name: Server room B door, zone: Server room B}]
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from muster.domain.accounts.schemas import Strict

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,59}$")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Minutes = Annotated[int, Field(ge=0, le=7 * 24 * 60)]
# A Frigate topic under the prefix: reviews, events, available, <camera>/status/<role>.
Topic = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,100}(/[A-Za-z0-9_.-]{1,100}){0,2}$")
]

AUTOMATIC_CHECKS = (
    "alert_acknowledged", "incident_declared", "commander_assigned", "severity_set",
    "task_done", "clock_started", "stakeholder_update_sent", "playbook_approval_given",
    "status_reached",
)  # fmt: skip
FORMATS = (
    "alertmanager", "grafana", "generic", "pagerduty", "wazuh", "suricata", "falco", "elastic",
    "splunk", "cef", "access_control", "frigate",
)  # fmt: skip
Format = Literal[
    "alertmanager", "grafana", "generic", "pagerduty", "wazuh", "suricata", "falco", "elastic",
    "splunk", "cef", "access_control", "frigate",
]  # fmt: skip
PHYSICAL_FORMATS = ("access_control", "frigate")
PRESETS = ("muster", "verkada", "unifi_access")
Check = Literal[
    "alert_acknowledged", "incident_declared", "commander_assigned", "severity_set",
    "task_done", "clock_started", "stakeholder_update_sent", "playbook_approval_given",
    "status_reached",
]  # fmt: skip


class CheckSpec(Strict):
    """What to look for in the run's event log. ``value``: the severity (1-5) for
    severity_set, the deadline or regime (``gdpr-33``, ``nis2-23/early-warning``) for
    clock_started, the status for status_reached, text the task title contains for
    task_done, ``public``/``internal`` for stakeholder_update_sent."""

    check: Check
    value: str | int | None = None

    @model_validator(mode="after")
    def _value(self) -> CheckSpec:
        problem = value_problem(self.check, self.value)
        if problem:
            raise ValueError(problem)
        return self


def value_problem(check: str, value: object) -> str | None:
    """What is wrong with ``value`` for ``check``, if anything."""
    if check == "severity_set" and not (
        isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5
    ):
        return "severity_set needs a value from 1 to 5"
    if check in ("clock_started", "status_reached") and not isinstance(value, str):
        return f"{check} needs a value (text)"
    return None


class Role(Strict):
    key: Name
    description: str = Field(default="", max_length=500)


class InjectDef(Strict):
    name: Name
    kind: Literal["alert", "message", "fact"]
    at_minute: Minutes | None = None
    after: Name | None = None  # an earlier inject
    when: CheckSpec | None = None  # a responder action that must have happened
    delay_minutes: Minutes = 0  # after ``after`` fired / ``when`` held
    # alert
    format: Format | None = None
    payload: dict[str, Any] | list[Any] | str | None = None
    preset: Literal["muster", "verkada", "unifi_access"] | None = None  # access_control
    topic: Topic | None = None  # frigate
    # message / fact
    to_role: Name | None = None
    text: Text | None = None

    @model_validator(mode="after")
    def _shape(self) -> InjectDef:
        if self.at_minute is not None and (self.after or self.when):
            raise ValueError("at_minute is for injects without after/when; use delay_minutes")
        if self.kind == "alert" and (self.format is None or self.payload is None):
            raise ValueError("an alert inject needs format and payload")
        if self.kind != "alert" and (self.format is not None or self.payload is not None):
            raise ValueError("format and payload are for alert injects")
        if self.preset is not None and self.format != "access_control":
            raise ValueError("preset is for access_control injects")
        if self.topic is not None and self.format != "frigate":
            raise ValueError("topic is for frigate injects")
        if self.kind in ("message", "fact") and self.text is None:
            raise ValueError(f"a {self.kind} inject needs text")
        if self.kind == "message" and self.to_role is None:
            raise ValueError("a message inject needs to_role")
        if self.kind != "message" and self.to_role is not None:
            raise ValueError("to_role is for message injects")
        return self


class ExpectationDef(Strict):
    name: Name
    title: Title
    check: Literal[
        "manual", "alert_acknowledged", "incident_declared", "commander_assigned",
        "severity_set", "task_done", "clock_started", "stakeholder_update_sent",
        "playbook_approval_given", "status_reached",
    ]  # fmt: skip
    value: str | int | None = None
    after: Name | None = None  # measured from this inject's firing (default: the start)
    within_minutes: Minutes | None = None

    @model_validator(mode="after")
    def _shape(self) -> ExpectationDef:
        if self.check == "manual":
            if self.value is not None or self.within_minutes is not None:
                raise ValueError("a manual expectation takes no value or within_minutes")
            return self
        problem = value_problem(self.check, self.value)
        if problem:
            raise ValueError(problem)
        if self.within_minutes is None:
            raise ValueError("an automatic expectation needs within_minutes")
        return self

    def spec(self) -> CheckSpec:
        return CheckSpec.model_validate({"check": self.check, "value": self.value})


ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class ZoneDef(Strict):
    name: Title
    restricted: bool = False


class DeviceDef(Strict):
    kind: Literal["camera", "door", "sensor", "network_segment", "host"]
    external_id: ExternalId
    name: Title | None = None
    zone: Title | None = None


class SiteDef(Strict):
    """The layout of the run's exercise site (a copy made for the run, never a real
    site): physical injects' doors and cameras are found there."""

    name: Title
    zones: list[ZoneDef] = Field(default_factory=list, max_length=50)
    devices: list[DeviceDef] = Field(default_factory=list, max_length=200)


class ScenarioDef(Strict):
    key: Key
    title: Title
    description: str = Field(default="", max_length=4000)
    objectives: list[Annotated[str, StringConstraints(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=30
    )
    roles: list[Role] = Field(min_length=1, max_length=20)
    injects: list[InjectDef] = Field(min_length=1, max_length=100)
    expectations: list[ExpectationDef] = Field(default_factory=list, max_length=100)
    site: SiteDef | None = None

    def physical(self) -> bool:
        """Whether a run needs an exercise site."""
        return self.site is not None or any(i.format in PHYSICAL_FORMATS for i in self.injects)
