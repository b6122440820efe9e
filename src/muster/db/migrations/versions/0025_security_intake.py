"""security-tool intake

No schema change: the security formats (muster.integrations.security) store through the
existing integrations and alerts tables (new integration types are plain strings).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
