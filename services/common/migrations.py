"""Alembic plumbing shared by every service: run `upgrade head` at start-up, and the env.py body."""

import asyncio
import zlib
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from services.common.db import create_engine, is_sqlite


def alembic_config(*, ini_path: Path, database_url: str) -> Config:
    config = Config(str(ini_path))
    config.set_main_option("script_location", str(ini_path.parent / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(*, ini_path: Path, database_url: str) -> None:
    """Blocking; call it in a worker thread from async code."""
    command.upgrade(alembic_config(ini_path=ini_path, database_url=database_url), "head")


def run_env(*, target_metadata: MetaData, version_table: str, default_url: str) -> None:
    """The whole of a service's migrations/env.py, given its metadata."""
    url: str = context.config.attributes.get("database_url") or default_url
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "version_table": version_table,
        # SQLite alters tables by copying them; Alembic's batch mode does that for us.
        "render_as_batch": is_sqlite(url),
        # Alembic commits after each migration on SQLite unless told its DDL is transactional
        # (it is, with the driver's own transaction handling off, see services.common.db). One
        # transaction for the whole upgrade keeps the write lock taken by BEGIN IMMEDIATE until
        # the end, so replicas starting together migrate one after the other, as the advisory
        # lock makes them on PostgreSQL; otherwise a replica that planned two migrations could
        # find the second already applied by another one between its commits.
        "transactional_ddl": True,
        "compare_type": True,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas starting together migrate one at a time; the others then find the
                # schema at head. The lock ends with the transaction.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": zlib.crc32(version_table.encode())},
                )
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())
