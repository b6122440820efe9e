"""Compliance: regulatory notification regimes and their clocks on incidents, evidence
and its chain of custody, legal holds."""
