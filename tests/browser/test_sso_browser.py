"""Single sign-on in a real browser: the sign-in page's provider button, the provider's
own authorize form (oidc-provider-mock), and back into Muster signed in, with the
group rule's role applied."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import Browser, Route, expect

from helpers import SYSTEM, make_person
from muster.clock import SystemClock
from muster.config import Settings, SsoSettings
from muster.db import migrate
from muster.db.engine import make_engine
from muster.db.uow import Database
from muster.domain.accounts.service import find_user_by_email
from muster.domain.accounts.sso_rules import GroupRuleIn, do_create_group_rule
from muster.web.app import create_app
from muster.web.context import AppContext
from server_support import serving

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")


@pytest.fixture
def sso_server(tmp_path: Path) -> Iterator[tuple[str, str, Database]]:
    """A real OIDC provider, and Muster under uvicorn configured to sign in with it;
    yields (provider URL, Muster URL, database)."""
    db_url = f"sqlite:///{tmp_path / 'muster.db'}"
    migrate.upgrade(db_url)
    db = Database(make_engine(db_url), SystemClock())
    make_person(db, "admin")
    settings = Settings(database_url=db_url, var_dir=tmp_path / "var", secret_key="sso-secret")
    app = create_app(AppContext(settings=settings, db=db, clock=db.clock))
    try:
        with run_server_in_thread(require_nonce=True) as idp_server, serving(app) as url:
            idp = f"http://localhost:{idp_server.server_port}"
            sso = SsoSettings(
                discovery_url=f"{idp}/.well-known/openid-configuration",
                client_id="muster-browser",
                client_secret="s3cret",
                display_name="Example ID",
                redirect_base_url=url,
            )
            # Routes read the context per request: configure SSO now that the URL is known.
            app.state.ctx = AppContext(settings=replace(settings, sso=sso), db=db, clock=db.clock)
            yield idp, url, db
    finally:
        db.dispose()


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_sign_in_through_the_provider(
    browser: Browser, sso_server: tuple[str, str, Database]
) -> None:
    idp, base, db = sso_server
    with db.unit_of_work() as uow:
        do_create_group_rule(
            uow, SYSTEM, GroupRuleIn(group_name="incident-managers", account_role="manager")
        )
        uow.commit()
    httpx.put(f"{idp}/users/sub-mo", json={
        "email": "mo@example.com", "email_verified": True, "name": "Mo Browser",
        "groups": ["incident-managers"]}).raise_for_status()  # fmt: skip

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route("https://cdn.jsdelivr.net/**", _abort)  # the provider's CSS, offline
    page = context.new_page()
    page.goto(f"{base}/teams")
    expect(page).to_have_url(re.compile(r"/login\?next=/teams$"))
    page.get_by_role("link", name="Sign in with Example ID").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(idp)}/oauth2/authorize"))
    page.get_by_placeholder("sub").fill("sub-mo")
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(f"{base}/teams")
    expect(page.get_by_role("link", name="Mo Browser")).to_be_visible()
    context.close()
    with db.unit_of_work(readonly=True) as uow:
        user = find_user_by_email(uow, "mo@example.com")
        assert user is not None
        assert user.role == "manager"


def _abort(route: Route) -> None:
    route.abort()
