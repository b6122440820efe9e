"""``muster engine``: the worker that acts on time (timers, outbox, playbooks)."""

from __future__ import annotations

import click

from muster.cli.common import database, emit, settings
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from muster.inbound.mqtt_supervisor import MqttIntake


@click.command()
@click.option("--once", is_flag=True, help="Run passes until nothing is due, then exit.")
@click.option("--json", "as_json", is_flag=True)
def engine(once: bool, as_json: bool) -> None:
    """Run the engine (without the web server)."""
    with database() as db:
        runner = Runner(db, default_modules(settings()))
        if once:
            result = runner.run_until_idle()
            emit(
                {"items": result.items, "errors": result.errors},
                as_json,
                lambda: click.echo(f"acted on {result.total}; errors: {result.errors or 'none'}"),
            )
            if result.errors:
                raise SystemExit(1)
            return
        mqtt = MqttIntake(db, settings().secret_key)  # MQTT integrations' subscribers
        mqtt.start()
        try:
            runner.run_forever(settings().engine_interval_seconds)
        except KeyboardInterrupt:
            runner.stop()
        finally:
            mqtt.stop()
