"""Each channel against a real receiver on 127.0.0.1 (an SMTP server, an HTTP server),
and the outbound HTTP helper's refusals (which happen before any connection)."""

from __future__ import annotations

import base64
import socket
import time
from typing import Any
from urllib.parse import parse_qs

import pytest

from muster.channels.base import Message
from muster.channels.chat import AppriseChannel
from muster.channels.email import SmtpChannel
from muster.channels.http import Policy, Refused, request, vet
from muster.channels.sms import TwilioChannel
from muster.channels.webhook import WebhookChannel, sign, verify_signature
from muster.config import NotifySettings
from notify_support import HttpSink, SmtpSink, free_port, http_sink, smtp_sink

__all__ = ["http_sink", "smtp_sink"]

LOCAL = Policy.parse(["127.0.0.1/32"], connect=2.0, read=3.0)
STRICT = Policy(connect_timeout=2.0, read_timeout=3.0)


def message(**changes: Any) -> Message:
    base: dict[str, Any] = {
        "method_type": "email", "address": "alice@example.com", "subject": "[CRITICAL] api: down",
        "text": "api is down\nhttps://muster.test/alert-groups/1", "html": "<p>api is <b>down</b></p>",
        "short": "Muster CRITICAL api: down", "voice": "Muster alert. api is down.",
        "data": {"kind": "page", "headline": "api: down"}, "idempotency_key": "mst-abc123",
        "reply_to": "act+tok.sig@muster.test", "secret": "whsec_test",
    }  # fmt: skip
    base.update(changes)
    return Message(**base)


# ---------------------------------------------------------------- email


def smtp(sink_port: int) -> SmtpChannel:
    cfg = NotifySettings(smtp_host="127.0.0.1", smtp_port=sink_port, smtp_tls="none",
                         smtp_from="Muster <muster@muster.test>", connect_timeout=2, read_timeout=3)  # fmt: skip
    return SmtpChannel(cfg, email_domain="muster.test")


def test_email_goes_out_with_text_html_and_reply_to(smtp_sink: SmtpSink) -> None:
    sent = smtp(smtp_sink.port).send(message())
    assert sent.ok
    assert sent.provider_message_id == "<mst-abc123@muster.test>"
    ((rcpt, mail),) = smtp_sink.wait_for(1)
    assert rcpt == ["alice@example.com"]
    assert mail["Reply-To"] == "act+tok.sig@muster.test"
    assert mail["Message-ID"] == "<mst-abc123@muster.test>"
    assert "api is down" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "<b>down</b>" in mail.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_email_refusals_are_permanent_or_transient(smtp_sink: SmtpSink) -> None:
    smtp_sink.inbox.refuse = ["550 5.1.1 no such mailbox", "451 4.3.0 try later"]
    hard = smtp(smtp_sink.port).send(message())
    soft = smtp(smtp_sink.port).send(message())
    assert not hard.ok
    assert hard.permanent
    assert "550" in (hard.error or "")
    assert not soft.ok
    assert not soft.permanent
    assert "451" in (soft.error or "")
    down = smtp(free_port()).send(message())  # nothing listens there
    assert not down.ok
    assert not down.permanent


# ---------------------------------------------------------------- webhook


def test_webhook_posts_signed_json(http_sink: HttpSink) -> None:
    sent = WebhookChannel(LOCAL).send(message(method_type="webhook", address=http_sink.url()))
    assert sent.ok
    (hook,) = http_sink.received
    assert hook.json()["headline"] == "api: down"
    ts = hook.headers["x-muster-timestamp"]
    assert abs(int(ts) - time.time()) < 60
    assert hook.headers["x-muster-signature"] == sign("whsec_test", ts, hook.body)
    assert verify_signature("whsec_test", ts, hook.body, hook.headers["x-muster-signature"])
    assert hook.headers["x-muster-idempotency-key"] == "mst-abc123"


def test_webhook_statuses_decide_retry_or_not(http_sink: HttpSink) -> None:
    channel = WebhookChannel(LOCAL)
    http_sink.statuses = [503, 429, 404, 302]
    outcomes = [
        channel.send(message(method_type="webhook", address=http_sink.url())) for _ in range(4)
    ]
    assert [(o.ok, o.permanent) for o in outcomes] == [(False, False), (False, False),
                                                       (False, True), (False, True)]  # fmt: skip
    assert "HTTP 302" in (outcomes[3].error or "")  # a redirect is an answer, not followed
    assert not http_sink.received


def test_verify_signature_example() -> None:
    body, now = b'{"kind":"page"}', 1_700_000_000
    good = sign("s3cret", str(now), body)
    assert verify_signature("s3cret", str(now), body, good, now=now + 299)
    assert not verify_signature("s3cret", str(now), body, good, now=now + 301)  # too old: replay
    assert not verify_signature("other", str(now), body, good, now=now)
    assert not verify_signature("s3cret", str(now + 1), body, good, now=now)
    assert not verify_signature("s3cret", "soon", body, good, now=now)


