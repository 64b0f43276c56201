"""Transient faults are waited out, poison is reported: the classification, and the consumers'
failure policy on a real database (each backend)."""

import asyncio
import sqlite3
from types import SimpleNamespace

import httpx
import pytest
import sqlalchemy.exc
from fastapi import FastAPI
from sqlalchemy import text

from services.common.db import create_engine, session_factory
from services.common.events.consumer import FailurePolicy, Stopped
from services.common.faults import Readiness, is_database_fault, is_transient
from services.common.health import router as health_router


def _wrapped(orig: Exception) -> sqlalchemy.exc.DBAPIError:
    return sqlalchemy.exc.OperationalError("INSERT ...", {}, orig)


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        _wrapped(sqlite3.OperationalError("database is locked")),
        _wrapped(sqlite3.OperationalError("disk I/O error")),
        _wrapped(sqlite3.OperationalError("attempt to write a readonly database")),
        _wrapped(sqlite3.OperationalError("unable to open database file")),
        _wrapped(_PgError("40001")),  # serialization failure
        _wrapped(_PgError("40P01")),  # deadlock
        _wrapped(_PgError("57P01")),  # admin shutdown
        _wrapped(_PgError("08006")),  # connection failure
        sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
    ],
)
def test_transient_faults(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad data"),
        KeyError("missing"),
        sqlalchemy.exc.IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE failed")),
        _wrapped(sqlite3.OperationalError("no such table: thing")),
        _wrapped(_PgError("23505")),  # unique violation
    ],
)
def test_poison(error: Exception) -> None:
    assert not is_transient(error)


def test_a_database_fault_is_told_from_a_broker_fault() -> None:
    assert is_database_fault(_wrapped(sqlite3.OperationalError("disk I/O error")))
    assert not is_database_fault(ConnectionRefusedError(111, "Connection refused"))


async def _policy(
    database_url: str, stopping: asyncio.Event, readiness: Readiness
) -> FailurePolicy:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(text("SELECT 1"))
    return FailurePolicy(
        group_id="test.group",
        sessions=session_factory(engine),
        stopping=stopping,
        attempts=3,
        readiness=readiness,
    )


async def test_poison_is_returned_after_the_attempts_while_the_database_answers(
    database_url: str,
) -> None:
    readiness = Readiness()
    policy = await _policy(database_url, asyncio.Event(), readiness)
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("this message breaks a rule")

    error = await policy.run(broken, "a message")
    assert isinstance(error, ValueError)
    assert calls == 3
    assert readiness.problems() == {}


async def test_a_transient_fault_pauses_until_it_passes(database_url: str) -> None:
    readiness = Readiness()
    policy = await _policy(database_url, asyncio.Event(), readiness)
    seen_down: list[dict[str, str]] = []
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls < 5:  # more than the poison budget: a transient fault is never poison
            seen_down.append(readiness.problems())
            raise _wrapped(sqlite3.OperationalError("database is locked"))

    assert await policy.run(flaky, "a message") is None
    assert calls == 5
    assert seen_down[-1] == {"consumer test.group": "OperationalError: database is locked"}
    assert readiness.problems() == {}  # ready again


async def test_a_paused_consumer_stops_without_finishing(database_url: str) -> None:
    stopping = asyncio.Event()
    policy = await _policy(database_url, stopping, Readiness())

    async def down() -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    task = asyncio.create_task(policy.run(down, "a message"))
    await asyncio.sleep(0.5)
    stopping.set()
    with pytest.raises(Stopped):
        await asyncio.wait_for(task, 2)


async def test_any_failure_while_the_database_is_away_is_waited_out() -> None:
    # A handler that wraps the fault in an error of its own still pauses, because the policy
    # asks the database before calling anything poison.
    readiness = Readiness()
    policy = FailurePolicy(
        group_id="test.group",
        sessions=session_factory(create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")),
        stopping=asyncio.Event(),
        attempts=1,
        readiness=readiness,
    )
    calls = 0

    async def wrapped() -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RuntimeError("the handler's own error")

    assert await policy.run(wrapped, "a message") is None
    assert calls == 3


async def test_readyz_says_which_consumer_is_paused(database_url: str) -> None:
    app = FastAPI()
    app.include_router(health_router)
    readiness = Readiness()
    engine = create_engine(database_url)
    app.state.runtime = SimpleNamespace(
        engine=engine, kafka=SimpleNamespace(connected=True), readiness=readiness
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            assert (await client.get("/readyz")).status_code == 200
            readiness.down("consumer scoring.ledger", "ConnectionRefusedError: refused")
            paused = await client.get("/readyz")
            assert paused.status_code == 503
            assert paused.json()["paused"] == {
                "consumer scoring.ledger": "ConnectionRefusedError: refused"
            }
            readiness.up("consumer scoring.ledger")
            assert (await client.get("/readyz")).status_code == 200
    finally:
        await engine.dispose()
