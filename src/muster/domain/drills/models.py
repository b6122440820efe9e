"""Drills: scenarios (versioned YAML documents), their runs, each run's injects and
expectations, the debrief answers and the action items a drill leaves.

A run is pinned to the scenario version it started with; its injects and expectations
are rows made up front from that version's definition. Time in a run is **drill time**:
seconds since the start, not counting pauses (``pauses`` keeps each pause as
``[start, end]``, ``end`` None while paused). ``due_offset``/``deadline_offset`` are in
drill time; ``next_check_at`` (wall time) is the engine's timer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from muster.db.base import Base, id_column

MODES = ("live", "tabletop")
RUN_STATUSES = ("running", "paused", "ended")
INJECT_STATUSES = ("pending", "fired", "skipped", "failed")
EXPECTATION_STATUSES = ("pending", "met", "partly", "missed")
ACTION_STATUSES = ("open", "in_progress", "done", "wont_do")


class Scenario(Base):
    __tablename__ = "drill_scenarios"

    id: Mapped[str] = id_column()
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]


class ScenarioVersion(Base):
    """One saved version: the YAML as written and its validated definition (JSON of
    :class:`muster.domain.drills.schemas.ScenarioDef`)."""

    __tablename__ = "drill_scenario_versions"
    __table_args__ = (
        UniqueConstraint("scenario_id", "version", name="uq_drill_scenario_versions"),
    )

    id: Mapped[str] = id_column()
    scenario_id: Mapped[str] = mapped_column(ForeignKey("drill_scenarios.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))


class DrillRun(Base):
    """One run of a scenario by a team. ``participants`` maps a scenario role to a user
    id. ``service_id`` is the run's exercise service (no foreign key: cleanup removes it
    and the run stays, with its report)."""

    __tablename__ = "drill_runs"
    __table_args__ = (
        Index("ix_drill_runs_status_check", "status", "next_check_at"),
        Index("ix_drill_runs_team", "team_id", "started_at"),
    )

    id: Mapped[str] = id_column()
    scenario_id: Mapped[str] = mapped_column(ForeignKey("drill_scenarios.id"))
    version_id: Mapped[str] = mapped_column(ForeignKey("drill_scenario_versions.id"))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    title: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="running")
    facilitator_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    participants: Mapped[dict[str, Any]] = mapped_column(default=dict)
    service_id: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(320))
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))  # completed | ended_early
    pauses: Mapped[list[Any]] = mapped_column(default=list)
    next_check_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Float)  # expectations met, 0-100
    report_kept_at: Mapped[datetime | None]
    report: Mapped[dict[str, Any] | None]  # the report as kept (survives cleanup)
    cleaned_up_at: Mapped[datetime | None]

    injects: Mapped[list[RunInject]] = relationship(
        back_populates="run", order_by="RunInject.position", cascade="all, delete-orphan"
    )
    expectations: Mapped[list[RunExpectation]] = relationship(
        back_populates="run", order_by="RunExpectation.position", cascade="all, delete-orphan"
    )


class RunInject(Base):
    """An inject of a run: ``definition`` as written; ``due_offset`` (drill seconds) once
    it is known (its dependencies fired, its condition held); ``output`` what firing it
    did (alert ids, who was told)."""

    __tablename__ = "drill_run_injects"
    __table_args__ = (UniqueConstraint("run_id", "position", name="uq_drill_run_injects_position"),)

    id: Mapped[str] = id_column()
    run_id: Mapped[str] = mapped_column(ForeignKey("drill_runs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))
    definition: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    due_offset: Mapped[int | None] = mapped_column(Integer)
    fired_at: Mapped[datetime | None]
    fired_offset: Mapped[int | None] = mapped_column(Integer)
    output: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(String(2000))

    run: Mapped[DrillRun] = relationship(back_populates="injects")


class RunExpectation(Base):
    """An expectation of a run. Automatic ones are met by the first matching event of
    the run at or after their window's start; ``observed_offset`` is when (drill time),
    kept also when it came after the deadline (missed, by how much). Manual ones are
    graded by the facilitator (met / partly / missed, with a note)."""

    __tablename__ = "drill_run_expectations"
    __table_args__ = (
        UniqueConstraint("run_id", "position", name="uq_drill_run_expectations_position"),
    )

    id: Mapped[str] = id_column()
    run_id: Mapped[str] = mapped_column(ForeignKey("drill_runs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    check: Mapped[str] = mapped_column(String(40))
    definition: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    start_offset: Mapped[int | None] = mapped_column(Integer)  # None: its inject not yet fired
    deadline_offset: Mapped[int | None] = mapped_column(Integer)
    observed_offset: Mapped[int | None] = mapped_column(Integer)
    event_id: Mapped[str | None] = mapped_column(String(36))
    graded_by: Mapped[str | None] = mapped_column(String(320))
    note: Mapped[str] = mapped_column(Text, default="")

    run: Mapped[DrillRun] = relationship(back_populates="expectations")


class Debrief(Base):
    """One participant's answers after the drill."""

    __tablename__ = "drill_debriefs"
    __table_args__ = (UniqueConstraint("run_id", "user_id", name="uq_drill_debriefs_user"),)

    id: Mapped[str] = id_column()
    run_id: Mapped[str] = mapped_column(ForeignKey("drill_runs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    went_well: Mapped[str] = mapped_column(Text, default="")
    went_badly: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int] = mapped_column(Integer)  # 1-5
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DrillActionItem(Base):
    """A follow-up a drill leaves, tracked as review action items are (status open,
    in_progress, done, wont_do; overdue ones reminded once a day by the same code,
    :mod:`muster.domain.drills.action_reminders`); shown as ``DA-<number>``.

    Not a review :class:`~muster.domain.reviews.action_models.ActionItem`: those belong
    to an incident (required, deleted with it), and a drill's incidents are removed by
    its cleanup while its follow-ups must stay."""

    __tablename__ = "drill_action_items"
    __table_args__ = (Index("ix_drill_action_items_status_due", "status", "due_on"),)

    id: Mapped[str] = id_column()
    run_id: Mapped[str] = mapped_column(ForeignKey("drill_runs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")
    wont_do_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    reminded_on: Mapped[date | None] = mapped_column(Date)  # UTC day of the last reminder
