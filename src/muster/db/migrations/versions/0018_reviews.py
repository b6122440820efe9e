"""reviews: post-incident reviews, templates, feedback

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-24 00:10:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base
from muster.ids import new_id

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTCDT = muster.db.base.UTCDateTime(timezone=True)

# The built-in template; ``{{name}}`` placeholders are filled from what Muster knows
# (muster.domain.reviews.prefill).
DEFAULT_BODY = """# Post-incident review: {{reference}} {{title}}

## Summary
{{summary}}

## Impact
- Severity: {{severity}}; type: {{type}}
- Duration (detected to resolved): {{duration}}
- Customers / users affected: {{impact}}
- SLA breaches: _to fill in_

## Detection
{{detection}}

_How could we halve the time to detect?_

## Response
{{phases}}

## Recovery
_How service was restored, and how we knew it was._

## Contributing factors and root cause
_What made this possible?_

### Five whys (optional)
1. Why did it happen?
2. Why?
3. Why?
4. Why?
5. Why?

## What went well

## What did not go well

## Action items
_Follow-up actions are tracked on the review page._

## Timeline
{{timeline}}

## Responders
{{responders}}

## Alerts
{{alerts}}

## Notifications
{{notifications}}

## Internal and external messages
{{updates}}

## Regulatory submissions
{{submissions}}
"""


def upgrade() -> None:
    op.create_table(
        "review_templates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("type_keys", JSON, nullable=False),
        sa.Column("severities", JSON, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDT, nullable=False),
        sa.Column("updated_at", UTCDT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_review_templates_name")),
    )
    op.create_table(
        "review_policy",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("severities", JSON, nullable=False),
        sa.Column("type_keys", JSON, nullable=False),
        sa.Column("due_business_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDT, nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_policy")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("template_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("meeting_at", UTCDT, nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("due_at", UTCDT, nullable=True),
        sa.Column("created_at", UTCDT, nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", UTCDT, nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("approved_at", UTCDT, nullable=True),
        sa.Column("approved_by", sa.String(length=320), nullable=True),
        sa.Column("published_at", UTCDT, nullable=True),
        sa.Column("reminded_at", UTCDT, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_reviews_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_reviews_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["review_templates.id"],
            name=op.f("fk_reviews_template_id_review_templates"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_reviews_incident_id")),
    )  # fmt: skip
    op.create_index("ix_reviews_status_due", "reviews", ["status", "due_at"])
    op.create_index(op.f("ix_reviews_owner_id"), "reviews", ["owner_id"])
    op.create_table(
        "review_feedback",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("review_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDT, nullable=False),
        sa.Column("updated_at", UTCDT, nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_feedback_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_review_feedback_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_feedback")),
        sa.UniqueConstraint("review_id", "user_id", name="uq_review_feedback_user"),
    )  # fmt: skip
    now = datetime.now(UTC)
    templates = sa.table(
        "review_templates", sa.column("id"), sa.column("name"), sa.column("type_keys", JSON),
        sa.column("severities", JSON), sa.column("body"), sa.column("builtin"),
        sa.column("created_at", UTCDT), sa.column("updated_at", UTCDT),
    )  # fmt: skip
    op.bulk_insert(templates, [{
        "id": new_id(), "name": "Default review", "type_keys": [], "severities": [],
        "body": DEFAULT_BODY, "builtin": True, "created_at": now, "updated_at": now,
    }])  # fmt: skip
    policy = sa.table(
        "review_policy", sa.column("id"), sa.column("severities", JSON),
        sa.column("type_keys", JSON), sa.column("due_business_days"),
        sa.column("updated_at", UTCDT), sa.column("updated_by"),
    )  # fmt: skip
    op.bulk_insert(policy, [{
        "id": "default", "severities": [1, 2], "type_keys": ["security"],
        "due_business_days": 5, "updated_at": now, "updated_by": "migration",
    }])  # fmt: skip


def downgrade() -> None:
    op.drop_table("review_feedback")
    op.drop_index(op.f("ix_reviews_owner_id"), table_name="reviews")
    op.drop_index("ix_reviews_status_due", table_name="reviews")
    op.drop_table("reviews")
    op.drop_table("review_policy")
    op.drop_table("review_templates")
