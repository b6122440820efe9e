"""Incidents and what hangs off them: types, severity definitions, role definitions,
role assignments, participants, linked alert groups, tasks, notes, key events,
attachments, status updates, stakeholder subscriptions, saved views, outgoing webhooks.

The timeline itself is the event log (stream ``incident:<id>``); the tables here hold
the current state that pages and lists read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from muster.db.base import Base, id_column
from muster.domain.accounts.models import User


class IncidentType(Base):
    """Operational, security, physical security ... plus admin-defined types."""

    __tablename__ = "incident_types"

    id: Mapped[str] = id_column()
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(1000), default="")
    restricted_by_default: Mapped[bool] = mapped_column(Boolean, default=False)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]


class SeverityLevel(Base):
    """SEV1 (1) to SEV5 (5): the admin-editable definition shown beside the picker, the
    status update cadence, and whether an Incident Commander is required."""

    __tablename__ = "severity_levels"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(1000), default="")
    update_cadence_minutes: Mapped[int | None] = mapped_column(Integer)
    requires_commander: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


# The key of the Incident Commander role type.
COMMANDER = "commander"


class IncidentRoleType(Base):
    """A role someone can hold in an incident, with short instructions for the holder."""

    __tablename__ = "incident_role_types"

    id: Mapped[str] = id_column()
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    instructions: Mapped[str] = mapped_column(String(2000), default="")
    position: Mapped[int] = mapped_column(Integer, default=100)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]


# Every column the metrics page reads or filters on (migration 0032): 100,000 incidents
# are counted from this index, never from the wide rows.
METRICS_INDEX = (
    "declared_at", "status", "severity", "type_key", "restricted", "exercise_run_id",
    "detected_at", "contained_at", "resolved_at", "closed_at", "impact_started_at",
    "first_acknowledged_at", "commander_engaged_at", "id",
)  # fmt: skip


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint("severity BETWEEN 1 AND 5", name="severity_range"),
        Index("ix_incidents_declared", "declared_at", "id"),
        Index("ix_incidents_status_declared", "status", "declared_at", "id"),
        Index("ix_incidents_severity_declared", "severity", "declared_at", "id"),
        Index("ix_incidents_metrics", *METRICS_INDEX),
    )

    id: Mapped[str] = id_column()
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    type_key: Mapped[str] = mapped_column(ForeignKey("incident_types.key"), index=True)
    severity: Mapped[int] = mapped_column(ForeignKey("severity_levels.level"))
    status: Mapped[str] = mapped_column(String(20))
    impact: Mapped[str] = mapped_column(Text, default="")
    customer_facing: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    sites: Mapped[list[Any]] = mapped_column(default=list)
    # When each phase was entered (None until it is); detected_at may predate declared_at.
    detected_at: Mapped[datetime]
    declared_at: Mapped[datetime]
    investigating_at: Mapped[datetime | None]
    contained_at: Mapped[datetime | None]
    eradicated_at: Mapped[datetime | None]
    recovering_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    in_review_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    merged_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]
    # Moments the response-time metrics are measured from, derived from linked alerts and
    # roles and kept by muster.domain.incidents.metric_moments.
    impact_started_at: Mapped[datetime | None]
    first_acknowledged_at: Mapped[datetime | None]
    commander_engaged_at: Mapped[datetime | None]
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    declared_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime]
    # Communication cadence and the engine's reminders (timers are rows).
    last_update_at: Mapped[datetime | None]
    next_update_due_at: Mapped[datetime | None] = mapped_column(index=True)
    update_reminded_at: Mapped[datetime | None]
    commander_paged_at: Mapped[datetime | None]
    # Set on what a drill run creates (muster.domain.exercises); None for real work.
    exercise_run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # The site it happened at (taken from the alert it was declared from, or set).
    site_id: Mapped[str | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), index=True
    )

    services: Mapped[list[IncidentService]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class IncidentService(Base):
    __tablename__ = "incident_services"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), primary_key=True, index=True)


class IncidentAlertGroup(Base):
    """An alert group linked to an incident (a group belongs to at most one)."""

    __tablename__ = "incident_alert_groups"

    group_id: Mapped[str] = mapped_column(ForeignKey("alert_groups.id"), primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    linked_at: Mapped[datetime]
    linked_by: Mapped[str] = mapped_column(String(320))


class RoleAssignment(Base):
    """Who held a role in an incident, from when to when (``ended_at`` None: now)."""

    __tablename__ = "incident_role_assignments"
    __table_args__ = (Index("ix_incident_role_assignments_open", "incident_id", "ended_at"),)

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    role_type_id: Mapped[str] = mapped_column(ForeignKey("incident_role_types.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    assigned_by: Mapped[str] = mapped_column(String(320))
    ended_by: Mapped[str | None] = mapped_column(String(320))

    role_type: Mapped[IncidentRoleType] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")


class Participant(Base):
    """One stint of a person in an incident (joined, added, left)."""

    __tablename__ = "incident_participants"
    __table_args__ = (Index("ix_incident_participants_user", "user_id", "left_at"),)

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    added_by: Mapped[str] = mapped_column(String(320))

    user: Mapped[User] = relationship(lazy="joined")


TASK_STATUSES = ("open", "done", "cancelled")


class Task(Base):
    __tablename__ = "incident_tasks"
    __table_args__ = (Index("ix_incident_tasks_due", "status", "due_at"),)

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10), default="open")
    phase: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(120), default="manual")  # or playbook:<id>
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    completed_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(lazy="joined")


class Note(Base):
    """A responder's note (Markdown); a correction replaces ``body`` and keeps the old
    text in the event log."""

    __tablename__ = "incident_notes"

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    author_label: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime]
    corrected_at: Mapped[datetime | None]


class KeyEvent(Base):
    """A timeline entry marked as key (feeds the review)."""

    __tablename__ = "incident_key_events"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    marked_at: Mapped[datetime]
    marked_by: Mapped[str] = mapped_column(String(320))


class Attachment(Base):
    """A file (content stored by SHA-256) or a link attached to an incident."""

    __tablename__ = "incident_attachments"

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # file | link
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    content_type: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))


class StatusUpdate(Base):
    """An internal update (conditions / actions / needs) or a public one (plain
    language, with the status the status page shows)."""

    __tablename__ = "incident_status_updates"
    __table_args__ = (Index("ix_incident_status_updates_incident", "incident_id", "posted_at"),)

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # internal | public
    public_status: Mapped[str | None] = mapped_column(String(20))
    conditions: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    posted_at: Mapped[datetime]
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    author_label: Mapped[str] = mapped_column(String(320))


class Subscription(Base):
    """A stakeholder (a person or an announcement channel) following an incident, a
    service or a severity: they receive status updates, never pages."""

    __tablename__ = "incident_subscriptions"
    __table_args__ = (
        UniqueConstraint(
            "subscriber_type",
            "subscriber_id",
            "scope_type",
            "scope_id",
            name="uq_incident_subscriptions_scope",
        ),
        Index("ix_incident_subscriptions_scope", "scope_type", "scope_id"),
    )

    id: Mapped[str] = id_column()
    subscriber_type: Mapped[str] = mapped_column(String(10))  # user | channel
    subscriber_id: Mapped[str] = mapped_column(String(36))
    scope_type: Mapped[str] = mapped_column(String(10))  # incident | service | severity
    scope_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))


class SavedView(Base):
    """A named incident-list filter (its query string), one's own or shared."""

    __tablename__ = "incident_saved_views"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    query: Mapped[str] = mapped_column(String(2000))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class IncidentWebhook(Base):
    """An admin's subscription of a URL to incident events, signed like notification
    webhooks; its ``position`` is how far in the event log it has been sent."""

    __tablename__ = "incident_webhooks"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[Any]] = mapped_column(default=list)  # empty: every type
    include_restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    disabled_at: Mapped[datetime | None]
