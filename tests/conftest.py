"""Shared fixtures: a real Kafka-protocol broker and real databases (SQLite and PostgreSQL)."""

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from devstack.broker import EmbeddedBroker
from services.common.components import Component
from services.common.migrations import upgrade_to_head

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


async def create_postgres_database(*, template: str | None = None) -> str:
    name = f"huoli_test_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"{copy_of}')
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
def backend(request: pytest.FixtureRequest, postgres_available: bool) -> str:
    """Each database backend in turn; PostgreSQL is skipped where it is not reachable."""
    if request.param == "postgresql" and not postgres_available:
        pytest.skip("PostgreSQL is not reachable on this machine (CI always has it)")
    backend: str = request.param
    return backend


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database on each backend."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
        return
    name = await create_postgres_database()
    try:
        yield f"{postgres_host_url()}/{name}"
    finally:
        await drop_postgres_database(name)


class MigratedDatabases:
    """Each service's schema, migrated once per test worker and backend; every test then gets
    its own copy (a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL), which
    costs a fraction of running the migrations again."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.templates: dict[tuple[str, str], str] = {}

    async def _template(self, backend: str, service: Component) -> str:
        key = (backend, service.name)
        if key not in self.templates:
            if backend == "sqlite":
                location = str(self.workdir / f"{service.name}.db")
                url = f"sqlite+aiosqlite:///{location}"
            else:
                location = await create_postgres_database()
                url = f"{postgres_host_url()}/{location}"
            await asyncio.to_thread(upgrade_to_head, ini_path=service.alembic_ini, database_url=url)
            self.templates[key] = location
        return self.templates[key]

    @asynccontextmanager
    async def copy(self, backend: str, service: Component, tmp_path: Path) -> AsyncIterator[str]:
        """The URL of a fresh database holding `service`'s migrated, empty schema."""
        template = await self._template(backend, service)
        if backend == "sqlite":
            target = tmp_path / f"{service.name}.db"
            shutil.copyfile(template, target)
            yield f"sqlite+aiosqlite:///{target}"
            return
        name = await create_postgres_database(template=template)
        try:
            yield f"{postgres_host_url()}/{name}"
        finally:
            await drop_postgres_database(name)

    async def drop(self) -> None:
        for (backend, _service), location in self.templates.items():
            if backend == "postgresql":
                await drop_postgres_database(location)


@pytest.fixture(scope="session")
async def migrated_databases(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[MigratedDatabases]:
    databases = MigratedDatabases(tmp_path_factory.mktemp("migrated"))
    try:
        yield databases
    finally:
        await databases.drop()
