"""The audit view's raw material: an SSO login and what it changes come through the
``sso`` door with the address; configuration changes read as ``{field: [before, after]}``
whatever shape their command recorded, and an integration's secrets never appear."""

from __future__ import annotations

from muster.db.uow import Database
from muster.domain.accounts.sso import SsoClaims, do_sso_login
from muster.domain.audit.changes import redacted
from muster.domain.audit.review import changes_of
from ui_support import events_of_type


def test_sso_login_is_recorded_through_the_sso_door_with_the_address(db: Database) -> None:
    claims = SsoClaims.parse({"iss": "https://idp.example.org", "sub": "u-1",
                              "email": "kim@example.org", "email_verified": True})  # fmt: skip
    with db.unit_of_work() as uow:
        do_sso_login(uow, claims, uow.now, ip="198.51.100.7")
        uow.commit()
    (login,) = events_of_type(db, "user.sso_login")
    assert (login.via, login.ip, login.actor_label) == ("sso", "198.51.100.7", "kim@example.org")
    (created,) = events_of_type(db, "user.created")  # just in time, by the provider's door
    assert (created.via, created.actor_label) == ("sso", "sso:https://idp.example.org")


def test_before_and_after_read_the_same_from_every_shape() -> None:
    assert changes_of({"changes": {"enabled": [True, False]}}) == {"enabled": [True, False]}
    assert changes_of({"name": {"from": "A", "to": "B"}, "id": "x"}) == {"name": ["A", "B"]}
    assert changes_of({"changes": {"name": {"from": "A", "to": "B"}, "password": "changed"}}) == {
        "name": ["A", "B"],
        "password": [None, "changed"],
    }
    snapshots = {"before": {"name": "r", "enabled": True}, "after": {"name": "r", "enabled": False}}
    assert changes_of(snapshots) == {"enabled": [True, False]}
    assert changes_of({"name": "plain"}) is None


def test_integration_secrets_are_hidden_at_any_depth() -> None:
    config = {"broker": "mqtts://mq.example.org", "password": "hunter2", "tls": {"api_key": "k"},
              "topics": ["a"], "token": ""}  # fmt: skip
    assert redacted(config) == {"broker": "mqtts://mq.example.org", "password": "(secret)",
                                "tls": {"api_key": "(secret)"}, "topics": ["a"], "token": ""}  # fmt: skip
