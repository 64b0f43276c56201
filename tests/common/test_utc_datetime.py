"""`UtcDateTime` writes SQLite's text in one step of its own: it must be the very text
SQLAlchemy's DATETIME writes, so rows written either way compare, sort and read back alike."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Dialect, Integer, MetaData, Table, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from services.common.db import UtcDateTime, _sqlite_utc_text, create_engine

INSTANTS = [
    datetime(2026, 12, 3, 13, 20, 49, 123456, tzinfo=UTC),
    datetime(2026, 12, 3, 13, 20, 49, 0, tzinfo=UTC),  # isoformat drops a zero microsecond...
    datetime(2026, 12, 3, 13, 20, 0, 7, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 30, 0, 5, tzinfo=timezone(timedelta(hours=8))),  # the day before
    datetime(2026, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),  # after
    datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(seconds=1, microseconds=3))),
    datetime(999, 2, 3, 4, 5, 6, 7, tzinfo=UTC),  # a year of three digits, zero-padded
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def bind(dialect: Dialect) -> Callable[[Any], Any]:
    """`UtcDateTime`'s bind processor as SQLAlchemy gets it for `dialect`."""
    process = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    return process


def sqlalchemy_text(value: datetime) -> str:
    """What SQLAlchemy's own chain (the decorator's UTC conversion, then DATETIME) binds."""
    dialect = sqlite.dialect()
    reference = TypeDecorator.bind_processor(UtcDateTime().dialect_impl(dialect), dialect)
    assert reference is not None
    return str(reference(value))


@pytest.mark.parametrize("value", INSTANTS, ids=str)
def test_sqlite_text_is_what_sqlalchemy_writes(value: datetime) -> None:
    process = bind(sqlite.dialect())
    assert process is _sqlite_utc_text  # the one-step path, not SQLAlchemy's
    assert process(value) == sqlalchemy_text(value)
    assert len(str(process(value))) == len("2026-12-03 13:20:49.123456")


def test_none_passes_and_naive_is_refused() -> None:
    process = bind(sqlite.dialect())
    assert process(None) is None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 1, 1))  # naive: the point of the test


def test_postgresql_binds_as_before() -> None:
    bound = bind(postgresql.asyncpg.dialect())(INSTANTS[3])
    assert bound == INSTANTS[3]
    assert bound.tzinfo == UTC


async def test_round_trip_through_sqlite(tmp_path: Path) -> None:
    table = Table(
        "stamp", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime())
    )
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(table.metadata.create_all)
            await connection.execute(
                insert(table), [{"id": n, "at": value} for n, value in enumerate(INSTANTS)]
            )
            stored = (await connection.execute(text("SELECT at FROM stamp ORDER BY id"))).scalars()
            assert list(stored) == [sqlalchemy_text(value) for value in INSTANTS]
            read = (await connection.execute(select(table.c.at).order_by(table.c.id))).scalars()
            assert list(read) == INSTANTS
    finally:
        await engine.dispose()
