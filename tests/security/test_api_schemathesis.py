"""Schemathesis against /api/v1/openapi.json, in process: every operation, called as each
role with generated input (and, half the time, the ids of real objects in the path), never
answers 5xx, and every answer matches the document - a documented status, the declared
content type and the declared body schema."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from world import ROLES, World, build_world, once_is_enough

from muster.db.uow import Database

# Examples per operation: the admin passes every permission check, so reaches deepest;
# the other roles are mostly refused (and the refusal must match the document too).
EXAMPLES = int(os.environ.get("MUSTER_SCHEMATHESIS_EXAMPLES", "2"))
EXAMPLES_BELOW_ADMIN = 1
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
bounded = settings(
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # report the first failure as found
    suppress_health_check=list(HealthCheck),
)


def as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def send(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    """Send ``case`` through the test's own client (the app already running, over the
    test's database), translating the requests-style arguments schemathesis prepares."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
    kwargs.pop("cookies", None)
    data = kwargs.pop("data", None)
    if isinstance(data, bytes | str):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    if kwargs.get("files"):  # generated file content may be any JSON value
        kwargs["files"] = [(name, (part[0], as_bytes(part[1]), *part[2:]))
                           for name, part in kwargs["files"]]  # fmt: skip
    kwargs["headers"] = {**kwargs["headers"], **headers}
    response = client.request(**kwargs)
    response.request.read()  # multipart bodies stream; the checks read what was sent
    return response


def summary(exc: BaseException) -> str:
    """The failure's headline lines (what failed, what was received and documented)."""
    lines = [line.strip() for line in str(exc).splitlines()]
    keep = [
        line
        for line in lines
        if line.startswith(("- ", "Received", "Documented", "[", "curl", "`"))
    ]
    return "\n    ".join(keep or lines[:6])[:900]


def takes_input(operation: Any) -> bool:
    """Whether ``operation`` has a body or query parameters to get wrong (a string path
    parameter can hold anything, so there is no invalid one to generate)."""
    return len(operation.body) > 0 or len(operation.query) > 0


def run_operation(
    client: TestClient, operation: Any, world: World, role: str, mode: GenerationMode
) -> str | None:
    """The first failure of ``operation`` called as ``role`` with ``mode`` input, or None."""
    examples = EXAMPLES if role == "admin" else EXAMPLES_BELOW_ADMIN

    @settings(bounded, max_examples=examples)
    @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
    def call(case: Any, real: bool) -> None:
        if real and case.path_parameters:
            for name in case.path_parameters:
                if name in world.ids:
                    case.path_parameters[name] = world.ids[name]
        case.validate_response(send(client, case, world.headers(role)), checks=CHECKS)

    try:
        call()
    except Unsatisfiable:  # nothing invalid to send within the schema's own types
        return None
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a Base one
        return f"{role} {operation.label} ({mode.value}): {summary(exc)}"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as_each_role(client: TestClient, db: Database, role: str) -> None:
    if role != "admin":  # the refusals are the web layer's; the admin goes deepest
        once_is_enough(db)
    world = build_world(client, db)
    # Loaded from the document, not from_asgi: schemathesis would start (and keep) a
    # second copy of the app's lifespan; requests go through the test's client instead.
    schema = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 150
    failures = [f for op in operations if (f := run_operation(client, op, world, role, POSITIVE))]
    if role == "admin":  # invalid input as the admin, who gets past the permission checks
        failures += [
            failure
            for op in operations
            if takes_input(op) and (failure := run_operation(client, op, world, role, NEGATIVE))
        ]
    assert not failures, "\n\n".join(failures)
