"""evidence: items, custody, legal holds

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23 23:40:00
"""

from __future__ import annotations

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled in by the work on this area


def downgrade() -> None:
    pass
