"""Evaluating correlation rules as site events arrive (the engine's ``site_correlation``
module calls :func:`correlate` with events not yet considered, and marks them).

For an event E of one of a rule's kinds, in the rule's scope (the same zone, or site):

1. E already in a match of the rule: nothing more.
2. A match of the rule in the same place whose events are all within the window of E:
   E joins it (no second alert or incident for the same happening).
3. Otherwise, if each other kind of the rule has an event in the same place, not in a
   match of the rule yet, so that all of them lie within the window (earliest to
   latest), the nearest such set and E make a new match, and its outcome is raised.

Events may arrive in any order (B before A, a late upload of an old event): the last
of a set to be considered completes the match, so the order does not matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import product

from sqlalchemy import and_, exists, select

from muster.db.uow import UnitOfWork
from muster.domain.correlation.models import (
    CorrelationMatch,
    CorrelationMatchEvent,
    CorrelationRule,
)
from muster.domain.correlation.outcomes import on_joined, raise_outcome
from muster.domain.correlation.rules import enabled_rules
from muster.domain.sites.models import Site, SiteEvent, Zone

CANDIDATES_PER_KIND = 8  # nearest in time, per other kind, tried in combination


def correlate(uow: UnitOfWork, events: Sequence[SiteEvent]) -> int:
    """Consider each event against the enabled rules and mark it; returns how many new
    matches were made. Events at a drill run's own site are marked and not matched: a
    rule's outcome is real work, which a drill must never raise.
    Precondition: the events are not yet considered."""
    rules = enabled_rules(uow)
    drill_sites = _drill_sites(uow, {event.site_id for event in events})
    made = 0
    for event in events:
        for rule in rules if event.site_id not in drill_sites else ():
            if event.kind in rule.kinds and _in_scope(uow, rule, event):
                made += _consider(uow, rule, event)
        event.correlated_at = uow.now
    uow.flush()
    return made


def _drill_sites(uow: UnitOfWork, site_ids: set[str]) -> set[str]:
    if not site_ids:
        return set()
    found = uow.session.scalars(
        select(Site.id).where(Site.id.in_(site_ids), Site.exercise_run_id.is_not(None))
    )
    return set(found)


def _in_scope(uow: UnitOfWork, rule: CorrelationRule, event: SiteEvent) -> bool:
    if rule.scope != "zone":
        return True
    if event.zone_id is None:
        return False
    if rule.restricted_only:
        zone = uow.session.get(Zone, event.zone_id)
        return zone is not None and zone.restricted
    return True


def _place(rule: CorrelationRule, event: SiteEvent) -> list[object]:
    """Conditions on a site event being in the same place as ``event`` for ``rule``."""
    same: list[object] = [SiteEvent.site_id == event.site_id]
    if rule.scope == "zone":
        same.append(SiteEvent.zone_id == event.zone_id)
    return same


def _in_match_of(rule: CorrelationRule) -> object:
    """A site event is already in a match of ``rule``."""
    return exists().where(
        CorrelationMatchEvent.site_event_id == SiteEvent.id,
        CorrelationMatchEvent.match_id == CorrelationMatch.id,
        CorrelationMatch.rule_id == rule.id,
    )


def _consider(uow: UnitOfWork, rule: CorrelationRule, event: SiteEvent) -> int:
    window = timedelta(minutes=rule.window_minutes)
    already = uow.session.scalar(
        select(CorrelationMatchEvent.match_id)
        .join(CorrelationMatch, CorrelationMatch.id == CorrelationMatchEvent.match_id)
        .where(CorrelationMatchEvent.site_event_id == event.id, CorrelationMatch.rule_id == rule.id)
    )
    if already is not None:
        return 0
    joined = _match_to_join(uow, rule, event, window)
    if joined is not None:
        _link(uow, joined, [event])
        joined.first_event_at = min(joined.first_event_at, event.occurred_at)
        joined.last_event_at = max(joined.last_event_at, event.occurred_at)
        on_joined(uow, joined, event)
        return 0
    chosen = _complete_set(uow, rule, event, window)
    if chosen is None:
        return 0
    members = [event, *chosen]
    times = [e.occurred_at for e in members]
    match = CorrelationMatch(
        rule_id=rule.id, rule_name=rule.name, site_id=event.site_id,
        zone_id=event.zone_id if rule.scope == "zone" else None,
        first_event_at=min(times), last_event_at=max(times), matched_at=uow.now,
    )  # fmt: skip
    uow.session.add(match)
    uow.flush()
    _link(uow, match, members)
    raise_outcome(uow, rule, match, sorted(members, key=lambda e: (e.occurred_at, e.id)))
    return 1


def _match_to_join(
    uow: UnitOfWork, rule: CorrelationRule, event: SiteEvent, window: timedelta
) -> CorrelationMatch | None:
    at = event.occurred_at
    query = (
        select(CorrelationMatch)
        .where(
            CorrelationMatch.rule_id == rule.id,
            CorrelationMatch.site_id == event.site_id,
            CorrelationMatch.first_event_at >= at - window,
            CorrelationMatch.last_event_at <= at + window,
        )
        .order_by(CorrelationMatch.matched_at.desc(), CorrelationMatch.id)
        .limit(1)
    )
    if rule.scope == "zone":
        query = query.where(CorrelationMatch.zone_id == event.zone_id)
    return uow.session.scalar(query)


def _complete_set(
    uow: UnitOfWork, rule: CorrelationRule, event: SiteEvent, window: timedelta
) -> list[SiteEvent] | None:
    """The other kinds' events that complete a match with ``event`` (the set spanning
    the least time), or None."""
    at = event.occurred_at
    per_kind: list[list[SiteEvent]] = []
    for kind in rule.kinds:
        if kind == event.kind:
            continue
        rows = uow.session.scalars(
            select(SiteEvent).where(
                and_(*_place(rule, event)),  # type: ignore[arg-type]
                SiteEvent.kind == kind,
                SiteEvent.id != event.id,
                SiteEvent.occurred_at >= at - window,
                SiteEvent.occurred_at <= at + window,
                ~_in_match_of(rule),  # type: ignore[operator]
            )
        ).all()
        if not rows:
            return None
        rows = sorted(rows, key=lambda e: (abs((e.occurred_at - at).total_seconds()), e.id))
        per_kind.append(rows[:CANDIDATES_PER_KIND])
    best: tuple[float, list[SiteEvent]] | None = None
    for combo in product(*per_kind):
        times = [at, *(e.occurred_at for e in combo)]
        span = (max(times) - min(times)).total_seconds()
        if span <= window.total_seconds() and (best is None or span < best[0]):
            best = (span, list(combo))
    return None if best is None else best[1]


def _link(uow: UnitOfWork, match: CorrelationMatch, events: Sequence[SiteEvent]) -> None:
    for e in events:
        uow.session.add(
            CorrelationMatchEvent(match_id=match.id, site_event_id=e.id, joined_at=uow.now)
        )
    uow.flush()
