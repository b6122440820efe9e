"""Helpers shared by tests: people with tokens, signing in through the real form."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

from muster.db.uow import Database
from muster.domain.accounts.credentials import do_create_api_token
from muster.domain.accounts.schemas import UserCreate
from muster.domain.accounts.service import do_create_user
from muster.domain.events.actor import Actor, Via

PASSWORD = "correct horse battery"
SYSTEM = Actor.system(Via.SYSTEM, label="test")


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    role: str
    token: str
    password: str = PASSWORD

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_person(db: Database, role: str = "responder", email: str | None = None) -> Person:
    """A user with a password and an API token, created as the system would."""
    email = email or f"{role}-{os.urandom(3).hex()}@example.com"
    with db.unit_of_work() as uow:
        user = do_create_user(
            uow,
            SYSTEM,
            UserCreate(email=email, name=email.split("@")[0].title(), role=role, password=PASSWORD),
        )
        _row, token = do_create_api_token(uow, SYSTEM, user.id, "test", None)
        uow.commit()
        return Person(user.id, email, role, token)


def post_login(client: httpx.Client, data: dict[str, str], **kwargs: Any) -> httpx.Response:
    """Post the sign-in form as a browser does: first fetch the page, which sets the
    form's CSRF cookie, then post its token with ``data``."""
    token = csrf_from(client.get("/login?password=1").text)
    return client.post("/login", data={"csrf_token": token, **data}, **kwargs)


def sign_in(client: TestClient, email: str, password: str) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    response = post_login(
        client, {"email": email, "password": password, "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/").text)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)
