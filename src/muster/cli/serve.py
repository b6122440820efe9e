"""``muster serve``: the web app and API, with the engine (and optionally the SMTP intake
listener) in the same process."""

from __future__ import annotations

import gc

import click
import uvicorn

from muster.cli.common import settings
from muster.cli.smtp import start_listener
from muster.cli.syslog import start_syslog_listener
from muster.db import migrate
from muster.domain.accounts.bootstrap import do_ensure_first_admin
from muster.domain.drills.scenarios import do_install_shipped_once
from muster.domain.playbooks.defaults import do_install_defaults_once
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from muster.inbound.mqtt_supervisor import MqttIntake
from muster.inbound.smtp import SmtpListener
from muster.inbound.syslog import SyslogListener
from muster.runtime import open_database
from muster.web.app import create_app
from muster.web.context import AppContext


@click.command()
@click.option("--host", default=None, help="Address to listen on (MUSTER_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (MUSTER_PORT, default 8000).")
@click.option("--no-engine", is_flag=True, help="Web only: run engines with 'muster engine'.")
@click.option("--no-migrate", is_flag=True, help="Do not migrate the database on start.")
@click.option(
    "--smtp-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Also take alert email over SMTP on this port (MUSTER_SMTP_PORT; default: off).",
)
@click.option(
    "--syslog-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Also take CEF over syslog (UDP and TCP) on this port (default: off).",
)
def serve(
    host: str | None, port: int | None, no_engine: bool, no_migrate: bool, smtp_port: int | None,
    syslog_port: int | None = None,
) -> None:  # fmt: skip
    """Serve the web UI and API (and, with --smtp-port, email intake; with --syslog-port,
    CEF over syslog)."""
    cfg = settings()
    if not no_migrate:
        migrate.upgrade(cfg.database_url)
    db = open_database(cfg)
    with db.unit_of_work() as uow:
        created = do_ensure_first_admin(uow, cfg.admin_email, cfg.admin_password)
        do_install_defaults_once(uow)
        do_install_shipped_once(uow)
        uow.commit()
    if created is not None:
        user, generated = created
        click.echo(f"Created the first admin: {user.email}")
        if generated:
            click.echo(f"  password (shown once, change it after signing in): {generated}")
    runner = None if no_engine else Runner(db, default_modules(cfg))
    if runner is not None:
        runner.start_thread(cfg.engine_interval_seconds)
    smtp_port = cfg.smtp_port if smtp_port is None else smtp_port
    mail: SmtpListener | None = None
    if smtp_port is not None:
        try:
            mail = start_listener(db, cfg, host or cfg.host, smtp_port)
        except click.ClickException:
            if runner is not None:
                runner.stop()
            raise
    syslog_listener: SyslogListener | None = None
    if syslog_port is not None:
        try:
            syslog_listener = start_syslog_listener(db, host or cfg.host, syslog_port)
        except click.ClickException:
            if mail is not None:
                mail.stop()
            if runner is not None:
                runner.stop()
            raise
    # MQTT intake runs where the engine runs (web-only nodes leave it to `muster engine`).
    mqtt = MqttIntake(db, cfg.secret_key) if runner is not None else None
    if mqtt is not None:
        mqtt.start()
    app = create_app(AppContext(settings=cfg, db=db, clock=db.clock))
    # Objects made at start-up live for the whole process: keep them out of the garbage
    # collector's full passes, which otherwise add tens of milliseconds to some requests.
    gc.collect()
    gc.freeze()
    listen_port = port or cfg.port
    click.echo(f"Muster on http://{host or cfg.host}:{listen_port}")
    try:
        # Open live-update streams never end on their own: give them a few seconds at
        # shutdown, then close them (browsers reconnect to another node or the restart).
        uvicorn.run(
            app,
            host=host or cfg.host,
            port=listen_port,
            log_level="info",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
    finally:
        if mqtt is not None:
            mqtt.stop()
        if syslog_listener is not None:
            syslog_listener.stop()
        if mail is not None:
            mail.stop()
        if runner is not None:
            runner.stop()
        db.dispose()
