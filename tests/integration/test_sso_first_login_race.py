"""Two first single sign-ins of one person at the same moment (two tabs, a double click):
the second waits for the first's account and identity, then signs in to that same
account — one user, one identity, two sessions, no error."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from muster.db.uow import Database
from muster.domain.accounts.models import User, WebSession
from muster.domain.accounts.sso import SsoClaims, do_sso_login, sso_sign_in
from muster.domain.accounts.sso_models import SsoIdentity

CLAIMS = SsoClaims.parse(
    {
        "iss": "https://idp.example",
        "sub": "u-1",
        "email": "new@example.com",
        "email_verified": True,
        "name": "New Person",
        "groups": [],
    }
)


def test_a_concurrent_first_sign_in_joins_the_account_the_other_created(db: Database) -> None:
    first_inserted = threading.Event()
    release_first = threading.Event()
    keys: list[str] = []
    errors: list[BaseException] = []

    def first() -> None:  # creates the account, then holds its transaction open
        try:
            with db.unit_of_work() as uow:
                do_sso_login(uow, CLAIMS, uow.now)
                uow.flush()
                first_inserted.set()
                release_first.wait(10)
                uow.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)
            first_inserted.set()

    def second() -> None:  # starts while the first holds its uncommitted rows
        try:
            keys.append(sso_sign_in(db, CLAIMS, ip="192.0.2.7", user_agent="tab 2",
                                    max_age=timedelta(hours=8)))  # fmt: skip
        except BaseException as exc:
            errors.append(exc)

    one = threading.Thread(target=first)
    one.start()
    assert first_inserted.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)  # blocked: on the writer lock (SQLite) or the unique index (PostgreSQL)
    release_first.set()
    one.join(10)
    two.join(20)
    assert errors == []
    assert len(keys) == 1
    with db.unit_of_work(readonly=True) as uow:
        users = uow.session.scalars(select(User).where(User.email == "new@example.com")).all()
        assert len(users) == 1
        assert uow.session.scalar(select(func.count()).select_from(SsoIdentity)) == 1
        sessions = uow.session.scalar(
            select(func.count()).select_from(WebSession).where(WebSession.user_id == users[0].id)
        )
        assert sessions == 1  # the first thread opened no session, the second one did
