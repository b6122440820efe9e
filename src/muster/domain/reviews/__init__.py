"""Lessons learned: post-incident reviews, follow-up action items and response metrics."""
