"""single sign-on: OIDC providers, group mapping rules, identities

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-24 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import muster.db.base

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

UTC = muster.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sso_identities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_login_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sso_identities_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_identities")),
        sa.UniqueConstraint("issuer", "subject", name="uq_sso_identities_subject"),
    )
    op.create_index(op.f("ix_sso_identities_user_id"), "sso_identities", ["user_id"], unique=False)
    op.create_table(
        "sso_group_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=True),
        sa.Column("team_role", sa.String(length=20), nullable=True),
        sa.Column("account_role", sa.String(length=20), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_sso_group_rules_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_group_rules")),
    )
    op.create_index(
        op.f("ix_sso_group_rules_group_name"), "sso_group_rules", ["group_name"], unique=False
    )
    op.create_index(
        op.f("ix_sso_group_rules_team_id"), "sso_group_rules", ["team_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sso_group_rules_team_id"), table_name="sso_group_rules")
    op.drop_index(op.f("ix_sso_group_rules_group_name"), table_name="sso_group_rules")
    op.drop_table("sso_group_rules")
    op.drop_index(op.f("ix_sso_identities_user_id"), table_name="sso_identities")
    op.drop_table("sso_identities")
