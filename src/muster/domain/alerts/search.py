"""The alert list's text search: a case-insensitive substring of the summary, the source
or the dedup key.

:func:`matches` is what the search means, on every database. Over a million alerts it
would read every row when little matches, so an index finds the candidates first
(:mod:`muster.db.alert_search`): on PostgreSQL a pg_trgm index the planner uses for the
same conditions; on SQLite an FTS5 trigram table, asked here (:func:`narrowed`). Either
only narrows the rows :func:`matches` is applied to: the answer is the same.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Integer,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
)

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert

# A trigram index knows nothing of shorter text.
MIN_INDEXED = 3
# More candidates than this: the text is common, and walking the list in its order finds
# a page of matches sooner than fetching and sorting every candidate.
MANY = 5000
# The text's trigrams asked about (a long text needs only a few rare ones), and how many
# rare ones are enough to intersect.
MAX_PROBES = 12
ENOUGH_RARE = 3

# The FTS5 table of muster.db.alert_search.
_CANDIDATES = text("SELECT rowid FROM alert_search WHERE alert_search MATCH :query").columns(
    column("rowid", Integer)
)
_HOW_MANY = select(func.count()).select_from(
    text("(SELECT 1 FROM alert_search WHERE alert_search MATCH :query LIMIT :cap)")
)


def matches(text_: str) -> ColumnElement[bool]:
    """The search: ``text_`` appears in the summary, source or dedup key, ignoring case."""
    escaped = text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = "%" + escaped + "%"
    return or_(
        Alert.summary.ilike(like, escape="\\"),
        Alert.source.ilike(like, escape="\\"),
        Alert.dedup_key.ilike(like, escape="\\"),
    )


def narrowed(uow: UnitOfWork, text_: str) -> ColumnElement[bool] | None:
    """On SQLite, a condition limiting the alerts to the index's candidates for
    ``text_``, when there are few; None when the index cannot help (short or common text,
    another database).

    An alert holding the text holds each of its trigrams, so the alerts holding a few of
    them are candidates enough. The rare ones are chosen, each asked about with a bounded
    count: a trigram in most alerts (``hos`` of ``host-17``) costs a read of its whole
    list of alerts when intersected, far more than the rare ones cost together.
    """
    if uow.dialect != "sqlite" or len(text_) < MIN_INDEXED:
        return None
    trigrams = dict.fromkeys(text_[i : i + 3] for i in range(len(text_) - 2))
    rare: list[str] = []
    for trigram in list(trigrams)[:MAX_PROBES]:
        term = _fts_string(trigram)
        count = uow.session.execute(_HOW_MANY, {"query": term, "cap": MANY}).scalar_one()
        if count == 0:  # no alert holds this part of the text
            return false()
        if count < MANY:
            rare.append(term)
            if len(rare) == ENOUGH_RARE:
                break
    if not rare:
        return None
    query = " AND ".join(rare)
    return literal_column("alerts.rowid").in_(_CANDIDATES.bindparams(query=query))


def _fts_string(trigram: str) -> str:
    """An FTS5 string: every character literal (its tokenizer folds case as it indexed)."""
    return '"' + trigram.replace('"', '""') + '"'
