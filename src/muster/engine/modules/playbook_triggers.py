"""Starts playbook runs from the event log (cursor "playbooks"): incident events and
alerts seen on incidents, offered to every enabled playbook (see
:mod:`muster.domain.playbooks.attach`). Runs start in the same transaction as the cursor
moves, so each event is considered exactly once. With no playbook enabled the cursor
jumps to the end of the log: playbooks hear only what happens after they exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.events.models import Event
from muster.domain.playbooks.attach import react
from muster.domain.playbooks.service import enabled_playbooks
from muster.engine.feed_reaction import FeedReaction

CURSOR = "playbooks"


class PlaybookTriggers(FeedReaction):
    name = "playbook_triggers"
    cursor = CURSOR

    def listening(self, uow: UnitOfWork) -> bool:
        return bool(enabled_playbooks(uow))

    def react(self, uow: UnitOfWork, events: Sequence[Event], now: datetime) -> int:
        """How many runs started."""
        return react(uow, events, now)
