"""The email channel against a real SMTP relay (aiosmtpd) over TLS: STARTTLS and implicit
TLS with a certificate from a test CA (trustme), verification on, and relay login (AUTH
PLAIN and LOGIN) over TLS only."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from muster.channels.base import Message
from muster.channels.email import SmtpChannel
from muster.config import NotifySettings, load_settings
from notify_support import _Inbox, free_port

USER, PASSWORD = "muster-relay", "relay secret 123"
# The implicit-TLS relay requires AUTH without aiosmtpd's STARTTLS check (see start_relay).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def message() -> Message:
    return Message(
        method_type="email", address="alice@example.com", subject="[CRITICAL] api: down",
        text="api is down", html="<p>api is <b>down</b></p>", short="api down",
        voice="api down", data={}, idempotency_key="mst-tls1", reply_to=None, secret=None,
    )  # fmt: skip


@dataclass
class Relay:
    port: int
    inbox: _Inbox
    logins: list[tuple[str, str]] = field(default_factory=list)  # (mechanism, user)


@dataclass
class Pki:
    ca: trustme.CA
    ca_file: Path
    server: ssl.SSLContext


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    ca_file = tmp_path / "relay-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Pki(ca, ca_file, server)


def _authenticator(relay: Relay) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> AuthResult:
        ok = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            relay.logins.append((mechanism, USER))
        return AuthResult(success=ok, handled=False)

    return check


@pytest.fixture
def start_relay(pki: Pki) -> Iterator[Any]:
    """Start a relay: ``mode`` "starttls" (STARTTLS required before mail and login) or
    "tls" (TLS from the first byte); ``mechanisms`` limits the AUTH it offers."""
    controllers: list[Controller] = []

    def start(mode: str, *, mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
              auth_required: bool = False, context: ssl.SSLContext | None = None) -> Relay:  # fmt: skip
        relay = Relay(free_port(), _Inbox())
        ctx = context or pki.server
        tls: dict[str, Any] = (
            {"tls_context": ctx, "require_starttls": True} if mode == "starttls"
            else {"ssl_context": ctx}
        )  # fmt: skip
        controller = Controller(
            relay.inbox, hostname="127.0.0.1", port=relay.port,
            authenticator=_authenticator(relay), auth_required=auth_required,
            # aiosmtpd counts only STARTTLS as TLS for AUTH; with implicit TLS the whole
            # connection is encrypted, so it may offer AUTH from the start.
            auth_require_tls=mode == "starttls",
            auth_exclude_mechanism={"LOGIN", "PLAIN"} - set(mechanisms), **tls,
        )  # fmt: skip
        controller.start()
        controllers.append(controller)
        return relay

    yield start
    for controller in controllers:
        controller.stop()


def channel(relay: Relay, tls: str, **changes: Any) -> SmtpChannel:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1", "smtp_port": relay.port, "smtp_tls": tls,
        "smtp_from": "Muster <muster@muster.test>", "connect_timeout": 2, "read_timeout": 3,
    }  # fmt: skip
    values.update(changes)
    return SmtpChannel(NotifySettings(**values), email_domain="muster.test")


def _delivered(relay: Relay) -> list[str]:
    return [str(mail["Message-ID"]) for _, mail in relay.inbox.messages]


@pytest.mark.parametrize("tls", ["starttls", "tls"])
def test_mail_goes_through_a_relay_whose_ca_is_trusted(
    start_relay: Any, pki: Pki, tls: str
) -> None:
    relay = start_relay(tls)
    sent = channel(relay, tls, smtp_ca_file=str(pki.ca_file)).send(message())
    assert sent.ok, sent.error
    assert _delivered(relay) == ["<mst-tls1@muster.test>"]


@pytest.mark.parametrize("tls", ["starttls", "tls"])
def test_an_untrusted_certificate_fails_the_send_and_says_why(
    start_relay: Any, pki: Pki, tls: str
) -> None:
    """Verification is on by default: the test CA is not among the system's."""
    relay = start_relay(tls)
    sent = channel(relay, tls).send(message())
    assert not sent.ok
    assert "TLS certificate was not accepted" in (sent.error or "")
    assert "MUSTER_SMTP_RELAY_CA_FILE" in (sent.error or "")
    assert _delivered(relay) == []


