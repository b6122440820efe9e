"""Retention policies per kind (alerts, raw payloads, incidents, notifications, evidence)
and the pass that applies them; legal holds always win."""
