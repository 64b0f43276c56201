"""The erasure's queries: what identifies a member is dropped, every count kept."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.tables import ledger_table, profile_table


async def anonymise_member(
    session: AsyncSession, *, community_id: str, member_id: str, display_name: str, user_id: str
) -> None:
    """Drop what identifies a member (name, user id, free-form attrs); keep every count."""
    await session.execute(
        update(profile_table)
        .where(profile_table.c.community_id == community_id, profile_table.c.member_id == member_id)
        .values(display_name=display_name, user_id=user_id)
    )
    await session.execute(
        update(ledger_table)
        .where(ledger_table.c.community_id == community_id, ledger_table.c.member_id == member_id)
        .values(attrs={})
    )
