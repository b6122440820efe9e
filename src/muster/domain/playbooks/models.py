"""Playbooks (versioned YAML documents), their runs against incidents, each run's steps
(rows the engine claims: timers, retries, approvals), and the secret store that actions
read from.

A run is pinned to the playbook version it started with; its steps are created up front
from that version's definition, in order, ``pending``; the engine takes them one at a
time. Runs and steps are never edited by people: approvals and cancellations are
commands that append events, and the engine moves the rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from muster.db.base import Base, id_column

RUN_STATUSES = ("running", "waiting", "awaiting_approval", "succeeded", "failed", "cancelled")
RUN_ENDED = ("succeeded", "failed", "cancelled")
STEP_STATUSES = (
    "pending", "running", "waiting", "awaiting_approval", "done", "skipped", "failed",
    "cancelled",
)  # fmt: skip


class Playbook(Base):
    __tablename__ = "playbooks"

    id: Mapped[str] = id_column()
    key: Mapped[str] = mapped_column(String(80), unique=True)  # a slug, from the file
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    repeatable: Mapped[bool] = mapped_column(Boolean, default=False)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)  # shipped with Muster
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]

    versions: Mapped[list[PlaybookVersion]] = relationship(
        back_populates="playbook", order_by="PlaybookVersion.version"
    )


class PlaybookVersion(Base):
    """One saved version: the YAML as written and its validated definition (JSON of
    :class:`muster.domain.playbooks.schemas.PlaybookDef`)."""

    __tablename__ = "playbook_versions"
    __table_args__ = (UniqueConstraint("playbook_id", "version", name="uq_playbook_versions"),)

    id: Mapped[str] = id_column()
    playbook_id: Mapped[str] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))

    playbook: Mapped[Playbook] = relationship(back_populates="versions")


class PlaybookRun(Base):
    """One playbook running (or having run) on one incident."""

    __tablename__ = "playbook_runs"
    __table_args__ = (
        Index("ix_playbook_runs_incident", "incident_id", "playbook_id"),
        Index("ix_playbook_runs_status", "status"),
    )

    id: Mapped[str] = id_column()
    playbook_id: Mapped[str] = mapped_column(ForeignKey("playbooks.id"))
    version_id: Mapped[str] = mapped_column(ForeignKey("playbook_versions.id"))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="running")
    trigger: Mapped[str] = mapped_column(String(200))  # what started it, in words
    trigger_event_id: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(320))
    ended_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(2000))
    # Outputs of finished steps by step name, for templates of later steps.
    outputs: Mapped[dict[str, Any]] = mapped_column(default=dict)

    steps: Mapped[list[RunStep]] = relationship(
        back_populates="run", order_by="RunStep.position", cascade="all, delete-orphan"
    )
    playbook: Mapped[Playbook] = relationship()
    version: Mapped[PlaybookVersion] = relationship()


class RunStep(Base):
    """A step of a run: ``definition`` is the step as written in the version; the engine
    claims it when ``status`` is pending/waiting and ``due_at`` has passed."""

    __tablename__ = "playbook_run_steps"
    __table_args__ = (
        UniqueConstraint("run_id", "position", name="uq_playbook_run_steps_position"),
        Index("ix_playbook_run_steps_due", "status", "due_at"),
    )

    id: Mapped[str] = id_column()
    run_id: Mapped[str] = mapped_column(ForeignKey("playbook_runs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30))
    definition: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    due_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]  # a wait's timeout, an approval's expiry
    output: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(String(2000))
    # Approvals: who decided, and how.
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decision: Mapped[str | None] = mapped_column(String(10))  # approved | rejected
    decided_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]  # an action in flight (sent with no transaction)

    run: Mapped[PlaybookRun] = relationship(back_populates="steps")


class Secret(Base):
    """A named secret for actions (an API token, a password), encrypted at rest with a
    key derived from the installation's secret key; write-only through every door."""

    __tablename__ = "secrets"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(80), unique=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
