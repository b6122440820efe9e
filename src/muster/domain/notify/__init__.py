"""Notifications: contact methods, rules, the outbox and its delivery."""
