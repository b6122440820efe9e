"""``muster syslog``: the CEF-over-syslog intake listener alone (no web app, no engine), for
scale-out installations; ``muster serve --syslog-port`` runs the same listener inside the
web node. Messages are routed to ``cef`` integrations (muster.inbound.syslog)."""

from __future__ import annotations

import click

from muster.cli.common import database, settings
from muster.cli.listeners import run_until_stopped, start_or_fail
from muster.db.uow import Database
from muster.inbound.syslog import SyslogListener

DEFAULT_SYSLOG_PORT = 5514


def start_syslog_listener(db: Database, host: str, port: int) -> SyslogListener:
    """Start the UDP+TCP listener on ``host:port`` and say so; :class:`click.ClickException`
    when it cannot listen. Precondition: ``db`` is migrated."""
    listener = start_or_fail(SyslogListener(db, host=host, port=port), "syslog", host, port)
    click.echo(f"CEF syslog intake on udp+tcp://{host}:{listener.port}")
    return listener


@click.command()
@click.option("--host", default=None, help="Address to listen on (MUSTER_HOST, default 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_SYSLOG_PORT,
    show_default=True,
    help="UDP and TCP port.",
)
def syslog(host: str | None, port: int) -> None:
    """Receive CEF over syslog (UDP and TCP) without the web server or the engine."""
    cfg = settings()
    with database() as db:
        run_until_stopped(lambda: start_syslog_listener(db, host or cfg.host, port))
