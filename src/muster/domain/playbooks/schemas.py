"""The playbook document: what a YAML file (or the UI editor) must say, validated.

Example::

    key: major-outage
    name: Major service outage
    description: SEV1/SEV2 outages of customer-facing services.
    repeatable: false
    triggers:
      - event: incident_declared
      - event: severity_changed
    conditions:
      all:
        - {field: severity, op: lte, value: 2}
        - {field: type, op: eq, value: operational}
    steps:
      - name: commander
        kind: assign_role
        role: commander
        to: on_call
        schedule: Primary on-call
      - name: checklist
        kind: tasks
        tasks:
          - {title: Confirm customer impact, owner_role: technical, due_minutes: 15, phase: investigating}
      - name: isolate
        kind: action
        method: POST
        url: "https://edr.example/api/hosts/{{ incident.alerts[0].labels.host }}/isolate"
        headers: {Authorization: "Bearer {{ secrets.EDR_TOKEN }}"}
        capture: {ticket: "body.id"}

Strings in steps are templates (Jinja2's sandbox) over ``incident``, ``alerts``,
``steps`` (earlier steps' outputs by name) and, in actions only, ``secrets``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from muster.domain.accounts.schemas import Strict

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
StepName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,59}$")]
Template = Annotated[str, StringConstraints(max_length=10_000)]
Minutes = Annotated[int, Field(ge=0, le=7 * 24 * 60)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phase = Literal["triage", "investigating", "contained", "eradicated", "recovering", "resolved"]

# ---- triggers -------------------------------------------------------------------------


class Trigger(Strict):
    """When to consider running (``event``, not ``on``: YAML reads a bare ``on`` as true):

    * ``incident_declared``; ``severity_changed``; ``type_changed``;
    * ``field_changed`` (``fields``: which of the incident's fields, any when empty);
    * ``status_changed`` (``to``: the statuses, any when empty); ``phase_entered``
      (``phase``);
    * ``alert_matched`` (``condition`` over the alert: ``labels.<name>``, ``severity``,
      ``summary``, ``source``) — an alert linked to the incident, or arriving on one
      of its groups;
    * ``task_completed`` (``title_contains``, optional);
    * ``deadline_approaching`` (``deadline``: a regulatory report, ``gdpr-33/authority``,
      or a whole regime, ``nis2-23``; ``minutes``: at most this long before it is due);
    * ``manual``: only when someone runs it.
    """

    event: Literal[
        "incident_declared", "severity_changed", "type_changed", "field_changed",
        "status_changed", "phase_entered", "alert_matched", "task_completed",
        "deadline_approaching", "manual",
    ]  # fmt: skip
    fields: list[str] = Field(default_factory=list, max_length=20)
    to: list[str] = Field(default_factory=list, max_length=10)
    phase: Phase | None = None
    condition: Condition | None = None
    title_contains: str | None = Field(default=None, max_length=200)
    deadline: str | None = Field(default=None, max_length=80)
    minutes: Minutes | None = None


# ---- conditions -----------------------------------------------------------------------


class Leaf(Strict):
    """One test. ``field``: ``type``, ``severity`` (1-5), ``status``, ``services`` (names),
    ``sites``, ``tags``, ``customer_facing``, ``restricted``, ``alert_labels.<name>``
    (any linked alert), ``time_of_day`` ("HH:MM" in ``zone``, default UTC),
    ``weekday`` (mon..sun); in an alert trigger: ``labels.<name>``, ``severity``,
    ``summary``, ``source``."""

    field: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    op: Literal[
        "eq", "ne", "in", "not_in", "contains", "lt", "lte", "gt", "gte", "between", "matches",
        "exists",
    ]  # fmt: skip
    value: Any = None
    zone: str | None = Field(default=None, max_length=64)


class Condition(Strict):
    """Exactly one of: ``all`` / ``any`` (lists of conditions), ``not`` (a condition), or
    a leaf's ``field`` / ``op`` / ``value``."""

    all: list[Condition] | None = Field(default=None, max_length=50)
    any: list[Condition] | None = Field(default=None, max_length=50)
    not_: Condition | None = Field(default=None, alias="not")
    field: str | None = Field(default=None, max_length=120)
    op: str | None = None
    value: Any = None
    zone: str | None = Field(default=None, max_length=64)

    model_config = {"extra": "forbid", "populate_by_name": True}

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        kinds = [self.all is not None, self.any is not None, self.not_ is not None,
                 self.field is not None]  # fmt: skip
        if sum(kinds) != 1:
            raise ValueError("a condition is exactly one of: all, any, not, or field/op/value")
        if self.field is not None:
            Leaf.model_validate(
                {"field": self.field, "op": self.op, "value": self.value, "zone": self.zone}
            )
        return self


# ---- steps ----------------------------------------------------------------------------


class StepBase(Strict):
    name: StepName
    when: Condition | None = None  # skipped (and why) when this does not hold at run time


class TaskItem(Strict):
    title: Template
    description: Template = ""
    owner_role: str | None = Field(default=None, max_length=40)  # a role's key
    due_minutes: Minutes | None = None  # after the step runs
    phase: Phase | None = None


class TasksStep(StepBase):
    kind: Literal["tasks"]
    tasks: list[TaskItem] = Field(min_length=1, max_length=100)


class AssignRoleStep(StepBase):
    kind: Literal["assign_role"]
    role: str = Field(min_length=1, max_length=40)
    to: Literal["user", "on_call", "declarer"]
    user: Ref | None = None  # an email or a user id, for "user"
    schedule: Ref | None = None  # a schedule's name or id, for "on_call"


class PageStep(StepBase):
    kind: Literal["page"]
    target: Literal["user", "schedule", "escalation_policy"]
    ref: Ref  # email/id, schedule name/id, policy name/id
    message: Template = ""


class AddParticipantStep(StepBase):
    kind: Literal["add_participant"]
    user: Ref
    page: bool = True


class NotifyStep(StepBase):
    """A message (not a page) to announcement channels or stakeholders."""

    kind: Literal["notify"]
    channels: list[Ref] = Field(default_factory=list, max_length=20)  # channel ids
    stakeholders: bool = False  # the incident's subscribers
    subject: Template
    text: Template


class PostUpdateStep(StepBase):
    kind: Literal["post_update"]
    update: Literal["internal", "public"]
    conditions: Template = ""
    actions: Template = ""
    needs: Template = ""
    body: Template = ""
    public_status: Literal["investigating", "identified", "monitoring", "resolved"] | None = None


class SetFieldStep(StepBase):
    kind: Literal["set_field"]
    field: Literal["severity", "add_tag", "remove_tag", "restricted", "customer_facing"]
    value: Any


class ApplyRegimeStep(StepBase):
    """Mark a regulatory regime (``gdpr-33``, ``nis2-23`` ...) as applying to the incident,
    with ``reason``; ``facts`` records clock-starting facts not yet known: a fact key
    (``aware_at`` ...) → ``now``, ``detected`` (the incident's detection time) or
    ``declared``. A regime already applied is left as it is."""

    kind: Literal["apply_regime"]
    regime: Key
    reason: Template
    facts: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,79}$")],
        Literal["now", "detected", "declared"],
    ] = Field(default_factory=dict, max_length=10)


