"""Backups of a running installation and their restore into an empty one.

A backup is a directory (or the same packed as ``.tar.gz``): ``manifest.json``, the
database (``database.sqlite3`` from SQLite's online backup API, or ``database.pgdump``
from ``pg_dump``), and under ``files/`` the evidence and attachment bytes the database
refers to, each checked against its recorded SHA-256. :mod:`.database` snapshots and
restores the database, :mod:`.files` the stored bytes, :mod:`.archive` the whole.
"""
