"""Email through an SMTP relay (smtplib): implicit TLS, STARTTLS or plain; login when a
user is set; plain text with an HTML alternative; ``Reply-To`` for acting by reply.

TLS always verifies the relay's certificate and host name, against the system's CAs or,
with ``MUSTER_SMTP_RELAY_CA_FILE``, against the CAs in that file only. A relay that does
not offer STARTTLS when asked for it, or whose certificate does not verify, fails the
send with an error saying so: nothing goes out in the clear instead. A login
(``MUSTER_SMTP_RELAY_USER``, AUTH PLAIN or LOGIN as the relay offers) is only ever sent
over TLS.

The ``Message-ID`` is made from the idempotency key, so a retry of the same message has
the same id (mail systems and clients can drop the duplicate).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from muster.channels.base import Delivery, Message, failed
from muster.config import NotifySettings


class SmtpChannel:
    def __init__(self, cfg: NotifySettings, *, email_domain: str) -> None:
        if cfg.smtp_tls not in ("starttls", "tls", "none"):
            raise ValueError("MUSTER_SMTP_RELAY_TLS must be starttls, tls or none")
        if cfg.smtp_user and cfg.smtp_tls == "none":
            raise ValueError(
                "MUSTER_SMTP_RELAY_USER needs MUSTER_SMTP_RELAY_TLS=starttls or tls: "
                "the relay password is never sent in the clear"
            )
        self.cfg = cfg
        self.domain = email_domain
        self.timeout = cfg.connect_timeout + cfg.read_timeout
        self._context: ssl.SSLContext | None = None

    @property
    def relay(self) -> str:
        return f"SMTP relay {self.cfg.smtp_host}:{self.cfg.smtp_port}"

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.cfg.smtp_from
        mail["To"] = message.address
        mail["Subject"] = " ".join(message.subject.split())[:200]
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = f"<{message.idempotency_key}@{self.domain}>"
        mail["X-Muster-Idempotency-Key"] = message.idempotency_key
        mail["Auto-Submitted"] = "auto-generated"
        if message.reply_to:
            mail["Reply-To"] = message.reply_to
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, message: Message) -> Delivery:
        assert self.cfg.smtp_host, "SmtpChannel needs a relay host"
        mail = self.build(message)
        try:
            with self._connect() as smtp:
                if self.cfg.smtp_user:
                    self._login(smtp)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            return _smtp_failure(code, reason)
        except smtplib.SMTPAuthenticationError as exc:
            # The relay's account, not this address: retried, and counted against the
            # channel's health so admins hear of it.
            return failed(
                f"{self.relay} refused the login of {self.cfg.smtp_user!r} "
                f"({exc.smtp_code} {_text(exc.smtp_error)}): check MUSTER_SMTP_RELAY_USER "
                "and MUSTER_SMTP_RELAY_PASSWORD",
                permanent=False,
            )
        except smtplib.SMTPResponseException as exc:
            return _smtp_failure(exc.smtp_code, exc.smtp_error)
        except ssl.SSLCertVerificationError as exc:
            return failed(
                f"{self.relay}: its TLS certificate was not accepted ({exc.verify_message}); "
                "trust the CA that signed it with MUSTER_SMTP_RELAY_CA_FILE, or fix the "
                "relay's certificate",
                permanent=False,
            )
        except ssl.SSLError as exc:
            return failed(f"{self.relay}: TLS failed: {exc}", permanent=False)
        except _NoTls as exc:
            return failed(f"{self.relay}: {exc}", permanent=False)
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return failed(f"{self.relay}: {type(exc).__name__}: {exc}", permanent=False)
        if refused:
            code, reason = next(iter(refused.values()))
            return _smtp_failure(code, reason)
        return Delivery(ok=True, provider_message_id=mail["Message-ID"])

    def tls_context(self) -> ssl.SSLContext:
        """Certificate and host name checked, against MUSTER_SMTP_RELAY_CA_FILE's CAs when
        set (an unreadable file fails the send, naming it)."""
        if self._context is None:
            try:
                self._context = ssl.create_default_context(cafile=self.cfg.smtp_ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise _NoTls(
                    f"MUSTER_SMTP_RELAY_CA_FILE {self.cfg.smtp_ca_file!r} could not be "
                    f"loaded: {exc}"
                ) from exc
        return self._context

    def _connect(self) -> smtplib.SMTP:
        host, port = self.cfg.smtp_host or "", self.cfg.smtp_port
        if self.cfg.smtp_tls == "tls":
            return smtplib.SMTP_SSL(host, port, timeout=self.timeout, context=self.tls_context())
        context = self.tls_context() if self.cfg.smtp_tls == "starttls" else None
        smtp = smtplib.SMTP(host, port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if context is not None:
                if not smtp.has_extn("starttls"):
                    raise _NoTls("the relay does not offer STARTTLS; not sending in the clear")
                smtp.starttls(context=context)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _login(self, smtp: smtplib.SMTP) -> None:
        if not isinstance(smtp.sock, ssl.SSLSocket):  # guarded in __init__; never in clear
            raise _NoTls("refusing to log in to the relay without TLS")
        smtp.login(self.cfg.smtp_user or "", self.cfg.smtp_password or "")


class _NoTls(Exception):
    """TLS was required and could not be had (the send fails; nothing goes in clear)."""


def _text(reason: bytes | str) -> str:
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


def _smtp_failure(code: int, reason: bytes | str) -> Delivery:
    # 4xx: try later; 5xx: the relay will not take it (bad address, policy).
    return failed(f"SMTP {code}: {_text(reason)[:300]}", permanent=500 <= code < 600)
