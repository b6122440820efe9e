"""``muster``: the command line. One module per command group."""

from __future__ import annotations

import logging

import click

from muster.cli import (
    actions,
    alerts,
    audit,
    backup,
    compliance,
    config,
    db,
    drills,
    engine,
    escalation,
    evidence,
    incidents,
    investigation,
    oncall,
    playbooks,
    regimes,
    reviews,
    secrets,
    serve,
    sites,
    smtp,
    syslog,
    tokens,
    users,
)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
def cli(verbose: bool) -> None:
    """Muster: incident response — intake, on-call, paging, incident command."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for group in (
    serve.serve,
    engine.engine,
    smtp.smtp,
    syslog.syslog,
    db.db,
    users.user,
    tokens.token,
    audit.audit,
    alerts.alert,
    escalation.escalation,
    incidents.incident,
    investigation.observable,
    oncall.oncall_group,
    oncall.schedule_group,
    secrets.secret,
    playbooks.playbook,
    regimes.regime,
    evidence.evidence,
    evidence.retention,
    compliance.compliance,
    actions.action,
    reviews.review,
    drills.drill,
    config.config,
    sites.site,
    backup.backup_command,
    backup.restore_command,
):
    cli.add_command(group)


def main() -> None:
    cli()
