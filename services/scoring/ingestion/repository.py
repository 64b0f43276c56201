"""The ingestion's queries: the receipts that make each activity id count once."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.ledger import repository as ledger_repository
from services.scoring.tables import receipt_table


async def accept_receipts(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> set[tuple[str, str]]:
    """Insert receipts; the (community, activity id) pairs this call inserted (the others
    were received before, by an earlier or a concurrent request)."""
    if not rows:
        return set()
    # Rows as parameters of one cached statement (SQLAlchemy batches them into multi-row
    # INSERTs): a `.values(rows)` statement is compiled anew for every request, which cost
    # more than the database's work (36 ms for 500 receipts on SQLite).
    statement = (
        ledger_repository.dialect_insert(session, receipt_table)
        .on_conflict_do_nothing()
        .returning(receipt_table.c.community_id, receipt_table.c.activity_id)
    )
    result = await session.execute(statement, list(rows))
    return {(row.community_id, row.activity_id) for row in result}
