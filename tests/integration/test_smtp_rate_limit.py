"""Email intake keeps each integration's rate limit, as HTTP intake does: past it, the
recipient is refused with a temporary (4xx) reply, so the sending server keeps the
message and tries again later. Driven by the standard library's SMTP client."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import Alert
from muster.domain.alerts.ratelimit import RateLimiter
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.inbound.smtp import SmtpListener

DOMAIN = "alerts.example.com"


class Seconds:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def seconds() -> Seconds:
    return Seconds()


@pytest.fixture
def keys(db: Database) -> dict[str, str]:
    """A slow email door (6 a minute: a burst of 10) and an unlimited one."""
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        web = do_create_service(uow, SYSTEM, ServiceCreate(name="web", team_id=team.id))
        slow = do_create_integration(
            uow, SYSTEM, web.id, IntegrationCreate(type="email", rate_limit_per_minute=6)
        )
        free = do_create_integration(uow, SYSTEM, web.id, IntegrationCreate(type="email"))
        uow.commit()
        return {"slow": slow.key, "free": free.key}


@pytest.fixture
def client(db: Database, seconds: Seconds) -> Iterator[smtplib.SMTP]:
    listener = SmtpListener(db, domain=DOMAIN, port=0, limiter=RateLimiter(seconds))
    listener.start()
    try:
        with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as smtp:
            yield smtp
    finally:
        listener.stop()


def mail(subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "nagios@mon.example.com"
    msg["To"] = f"ops@{DOMAIN}"
    msg["Subject"] = subject
    msg.set_content("details")
    return msg


def stored(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Alert)) or 0)


def test_past_the_limit_mail_is_deferred_with_451_and_taken_later(
    client: smtplib.SMTP, db: Database, keys: dict[str, str], seconds: Seconds
) -> None:
    slow = f"{keys['slow']}@{DOMAIN}"
    for n in range(10):  # the burst: ten seconds' worth at 6 a minute, at least ten
        assert client.send_message(mail(f"disk {n} full"), to_addrs=[slow]) == {}
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.send_message(mail("disk 10 full"), to_addrs=[slow])
    code, text = refused.value.recipients[slow]
    assert code == 451  # temporary: the sender keeps the message and retries
    assert b"try again in 10 s" in text
    assert stored(db) == 10
    # Another integration has a bucket of its own, even in the same message.
    free = f"{keys['free']}@{DOMAIN}"
    assert list(client.send_message(mail("cpu hot"), to_addrs=[slow, free])) == [slow]
    assert stored(db) == 11
    # Ten seconds later one more alert a second... six a minute: one token is back.
    seconds.now += 10
    assert client.send_message(mail("disk 10 full"), to_addrs=[slow]) == {}
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        client.send_message(mail("disk 11 full"), to_addrs=[slow])
    assert stored(db) == 12


def test_limit_is_per_integration_and_counts_what_http_counts() -> None:
    """One limiter type serves both doors: a cost of n takes n tokens of the same bucket."""
    clock = Seconds()
    limiter = RateLimiter(clock)
    assert all(limiter.take("a", 60) is None for _ in range(10))
    wait = limiter.take("a", 60)
    assert wait == pytest.approx(1.0)
    assert limiter.take("b", 60, 10) is None
    assert limiter.take("b", 60, 30) == pytest.approx(30.0)  # never enough: the wait says so
