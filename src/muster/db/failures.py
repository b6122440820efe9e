"""Which database errors are the data's fault, and which are worth retrying.

A value the database refuses (a string too long for its column, a constraint it breaks)
fails the same way however often it is sent: the sender should be told what is wrong
(400). Anything else - the database busy or locked, the connection lost, this
transaction chosen as the loser of a conflict, the disk full - may pass on a retry, and
senders such as Alertmanager retry only 5xx.
"""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

MAX_REASON = 300


def is_data_error(exc: SQLAlchemyError) -> bool:
    """Whether the database refused the values themselves (not worth a retry)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return False
    return isinstance(exc, DataError | IntegrityError)


def data_error_reason(exc: SQLAlchemyError) -> str:
    """The database's own words for a refused value, on one line, without the statement
    or its parameters (which may hold what others sent)."""
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    lines = str(original).strip().splitlines()
    text = " ".join((lines[0] if lines else "").split()) or type(original).__name__
    return "the database refused a value: " + text[:MAX_REASON]