class WaitStep(StepBase):
    """Wait ``minutes``; or until ``until`` holds (checked as the incident changes and
    each minute), giving up after ``timeout_minutes`` (then ``on_timeout``)."""

    kind: Literal["wait"]
    minutes: Minutes | None = None
    until: Condition | None = None
    timeout_minutes: Minutes | None = None
    on_timeout: Literal["continue", "fail"] = "continue"

    @model_validator(mode="after")
    def _what(self) -> WaitStep:
        if (self.minutes is None) == (self.until is None):
            raise ValueError("a wait gives exactly one of minutes or until")
        return self


class ApprovalStep(StepBase):
    """Continue only once someone holding ``role`` in the incident (or an admin)
    approves; a rejection ends the run; no decision within ``timeout_minutes`` fails."""

    kind: Literal["approval"]
    role: str = Field(min_length=1, max_length=40)
    prompt: Template
    timeout_minutes: Minutes | None = None


class ActionStep(StepBase):
    """An HTTP request to another system. ``capture`` maps output names to dotted paths
    into the response (``status``, ``headers.<name>``, ``body.<path>``)."""

    kind: Literal["action"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: Template
    headers: dict[str, Template] = Field(default_factory=dict, max_length=30)
    body: Template | None = None
    capture: dict[StepName, str] = Field(default_factory=dict, max_length=30)
    timeout_seconds: Annotated[int, Field(ge=1, le=60)] = 10
    retries: Annotated[int, Field(ge=0, le=10)] = 3


Step = Annotated[
    TasksStep | AssignRoleStep | PageStep | AddParticipantStep | NotifyStep | PostUpdateStep
    | SetFieldStep | ApplyRegimeStep | WaitStep | ApprovalStep | ActionStep,
    Field(discriminator="kind"),
]  # fmt: skip


class PlaybookDef(Strict):
    key: Key
    name: Name
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    repeatable: bool = False
    enabled: bool = True
    triggers: list[Trigger] = Field(min_length=1, max_length=20)
    conditions: Condition | None = None
    steps: list[Step] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _unique_steps(self) -> PlaybookDef:
        names = [s.name for s in self.steps]
        if len(names) != len(set(names)):
            raise ValueError("step names must be unique")
        return self


Trigger.model_rebuild()
Condition.model_rebuild()
