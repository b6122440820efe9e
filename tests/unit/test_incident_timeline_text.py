"""The one-line text and the link of timeline entries, for each kind of event."""

from __future__ import annotations

from typing import Any

import pytest

from muster.domain.incidents.timeline_text import describe, link_of, short

NAMES = {"u1": "Ada", "u2": "Grace"}
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("incident.declared", {"title": "Checkout down", "severity": 1}, "declared: Checkout down (SEV1)"),
    ("incident.updated", {"changes": {"severity": {"from": 3, "to": 1}, "impact": {}}},
     "changed severity SEV3 → SEV1, impact"),
    ("incident.status_changed", {"from": "triage", "to": "contained", "note": "fw rule"},
     "status Triage → Contained: fw rule"),
    ("incident.participant_added", {"user_id": "u1", "page": True}, "added Ada (paged)"),
    ("incident.participant_left", {"user_id": "u9", "user_name": "Old Name"}, "Old Name left"),
    ("incident.role_assigned", {"user_id": "u2", "role_name": "Incident Commander"},
     "Grace is Incident Commander"),
    ("incident.role_relinquished", {"user_id": "u2", "role": "scribe", "reason": "left"},
     "Grace no longer scribe (left)"),
    ("incident.task_created", {"title": "Rotate keys"}, "new task: Rotate keys"),
    ("incident.task_updated", {"title": "Rotate keys", "changes": {"status": {"to": "done"}}},
     "task Rotate keys: done"),
    ("incident.task_updated", {"title": "Rotate keys", "changes": {"owner_id": {}, "due_at": {}}},
     "task Rotate keys: changed owner, due at"),
    ("incident.task_reminded", {"title": "Rotate keys", "user_id": "u1"},
     "reminded Ada of the task Rotate keys"),
    ("incident.update_posted", {"kind": "internal"}, "posted an internal status update"),
    ("incident.update_posted", {"kind": "public"}, "posted a public status update"),
    ("incident.merged", {"target_ref": "INC-7"}, "merged into INC-7"),
    ("incident.absorbed", {"source_ref": "INC-8"}, "INC-8 merged into this one"),
    ("incident.split", {"incident_id": "a", "new_incident_id": "b", "new_ref": "INC-9"},
     "alert group split off into INC-9"),
    ("incident.split", {"incident_id": "b", "new_incident_id": "b", "source_ref": "INC-1"},
     "split off from INC-1"),
    ("notification.sent", {"user_id": "u1", "method_type": "sms"}, "sent by sms to Ada"),
    ("notification.failed", {"user_id": "u2", "error": "bounced"}, "failed to Grace: bounced"),
    ("escalation.level_reached", {"level": 2}, "escalation level reached (level 2)"),
    ("playbook.step_done", {}, "playbook step done"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "data", "text"), CASES)
def test_each_kind_reads_as_one_line(kind: str, data: dict[str, Any], text: str) -> None:
    assert describe(kind, data, NAMES) == text


def test_long_and_multi_line_text_is_cut() -> None:
    assert short("first line\nsecond") == "first line"
    cut = short("x" * 500)
    assert len(cut) == 160
    assert cut.endswith("…")


def test_links_lead_to_what_the_entry_is_about() -> None:
    inc = {"incident_id": "i1"}
    assert link_of("alert.resolved", "alert", "a1", {}) == "/alerts/a1"
    assert link_of("escalation.started", "alert_group", "g1", {}) == "/alert-groups/g1"
    assert link_of("notification.sent", "user", "u1", {"group_id": "g2"}) == "/alert-groups/g2"
    assert link_of("notification.sent", "user", "u1", {}) is None
    assert (
        link_of("incident.merged", "incident", "i1", {**inc, "target_id": "i2"}) == "/incidents/i2"
    )
    assert link_of("incident.attachment_added", "incident", "i1",
                   {**inc, "kind": "link", "url": "https://x.example"}) == "https://x.example"  # fmt: skip
    assert link_of("incident.attachment_added", "incident", "i1",
                   {**inc, "kind": "file", "attachment_id": "f1"}) == "/incidents/i1/attachments/f1"  # fmt: skip
    assert link_of("incident.task_updated", "incident", "i1", {**inc, "task_id": "t1"}) == (
        "/incidents/i1#task-t1"
    )
    assert link_of("incident.key_event_marked", "incident", "i1", {**inc, "event_id": "e1"}) == (
        "/incidents/i1#ev-e1"
    )
    assert link_of("incident.note_added", "incident", "i1", inc) is None


@pytest.mark.parametrize(
    ("kind", "data", "text"),
    [
        ("incident.regime_applied", {"regime": "gdpr-33", "regime_name": "GDPR art. 33", "reason": "PII"},
         "GDPR art. 33 applies: PII"),
        ("incident.compliance_fact_recorded", {"fact": "aware_at", "reason": "DPO told"},
         "recorded aware: DPO told"),
        ("incident.compliance_fact_recorded", {"fact": "affected_people", "number": 512, "reason": ""},
         "recorded affected people (512)"),
        ("incident.deadline_approaching", {"name": "Authority", "deadline": "gdpr-33/authority",
                                           "minutes_left": 60, "page": True},
         "Authority (gdpr-33/authority): 60 minutes left — paging"),
        ("incident.deadline_approaching", {"name": "Authority", "deadline": "gdpr-33/authority",
                                           "minutes_left": 2160, "page": False},
         "Authority (gdpr-33/authority): 36 hours left"),
        ("incident.report_submitted", {"name": "Authority", "deadline": "gdpr-33/authority",
                                       "recipient": "CNIL", "late": True, "reference": "R-1"},
         "submitted Authority (gdpr-33/authority) to CNIL (late), ref. R-1"),
        ("incident.evidence_verification_failed", {"label": "EV-2", "detail": "hash differs"},
         "evidence EV-2 FAILED verification: hash differs"),
        ("incident.asset_status_changed", {"kind": "host", "name": "fs01", "previous": "tbd",
                                           "status": "compromised"},
         "host fs01: to be determined → compromised"),
        ("incident.technique_added", {"technique_id": "T1486", "name": "Data Encrypted for Impact",
                                      "tactic": "impact"},
         "ATT&CK T1486 Data Encrypted for Impact (impact)"),
        ("incident.exported", {"format": "pdf"}, "exported as PDF"),
    ],
)  # fmt: skip
def test_records_beside_the_incident_read_plainly(
    kind: str, data: dict[str, Any], text: str
) -> None:
    assert describe(kind, data, NAMES) == text


def test_record_entries_lead_to_their_page() -> None:
    inc = {"incident_id": "i1"}
    assert link_of("incident.clock_started", "incident", "i1", inc) == "/incidents/i1/compliance"
    assert link_of("incident.legal_hold_placed", "incident", "i1", inc) == "/incidents/i1/evidence"
    assert link_of("incident.observable_added", "incident", "i1", inc) == (
        "/incidents/i1/investigation"
    )