def test_a_certificate_for_another_host_is_refused(start_relay: Any, pki: Pki) -> None:
    elsewhere = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    pki.ca.issue_cert("relay.example.net").configure_cert(elsewhere)
    relay = start_relay("starttls", context=elsewhere)
    sent = channel(relay, "starttls", smtp_ca_file=str(pki.ca_file)).send(message())
    assert not sent.ok
    assert "TLS certificate was not accepted" in (sent.error or "")
    assert "127.0.0.1" in (sent.error or "")
    assert _delivered(relay) == []


def test_a_certificate_from_another_ca_is_refused(start_relay: Any, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    relay = start_relay("tls")
    sent = channel(relay, "tls", smtp_ca_file=str(other)).send(message())
    assert not sent.ok
    assert "certificate was not accepted" in (sent.error or "")
    assert _delivered(relay) == []


def test_an_unreadable_ca_file_is_named(start_relay: Any, tmp_path: Path) -> None:
    relay = start_relay("starttls")
    missing = tmp_path / "nope.pem"
    sent = channel(relay, "starttls", smtp_ca_file=str(missing)).send(message())
    assert not sent.ok
    assert "MUSTER_SMTP_RELAY_CA_FILE" in (sent.error or "")
    assert str(missing) in (sent.error or "")


def test_starttls_asked_but_not_offered_sends_nothing_in_clear() -> None:
    inbox = _Inbox()
    port = free_port()
    plain = Controller(inbox, hostname="127.0.0.1", port=port)
    plain.start()
    try:
        relay = Relay(port, inbox)
        sent = channel(relay, "starttls").send(message())
    finally:
        plain.stop()
    assert not sent.ok
    assert "does not offer STARTTLS" in (sent.error or "")
    assert inbox.messages == []


@pytest.mark.parametrize("tls", ["starttls", "tls"])
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_relay_login_over_tls(start_relay: Any, pki: Pki, tls: str, mechanism: str) -> None:
    relay = start_relay(tls, mechanisms=(mechanism,), auth_required=True)
    sent = channel(
        relay, tls, smtp_ca_file=str(pki.ca_file), smtp_user=USER, smtp_password=PASSWORD
    ).send(message())
    assert sent.ok, sent.error
    assert relay.logins == [(mechanism, USER)]
    assert _delivered(relay) == ["<mst-tls1@muster.test>"]


def test_a_relay_that_requires_login_refuses_mail_without_it(start_relay: Any, pki: Pki) -> None:
    relay = start_relay("starttls", auth_required=True)
    sent = channel(relay, "starttls", smtp_ca_file=str(pki.ca_file)).send(message())
    assert not sent.ok
    assert "530" in (sent.error or "")
    assert _delivered(relay) == []


def test_a_wrong_password_fails_clearly(start_relay: Any, pki: Pki) -> None:
    relay = start_relay("tls", auth_required=True)
    sent = channel(
        relay, "tls", smtp_ca_file=str(pki.ca_file), smtp_user=USER, smtp_password="wrong"
    ).send(message())
    assert not sent.ok
    assert not sent.permanent, "the relay's account is at fault, not the address: retried"
    assert "refused the login of 'muster-relay'" in (sent.error or "")
    assert "wrong" not in (sent.error or ""), "the password is never echoed"
    assert relay.logins == []
    assert _delivered(relay) == []


def test_a_login_is_never_configured_without_tls() -> None:
    with pytest.raises(ValueError, match="never sent in the clear"):
        SmtpChannel(
            NotifySettings(smtp_host="127.0.0.1", smtp_tls="none", smtp_user=USER),
            email_domain="muster.test",
        )


def test_the_ca_file_setting_is_read_from_the_environment(tmp_path: Path) -> None:
    env = {"MUSTER_VAR_DIR": str(tmp_path), "MUSTER_SECRET_KEY": "k" * 40,
           "MUSTER_SMTP_RELAY_CA_FILE": "/etc/muster/relay-ca.pem"}  # fmt: skip
    assert load_settings(env).notify.smtp_ca_file == "/etc/muster/relay-ca.pem"
    del env["MUSTER_SMTP_RELAY_CA_FILE"]
    assert load_settings(env).notify.smtp_ca_file is None
