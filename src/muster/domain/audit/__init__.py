"""The audit view over the event log and its forwarding to a SIEM.

- :mod:`.query`: filtering the log (actor, door, type prefix, subject, time range);
- :mod:`.export`: the filtered log as CSV or JSON lines, streamed in chunks;
- :mod:`.changes`: ``{field: [before, after]}`` for commands that change configuration;
- :mod:`.forwarders`: admin-configured forwarders (signed webhook, syslog RFC 5424);
- :mod:`.forwarding`: claiming a forwarder's next batch and recording what was sent;
- :mod:`.syslog` and :mod:`.transport`: the wire formats and the sends.
"""
