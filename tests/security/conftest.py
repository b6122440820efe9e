"""Security fixtures: the real app over the test database, driven by Starlette's client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.web.app import create_app
from muster.web.context import AppContext


@pytest.fixture
def client(settings: Settings, db: Database, clock: ManualClock) -> Iterator[TestClient]:
    app = create_app(AppContext(settings=settings, db=db, clock=clock))
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as c:
        yield c
