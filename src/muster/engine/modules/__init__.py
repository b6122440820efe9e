"""The registered engine modules, in the order the runner runs them."""

from __future__ import annotations

from muster.engine.module import EngineModule
from muster.engine.modules.heartbeats import Heartbeats
from muster.engine.modules.token_expiry import TokenExpiry


def default_modules() -> list[EngineModule]:
    return [TokenExpiry(), Heartbeats()]
