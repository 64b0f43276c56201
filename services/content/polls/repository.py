"""The polls' queries: a vote, and the results."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.common.db_ops import insert_if_absent
from services.content.tables import PollVote


async def add_vote(session: AsyncSession, vote: PollVote) -> bool:
    """Record a vote; False if the member had voted in this poll already."""
    return await insert_if_absent(
        session,
        PollVote.metadata.tables["poll_vote"],
        {
            "content_id": vote.content_id,
            "member_id": vote.member_id,
            "community_id": vote.community_id,
            "option": vote.option,
            "voted_at": vote.voted_at,
        },
    )


async def poll_results(session: AsyncSession, content_id: str) -> dict[str, int]:
    query = (
        select(col(PollVote.option), func.count())
        .where(col(PollVote.content_id) == content_id)
        .group_by(col(PollVote.option))
    )
    return {row[0]: row[1] for row in (await session.execute(query)).all()}
