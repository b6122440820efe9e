"""From a person's contact methods and rules to the steps of one page (pure).

A person with no rule for an urgency gets the defaults: high — push, chat, email and
webhook at once, SMS after 2 minutes, a voice call after 5 (each only while the alert
group is still unacknowledged; SMS or voice alone go at once); low — email at once (or
the first other method when there is no email).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

URGENCIES = ("high", "low")
DEFAULT_HIGH_DELAY = {"push": 0, "chat": 0, "email": 0, "webhook": 0, "sms": 2, "voice": 5}
# The order in which a failed method falls through to the next one.
FALLBACK_ORDER = ("push", "chat", "email", "webhook", "sms", "voice")


@dataclass(frozen=True)
class MethodView:
    id: str
    type: str
    label: str
    usable: bool  # verified and not removed


@dataclass(frozen=True)
class RuleView:
    id: str
    urgency: str
    method_id: str
    delay_minutes: int


@dataclass(frozen=True)
class Step:
    method_id: str
    method_type: str
    delay_minutes: int
    rule_id: str | None  # None: a default step

    @property
    def name(self) -> str:
        return f"{'rule' if self.rule_id else 'default'} +{self.delay_minutes}m"


def _order(method_type: str) -> int:
    return FALLBACK_ORDER.index(method_type) if method_type in FALLBACK_ORDER else 99


def default_steps(methods: Iterable[MethodView], urgency: str) -> list[Step]:
    usable = sorted((m for m in methods if m.usable), key=lambda m: _order(m.type))
    if not usable:
        return []
    if urgency == "low":
        emails = [m for m in usable if m.type == "email"]
        chosen = emails or usable[:1]
        return [Step(m.id, m.type, 0, None) for m in chosen]
    steps = [Step(m.id, m.type, DEFAULT_HIGH_DELAY.get(m.type, 0), None) for m in usable]
    if all(s.delay_minutes > 0 for s in steps):  # only SMS / voice: the first goes at once
        first = steps[0]
        steps[0] = Step(first.method_id, first.method_type, 0, None)
    return sorted(steps, key=lambda s: (s.delay_minutes, _order(s.method_type)))


def steps_for(methods: Sequence[MethodView], rules: Sequence[RuleView], urgency: str) -> list[Step]:
    """The steps of a page at ``urgency``: the person's rules for it on usable methods,
    or the defaults when they have none for it."""
    mine = [r for r in rules if r.urgency == urgency]
    if not mine:
        return default_steps(methods, urgency)
    by_id = {m.id: m for m in methods}
    steps = [
        Step(r.method_id, by_id[r.method_id].type, r.delay_minutes, r.id)
        for r in mine
        if r.method_id in by_id and by_id[r.method_id].usable
    ]
    return sorted(steps, key=lambda s: (s.delay_minutes, _order(s.method_type)))


def rules_beyond(steps: Iterable[Step], step_delay_minutes: int) -> list[Step]:
    """The steps that come later than ``step_delay_minutes`` after the page: by then the
    escalation has moved to its next level, so they may never matter."""
    return [s for s in steps if s.delay_minutes > step_delay_minutes]


def warnings_for(methods: Sequence[MethodView], rules: Sequence[RuleView]) -> list[str]:
    """What a person should fix before they are paged."""
    found: list[str] = []
    if not any(m.usable for m in methods):
        found.append(
            "You have no verified contact method: pages cannot reach you. Add one and verify it."
        )
    by_id = {m.id: m for m in methods}
    for rule in rules:
        method = by_id.get(rule.method_id)
        if method is not None and not method.usable:
            found.append(
                f"A {rule.urgency}-urgency rule uses “{method.label}”, which is not verified:"
                " it is skipped until you verify it."
            )
    for urgency in URGENCIES:
        mine = [r for r in rules if r.urgency == urgency]
        if mine and not steps_for(methods, rules, urgency):
            found.append(
                f"None of your {urgency}-urgency rules can be used: nothing would reach you."
            )
        elif mine and min(r.delay_minutes for r in mine) > 0:
            found.append(f"Your first {urgency}-urgency rule waits; nothing is sent at once.")
    return found
