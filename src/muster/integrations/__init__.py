"""Inbound formats: turn what monitoring tools send into validated, normalised objects.

Each module here parses one format and nothing else: no database, no web framework.
The parsers take raw request bytes (or an already-decoded JSON value) and either return
the types of :mod:`muster.integrations.normalized` or raise
:class:`muster.errors.InvalidInput` (naming every bad field) or
:class:`muster.errors.TooLarge`. Turning the result into domain commands (dedup, routing,
incidents) is the caller's job.

Modules: ``normalized`` (shared output types, JSON decoding, text cleaning), ``fields``
(validation helpers), ``alertmanager``, ``grafana``, ``pagerduty_v2``, ``email``, and for
user-mapped JSON ``jsonpath``, ``generic_mapping`` and ``generic``.
"""
