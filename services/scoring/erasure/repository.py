"""The erasure's queries: what identifies a member is dropped, every count kept."""

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.membership.tables import BELONGING_STATUSES
from services.scoring.leaderboards import rules as leaderboards_rules
from services.scoring.tables import (
    adjustment_table,
    badge_rule_table,
    board_table,
    bucket_table,
    community_lottery_table,
    coupon_batch_table,
    definition_table,
    ledger_table,
    level_benefit_table,
    profile_table,
    redemption_table,
    reward_table,
)

# Columns that name who did something by user id: an erased user's id becomes the tombstone.
_ACTOR_COLUMNS = (
    (adjustment_table, "changed_by"),
    (reward_table, "created_by"),
    (redemption_table, "redeemed_by"),
    (redemption_table, "cancelled_by"),
    (definition_table, "created_by"),
    (coupon_batch_table, "created_by"),
    (badge_rule_table, "created_by"),
    (level_benefit_table, "updated_by"),
    (community_lottery_table, "created_by"),
)


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


async def end_membership(session: AsyncSession, *, community_id: str, member_id: str) -> None:
    """Mark the member left in the projection, as members does on erasure: written in the
    ledger's own transaction, so what the ledger applies after the erasure sees it even
    before the membership consumer has followed `member.left` (a removal stays a removal)."""
    await session.execute(
        update(profile_table)
        .where(
            profile_table.c.community_id == community_id,
            profile_table.c.member_id == member_id,
            profile_table.c.status.in_(sorted(BELONGING_STATUSES)),
        )
        .values(status="left")
    )


async def remove_from_boards(session: AsyncSession, *, community_id: str, member_id: str) -> int:
    """Take a member off every leaderboard of the community (their ledger stays): their board
    rows go, and the all-time boards' score buckets lose them, so ranks below move up.
    Returns the rows removed."""
    board = board_table
    mine = (board.c.community_id == community_id, board.c.member_id == member_id)
    rows = (
        await session.execute(
            select(board.c.period, board.c.period_start, board.c.scope, board.c.score_milli).where(
                *mine
            )
        )
    ).all()
    moves = [
        ((community_id, period, start, scope), score, 0)
        for period, start, scope, score in rows
        if period == leaderboards_rules.BUCKETED
    ]
    for (_, period, start, scope, bucket), delta in sorted(
        leaderboards_rules.bucket_changes(moves).items()
    ):
        await session.execute(
            update(bucket_table)
            .where(
                bucket_table.c.community_id == community_id,
                bucket_table.c.period == period,
                bucket_table.c.period_start == start,
                bucket_table.c.scope == scope,
                bucket_table.c.bucket == bucket,
            )
            .values(members=bucket_table.c.members + delta)
        )
    await session.execute(delete(board).where(*mine))
    return len(rows)


async def replace_actor(
    session: AsyncSession, *, community_id: str, user_id: str, replacement: str
) -> None:
    """Where the erased user is named as who did something, name the tombstone instead."""
    for table, name in _ACTOR_COLUMNS:
        column = table.c[name]
        await session.execute(
            update(table)
            .where(table.c.community_id == community_id, column == user_id)
            .values({name: replacement})
        )


async def drop_redemption_notes(
    session: AsyncSession, *, community_id: str, member_id: str
) -> None:
    """A cancellation's reason is free text about the member: it goes."""
    await session.execute(
        update(redemption_table)
        .where(
            redemption_table.c.community_id == community_id,
            redemption_table.c.member_id == member_id,
            redemption_table.c.cancel_reason.is_not(None),
        )
        .values(cancel_reason="")
    )
