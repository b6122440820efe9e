"""Email integrations: plain, HTML-only and multipart messages, rules and keys."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from muster.errors import InvalidInput, TooLarge
from muster.integrations.email import (
    EmailRule,
    html_to_text,
    integration_key,
    parse_email,
    parse_message,
    read_message,
    subject_key,
)

PLAIN = (
    b"From: Nagios <nagios@mon.example>\r\n"
    b"To: abc123@alerts.muster.example\r\n"
    b"Subject: PROBLEM: db1/disk is CRITICAL\r\n"
    b"Date: Mon, 05 Jan 2026 10:00:00 +0100\r\n"
    b"Message-ID: <trigger-1@mon.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Disk /var is 97% full.\r\nFree: 1.2 GB\r\n"
)


def build(
    subject: str,
    *,
    plain: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = "Monitor <monitor@mon.example>"
    message["To"] = "abc123@alerts.muster.example"
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    if plain is not None:
        message.set_content(plain)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    return message.as_bytes()


def test_plain_message() -> None:
    alert = parse_email(PLAIN)
    assert alert.action == "trigger"
    assert alert.summary == "PROBLEM: db1/disk is CRITICAL"
    assert alert.details == "Disk /var is 97% full.\nFree: 1.2 GB"
    assert alert.source == "nagios@mon.example"
    assert alert.severity == "warning"
    assert alert.occurred_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert alert.raw["message_id"] == "trigger-1@mon.example"


def test_read_message_gives_subject_body_sender_and_id() -> None:
    subject, body, sender, message_id = read_message(parse_message(PLAIN))
    assert subject == "PROBLEM: db1/disk is CRITICAL"
    assert body.startswith("Disk /var")
    assert sender == "nagios@mon.example"
    assert message_id == "trigger-1@mon.example"


def test_html_only_message_is_reduced_to_text() -> None:
    html = (
        "<html><head><style>p {color: red}</style><title>t</title></head><body>"
        "<h1>Backup failed</h1><p>Job <b>nightly</b> exited with 2 &amp; left&nbsp;files."
        "</p><script>alert(1)</script><ul><li>one</li><li>two</li></ul></body></html>"
    )
    alert = parse_email(build("Backup failed", html=html))
    assert alert.details == "Backup failed\n\nJob nightly exited with 2 & left files.\n\none\n\ntwo"
    assert "alert(1)" not in alert.details
    assert "color" not in alert.details


def test_multipart_prefers_the_plain_part() -> None:
    raw = build("Latency high", plain="plain text body\n", html="<p>html body</p>")
    assert parse_email(raw).details == "plain text body"


def test_multipart_with_attachment() -> None:
    message = EmailMessage()
    message["Subject"] = "Report"
    message["From"] = "r@mon.example"
    message.set_content("see attached")
    message.add_attachment(b"\x00\x01binary", maintype="application", subtype="octet-stream")
    assert parse_email(message).details == "see attached"


def test_non_utf8_charset_and_unknown_charset() -> None:
    latin = (
        b"Subject: =?iso-8859-1?q?Temp=E9rature?=\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nTemp\xe9rature haute\r\n"
    )
    alert = parse_email(latin)
    assert alert.summary == "Temp\u00e9rature"
    assert alert.details == "Temp\u00e9rature haute"
    unknown = b"Subject: x\r\nContent-Type: text/plain; charset=klingon\r\n\r\nhello\r\n"
    assert parse_email(unknown).details == "hello"


@pytest.mark.parametrize(
    "subject",
    ["RESOLVED: db1/disk", "[RESOLVED] db1/disk", "db1/disk - resolved", "[OK] db1/disk"],
)
def test_resolve_subjects_share_the_trigger_key(subject: str) -> None:
    trigger = parse_email(build("db1/disk", plain="x"))
    resolve = parse_email(build(subject, plain="x"))
    assert trigger.action == "trigger"
    assert resolve.action == "resolve"
    assert resolve.dedup_key == trigger.dedup_key


def test_reply_prefixes_do_not_change_the_key() -> None:
    assert subject_key("Re: Fwd: db1/disk") == subject_key("db1/disk")
    assert subject_key("RE: [RESOLVED] DB1/Disk  ") == subject_key("db1/disk")
    assert subject_key("db1/disk") != subject_key("db2/disk")


def test_markers_match_whole_words_only() -> None:
    alert = parse_email(build("UNRESOLVED tickets above 50", plain="x"))
    assert alert.action == "trigger"


def test_custom_rule_and_severity() -> None:
    rule = EmailRule(resolve_if_subject_contains=["RECOVERY"], severity="critical")
    assert parse_email(build("RECOVERY web1 up", plain="x"), rule).action == "resolve"
    alert = parse_email(build("RESOLVED web1", plain="x"), rule)
    assert (alert.action, alert.severity) == ("trigger", "critical")


def test_dedup_from_message_id() -> None:
    rule = EmailRule(dedup_from="message_id")
    trigger = parse_email(PLAIN, rule)
    assert trigger.dedup_key == "trigger-1@mon.example"
    reply = build(
        "RESOLVED: db1/disk is OK",
        plain="ok",
        headers={"In-Reply-To": "<trigger-1@mon.example>", "Message-ID": "<r-2@mon.example>"},
    )
    resolve = parse_email(reply, rule)
    assert (resolve.action, resolve.dedup_key) == ("resolve", "trigger-1@mon.example")
    by_references = build(
        "[OK] db1", plain="ok", headers={"References": "<trigger-1@mon.example> <x@y>"}
    )
    assert parse_email(by_references, rule).dedup_key == "trigger-1@mon.example"
    no_headers = build("[OK] db1", plain="ok")
    assert parse_email(no_headers, rule).dedup_key == subject_key("db1")


def test_empty_subject_and_body() -> None:
    alert = parse_email(b"From: a@b.example\r\n\r\n")
    assert alert.summary == "(no subject)"
    assert alert.details == ""


def test_control_characters_in_subject_are_removed() -> None:
    alert = parse_email(build("disk\x07 full\x1b", plain="x"))
    assert alert.summary == "disk full"


@pytest.mark.parametrize(
    ("recipient", "key"),
    [
        ("abc123@alerts.muster.example", "abc123"),
        ("Alerts <ABC123@alerts.muster.example>", "abc123"),
        ("team.db+prod@in.example", "team.db+prod"),
    ],
)
def test_integration_key_is_the_local_part(recipient: str, key: str) -> None:
    assert integration_key(recipient) == key


@pytest.mark.parametrize("recipient", ["", "no-at-sign", "@example.com", "a b@example.com"])
def test_recipient_without_a_key(recipient: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        integration_key(recipient)
    assert caught.value.errors[0].field == "recipient"


def test_oversized_message() -> None:
    with pytest.raises(TooLarge):
        parse_message(b"x" * 101, max_bytes=100)


def test_html_to_text_handles_broken_markup() -> None:
    assert html_to_text("<p>unclosed <b>bold <i>and &lt;tag&gt;") == "unclosed bold and <tag>"
    assert html_to_text("") == ""
