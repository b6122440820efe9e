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
    engine_interval_seconds: float = 1.0
    session_max_age_seconds: int = 12 * 3600
    secure_cookies: bool = False
    max_request_bytes: int = 1024 * 1024
    email_domain: str = "localhost"
    smtp_port: int | None = None
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
        engine_interval_seconds=float(env.get("MUSTER_ENGINE_INTERVAL", "1.0")),
        secure_cookies=env.get("MUSTER_SECURE_COOKIES", "0") == "1",
        email_domain=env.get("MUSTER_EMAIL_DOMAIN", "localhost"),
        smtp_port=int(env["MUSTER_SMTP_PORT"]) if env.get("MUSTER_SMTP_PORT") else None,
        extra={k: v for k, v in env.items() if k.startswith("MUSTER_")},
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
