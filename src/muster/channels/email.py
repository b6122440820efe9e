"""Email through an SMTP relay (smtplib): implicit TLS, STARTTLS or plain; login when a
user is set; plain text with an HTML alternative; ``Reply-To`` for acting by reply.

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
        self.cfg = cfg
        self.domain = email_domain
        self.timeout = cfg.connect_timeout + cfg.read_timeout

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
                    smtp.login(self.cfg.smtp_user, self.cfg.smtp_password or "")
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            return _smtp_failure(code, reason)
        except smtplib.SMTPResponseException as exc:
            return _smtp_failure(exc.smtp_code, exc.smtp_error)
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return failed(
                f"SMTP relay {self.cfg.smtp_host}: {type(exc).__name__}: {exc}", permanent=False
            )
        if refused:
            code, reason = next(iter(refused.values()))
            return _smtp_failure(code, reason)
        return Delivery(ok=True, provider_message_id=mail["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        host, port = self.cfg.smtp_host or "", self.cfg.smtp_port
        context = ssl.create_default_context()
        if self.cfg.smtp_tls == "tls":
            return smtplib.SMTP_SSL(host, port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(host, port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.cfg.smtp_tls == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp


def _smtp_failure(code: int, reason: bytes | str) -> Delivery:
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    # 4xx: try later; 5xx: the relay will not take it (bad address, policy).
    return failed(f"SMTP {code}: {text[:300]}", permanent=500 <= code < 600)
