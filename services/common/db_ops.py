"""Portable statements the plumbing needs on both SQLite and PostgreSQL."""

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_if_absent(session: AsyncSession, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless its key exists already; True if this call inserted it."""
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported backends reach here
        raise NotImplementedError(dialect)
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def insert_many_if_absent(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], *, returning: str
) -> set[Any]:
    """Insert the rows whose key does not exist yet, in one statement; the `returning` column
    of those this call inserted."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(rows).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(rows).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported backends reach here
        raise NotImplementedError(dialect)
    result = await session.execute(statement.returning(table.c[returning]))
    return set(result.scalars().all())
