"""The registered engine modules, in the order the runner runs them."""

from __future__ import annotations

from collections.abc import Mapping

from muster.channels.base import Channel
from muster.config import Settings
from muster.engine.module import EngineModule
from muster.engine.modules.action_item_reminders import ActionItemReminders
from muster.engine.modules.alert_correlation import AlertCorrelation
from muster.engine.modules.audit_forwarding import AuditForwarding
from muster.engine.modules.compliance_clocks import ComplianceClocks
from muster.engine.modules.delivery import Delivery
from muster.engine.modules.drills import Drills
from muster.engine.modules.escalation_reactions import EscalationReactions
from muster.engine.modules.escalation_timers import EscalationTimers
from muster.engine.modules.frigate_evidence import FrigateEvidence
from muster.engine.modules.heartbeats import Heartbeats
from muster.engine.modules.incident_commander import IncidentCommander
from muster.engine.modules.incident_metric_moments import IncidentMetricMoments
from muster.engine.modules.incident_tasks import IncidentTasks
from muster.engine.modules.incident_updates import IncidentUpdates
from muster.engine.modules.incident_webhooks import IncidentWebhooks
from muster.engine.modules.notifications import Notifications
from muster.engine.modules.observable_extraction import ObservableExtraction
from muster.engine.modules.playbook_steps import PlaybookSteps
from muster.engine.modules.playbook_triggers import PlaybookTriggers
from muster.engine.modules.retention import Retention
from muster.engine.modules.review_creation import ReviewCreation
from muster.engine.modules.review_reminders import ReviewReminders
from muster.engine.modules.schedule_gaps import ScheduleGaps
from muster.engine.modules.site_correlation import SiteCorrelation
from muster.engine.modules.token_expiry import TokenExpiry


def default_modules(
    settings: Settings | None = None, *, channels: Mapping[str, Channel] | None = None
) -> list[EngineModule]:
    """``settings`` configure delivery (default: the environment's, read when a message
    is first due); ``channels`` replace delivery channels (tests)."""
    # Reactions before timers: an escalation started (or stopped) by an event takes (or
    # skips) its step in the same pass. Notifications queue what escalation requested,
    # and delivery sends it, in the same pass too.
    return [
        TokenExpiry(),
        Heartbeats(),
        SiteCorrelation(),  # before escalation: an alert or incident it raises pages this pass
        EscalationReactions(),
        EscalationTimers(),
        IncidentCommander(),
        IncidentTasks(),
        IncidentUpdates(),
        ComplianceClocks(),
        ActionItemReminders(),
        ReviewCreation(),  # before notifications: participants are asked for feedback this pass
        ReviewReminders(),
        PlaybookTriggers(),  # before steps: a run started takes its first step this pass
        Drills(),  # before notifications: drill messages and pages go out this pass
        PlaybookSteps(settings),  # before notifications: its pages go out in the same pass
        Notifications(),
        IncidentWebhooks(),
        Delivery(settings, channels),
        ScheduleGaps(),
        AlertCorrelation(),  # before extraction: an alert it links gives its observables
        ObservableExtraction(),
        FrigateEvidence(settings),  # fetches after its pass commits
        IncidentMetricMoments(),
        Retention(settings),  # at most hourly; off unless MUSTER_RETENTION_DAYS is set
        AuditForwarding(settings),  # last: it streams what the others recorded this pass
    ]
