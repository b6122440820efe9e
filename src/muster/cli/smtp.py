"""``muster smtp``: the email intake listener alone (no web app, no engine), for scale-out
installations; ``muster serve --smtp-port`` runs the same listener inside the web node."""

from __future__ import annotations

import logging

import click

from muster.cli.common import database, settings
from muster.cli.listeners import run_until_stopped, start_or_fail
from muster.config import Settings
from muster.db.uow import Database
from muster.inbound.smtp import SmtpListener

DEFAULT_SMTP_PORT = 2525


def start_listener(db: Database, cfg: Settings, host: str, port: int) -> SmtpListener:
    """Start the intake listener on ``host:port`` for ``cfg.email_domain`` and say so;
    :class:`click.ClickException` when it cannot listen. Precondition: ``db`` is migrated."""
    # aiosmtpd logs every SMTP command at INFO: keep the console for what matters.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    listener = SmtpListener(
        db, domain=cfg.email_domain, host=host, port=port, reply_secret=cfg.secret_key
    )
    start_or_fail(listener, "SMTP", host, port)
    click.echo(f"Email intake on smtp://{host}:{listener.port} for <key>@{cfg.email_domain}")
    return listener


@click.command()
@click.option("--host", default=None, help="Address to listen on (MUSTER_HOST, default 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help=f"Port (MUSTER_SMTP_PORT, default {DEFAULT_SMTP_PORT}).",
)
def smtp(host: str | None, port: int | None) -> None:
    """Receive alert email over SMTP (without the web server or the engine)."""
    cfg = settings()
    with database() as db:
        if port is None:
            port = DEFAULT_SMTP_PORT if cfg.smtp_port is None else cfg.smtp_port
        run_until_stopped(lambda: start_listener(db, cfg, host or cfg.host, port))
