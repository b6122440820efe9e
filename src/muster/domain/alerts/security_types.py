"""Which integration types carry security-tool detections (their alerts get observables
extracted and are correlated across sources)."""

from __future__ import annotations

SECURITY_TYPES = frozenset({"wazuh", "suricata", "falco", "elastic", "splunk", "cef"})
PHYSICAL_TYPES = frozenset({"frigate", "access_control", "access_control_mqtt"})
