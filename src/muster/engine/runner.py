"""The engine loop: run each registered module in turn, each isolated and bounded."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from muster.db.uow import Database
from muster.engine.module import EngineModule
from muster.metrics import ENGINE_DURATION, ENGINE_ERRORS, ENGINE_ITEMS, ENGINE_RUNS

log = logging.getLogger(__name__)


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
        log.info("engine started with modules: %s", ", ".join(m.name for m in self.modules))
        while not self._stop.is_set():
            result = self.run_once()
            if result.total == 0:
                self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()

    def start_thread(self, interval: float) -> threading.Thread:
        thread = threading.Thread(
            target=self.run_forever, args=(interval,), name="muster-engine", daemon=True
        )
        thread.start()
        return thread
