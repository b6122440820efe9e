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
    secret_key: str = field(repr=False)
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
    # When set, GET /metrics asks for "Authorization: Bearer <this>" (Prometheus's
    # authorization.credentials); unset, it is open, for a scraper on a private network.
    metrics_token: str | None = field(default=None, repr=False)
    notify: NotifySettings = field(default_factory=lambda: NotifySettings())
    evidence: EvidenceSettings = field(default_factory=lambda: EvidenceSettings())
    sso: SsoSettings = field(default_factory=lambda: SsoSettings())
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
        metrics_token=env.get("MUSTER_METRICS_TOKEN") or None,
        notify=_notify_settings(env),
        evidence=evidence_settings(env),
        sso=sso_settings(env),
        extra={k: v for k, v in env.items() if k.startswith("MUSTER_")},
    )


@dataclass(frozen=True)
class NotifySettings:
    """Outbound delivery. The mail relay's variables are ``MUSTER_SMTP_RELAY_*``:
    ``MUSTER_SMTP_PORT`` already names the port the email-intake listener binds."""

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_tls: str = "starttls"  # starttls | tls | none
    smtp_from: str = "muster@localhost"
    # PEM file of the CA(s) to trust for the relay's certificate instead of the system's
    # (a private CA); verification itself is never turned off.
    smtp_ca_file: str | None = None
    sms_base_url: str = "https://api.twilio.com"
    sms_account: str | None = None
    sms_token: str | None = field(default=None, repr=False)
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


@dataclass(frozen=True)
class EvidenceSettings:
    """Where evidence is stored and how long closed incidents keep it.

    Files go to ``dir`` (default ``<var>/evidence``) unless ``s3_bucket`` is set, then to
    that bucket of any S3-compatible store (``MUSTER_EVIDENCE_S3_*``). ``retention_days``
    0 turns retention off; otherwise evidence bytes, attachment bytes and message bodies
    of incidents closed longer ago than that (and not on legal hold) are removed."""

    dir: Path | None = None
    max_bytes: int = 50 * 1024**3
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_region: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = field(default=None, repr=False)
    s3_prefix: str = "evidence/"
    retention_days: int = 0


def evidence_settings(env: Mapping[str, str]) -> EvidenceSettings:
    d = EvidenceSettings()
    return EvidenceSettings(
        dir=Path(env["MUSTER_EVIDENCE_DIR"]) if env.get("MUSTER_EVIDENCE_DIR") else None,
        max_bytes=int(env.get("MUSTER_EVIDENCE_MAX_BYTES", d.max_bytes)),
        s3_endpoint_url=env.get("MUSTER_EVIDENCE_S3_ENDPOINT_URL") or None,
        s3_bucket=env.get("MUSTER_EVIDENCE_S3_BUCKET") or None,
        s3_region=env.get("MUSTER_EVIDENCE_S3_REGION") or None,
        s3_access_key=env.get("MUSTER_EVIDENCE_S3_ACCESS_KEY") or None,
        s3_secret_key=env.get("MUSTER_EVIDENCE_S3_SECRET_KEY") or None,
        s3_prefix=env.get("MUSTER_EVIDENCE_S3_PREFIX", d.s3_prefix),
        retention_days=int(env.get("MUSTER_RETENTION_DAYS", d.retention_days)),
    )


@dataclass(frozen=True)
class SsoSettings:
    """OpenID Connect sign-in (``MUSTER_OIDC_*``); off while ``discovery_url`` is unset.

    ``password_login`` is ``all`` or ``break_glass_only``: then only the emails in
    ``break_glass_emails`` may sign in with a password. ``redirect_base_url`` is where the
    provider sends people back (default: the base URL). Group rules live in the database."""

    discovery_url: str | None = None
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    scopes: str = "openid email profile groups"
    group_claim: str = "groups"
    display_name: str = "single sign-on"
    password_login: str = "all"  # noqa: S105 (all | break_glass_only: a policy)
    break_glass_emails: tuple[str, ...] = ()
    redirect_base_url: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.discovery_url)


def sso_settings(env: Mapping[str, str]) -> SsoSettings:
    d = SsoSettings()
    emails = env.get("MUSTER_OIDC_BREAK_GLASS_EMAILS", "")
    password_login = env.get("MUSTER_OIDC_PASSWORD_LOGIN", d.password_login).lower()
    if password_login not in ("all", "break_glass_only"):
        raise ValueError("MUSTER_OIDC_PASSWORD_LOGIN must be 'all' or 'break_glass_only'")
    redirect = env.get("MUSTER_OIDC_REDIRECT_BASE_URL") or None
    return SsoSettings(
        discovery_url=env.get("MUSTER_OIDC_DISCOVERY_URL") or None,
        client_id=env.get("MUSTER_OIDC_CLIENT_ID", ""),
        client_secret=env.get("MUSTER_OIDC_CLIENT_SECRET", ""),
        scopes=env.get("MUSTER_OIDC_SCOPES", d.scopes),
        group_claim=env.get("MUSTER_OIDC_GROUP_CLAIM", d.group_claim),
        display_name=env.get("MUSTER_OIDC_DISPLAY_NAME", d.display_name),
        password_login=password_login,
        break_glass_emails=tuple(e.strip().lower() for e in emails.split(",") if e.strip()),
        redirect_base_url=redirect.rstrip("/") if redirect else None,
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