# ---------------------------------------------------------------- outbound policy (SSRF)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://localhost:9/hook",  # a name resolving to loopback
        "http://[::1]:9/hook",
        "http://[::ffff:127.0.0.1]:9/hook",
        "http://0.0.0.0:9/hook",
        "ftp://example.com/x",
    ],
)
def test_private_destinations_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(Refused):
        request("POST", url, body=b"{}", policy=STRICT)
    sent = WebhookChannel(STRICT).send(message(method_type="webhook", address=url))
    assert not sent.ok
    assert sent.permanent


def test_the_allow_list_lets_chosen_networks_through(http_sink: HttpSink) -> None:
    with pytest.raises(Refused):
        request("POST", http_sink.url(), policy=STRICT)
    assert request("POST", http_sink.url(), body=b"{}", policy=LOCAL).status == 200
    assert vet("127.0.0.1", 80, Policy.parse(["127.0.0.0/8"])) == ["127.0.0.1"]
    with pytest.raises(Refused):
        vet("10.0.0.1", 80, Policy.parse(["127.0.0.0/8"]))
    assert len(http_sink.received) == 1


def test_timeouts_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = time.monotonic()
        sent = WebhookChannel(Policy.parse(["127.0.0.1/32"], connect=1, read=0.5)).send(
            message(method_type="webhook", address=f"http://127.0.0.1:{port}/")
        )
        assert time.monotonic() - started < 5
    assert not sent.ok
    assert not sent.permanent
    assert "timed out" in (sent.error or "")


# ---------------------------------------------------------------- chat and push (Apprise)


def test_apprise_json_target_receives_the_message(http_sink: HttpSink) -> None:
    url = f"json://127.0.0.1:{http_sink.port}/apprise"
    sent = AppriseChannel(LOCAL).send(message(method_type="chat", address=url))
    assert sent.ok, sent.error
    (got,) = http_sink.received
    assert got.path == "/apprise"
    assert got.json()["title"] == "[CRITICAL] api: down"
    assert "api is down" in got.json()["message"]


def test_apprise_obeys_the_outbound_policy(http_sink: HttpSink) -> None:
    for url in (f"json://127.0.0.1:{http_sink.port}/apprise", "json://169.254.169.254/x",
                "json://10.1.2.3/x", f"json://localhost:{http_sink.port}/x"):  # fmt: skip
        sent = AppriseChannel(STRICT).send(message(method_type="chat", address=url))
        assert (sent.ok, sent.permanent) == (False, True), url
    assert not http_sink.received
    http_sink.statuses = [500]
    soft = AppriseChannel(LOCAL).send(
        message(method_type="chat", address=f"json://127.0.0.1:{http_sink.port}/")
    )
    assert not soft.ok
    assert not soft.permanent
    nonsense = AppriseChannel(LOCAL).send(message(method_type="chat", address="nonsense://x"))
    assert not nonsense.ok
    assert nonsense.permanent


# ---------------------------------------------------------------- SMS and voice (Twilio API)


def twilio(sink: HttpSink, *, voice: bool = False) -> TwilioChannel:
    cfg = NotifySettings(sms_base_url=f"http://127.0.0.1:{sink.port}", sms_account="AC123",
                         sms_token="tok", sms_from="+15550001111")  # fmt: skip
    return TwilioChannel(cfg, LOCAL, voice=voice)


def test_sms_and_calls_speak_the_twilio_api(http_sink: HttpSink) -> None:
    http_sink.answer = {"sid": "SM42", "status": "queued"}
    sms = twilio(http_sink).send(message(method_type="sms", address="+14155550100"))
    call = twilio(http_sink, voice=True).send(message(method_type="voice", address="+14155550100"))
    assert sms.ok
    assert sms.provider_message_id == "SM42"
    assert call.ok
    first, second = http_sink.received
    assert first.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert first.headers["authorization"] == "Basic " + base64.b64encode(b"AC123:tok").decode()
    form = parse_qs(first.body.decode())
    assert form == {
        "To": ["+14155550100"],
        "From": ["+15550001111"],
        "Body": ["Muster CRITICAL api: down"],
    }
    assert second.path == "/2010-04-01/Accounts/AC123/Calls.json"
    assert "<Say>Muster alert. api is down.</Say>" in parse_qs(second.body.decode())["Twiml"][0]
    http_sink.statuses = [400, 503]
    bad_number = twilio(http_sink).send(message(method_type="sms", address="+1"))
    busy = twilio(http_sink).send(message(method_type="sms", address="+14155550100"))
    assert bad_number.permanent
    assert not busy.permanent
