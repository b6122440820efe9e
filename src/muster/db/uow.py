"""The unit of work: one transaction that commits rows and events together, and runs
after-commit hooks only when the commit succeeded.

Rows written in bulk (the event log, intake's alerts) are buffered in memory and handed
to :meth:`UnitOfWork.defer`: they are written like the ORM's own pending objects, at the
next flush (explicit, before a query, or at commit), and dropped on rollback.

Use it as a context manager::

    with db.unit_of_work() as uow:
        do_create_team(uow, actor, ...)
        uow.commit()

Leaving the block without ``commit()`` rolls everything back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker

from muster.clock import Clock
from muster.db.writer_queue import writer_queue

if TYPE_CHECKING:
    from muster.domain.events.service import AppendedEvent

log = logging.getLogger(__name__)

# The advisory lock that serialises writing transactions on PostgreSQL ("muster" in ASCII).
WRITER_LOCK_KEY = 0x6D7573746572
# How long a SQLite writer queues for the process's writer lock (SQLite's busy timeout).
WRITER_WAIT_SECONDS = 30.0


class Database:
    """Owns the engine and hands out units of work. One per process."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            bind=engine.execution_options(muster_readonly=True), expire_on_commit=False
        )
        # SQLite: writers of this process queue here, first come first served, instead of
        # polling for SQLite's lock (see muster.db.writer_queue); one queue per engine.
        self._writer = writer_queue(engine) if engine.dialect.name == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self, *, readonly: bool = False) -> UnitOfWork:
        """A unit of work. Writing units run one at a time on either database: SQLite by
        ``BEGIN IMMEDIATE``, PostgreSQL by a transaction-scoped advisory lock taken first.
        So the event log's positions are handed out in commit order (the engine's feed
        never steps past an event committed late), and writers cannot deadlock. On SQLite
        a writing unit also holds the process's writer lock until it commits or ends."""
        factory = self._read_sessions if readonly else self._sessions
        release: Callable[[], None] | None = None
        writer = None if readonly else self._writer
        if writer is not None and writer.acquire(timeout=WRITER_WAIT_SECONDS):
            release = writer.release
        try:
            session = factory()
            if not readonly and self.dialect == "postgresql":
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY}
                )
        except BaseException:
            if release is not None:
                release()
            raise
        return UnitOfWork(session, self.clock, readonly=readonly, release=release)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        *,
        readonly: bool = False,
        release: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self._release = release  # the writer lock's release, called once
        self.clock = clock
        self.readonly = readonly
        self.now = clock.now()
        self.events: list[AppendedEvent] = []
        # Per-transaction memo for values that cannot change under this transaction's
        # locks (a locked stream head, intake's view of open alerts).
        self.memo: dict[object, Any] = {}
        self._after_commit: list[Callable[[], None]] = []
        self._deferred: dict[object, Callable[[], None]] = {}
        self._before_commit: dict[object, Callable[[], None]] = {}
        self._committed = False
        session.info[_UOW] = self

    @property
    def dialect(self) -> str:
        bind = self.session.get_bind()
        return bind.dialect.name

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed and not self.readonly:
            self.session.rollback()
        self._deferred.clear()
        self._before_commit.clear()
        # Closing ends the transaction; what a read-only unit loaded stays readable.
        self.session.close()
        self.session.info.pop(_UOW, None)
        self._let_go()

    def _let_go(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once the transaction has committed; never if it rolls back."""
        self._after_commit.append(hook)

    def before_commit(self, key: object, hook: Callable[[], None]) -> None:
        """Run ``hook`` at :meth:`commit`, once everything pending is flushed and before
        the transaction commits; once, however often it is asked for under ``key``. For
        derived values that must see the whole change (a hook may ask for more hooks)."""
        if key not in self._before_commit:
            self._before_commit[key] = hook

    def _run_before_commit(self) -> None:
        while self._before_commit:
            self.flush()
            hooks = list(self._before_commit.values())
            self._before_commit.clear()
            for hook in hooks:
                hook()

    def defer(self, key: object, write: Callable[[], None]) -> None:
        """Call ``write`` at the next flush, before the ORM flushes its own objects; once,
        however often it is deferred under the same ``key``. ``write`` writes rows held
        in memory (through ``session.connection()``)."""
        if key not in self._deferred:
            self._deferred[key] = write

    def write_deferred(self) -> None:
        while self._deferred:
            writes = list(self._deferred.values())
            self._deferred.clear()
            for write in writes:
                write()

    def flush(self) -> None:
        self.write_deferred()
        self.session.flush()

    def commit(self) -> None:
        if self.readonly:
            raise RuntimeError("commit() on a read-only unit of work")
        self._run_before_commit()
        self.write_deferred()
        self.session.commit()
        self._committed = True
        self._let_go()  # before the hooks: they may open writing units of their own
        self.memo.clear()
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            try:
                hook()
            except Exception:  # a failed hook must not undo a committed change
                log.exception("after-commit hook failed")

    def rollback(self) -> None:
        self.session.rollback()
        self._after_commit.clear()
        self._deferred.clear()
        self._before_commit.clear()
        self.events.clear()
        self.memo.clear()


_UOW = "muster.unit_of_work"


@event.listens_for(Session, "before_flush")
def _write_before_flush(session: Session, _context: UOWTransaction, _instances: object) -> None:
    uow: UnitOfWork | None = session.info.get(_UOW)
    if uow is not None:
        uow.write_deferred()


@event.listens_for(Session, "do_orm_execute")
def _write_before_query(state: ORMExecuteState) -> None:
    """Autoflush for deferred rows: a query sees them, as it sees pending objects (the ORM
    flushes only when it has objects of its own to write)."""
    uow: UnitOfWork | None = state.session.info.get(_UOW)
    if uow is not None and uow._deferred and state.session.autoflush:
        uow.write_deferred()
