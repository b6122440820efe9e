"""One-click acknowledge / resolve links and email replies: valid, reused, expired,
tampered, for another group — and a link preview (GET) never acts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from muster.channels.fake import FakeChannel
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.notify.replies import do_handle_reply, is_reply_address, wanted_action
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from notify_support import (
    SmtpSink,
    build_paging,
    fakes,
    group_status,
    notify_settings,
    request,
    smtp_sink,
    trigger,
)

__all__ = ["smtp_sink"]


@dataclass
class Paged:
    group: str
    other: str
    ack: str
    resolve: str
    user_id: str


def _path(url: str) -> str:
    return url.removeprefix("https://muster.test")


@pytest.fixture
def paged(db: Database, settings: Settings, clock: ManualClock) -> Paged:
    paging = build_paging(db, {"sms": "+14155550100"}, rules=[("high", "sms", 0)])
    channels: dict[str, FakeChannel] = fakes()
    runner = Runner(db, default_modules(notify_settings(settings), channels=channels))
    group, other = trigger(db, paging, "Disk full"), trigger(db, paging, "CPU hot")
    request(db, group, paging.alice.id)
    runner.run_until_idle()
    (sms,) = channels["sms"].sent
    data = sms.data
    return Paged(
        group, other, _path(data["acknowledge_url"]), _path(data["resolve_url"]), paging.alice.id
    )


def test_the_link_shows_a_confirmation_and_only_post_acts(
    client: TestClient, db: Database, paged: Paged
) -> None:
    page = client.get(paged.ack)
    assert page.status_code == 200
    assert "Disk full" in page.text
    assert ">Acknowledge</button>" in page.text
    assert group_status(db, paged.group) == "triggered"  # a preview bot changes nothing
    done = client.post(paged.ack, data={"group": paged.group})
    assert done.status_code == 200
    assert "Acknowledged as Alice" in done.text
    assert group_status(db, paged.group) == "acknowledged"
    with db.unit_of_work(readonly=True) as uow:
        from muster.domain.alerts.models import AlertGroup

        assert uow.session.get_one(AlertGroup, paged.group).acknowledged_by == "alice@example.com"


def test_a_used_link_says_so_and_changes_nothing(
    client: TestClient, db: Database, paged: Paged
) -> None:
    assert client.post(paged.ack).status_code == 200
    again = client.post(paged.ack)
    assert again.status_code == 410
    assert "already used" in again.text
    assert "already used" in client.get(paged.ack).text
    # The resolve link is another, single-purpose link: it still works once.
    assert client.post(paged.resolve).status_code == 200
    assert group_status(db, paged.group) == "resolved"


def test_an_expired_link_says_so(
    client: TestClient, db: Database, clock: ManualClock, paged: Paged
) -> None:
    clock.advance(hours=24, seconds=1)
    answer = client.post(paged.ack)
    assert answer.status_code == 410
    assert "expired" in answer.text
    assert group_status(db, paged.group) == "triggered"


def test_a_tampered_link_is_refused(client: TestClient, db: Database, paged: Paged) -> None:
    token = paged.ack.removeprefix("/act/")
    for bad in (
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
        "x" + token,
        token[:20],
        "nonsense",
    ):
        answer = client.post(f"/act/{bad}")
        assert answer.status_code == 400, bad
        assert "not valid" in answer.text
    assert group_status(db, paged.group) == "triggered"


def test_a_link_for_another_group_changes_nothing(
    client: TestClient, db: Database, paged: Paged
) -> None:
    assert "another alert group" in client.get(paged.ack, params={"group": paged.other}).text
    answer = client.post(paged.ack, data={"group": paged.other})
    assert answer.status_code == 409
    assert "another alert group" in answer.text
    assert group_status(db, paged.group) == group_status(db, paged.other) == "triggered"
    assert client.post(paged.ack, data={"group": paged.group}).status_code == 200  # still unused


def test_an_email_reply_acknowledges(
    db: Database, settings: Settings, clock: ManualClock, smtp_sink: SmtpSink
) -> None:
    paging = build_paging(db, {"email": "alice@example.com"})
    runner = Runner(db, default_modules(notify_settings(settings, smtp_sink), channels=fakes()))
    group = trigger(db, paging, "Disk full")
    request(db, group, paging.alice.id)
    runner.run_until_idle()
    ((_, mail),) = smtp_sink.wait_for(1)
    reply_to = mail["Reply-To"]
    assert is_reply_address(reply_to)
    text = "Ack, looking now\n\nOn Mon, Muster wrote:\n> Resolve all of these: https://..."
    with db.unit_of_work() as uow:
        outcome = do_handle_reply(uow, settings.secret_key, reply_to, text)
        uow.commit()
    assert outcome.ok
    assert outcome.groups == (group,)
    assert group_status(db, group) == "acknowledged"
    with db.unit_of_work() as uow:  # the same reply again: used
        again = do_handle_reply(uow, settings.secret_key, reply_to, "resolve")
        uow.commit()
    assert not again.ok
    assert "already used" in again.message
    assert group_status(db, group) == "acknowledged"


def test_what_a_reply_asks_for() -> None:
    assert wanted_action("ACK") == "ack"
    assert wanted_action("will do.\nresolved it, thanks") == "resolve"
    assert wanted_action("thanks\n> Acknowledge it: https://x") is None
    assert wanted_action("On Tue, Muster wrote:\n ack") is None
    assert wanted_action("backup is fine") is None  # a word, not a substring


def test_an_email_reply_through_the_smtp_listener_resolves(
    db: Database, settings: Settings, clock: ManualClock, smtp_sink: SmtpSink
) -> None:
    import smtplib
    from email.message import EmailMessage

    from muster.inbound.smtp import SmtpListener

    paging = build_paging(db, {"email": "alice@example.com"})
    runner = Runner(db, default_modules(notify_settings(settings, smtp_sink), channels=fakes()))
    group = trigger(db, paging, "Disk full")
    request(db, group, paging.alice.id)
    runner.run_until_idle()
    ((_, page),) = smtp_sink.wait_for(1)
    listener = SmtpListener(db, domain="muster.test", port=0, reply_secret=settings.secret_key)
    listener.start()
    try:
        reply = EmailMessage()
        reply["From"], reply["To"] = "alice@example.com", page["Reply-To"]
        reply["Subject"] = "Re: " + page["Subject"]
        reply.set_content("resolve - fixed by clearing the tmp dir\n\n> Acknowledge it: ...")
        with smtplib.SMTP("127.0.0.1", listener.port, timeout=10) as client:
            client.send_message(reply)
            # A reply to a made-up token is refused, saying why.
            reply.replace_header("To", "act+bogus.token@muster.test")
            with pytest.raises(smtplib.SMTPDataError, match="not valid"):
                client.send_message(reply)
    finally:
        listener.stop()
    assert group_status(db, group) == "resolved"
