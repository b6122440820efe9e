"""Email intake through the real SMTP listener, driven by the standard library's client."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import SYSTEM
from muster.clock import ManualClock
from muster.db.engine import make_engine
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.integrations import do_create_integration, do_revoke_integration
from muster.domain.alerts.models import Alert, Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.inbound.smtp import SmtpListener
from muster.integrations.email import MAX_EMAIL_BYTES
from muster.metrics import REGISTRY

DOMAIN = "alerts.example.com"
SENDER = "nagios@mon.example.com"


@pytest.fixture
def keys(db: Database) -> dict[str, str]:
    """Integration keys and ids: two live email doors, a revoked one and a pagerduty one."""
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        web = do_create_service(uow, SYSTEM, ServiceCreate(name="web", team_id=team.id))
        dbs = do_create_service(uow, SYSTEM, ServiceCreate(name="databases", team_id=team.id))
        email = do_create_integration(uow, SYSTEM, web.id, IntegrationCreate(type="email"))
        other = do_create_integration(uow, SYSTEM, dbs.id, IntegrationCreate(type="email"))
        revoked = do_create_integration(uow, SYSTEM, web.id, IntegrationCreate(type="email"))
        do_revoke_integration(uow, SYSTEM, revoked.id)
        pd = do_create_integration(uow, SYSTEM, web.id, IntegrationCreate(type="pagerduty"))
        uow.commit()
        return {"email": email.key, "email_id": email.id, "other": other.key,
                "revoked": revoked.key, "pagerduty": pd.key}  # fmt: skip


@pytest.fixture
def listener(db: Database) -> Iterator[SmtpListener]:
    server = SmtpListener(db, domain=DOMAIN, port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(listener: SmtpListener) -> Iterator[smtplib.SMTP]:
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as smtp:
        yield smtp


def message(subject: str, *, plain: str | None = None, html: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = f"ops@{DOMAIN}"
    msg["Subject"] = subject
    if plain is not None:
        msg.set_content(plain)
    if html is not None:
        if plain is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    return msg


def address(key: str) -> str:
    return f"{key}@{DOMAIN}"


def stored(db: Database) -> list[Alert]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Alert).order_by(Alert.first_seen, Alert.id)))


def count(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Alert)) or 0)


def test_plain_text_mail_becomes_an_alert(
    client: smtplib.SMTP, db: Database, keys: dict[str, str]
) -> None:
    refused = client.send_message(
        message("Disk full on db1", plain="/var is 99% full\nsee runbook"),
        to_addrs=[address(keys["email"])],
    )
    assert refused == {}
    [alert] = stored(db)  # stored before the 250 came back
    assert alert.integration_id == keys["email_id"]
    assert alert.summary == "Disk full on db1"
    assert alert.details == "/var is 99% full\nsee runbook"
    assert alert.source == SENDER
    assert alert.severity == "warning"
    assert alert.status == "triggered"


def test_html_only_and_multipart_messages(
    client: smtplib.SMTP, db: Database, keys: dict[str, str]
) -> None:
    to = [address(keys["email"])]
    client.send_message(
        message("Backup failed", html="<html><body><p>Job <b>nightly</b> failed</p>"
                "<script>x()</script></body></html>"), to_addrs=to,
    )  # fmt: skip
    client.send_message(
        message("Cert expiring", plain="plain wins", html="<p>html loses</p>"), to_addrs=to
    )
    by_summary = {a.summary: a for a in stored(db)}
    assert by_summary["Backup failed"].details == "Job nightly failed"
    assert by_summary["Cert expiring"].details == "plain wins"


def test_same_subject_deduplicates_and_resolved_subject_resolves(
    client: smtplib.SMTP, db: Database, keys: dict[str, str], clock: ManualClock
) -> None:
    to = [address(keys["email"])]
    client.send_message(message("Disk full on db1", plain="first"), to_addrs=to)
    clock.advance(seconds=60)
    client.send_message(message("Re: Disk full on db1", plain="again"), to_addrs=to)
    client.send_message(message("Load high on web2", plain="other"), to_addrs=to)
    [alert, _load] = stored(db)
    assert alert.occurrences == 2
    clock.advance(seconds=60)
    client.send_message(message("[RESOLVED] Disk full on db1", plain="ok now"), to_addrs=to)
    by_summary = {a.summary: a for a in stored(db)}
    assert by_summary["Disk full on db1"].status == "resolved"
    assert by_summary["Load high on web2"].status == "triggered"
    assert count(db) == 2


def test_each_integration_follows_its_own_rule(
    client: smtplib.SMTP, db: Database, keys: dict[str, str]
) -> None:
    with db.unit_of_work() as uow:
        service_id = uow.session.get(Integration, keys["email_id"]).service_id  # type: ignore[union-attr]
        config = {"resolve_if_subject_contains": ["RECOVERY"], "severity": "critical"}
        custom = do_create_integration(
            uow, SYSTEM, service_id, IntegrationCreate(type="email", config=config)
        )
        uow.commit()
    to = [address(custom.key)]
    client.send_message(message("web1 down", plain="x"), to_addrs=to)
    assert stored(db)[0].severity == "critical"
    client.send_message(message("RECOVERY: web1 down", plain="x"), to_addrs=to)
    client.send_message(message("RESOLVED web1 down", plain="x"), to_addrs=to)  # not a marker here
    assert [(a.summary, a.status) for a in stored(db)] == [
        ("web1 down", "resolved"),
        ("RESOLVED web1 down", "triggered"),
    ]


def test_one_message_to_two_integrations_is_one_delivery(
    client: smtplib.SMTP, db: Database, keys: dict[str, str]
) -> None:
    client.send_message(
        message("Network down", plain="x"),
        to_addrs=[address(keys["email"]), address(keys["other"])],
    )
    assert sorted(a.summary for a in stored(db)) == ["Network down", "Network down"]
    assert len({a.service_id for a in stored(db)}) == 2


def test_unknown_revoked_foreign_and_wrong_domain_recipients_are_refused_alike(
    client: smtplib.SMTP, db: Database, keys: dict[str, str]
) -> None:
    strangers = [address("0" * 32), address(keys["revoked"]), address(keys["pagerduty"]),
                 f"{keys['email']}@elsewhere.example.com", address("not a key!")]  # fmt: skip
    replies = []
    for to in strangers:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.send_message(message("Hello", plain="x"), to_addrs=[to])
        replies.append(refused.value.recipients[to])
    assert {code for code, _ in replies} == {550}
    assert len({text for _, text in replies}) == 1, "no hint whether a key exists"
    assert count(db) == 0
    # A good recipient beside a bad one: the good one gets the message.
    refused_map = client.send_message(
        message("Half", plain="x"), to_addrs=[strangers[0], address(keys["email"])]
    )
    assert list(refused_map) == [strangers[0]]
    assert [a.summary for a in stored(db)] == ["Half"]


def test_oversized_message_is_refused_with_552(
    client: smtplib.SMTP, db: Database, keys: dict[str, str]
) -> None:
    line = b"x" * 998 + b"\r\n"
    big = b"Subject: huge\r\nFrom: " + SENDER.encode() + b"\r\n\r\n"
    big += line * (MAX_EMAIL_BYTES // len(line) + 2)
    to = address(keys["email"])
    # The client announces the size (ESMTP SIZE): refused before any data is sent...
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        client.sendmail(SENDER, [to], big)
    assert refused.value.smtp_code == 552
    # ...and a client that does not say is refused once the data passes the limit.
    client.rset()
    assert client.mail(SENDER)[0] == 250
    assert client.rcpt(to)[0] == 250
    code, _ = client.data(big)
    assert code == 552
    assert count(db) == 0


def test_unreadable_message_is_refused_with_the_reason(
    client: smtplib.SMTP, db: Database, keys: dict[str, str]
) -> None:
    raw = b"From: " + SENDER.encode() + b"\r\nSubject: x\r\nMessage-ID: <\r\n\r\nbody\r\n"
    with pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail(SENDER, [address(keys["email"])], raw)
    assert refused.value.smtp_code == 550
    assert b"could not be read" in refused.value.smtp_error
    assert count(db) == 0


def test_database_down_answers_451_so_the_sender_retries(
    listener: SmtpListener, db: Database, keys: dict[str, str], tmp_path: Path, clock: ManualClock
) -> None:
    down = Database(make_engine(f"sqlite:///{tmp_path / 'missing' / 'muster.db'}"), clock)
    to = address(keys["email"])
    try:
        with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as smtp:
            smtp.ehlo()
            smtp.mail(SENDER)
            assert smtp.rcpt(to)[0] == 250
            listener.handler.db = down  # the database goes away between RCPT and DATA
            code, _ = smtp.data(message("Lost?", plain="x").as_bytes())
            assert code == 451
            smtp.rset()
            smtp.mail(SENDER)
            assert smtp.rcpt(to)[0] == 451
    finally:
        listener.handler.db = db
        down.dispose()
    assert count(db) == 0


def test_metrics_count_email_outcomes_and_refusals(
    client: smtplib.SMTP, keys: dict[str, str]
) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    created = {"integration": keys["email_id"], "type": "email", "outcome": "created"}
    unknown = {"type": "email", "reason": "unknown_key"}
    before = sample("muster_ingest_alerts_total", **created)
    refused_before = sample("muster_ingest_rejected_total", **unknown)
    client.send_message(message("Counted", plain="x"), to_addrs=[address(keys["email"])])
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        client.send_message(message("Not", plain="x"), to_addrs=[address("f" * 32)])
    assert sample("muster_ingest_alerts_total", **created) == before + 1
    assert sample("muster_ingest_rejected_total", **unknown) == refused_before + 1


def _start(args: list[str], db_url: str, tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    """Run ``python -m muster ARGS``; returns it and its SMTP port once it listens."""
    env = {**os.environ, "MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var"),
           "MUSTER_EMAIL_DOMAIN": DOMAIN}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "muster", *args], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    output = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.stdout is not None:
        line = proc.stdout.readline()
        output += line
        found = re.search(r"Email intake on smtp://[^:]+:(\d+)", line)
        if found:
            return proc, int(found.group(1))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    pytest.fail(f"the listener did not start: {output}")


@pytest.mark.parametrize(
    "args",
    [["smtp", "--port", "0"], ["serve", "--no-engine", "--port", "0", "--smtp-port", "0"]],
    ids=["muster smtp", "muster serve --smtp-port"],
)
def test_commands_run_the_listener(
    args: list[str], db_url: str, db: Database, keys: dict[str, str], tmp_path: Path
) -> None:
    proc, port = _start(args, db_url, tmp_path)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.send_message(message("From the command", plain="x"),
                              to_addrs=[address(keys["email"])])  # fmt: skip
        assert [a.summary for a in stored(db)] == ["From the command"]
    finally:
        proc.send_signal(signal.SIGTERM if args[0] == "smtp" else signal.SIGINT)
        assert proc.wait(timeout=15) == 0
