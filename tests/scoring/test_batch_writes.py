"""The batch writes bind values themselves (the driver's executemany, not SQLAlchemy's insert):
what they store must be what SQLAlchemy's insert stores, value for value."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, String, Table, insert, text

from services.common.db import UtcDateTime, create_engine, session_factory
from services.scoring.ledger import repository as batches


def table(name: str, metadata: MetaData) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("label", String, nullable=True),
        Column("at", UtcDateTime(), nullable=True),
        Column("attrs", JSON, nullable=False),
        Column("weight", Float, nullable=True),
        Column("flag", Boolean, nullable=True),
    )


def sample_rows() -> list[dict[str, Any]]:
    shared = datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=UTC)  # one object in several rows
    empty: dict[str, Any] = {}
    values: list[tuple[Any, ...]] = [
        (shared, {}, 14.0, True),
        (shared, empty, 14.0, False),
        (shared, empty, 1.5, True),  # the same objects again, then others in between
        (datetime(2026, 3, 4, 13, 6, 7, tzinfo=timezone(timedelta(hours=8))), {"a": 1}, 2, None),
        (shared, {"streak": 7, "nested": {"x": [1, "二", None]}}, None, False),
        (None, {}, 0.0, None),
        (shared, {}, 14.0, True),
    ]
    return [
        {"id": n, "label": f"row {n}", "at": at, "attrs": attrs, "weight": weight, "flag": flag}
        for n, (at, attrs, weight, flag) in enumerate(values)
    ]


async def test_batch_insert_stores_what_sqlalchemy_stores(tmp_path: Path) -> None:
    metadata = MetaData()
    fast, reference = table("fast", metadata), table("reference", metadata)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/w.db")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with session_factory(engine)() as session:
            await batches.insert_rows(session, fast, sample_rows())
            await session.execute(insert(reference), sample_rows())
            await session.commit()
            # The stored values as they are, read without the column types.
            stored = {
                name: (await session.execute(text(f"SELECT * FROM {name} ORDER BY id"))).all()
                for name in ("fast", "reference")
            }
    finally:
        await engine.dispose()
    assert stored["fast"] == stored["reference"]
    assert len(stored["fast"]) == len(sample_rows())
