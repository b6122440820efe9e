"""The copy of a policy a running escalation follows (pure).

Paging starts from a snapshot, so editing or archiving the policy later never changes an
escalation under way; reassigning an escalation replaces its snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from muster.domain.escalation.models import EscalationPolicy


@dataclass(frozen=True)
class LevelSnap:
    delay_minutes: int
    targets: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class PolicySnap:
    policy_id: str | None
    name: str
    team_id: str | None
    repeat_count: int
    ack_timeout_minutes: int | None
    levels: tuple[LevelSnap, ...]
    urgency_rules: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, data: dict[str, Any]) -> PolicySnap:
        return cls(
            policy_id=data.get("policy_id"),
            name=str(data.get("name", "")),
            team_id=data.get("team_id"),
            repeat_count=int(data.get("repeat_count", 0)),
            ack_timeout_minutes=data.get("ack_timeout_minutes"),
            levels=tuple(
                LevelSnap(int(level["delay_minutes"]), tuple(dict(t) for t in level["targets"]))
                for level in data.get("levels", [])
            ),
            urgency_rules=dict(data.get("urgency_rules") or {}),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "name": self.name,
            "team_id": self.team_id,
            "repeat_count": self.repeat_count,
            "ack_timeout_minutes": self.ack_timeout_minutes,
            "levels": [
                {"delay_minutes": level.delay_minutes, "targets": [dict(t) for t in level.targets]}
                for level in self.levels
            ],
            "urgency_rules": dict(self.urgency_rules),
        }


def take_snapshot(policy: EscalationPolicy, urgency_rules: dict[str, Any]) -> PolicySnap:
    """The policy as it stands now, with the service's urgency rules."""
    return PolicySnap(
        policy_id=policy.id,
        name=policy.name,
        team_id=policy.team_id,
        repeat_count=policy.repeat_count,
        ack_timeout_minutes=policy.ack_timeout_minutes,
        levels=tuple(
            LevelSnap(level.delay_minutes, tuple(dict(t) for t in level.targets))
            for level in sorted(policy.levels, key=lambda lv: lv.position)
        ),
        urgency_rules=dict(urgency_rules or {}),
    )


def single_user_snapshot(base: PolicySnap, user_id: str, user_name: str, delay: int) -> PolicySnap:
    """What an escalation reassigned to one person follows: that person alone, repeated as
    the previous policy repeated, with its ack timeout and urgency rules."""
    return PolicySnap(
        policy_id=None,
        name=f"Reassigned to {user_name}",
        team_id=base.team_id,
        repeat_count=base.repeat_count,
        ack_timeout_minutes=base.ack_timeout_minutes,
        levels=(LevelSnap(delay, ({"type": "user", "id": user_id},)),),
        urgency_rules=dict(base.urgency_rules),
    )


def targets_named(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target a stored snapshot names, skipping whatever is malformed (to look them
    up ahead of the steps; a step still fails on a snapshot it cannot read)."""
    levels = data.get("levels") if isinstance(data, dict) else None
    found: list[dict[str, Any]] = []
    for level in levels if isinstance(levels, list) else []:
        targets = level.get("targets") if isinstance(level, dict) else None
        found += [t for t in targets if isinstance(t, dict)] if isinstance(targets, list) else []
    return found
