"""Inbound adapters that are servers of their own (SMTP), not HTTP routes.

Each one receives a protocol's messages, parses them with :mod:`muster.integrations` and
calls domain commands in a unit of work. None of them imports :mod:`muster.web`, so they
run inside ``muster serve`` or alone (``muster smtp``) alike.
"""
