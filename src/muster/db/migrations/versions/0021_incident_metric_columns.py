"""per-incident metric moments kept as columns: impact start, first acknowledgement,
Commander engaged (muster.domain.incidents.metric_moments), filled for existing incidents

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import muster.db.base

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

UTC = muster.db.base.UTCDateTime(timezone=True)
COLUMNS = ("impact_started_at", "first_acknowledged_at", "commander_engaged_at")

# The moments as metric_moments defines them, for the incidents already there. Each is
# the least of some candidates; a candidate that never happened is NULL and left out.
CANDIDATES = {
    "impact_started_at": (
        "(SELECT min(a.occurred_at) FROM incident_alert_groups l "
        "JOIN alerts a ON a.group_id = l.group_id WHERE l.incident_id = incidents.id)",
        "(SELECT min(g.first_seen) FROM incident_alert_groups l "
        "JOIN alert_groups g ON g.id = l.group_id WHERE l.incident_id = incidents.id)",
    ),
    "first_acknowledged_at": (
        "(SELECT min(g.acknowledged_at) FROM incident_alert_groups l "
        "JOIN alert_groups g ON g.id = l.group_id WHERE l.incident_id = incidents.id)",
        "(SELECT min(r.started_at) FROM incident_role_assignments r "
        "WHERE r.incident_id = incidents.id)",
        "(SELECT incidents.declared_at FROM users u WHERE u.email = incidents.declared_by)",
    ),
    "commander_engaged_at": (
        "(SELECT min(r.started_at) FROM incident_role_assignments r "
        "JOIN incident_role_types t ON t.id = r.role_type_id "
        "WHERE r.incident_id = incidents.id AND t.key = 'commander')",
    ),
}


def _least(candidates: tuple[str, ...]) -> str:
    """The smallest non-NULL of ``candidates`` (NULL when all are)."""
    if len(candidates) == 1:
        return candidates[0]
    union = " UNION ALL ".join(f"SELECT {c} AS m" for c in candidates)
    return f"(SELECT min(m) FROM ({union}) AS candidates)"  # noqa: S608 - constants only


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, UTC, nullable=True))
    sets = ", ".join(f"{name} = {_least(CANDIDATES[name])}" for name in COLUMNS)
    op.execute(f"UPDATE incidents SET {sets}")  # noqa: S608 - constants only


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
