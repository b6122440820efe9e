"""Typed settings, read once from ``MUSTER_*`` environment variables and passed in."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_VAR_DIR = Path("var")


@dataclass(frozen=True)
class Settings:
    database_url: str
    var_dir: Path
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    admin_email: str | None = None
    admin_password: str | None = None
    engine_interval_seconds: float = 0.25
    session_max_age_seconds: int = 12 * 3600
    secure_cookies: bool = False
    max_request_bytes: int = 1024 * 1024
    email_domain: str = "localhost"
    smtp_port: int | None = None
    notify: NotifySettings = field(default_factory=lambda: NotifySettings())
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``env`` (default: the process environment).

    The secret key comes from ``MUSTER_SECRET_KEY`` or, failing that, from
    ``<var>/secret_key``, created on first use so sessions survive restarts.
    """
    env = os.environ if env is None else env
    var_dir = Path(env.get("MUSTER_VAR_DIR", str(DEFAULT_VAR_DIR)))
    database_url = env.get("MUSTER_DATABASE_URL") or f"sqlite:///{var_dir / 'muster.db'}"
    host = env.get("MUSTER_HOST", "127.0.0.1")
    port = int(env.get("MUSTER_PORT", "8000"))
    base_url = env.get("MUSTER_BASE_URL", f"http://{host}:{port}").rstrip("/")
    return Settings(
        database_url=database_url,
        var_dir=var_dir,
        secret_key=env.get("MUSTER_SECRET_KEY") or _stored_secret(var_dir),
        host=host,
        port=port,
        base_url=base_url,
        admin_email=env.get("MUSTER_ADMIN_EMAIL") or None,
        admin_password=env.get("MUSTER_ADMIN_PASSWORD") or None,
        engine_interval_seconds=float(env.get("MUSTER_ENGINE_INTERVAL", "0.25")),
        secure_cookies=env.get("MUSTER_SECURE_COOKIES", "0") == "1",
        email_domain=env.get("MUSTER_EMAIL_DOMAIN", "localhost"),
        smtp_port=int(env["MUSTER_SMTP_PORT"]) if env.get("MUSTER_SMTP_PORT") else None,
        notify=_notify_settings(env),
        extra={k: v for k, v in env.items() if k.startswith("MUSTER_")},
    )


@dataclass(frozen=True)
class NotifySettings:
    """Outbound delivery. The mail relay's variables are ``MUSTER_SMTP_RELAY_*``:
    ``MUSTER_SMTP_PORT`` already names the port the email-intake listener binds."""

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: str = "starttls"  # starttls | tls | none
    smtp_from: str = "muster@localhost"
    # PEM file of the CA(s) to trust for the relay's certificate instead of the system's
    # (a private CA); verification itself is never turned off.
    smtp_ca_file: str | None = None
    sms_base_url: str = "https://api.twilio.com"
    sms_account: str | None = None
    sms_token: str | None = None
    sms_from: str | None = None
    outbound_allow: tuple[str, ...] = ()  # CIDRs outbound HTTP may reach though private
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    # Per contact-method limits: "type=count/window,..." separated by ";" ("*": every type).
    throttle: str = "*=1/1m;sms=5/15m,11/1h;voice=3/15m,7/1h"
    lease_seconds: int = 120
    link_ttl_hours: int = 24


def _notify_settings(env: Mapping[str, str]) -> NotifySettings:
    d = NotifySettings()
    allow = env.get("MUSTER_OUTBOUND_ALLOW", "")
    return NotifySettings(
        smtp_host=env.get("MUSTER_SMTP_RELAY_HOST") or None,
        smtp_port=int(env.get("MUSTER_SMTP_RELAY_PORT", d.smtp_port)),
        smtp_user=env.get("MUSTER_SMTP_RELAY_USER") or None,
        smtp_password=env.get("MUSTER_SMTP_RELAY_PASSWORD") or None,
        smtp_tls=env.get("MUSTER_SMTP_RELAY_TLS", d.smtp_tls).lower(),
        smtp_from=env.get("MUSTER_SMTP_RELAY_FROM", d.smtp_from),
        smtp_ca_file=env.get("MUSTER_SMTP_RELAY_CA_FILE") or None,
        sms_base_url=env.get("MUSTER_SMS_BASE_URL", d.sms_base_url).rstrip("/"),
        sms_account=env.get("MUSTER_SMS_ACCOUNT") or None,
        sms_token=env.get("MUSTER_SMS_TOKEN") or None,
        sms_from=env.get("MUSTER_SMS_FROM") or None,
        outbound_allow=tuple(p.strip() for p in allow.split(",") if p.strip()),
        connect_timeout=float(env.get("MUSTER_OUTBOUND_CONNECT_TIMEOUT", d.connect_timeout)),
        read_timeout=float(env.get("MUSTER_OUTBOUND_READ_TIMEOUT", d.read_timeout)),
        throttle=env.get("MUSTER_NOTIFY_THROTTLE", d.throttle),
        lease_seconds=int(env.get("MUSTER_NOTIFY_LEASE_SECONDS", d.lease_seconds)),
        link_ttl_hours=int(env.get("MUSTER_NOTIFY_LINK_TTL_HOURS", d.link_ttl_hours)),
    )


def _stored_secret(var_dir: Path) -> str:
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
