"""Shared fixtures: a real Kafka-protocol broker and real databases (SQLite and PostgreSQL)."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from devstack.broker import EmbeddedBroker

# The embedded broker accepts short consumer sessions: groups join and hand over in seconds.
os.environ.setdefault("KAFKA_SESSION_TIMEOUT_MS", "3000")

POSTGRES_ADMIN_DSN = os.environ.get(
    "HUOLI_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


def postgres_host_url() -> str:
    # The same server, addressed the way SQLAlchemy's asyncpg dialect wants it.
    return POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """Bootstrap servers of an embedded broker started for this test session."""
    embedded = EmbeddedBroker().start()
    try:
        yield embedded.bootstrap_servers
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
async def postgres_available() -> bool:
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError):
        if os.environ.get("CI"):
            pytest.fail(f"CI must test on PostgreSQL, but {POSTGRES_ADMIN_DSN} is unreachable")
        return False
    await connection.close()
    return True


async def create_postgres_database() -> str:
    name = f"huoli_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name


async def drop_postgres_database(name: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_available: bool
) -> AsyncIterator[str]:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
        return
    if not postgres_available:
        pytest.skip("PostgreSQL is not reachable on this machine (CI always has it)")
    name = await create_postgres_database()
    try:
        yield f"{postgres_host_url()}/{name}"
    finally:
        await drop_postgres_database(name)
