"""investigation: observables, affected assets, ATT&CK techniques

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-23 23:40:00
"""

from __future__ import annotations

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled in by the work on this area


def downgrade() -> None:
    pass
