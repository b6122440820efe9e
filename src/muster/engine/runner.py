"""The engine loop: run each registered module in turn, each isolated and bounded.

A module may also say, from a read-only look, whether it has anything to do: an optional
``pending(uow, now) -> bool`` (see :class:`Checked`). The runner asks first and skips a
module with nothing pending, so an idle module never takes the database's write lock
(on SQLite, every writing unit of work waits its turn for it, behind intake's commits).
A pass that acted on something is followed at once by the next; an idle pass waits
``interval`` seconds. In :meth:`Runner.run_forever` (not in ``run_once``), modules that
can move slow work to threads of their own (:class:`Background`: delivery's sends) do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from muster.db.uow import Database, UnitOfWork
from muster.engine.module import EngineModule
from muster.metrics import ENGINE_DURATION, ENGINE_ERRORS, ENGINE_ITEMS, ENGINE_RUNS
from muster.threads import start_thread

log = logging.getLogger(__name__)


@runtime_checkable
class Checked(Protocol):
    """A module that can tell, without writing, whether ``run_due`` would act."""

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        """Whether ``run_due`` may have anything to do at ``now``; runs in a read-only
        unit of work. False only when it certainly has nothing."""
        ...


@runtime_checkable
class Background(Protocol):
    """A module that, in a long-running engine, moves slow work (network sends) to threads
    of its own instead of finishing it within the pass."""

    def start_background(self) -> None: ...

    def stop_background(self, timeout: float = 10.0) -> None:
        """Wait up to ``timeout`` seconds for the work under way; drop what has not begun."""
        ...


@dataclass
class PassResult:
    """What one pass over the modules did: items acted on, and errors, by module."""

    items: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.items.values())


class Runner:
    def __init__(self, db: Database, modules: Sequence[EngineModule]) -> None:
        self.db = db
        self.modules = list(modules)
        self._stop = threading.Event()

    def run_once(self) -> PassResult:
        """One pass: each module in its own unit of work; a failure rolls back only that
        module's work and does not stop the others."""
        result = PassResult()
        for module in self.modules:
            if not self._pending(module):
                result.items[module.name] = 0
                continue
            start = time.perf_counter()
            ENGINE_RUNS.labels(module.name).inc()
            try:
                with self.db.unit_of_work() as uow:
                    count = module.run_due(uow, uow.now)
                    uow.commit()
                result.items[module.name] = count
                ENGINE_ITEMS.labels(module.name).inc(count)
            except Exception as exc:
                ENGINE_ERRORS.labels(module.name).inc()
                result.errors[module.name] = f"{type(exc).__name__}: {exc}"
                log.exception("engine module %s failed", module.name)
            finally:
                ENGINE_DURATION.labels(module.name).observe(time.perf_counter() - start)
        return result

    def _pending(self, module: EngineModule) -> bool:
        if not isinstance(module, Checked):
            return True
        try:
            with self.db.unit_of_work(readonly=True) as uow:
                return module.pending(uow, uow.now)
        except Exception:  # let the module run and report its own failure
            log.exception("engine module %s: checking for work failed", module.name)
            return True

    def run_until_idle(self, max_passes: int = 50) -> PassResult:
        """Repeat passes until one acts on nothing (for ``--once`` and tests)."""
        merged = PassResult()
        for _ in range(max_passes):
            result = self.run_once()
            for name, count in result.items.items():
                merged.items[name] = merged.items.get(name, 0) + count
            merged.errors.update(result.errors)
            if result.total == 0:
                break
        return merged

    def run_forever(self, interval: float) -> None:
        """Pass after pass until :meth:`stop`; modules doing slow work in the background
        (see :class:`Background`) do so only here, and are waited for at the end."""
        log.info("engine started with modules: %s", ", ".join(m.name for m in self.modules))
        background = [m for m in self.modules if isinstance(m, Background)]
        for module in background:
            module.start_background()
        try:
            while not self._stop.is_set():
                result = self.run_once()
                if result.total == 0:
                    self._stop.wait(interval)
        finally:
            for module in background:
                module.stop_background()

    def stop(self) -> None:
        self._stop.set()

    def start_thread(self, interval: float) -> threading.Thread:
        return start_thread(lambda: self.run_forever(interval), "muster-engine")
