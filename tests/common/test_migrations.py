"""Each service's migrations build its schema, match its models, and tolerate replicas
migrating at the same time."""

import asyncio
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.components import GATEWAY
from services.common.components import SERVICES as COMPONENTS
from services.common.migrations import alembic_config, upgrade_to_head

# The gateway keeps a database of its own, migrated like a service's.
MIGRATED = (*COMPONENTS, GATEWAY)
SERVICES = tuple(component.name for component in MIGRATED)
ROOT = Path(__file__).resolve().parents[2]


def ini(service: str) -> Path:
    return next(c for c in MIGRATED if c.name == service).alembic_ini


async def table_names(database_url: str) -> set[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_models(service: str, database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, ini_path=ini(service), database_url=database_url)
    config = alembic_config(ini_path=ini(service), database_url=database_url)
    # Raises if autogenerate would write anything: a model changed without a migration.
    await asyncio.to_thread(command.check, config)


@pytest.mark.parametrize("service", SERVICES)
async def test_downgrading_to_base_removes_every_table(service: str, database_url: str) -> None:
    config = alembic_config(ini_path=ini(service), database_url=database_url)
    await asyncio.to_thread(command.upgrade, config, "head")
    assert {"outbox_event", "inbox_event"} <= await table_names(database_url)
    await asyncio.to_thread(command.downgrade, config, "base")
    left = await table_names(database_url)
    assert left == {f"alembic_version_{service}"}, left


async def test_replicas_starting_together_migrate_once(database_url: str) -> None:
    service = "scoring"
    script = (
        "import sys; from pathlib import Path; "
        "from services.common.migrations import upgrade_to_head; "
        "upgrade_to_head(ini_path=Path(sys.argv[1]), database_url=sys.argv[2])"
    )
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, str(ini(service)), database_url, cwd=ROOT
        )
        for _ in range(3)
    ]
    exit_codes = [await replica.wait() for replica in replicas]
    assert exit_codes == [0, 0, 0]
    config = alembic_config(ini_path=ini(service), database_url=database_url)
    await asyncio.to_thread(command.check, config)
