"""A new secret (a webhook's signing secret) shown once, on the page after the action
that made it.

The action hands it to the next page view in a short-lived, signed, HTTP-only cookie
scoped to the pages that show it, and that view deletes the cookie as it shows the
secret (Post/Redirect/Get): never in a URL, so never in an access log or the browser's
history; and only the person who made it can read it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from muster.web.auth import Caller
from muster.web.context import AppContext
from muster.web.ui.forms import see_other


@dataclass(frozen=True)
class ShownOnce:
    """The cookie that carries one kind of new secret: its name, its signing salt, the
    pages (``path``) it is sent to, and how many seconds it lives."""

    cookie: str
    salt: str
    path: str
    max_age: int = 300

    def redirect(
        self, ctx: AppContext, caller: Caller, url: str, value: dict[str, Any]
    ) -> Response:
        """Post/Redirect/Get to ``url``, handing ``value`` (the secret and what it is
        for) to the caller's next page view."""
        response = see_other(url)
        signed = self._signer(ctx).dumps({"user": caller.user.id, **value})
        response.set_cookie(
            self.cookie, signed, max_age=self.max_age, path=self.path, httponly=True,
            samesite="strict", secure=ctx.settings.secure_cookies,
        )  # fmt: skip
        return response

    def take(self, request: Request, ctx: AppContext, caller: Caller) -> dict[str, Any] | None:
        """The value handed over, if this request carries one for the caller that is
        signed and fresh; the page that shows it calls :meth:`forget`."""
        raw = request.cookies.get(self.cookie)
        if not raw:
            return None
        try:
            value = self._signer(ctx).loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(value, dict) or value.get("user") != caller.user.id:
            return None
        return value

    def forget(self, response: Response) -> None:
        response.delete_cookie(self.cookie, path=self.path)

    def _signer(self, ctx: AppContext) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(ctx.settings.secret_key, salt=self.salt)
