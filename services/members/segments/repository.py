"""Members' copy of scoring's segments."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.members.tables import Membership


async def set_segment(
    session: AsyncSession, *, community_id: str, member_id: str, segment: str
) -> None:
    """Keep the segment scoring announced for a member (the latest announcement wins)."""
    await session.execute(
        update(Membership)
        .where(col(Membership.community_id) == community_id, col(Membership.id) == member_id)
        .values(segment=segment)
        .execution_options(synchronize_session=False)
    )
