"""``integrations/``: the doors into services, named ``<service>/<name>``. Never their
keys: an integration created from a file gets a new key (shown on its service's page).
Configuration values under secret-looking keys (password, secret, token, api_key) are
left out of files too; applying a file keeps the values Muster already holds for them."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator

from muster.db.uow import UnitOfWork
from muster.domain.alerts.integrations import (
    check_config,
    do_create_integration,
    do_revoke_integration,
    do_update_integration,
    get_integration,
)
from muster.domain.alerts.models import Integration
from muster.domain.alerts.schemas import IntegrationCreate, IntegrationUpdate, ShortName
from muster.domain.catalog.models import Service
from muster.domain.catalog.schemas import ServiceName
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.config_code.kinds.lookup import id_named, live
from muster.domain.events.actor import Actor
from muster.domain.inputs import parse_input
from muster.errors import FieldError, InvalidInput

SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey")


def is_secret(key: str) -> bool:
    return any(word in key.lower() for word in SECRET_WORDS)


def public_config(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sorted(config.items()) if not is_secret(k)}


class IntegrationDoc(FileSchema):
    service: ServiceName
    name: ShortName
    type: str = Field(min_length=1, max_length=20)
    config: dict[str, Any] = Field(default_factory=dict)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _no_secrets(self) -> IntegrationDoc:
        secrets = [k for k in self.config if is_secret(k)]
        if secrets:
            raise ValueError(f"secrets are not kept in files: remove {', '.join(secrets)}")
        try:
            self.config = public_config(check_config(self.type, self.config))
        except InvalidInput as exc:
            raise ValueError(
                "; ".join(f"{e.field}: {e.reason}" for e in exc.errors) or exc.detail
            ) from None
        return self


class IntegrationsKind:
    folder: ClassVar[str] = "integrations"
    key: ClassVar[str] = "name"
    label: ClassVar[str] = "integration"
    schema: ClassVar[type[FileSchema]] = IntegrationDoc

    def name_of(self, doc: Any) -> str:
        return f"{doc.service}/{doc.name}"

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        services = {s.id: s.name for s in live(uow, Service)}
        out: dict[str, Current] = {}
        for row in sorted(live(uow, Integration), key=lambda i: i.created_at):
            if row.revoked_at is not None or row.service_id not in services:
                continue
            doc = IntegrationDoc.model_construct(
                service=services[row.service_id], name=row.name, type=row.type,
                config=public_config(row.config), rate_limit_per_minute=row.rate_limit_per_minute,
            )  # fmt: skip
            out.setdefault(self.name_of(doc), (row.id, dump_doc(doc)))
        return out

    def references(self, doc: Any) -> list[Ref]:
        return [Ref(("service",), "services", doc.service)]

    def create(self, uow: UnitOfWork, actor: Actor, doc: IntegrationDoc) -> str:
        service_id = id_named(uow, Service, doc.service, field="service")
        data = parse_input(IntegrationCreate, {
            "type": doc.type, "name": doc.name, "config": doc.config,
            "rate_limit_per_minute": doc.rate_limit_per_minute,
        })  # fmt: skip
        return do_create_integration(uow, actor, service_id, data).id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: IntegrationDoc) -> None:
        row = get_integration(uow, object_id)
        if row.type != doc.type:
            raise InvalidInput(
                "an integration's type cannot change; give the new one another name",
                errors=[FieldError("type", f"is {row.type}")],
            )
        kept = {k: v for k, v in row.config.items() if is_secret(k)}
        data = IntegrationUpdate(
            name=doc.name,
            config={**doc.config, **kept},
            rate_limit_per_minute=doc.rate_limit_per_minute,
        )
        do_update_integration(uow, actor, object_id, data)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_revoke_integration(uow, actor, object_id)
