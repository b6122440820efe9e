"""compliance clocks: regimes, reports, holiday calendars, incident regimes, facts, clocks, submissions

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23 23:19:31.429971
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import muster.db.base
from muster.ids import new_id

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

REPORT_DEFAULTS: dict[str, Any] = {
    "recipient": "", "time_zone": "UTC", "holiday_calendar": None, "cap_starts_on": None,
    "cap_amount": None, "cap_unit": None, "min_affected": None, "late_needs_reason": True,
    "guidance": "",
}  # fmt: skip

# (key, name, description, proposed, reports); each report lists what differs from
# REPORT_DEFAULTS. The texts are summaries for the people running the clock, not legal
# advice: check them with counsel.
REGIMES: list[tuple[str, str, str, bool, list[dict[str, Any]]]] = [
    ("gdpr-33", "GDPR art. 33 (personal-data breach)",
     "EU General Data Protection Regulation, article 33: the controller notifies the "
     "competent supervisory authority of a personal-data breach without undue delay and, "
     "where feasible, within 72 hours of becoming aware of it, unless the breach is "
     "unlikely to result in a risk to people's rights and freedoms. Document every breach "
     "(art. 33(5)) even when not notified. Telling the people affected (art. 34) is not "
     "clocked here.", False, [
        {"key": "authority", "name": "Notification to the supervisory authority",
         "recipient": "supervisory authority", "starts_on": "aware_at", "amount": 72,
         "unit": "hours",
         "guidance": "Describe the nature of the breach (categories and approximate numbers "
         "of people and records concerned), the data protection officer's contact point, the "
         "likely consequences and the measures taken or proposed. Information not yet known "
         "may follow in phases without undue further delay. A notification later than 72 "
         "hours must give the reasons for the delay."},
     ]),
    ("nis2-23", "NIS2 art. 23 (significant incident)",
     "EU NIS2 Directive (2022/2555), article 23: essential and important entities notify "
     "their CSIRT or competent authority of every significant incident, in stages: an early "
     "warning, an incident notification and a final report (national transpositions may "
     "add details).", False, [
        {"key": "early-warning", "name": "Early warning",
         "recipient": "CSIRT / competent authority", "starts_on": "aware_at", "amount": 24,
         "unit": "hours",
         "guidance": "Within 24 hours of becoming aware of the significant incident. Say "
         "whether it is suspected to be caused by unlawful or malicious acts and whether it "
         "could have a cross-border impact."},
        {"key": "notification", "name": "Incident notification",
         "recipient": "CSIRT / competent authority", "starts_on": "aware_at", "amount": 72,
         "unit": "hours",
         "guidance": "Within 72 hours of becoming aware (24 hours for trust service "
         "providers). Update the early warning and give an initial assessment: severity, "
         "impact and, where available, indicators of compromise. The CSIRT may ask for "
         "intermediate reports."},
        {"key": "final", "name": "Final report",
         "recipient": "CSIRT / competent authority", "starts_on": "submitted:notification",
         "amount": 1, "unit": "months",
         "guidance": "Within one month of the incident notification: a detailed description "
         "(severity, impact), the type of threat or root cause, the mitigation applied and "
         "ongoing, and any cross-border impact. If the incident is still ongoing then, send "
         "a progress report and the final report within one month of having handled it."},
     ]),
    ("sec-8k-105", "SEC Form 8-K item 1.05 (material cybersecurity incident)",
     "US Securities and Exchange Commission, Form 8-K item 1.05: a registrant discloses a "
     "cybersecurity incident within four business days of determining that it is "
     "material. The materiality determination itself must be made without unreasonable "
     "delay after discovery. Business days are US federal business days: weekends and "
     "federal holidays do not count.", False, [
        {"key": "form-8k", "name": "Form 8-K item 1.05 filing",
         "recipient": "US Securities and Exchange Commission (EDGAR)",
         "starts_on": "material_at", "amount": 4, "unit": "business_days",
         "time_zone": "America/New_York", "holiday_calendar": "us-federal",
         "guidance": "Describe the material aspects of the incident's nature, scope and "
         "timing, and its material impact or reasonably likely material impact on the "
         "registrant, including its financial condition and results of operations. The "
         "deadline shown is the end of the fourth business day in Eastern time; EDGAR's "
         "filing day closes earlier in the evening, so file before then. Filing may be "
         "delayed only if the US Attorney General notifies the SEC in writing of a "
         "substantial risk to national security or public safety. Information not yet "
         "available goes into a later 8-K/A amendment."},
     ]),
    ("hipaa", "HIPAA breach notification",
     "US HIPAA Breach Notification Rule (45 CFR 164.400-414): after discovering a breach "
     "of unsecured protected health information a covered entity notifies the people "
     "affected and HHS (and prominent media when more than 500 residents of one state or "
     "jurisdiction are affected; not clocked here). A business associate notifies the "
     "covered entity within the same 60 days.", False, [
        {"key": "individuals", "name": "Notice to individuals",
         "recipient": "affected individuals", "starts_on": "discovered_at", "amount": 60,
         "unit": "calendar_days",
         "guidance": "Without unreasonable delay and in no case later than 60 calendar days "
         "after discovery (45 CFR 164.404): 60 days is an outer limit, not a safe harbour. "
         "Written notice by first-class mail (or email if the person agreed); substitute "
         "notice when contact details are missing for 10 or more people."},
        {"key": "hhs", "name": "Notice to HHS",
         "recipient": "US Department of Health and Human Services (OCR breach portal)",
         "starts_on": "discovered_at", "amount": 60, "unit": "calendar_days",
         "min_affected": 500,
         "guidance": "For a breach affecting 500 or more people: at the same time as the "
         "notices to individuals, at most 60 calendar days from discovery (45 CFR 164.408). "
         "Breaches affecting fewer than 500 are logged and reported within 60 days after "
         "the end of the calendar year."},
     ]),
    ("dora", "DORA major ICT-related incident",
     "EU Digital Operational Resilience Act (Regulation 2022/2554), article 19, with the "
     "time limits of Delegated Regulation 2025/301: financial entities report major "
     "ICT-related incidents to their competent authority in three stages. Some entities "
     "may send reports due on a weekend or holiday by noon of the next working day (check "
     "your authority's rules).", False, [
        {"key": "initial", "name": "Initial notification", "recipient": "competent authority",
         "starts_on": "classified_major_at", "amount": 4, "unit": "hours",
         "cap_starts_on": "aware_at", "cap_amount": 24, "cap_unit": "hours",
         "guidance": "Within 4 hours of classifying the incident as major, and no later "
         "than 24 hours from becoming aware of it, whichever comes first."},
        {"key": "intermediate", "name": "Intermediate report",
         "recipient": "competent authority", "starts_on": "submitted:initial",
         "amount": 72, "unit": "hours",
         "guidance": "Within 72 hours of the initial notification, and again without undue "
         "delay when regular activities have been recovered or the status changes "
         "significantly. Record each update as a submission: the final report's clock runs "
         "from the latest one."},
        {"key": "final", "name": "Final report", "recipient": "competent authority",
         "starts_on": "submitted:intermediate", "amount": 1, "unit": "months",
         "guidance": "Within one month of the latest intermediate report: root causes, "
         "the measures taken, the incident's total impact and its costs and losses."},
     ]),
    ("circia", "CIRCIA (proposed rule)",
     "US Cyber Incident Reporting for Critical Infrastructure Act of 2022: covered "
     "entities report covered cyber incidents and ransom payments to CISA. PROPOSED: the "
     "final rule is not yet in force; these clocks follow the statute and CISA's proposed "
     "rule and will change when the rule is final.", True, [
        {"key": "covered-incident", "name": "Covered cyber incident report",
         "recipient": "CISA", "starts_on": "reasonable_belief_at", "amount": 72,
         "unit": "hours",
         "guidance": "No later than 72 hours after reasonably believing that a covered "
         "cyber incident has occurred. Send supplemental reports as substantial new "
         "information becomes available."},
        {"key": "ransom-payment", "name": "Ransom payment report", "recipient": "CISA",
         "starts_on": "ransom_paid_at", "amount": 24, "unit": "hours",
         "guidance": "No later than 24 hours after a ransom payment is made, even when the "
         "attack is not a covered cyber incident. A payment made before the covered "
         "incident report is sent may be reported with it in one joint report."},
     ]),
]  # fmt: skip


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "holiday_calendars",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_calendars")),
        sa.UniqueConstraint("key", name=op.f("uq_holiday_calendars_key")),
    )
    op.create_table(
        "regimes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("proposed", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regimes")),
        sa.UniqueConstraint("key", name=op.f("uq_regimes_key")),
    )
    op.create_table(
        "holidays",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["holiday_calendars.id"],
            name=op.f("fk_holidays_calendar_id_holiday_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holidays")),
        sa.UniqueConstraint("calendar_id", "day", name="uq_holidays_day"),
    )
    with op.batch_alter_table("holidays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holidays_calendar_id"), ["calendar_id"], unique=False)

    op.create_table(
        "regime_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("regime_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.String(length=80), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("holiday_calendar", sa.String(length=40), nullable=True),
        sa.Column("cap_starts_on", sa.String(length=80), nullable=True),
        sa.Column("cap_amount", sa.Integer(), nullable=True),
        sa.Column("cap_unit", sa.String(length=20), nullable=True),
        sa.Column("min_affected", sa.Integer(), nullable=True),
        sa.Column("late_needs_reason", sa.Boolean(), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["regime_id"],
            ["regimes.id"],
            name=op.f("fk_regime_reports_regime_id_regimes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regime_reports")),
        sa.UniqueConstraint("regime_id", "key", name="uq_regime_reports_key"),
    )
    op.create_table(
        "compliance_clocks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("regime_id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_pct", sa.Integer(), nullable=False),
        sa.Column("paged_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("missed_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("missed_reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_compliance_clocks_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["regime_id"], ["regimes.id"], name=op.f("fk_compliance_clocks_regime_id_regimes")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["regime_reports.id"],
            name=op.f("fk_compliance_clocks_report_id_regime_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_clocks")),
        sa.UniqueConstraint("incident_id", "report_id", name="uq_compliance_clocks_report"),
    )
    with op.batch_alter_table("compliance_clocks", schema=None) as batch_op:
        batch_op.create_index("ix_compliance_clocks_next_check", ["next_check_at"], unique=False)
        batch_op.create_index("ix_compliance_clocks_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "compliance_facts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_compliance_facts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_facts")),
        sa.UniqueConstraint("incident_id", "key", name="uq_compliance_facts_key"),
    )
    op.create_table(
        "incident_regimes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("regime_id", sa.String(length=36), nullable=False),
        sa.Column("applied_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("removed_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_regimes_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["regime_id"], ["regimes.id"], name=op.f("fk_incident_regimes_regime_id_regimes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_regimes")),
        sa.UniqueConstraint("incident_id", "regime_id", name="uq_incident_regimes_regime"),
    )
    with op.batch_alter_table("incident_regimes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_regimes_regime_id"), ["regime_id"], unique=False
        )

    op.create_table(
        "compliance_submissions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("clock_id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("submitted_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("document_name", sa.String(length=300), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("document_size", sa.Integer(), nullable=True),
        sa.Column("late_reason", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["clock_id"],
            ["compliance_clocks.id"],
            name=op.f("fk_compliance_submissions_clock_id_compliance_clocks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_compliance_submissions_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_submissions")),
    )
    with op.batch_alter_table("compliance_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compliance_submissions_clock_id"), ["clock_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_compliance_submissions_incident_id"), ["incident_id"], unique=False
        )

    # ### end Alembic commands ###
    _seed()


def _seed() -> None:
    """The built-in holiday calendar and catalogue of regimes (admins edit them later)."""
    now = datetime.now(UTC)
    meta = sa.MetaData()
    calendars = sa.Table("holiday_calendars", meta, autoload_with=op.get_bind())
    regimes = sa.Table("regimes", meta, autoload_with=op.get_bind())
    reports = sa.Table("regime_reports", meta, autoload_with=op.get_bind())
    op.bulk_insert(calendars, [
        {"id": new_id(), "key": "us-federal", "name": "US federal holidays", "builtin": True,
         "created_at": now, "updated_at": now},
    ])  # fmt: skip
    regime_rows: list[dict[str, Any]] = []
    report_rows: list[dict[str, Any]] = []
    for key, name, description, proposed, its_reports in REGIMES:
        regime_id = new_id()
        regime_rows.append({
            "id": regime_id, "key": key, "name": name, "description": description,
            "proposed": proposed, "builtin": True, "version": 1, "created_at": now,
            "updated_at": now, "archived_at": None,
        })  # fmt: skip
        for position, report in enumerate(its_reports):
            report_rows.append({**REPORT_DEFAULTS, **report, "id": new_id(),
                                "regime_id": regime_id, "position": position * 10})  # fmt: skip
    op.bulk_insert(regimes, regime_rows)
    op.bulk_insert(reports, report_rows)


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("compliance_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_submissions_incident_id"))
        batch_op.drop_index(batch_op.f("ix_compliance_submissions_clock_id"))

    op.drop_table("compliance_submissions")
    with op.batch_alter_table("incident_regimes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_regimes_regime_id"))

    op.drop_table("incident_regimes")
    op.drop_table("compliance_facts")
    with op.batch_alter_table("compliance_clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_compliance_clocks_status_due")
        batch_op.drop_index("ix_compliance_clocks_next_check")

    op.drop_table("compliance_clocks")
    op.drop_table("regime_reports")
    with op.batch_alter_table("holidays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holidays_calendar_id"))

    op.drop_table("holidays")
    op.drop_table("regimes")
    op.drop_table("holiday_calendars")
    # ### end Alembic commands ###
