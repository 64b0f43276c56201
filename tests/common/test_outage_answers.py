"""A database out of reach is answered 503 with Retry-After, never 500, and logged one line a
second however many requests fail, not a traceback each. SQLite (a file that cannot be opened)
and PostgreSQL (a port nobody listens on)."""

import logging
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI, status
from sqlalchemy import Column, Integer, MetaData, Table, insert

from devstack.processes import free_port
from services.common.api import middleware
from services.common.api.deps import UnitOfWorkDep
from services.common.api.middleware import install_edge_middleware
from services.common.api.problems import install_problem_handlers
from services.common.db import create_engine, session_factory
from services.common.events.outbox import Outbox
from services.common.events.tables import messaging_tables
from services.common.faults import Throttled
from tests.support import assert_problem

metadata = MetaData()
thing = Table("thing", metadata, Column("id", Integer, primary_key=True))
messaging = messaging_tables(metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'service.db'}"
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"


async def test_an_unreachable_database_is_503_with_one_line_a_second(
    unreachable_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The throttle is per process: a fresh one, so another test's line does not count here.
    monkeypatch.setattr(middleware, "_outage_log", Throttled(middleware.logger))
    engine = create_engine(unreachable_url)
    app = FastAPI()
    install_problem_handlers(app)
    install_edge_middleware(app, max_body_bytes=1024)
    app.state.runtime = SimpleNamespace(
        sessions=session_factory(engine), outbox=Outbox(messaging, source="test")
    )

    @app.post("/things/{thing_id}", status_code=status.HTTP_201_CREATED)
    async def add(thing_id: int, uow: UnitOfWorkDep) -> dict[str, int]:
        await uow.session.execute(insert(thing).values(id=thing_id))
        return {"id": thing_id}

    caplog.set_level(logging.INFO)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = [await client.post(f"/things/{n}") for n in range(30)]
    finally:
        await engine.dispose()
    for answer in answers:
        body = assert_problem(answer, 503)
        assert answer.headers["retry-after"] == "2"
        assert body["type"].endswith("/service-unavailable")
        assert "Traceback" not in answer.text
    middleware_lines = [r for r in caplog.records if r.name == "services.common.api.middleware"]
    assert 1 <= len(middleware_lines) <= 2, [r.getMessage() for r in middleware_lines]
    assert not any(r.exc_info for r in caplog.records)
