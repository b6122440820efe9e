"""The security-tool formats by integration type: each parses a request body (raw bytes
or decoded JSON) into a :class:`SecurityBatch`."""

from __future__ import annotations

from collections.abc import Callable

from muster.integrations.security.cef import parse_cef
from muster.integrations.security.common import SecurityBatch
from muster.integrations.security.elastic import parse_elastic
from muster.integrations.security.falco import parse_falco
from muster.integrations.security.splunk import parse_splunk
from muster.integrations.security.suricata import parse_suricata
from muster.integrations.security.wazuh import parse_wazuh

SECURITY_FORMATS: dict[str, Callable[[object], SecurityBatch]] = {
    "wazuh": parse_wazuh,
    "suricata": parse_suricata,
    "falco": parse_falco,
    "elastic": parse_elastic,
    "splunk": parse_splunk,
    "cef": parse_cef,
}
