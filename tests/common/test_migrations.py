"""Each service's migrations build its schema, match its models, and tolerate replicas
migrating at the same time."""

import asyncio
import sys
from pathlib import Path

import pytest
from alembic import command

from services.common.migrations import alembic_config, upgrade_to_head

SERVICES = ("members", "content", "events", "scoring")
ROOT = Path(__file__).resolve().parents[2]


def ini(service: str) -> Path:
    return ROOT / "services" / service / "alembic.ini"


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_models(service: str, database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, ini_path=ini(service), database_url=database_url)
    config = alembic_config(ini_path=ini(service), database_url=database_url)
    # Raises if autogenerate would write anything: a model changed without a migration.
    await asyncio.to_thread(command.check, config)


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
