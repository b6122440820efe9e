"""What the web layer needs from the process: settings, database, clock."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from muster.clock import Clock
from muster.config import Settings
from muster.db.uow import Database


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    db: Database
    clock: Clock


def app_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx
