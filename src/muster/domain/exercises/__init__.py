"""Exercise tagging and isolation: what a drill run creates is marked EXERCISE and kept
out of everything real.

The mark is one column, ``exercise_run_id`` (the drill run's id; None for real work), on
services, integrations, alerts and incidents. Everything else a drill creates (alert
groups, escalations, pages, tasks, notes, clocks, evidence, reviews) hangs off one of
those and is exercise through it.

Modules:

- :mod:`.tagging` - how the mark propagates (service → integration, service → alert,
  services/alert groups → incident) and the checks that refuse mixing real and exercise
  work; SQL clauses for "real only".
- :mod:`.setup` - :func:`~.setup.exercise_service` and :func:`~.setup.exercise_integration`:
  what a drill run creates so its alerts go through the real intake and page only its
  participants.
- :mod:`.marking` - the EXERCISE words put on messages, pages and exports.
- :mod:`.cleanup` - :func:`~.cleanup.do_cleanup_exercise`, removing everything of a run.
"""
