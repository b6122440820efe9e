"""The secret store actions read from: named values (API tokens, passwords) encrypted at
rest with Fernet, under a key derived from the installation's secret key.

The caller passes the installation key in (the domain never reads configuration).
Secrets are write-only through every door: commands take a value and record only the
name (``secret.set`` / ``secret.deleted``); :func:`secret_names` lists names; only the
engine calls :func:`reveal_all` to render an action's templates, and whatever it renders
is redacted (``[secret]``) before it reaches an event, an output, an error or a log.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.playbooks.models import Secret
from muster.errors import FieldError, InvalidInput, NotFound

log = logging.getLogger(__name__)

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")
MAX_VALUE = 10_000
MAX_DESCRIPTION = 500
STREAM = "secrets"


def fernet_for(installation_key: str) -> Fernet:
    """The cipher for ``installation_key`` (HKDF-SHA256 to a 32-byte Fernet key)."""
    if not installation_key:
        raise ValueError("the installation secret key is empty")
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"muster-secrets-v1",
        info=b"playbook action secrets",
    ).derive(installation_key.encode())  # fmt: skip
    return Fernet(base64.urlsafe_b64encode(derived))


def check_secret_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise InvalidInput(
            "bad secret name",
            errors=[FieldError("name", "letters, digits and _, not starting with a digit "
                                       "(at most 80), e.g. EDR_TOKEN")],
        )  # fmt: skip
    return name


def _find(uow: UnitOfWork, name: str) -> Secret | None:
    return uow.session.scalar(select(Secret).where(Secret.name == name))


def secret_names(uow: UnitOfWork, actor: Actor) -> Sequence[Secret]:
    """The stored secrets (rows: name, description, times; never the value), by name.

    Preconditions: manager role (playbook authors need the names)."""
    require(actor, Role.MANAGER)
    return uow.session.scalars(select(Secret).order_by(Secret.name)).all()


def do_set_secret(
    uow: UnitOfWork, actor: Actor, name: str, value: str, key: str, *, description: str = ""
) -> Secret:
    """Store ``value`` under ``name`` (replacing any value it had), encrypted with ``key``.

    Preconditions: admin role; a valid name; a value of 1 to 10,000 characters."""
    require(actor, Role.ADMIN)
    check_secret_name(name)
    if not value or len(value) > MAX_VALUE:
        raise InvalidInput(
            "bad secret value",
            errors=[FieldError("value", f"give 1 to {MAX_VALUE} characters")],
        )
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            "description too long",
            errors=[FieldError("description", f"at most {MAX_DESCRIPTION} characters")],
        )
    ciphertext = fernet_for(key).encrypt(value.encode()).decode()
    now = uow.now
    row = _find(uow, name)
    created = row is None
    if row is None:
        row = Secret(name=name, ciphertext=ciphertext, description=description,
                     created_at=now, updated_at=now, created_by=actor.label)  # fmt: skip
        uow.session.add(row)
        uow.flush()
    else:
        row.ciphertext, row.updated_at = ciphertext, now
        if description:
            row.description = description
    append_event(
        uow, actor, "secret.set", subject_type="secret", subject_id=row.id,
        data={"name": name, "created": created}, stream=STREAM,
    )  # fmt: skip
    return row


def do_delete_secret(uow: UnitOfWork, actor: Actor, name: str) -> None:
    """Remove the secret ``name``; actions naming it then fail to render.

    Preconditions: admin role; the secret exists."""
    require(actor, Role.ADMIN)
    row = _find(uow, name)
    if row is None:
        raise NotFound(f"no secret named {name!r}")
    append_event(
        uow, actor, "secret.deleted", subject_type="secret", subject_id=row.id,
        data={"name": name}, stream=STREAM,
    )  # fmt: skip
    uow.session.delete(row)


def reveal_all(uow: UnitOfWork, key: str) -> dict[str, str]:
    """Every secret's value by name — for the engine rendering an action, nothing else.
    A value the key cannot decrypt (the installation key changed) is left out, and the
    name logged."""
    cipher = fernet_for(key)
    values: dict[str, str] = {}
    for name, ciphertext in uow.session.execute(select(Secret.name, Secret.ciphertext)):
        try:
            values[name] = cipher.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            log.warning("secret %s cannot be decrypted with this installation's key", name)
    return values
