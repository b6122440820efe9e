"""MUSTER_OIDC_* settings and the password sign-in policy they set."""

from __future__ import annotations

import pytest

from muster.config import sso_settings
from muster.domain.accounts.sso import login_context, password_login_allowed


def test_defaults_leave_sso_off_and_passwords_on() -> None:
    sso = sso_settings({})
    assert not sso.enabled
    assert sso.scopes == "openid email profile groups"
    assert sso.group_claim == "groups"
    assert password_login_allowed(sso, "anyone@example.com")
    assert login_context(sso, show_password=False) == {"sso_name": None, "password_form": True}


def test_break_glass_only() -> None:
    sso = sso_settings({
        "MUSTER_OIDC_DISCOVERY_URL": "https://idp.example.com/.well-known/openid-configuration",
        "MUSTER_OIDC_DISPLAY_NAME": "Okta",
        "MUSTER_OIDC_PASSWORD_LOGIN": "break_glass_only",
        "MUSTER_OIDC_BREAK_GLASS_EMAILS": " Root@Example.com , ",
        "MUSTER_OIDC_REDIRECT_BASE_URL": "https://muster.example.com/",
    })  # fmt: skip
    assert sso.enabled
    assert sso.break_glass_emails == ("root@example.com",)
    assert sso.redirect_base_url == "https://muster.example.com"
    assert password_login_allowed(sso, "ROOT@example.com ")
    assert not password_login_allowed(sso, "someone@example.com")
    assert login_context(sso, show_password=False) == {"sso_name": "Okta", "password_form": False}
    assert login_context(sso, show_password=True)["password_form"] is True


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="MUSTER_OIDC_PASSWORD_LOGIN"):
        sso_settings({"MUSTER_OIDC_PASSWORD_LOGIN": "none"})
