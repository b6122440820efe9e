"""Security-tool formats: Wazuh, Suricata EVE, Falco, Elastic Security, Splunk and CEF.

Each parser reads one tool's payload into a :class:`~.common.SecurityBatch` of
:class:`~muster.integrations.normalized.InboundAlert` (pure: no database, no web
framework), through :class:`~.common.Finding` so every tool's alert looks the same:

* ``labels``: ``tool`` (``wazuh``, ``suricata``...), ``rule_id`` and/or ``signature_id``,
  ``mitre_techniques`` (technique ids such as ``T1110,T1110.001``, sorted,
  comma-separated), ``mitre_tactics`` where the tool names them, and the observables
  ``src_ip``, ``dest_ip``, ``user``, ``host``, ``domain`` when known;
* ``custom_details["security"]``: the same observables as an object (plus ``src_port``,
  ``dest_port``, ``hashes`` (a list), ``process``, ``file`` when known) for observable
  extraction and correlation across tools;
* ``severity`` mapped from each tool's own scale (the table is in each module's
  docstring), all on one reading: the tool's "critical" → critical, "high" → error,
  "medium" → warning, "low"/informational → info;
* ``dedup_key``: ``<tool>:<rule>:<where>``, so a detection repeating on the same host
  from the same source folds into one alert (more occurrences) rather than paging again.

Modules: ``common`` (the shared shape), ``wazuh``, ``suricata``, ``falco``, ``elastic``,
``splunk``, ``cef`` (CEF records) and ``syslog_frames`` (RFC 5424 / 3164 headers and TCP
framing, for :mod:`muster.inbound.syslog`).
"""
