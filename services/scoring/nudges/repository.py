"""Win-back campaigns' queries: the audience a target names, the frequency cap's look back, the
recipients and the report's count of who was active again."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.common.events.catalogue.vocabulary import ActivityType
from services.common.membership.tables import BELONGING_STATUSES
from services.scoring.nudges.rules import RUNNABLE, Arm
from services.scoring.tables import (
    campaign_table,
    community_table,
    ledger_table,
    member_tag_table,
    nudge_community_table,
    profile_table,
    recipient_table,
    score_table,
)

# Credited to a member for what others did: not the member coming back.
_NOT_THEIR_OWN = (ActivityType.REACTION_RECEIVED.value, ActivityType.REPLY_RECEIVED.value)


async def add_campaign(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(campaign_table).values(**values))


async def get_campaign(
    session: AsyncSession, *, community_id: str, campaign_id: str
) -> RowMapping | None:
    result = await session.execute(
        select(campaign_table).where(
            campaign_table.c.community_id == community_id, campaign_table.c.id == campaign_id
        )
    )
    return result.mappings().one_or_none()


async def list_campaigns(
    session: AsyncSession, *, community_id: str, after_id: str | None, limit: int
) -> list[RowMapping]:
    query = select(campaign_table).where(campaign_table.c.community_id == community_id)
    if after_id is not None:
        query = query.where(campaign_table.c.id > after_id)
    result = await session.execute(query.order_by(campaign_table.c.id).limit(limit))
    return list(result.mappings().all())


async def claim_campaign(
    session: AsyncSession, *, campaign_id: str, values: dict[str, Any]
) -> RowMapping | None:
    """Move a draft or scheduled campaign on (to ran or cancelled) if it still is one: the
    conditional UPDATE makes one run of it, however many callers and schedulers race."""
    result = await session.execute(
        update(campaign_table)
        .where(
            campaign_table.c.id == campaign_id,
            campaign_table.c.status.in_([status.value for status in RUNNABLE]),
        )
        .values(**values)
        .returning(*campaign_table.c)
    )
    return result.mappings().one_or_none()


async def save_counts(session: AsyncSession, *, campaign_id: str, counts: dict[str, int]) -> None:
    await session.execute(
        update(campaign_table).where(campaign_table.c.id == campaign_id).values(**counts)
    )


async def due_campaigns(session: AsyncSession, *, now: datetime, limit: int) -> list[RowMapping]:
    result = await session.execute(
        select(campaign_table.c.id, campaign_table.c.community_id)
        .where(campaign_table.c.status == "scheduled", campaign_table.c.run_at <= now)
        .order_by(campaign_table.c.run_at)
        .limit(limit)
    )
    return list(result.mappings().all())


async def lock_community(session: AsyncSession, *, community_id: str) -> None:
    """Runs in one community one at a time (PostgreSQL; SQLite writers are one at a time
    anyway): two campaigns run together could each miss the other's nudges under the cap."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            select(community_table.c.id)
            .where(community_table.c.id == community_id)
            .with_for_update()
        )


async def tier_has_members(session: AsyncSession, *, community_id: str, tier_id: str) -> bool:
    query = select(profile_table.c.member_id).where(
        profile_table.c.community_id == community_id, profile_table.c.tier_id == tier_id
    )
    return (await session.execute(query.limit(1))).first() is not None


def _segment() -> Any:
    # A member the ledger never scored has no score row: silent while they belong.
    return case((score_table.c.member_id.is_(None), "silent"), else_=score_table.c.segment)


async def audience(
    session: AsyncSession,
    *,
    community_id: str,
    segment: str | None,
    tier_id: str | None,
    tag: str | None,
) -> Sequence[RowMapping]:
    """The members of the community who still belong and match the target, by member id,
    with what the template needs."""
    profile = profile_table
    joined = profile.outerjoin(
        score_table,
        and_(
            score_table.c.community_id == profile.c.community_id,
            score_table.c.member_id == profile.c.member_id,
        ),
    )
    query = (
        select(
            profile.c.member_id,
            profile.c.user_id,
            profile.c.display_name,
            profile.c.joined_at,
            score_table.c.last_active_at,
        )
        .select_from(joined)
        .where(
            profile.c.community_id == community_id,
            profile.c.status.in_(sorted(BELONGING_STATUSES)),
        )
        .order_by(profile.c.member_id)
    )
    if segment is not None:
        query = query.where(_segment() == segment)
    if tier_id is not None:
        query = query.where(profile.c.tier_id == tier_id)
    if tag is not None:
        query = query.where(
            exists().where(
                member_tag_table.c.community_id == profile.c.community_id,
                member_tag_table.c.member_id == profile.c.member_id,
                member_tag_table.c.tag == tag,
            )
        )
    return (await session.execute(query)).mappings().all()


async def last_nudged(
    session: AsyncSession, *, community_id: str, since: datetime
) -> dict[str, datetime]:
    """Each member's latest nudge in the community since `since`, across campaigns."""
    query = (
        select(recipient_table.c.member_id, func.max(recipient_table.c.assigned_at))
        .where(
            recipient_table.c.community_id == community_id,
            recipient_table.c.arm == Arm.NUDGED.value,
            recipient_table.c.assigned_at > since,
        )
        .group_by(recipient_table.c.member_id)
    )
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def add_recipients(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(recipient_table), rows)


async def recipients(
    session: AsyncSession, *, campaign_id: str, after_id: str | None, limit: int
) -> list[RowMapping]:
    query = select(recipient_table).where(recipient_table.c.campaign_id == campaign_id)
    if after_id is not None:
        query = query.where(recipient_table.c.member_id > after_id)
    result = await session.execute(query.order_by(recipient_table.c.member_id).limit(limit))
    return list(result.mappings().all())


async def arm_results(session: AsyncSession, *, campaign_id: str) -> dict[str, tuple[int, int]]:
    """Per arm: members, and how many have an activity of their own after they were assigned
    and up to the window's end."""
    recipient, ledger = recipient_table, ledger_table
    came_back = exists().where(
        ledger.c.community_id == recipient.c.community_id,
        ledger.c.member_id == recipient.c.member_id,
        ledger.c.occurred_at > recipient.c.assigned_at,
        ledger.c.occurred_at <= recipient.c.window_ends_at,
        ledger.c.activity_type.not_in(_NOT_THEIR_OWN),
    )
    query = (
        select(
            recipient.c.arm,
            func.count(),
            func.coalesce(func.sum(case((came_back, 1), else_=0)), 0),
        )
        .where(recipient.c.campaign_id == campaign_id)
        .group_by(recipient.c.arm)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in (await session.execute(query)).all()}


async def community_name(session: AsyncSession, *, community_id: str) -> str | None:
    result = await session.execute(
        select(nudge_community_table.c.name).where(nudge_community_table.c.id == community_id)
    )
    name: str | None = result.scalar_one_or_none()
    return name


async def save_community_name(session: AsyncSession, *, community_id: str, name: str) -> None:
    if not await insert_if_absent(
        session, nudge_community_table, {"id": community_id, "name": name}
    ):
        await session.execute(
            update(nudge_community_table)
            .where(nudge_community_table.c.id == community_id)
            .values(name=name)
        )


async def replace_tags(
    session: AsyncSession, *, community_id: str, member_id: str, tags: Sequence[str]
) -> None:
    """A member's tags become exactly `tags` (each event carries the whole list)."""
    await session.execute(
        delete(member_tag_table).where(
            member_tag_table.c.community_id == community_id,
            member_tag_table.c.member_id == member_id,
        )
    )
    rows = [
        {"community_id": community_id, "member_id": member_id, "tag": tag}
        for tag in sorted({tag[:50] for tag in tags})
    ]
    if rows:
        await session.execute(insert(member_tag_table), rows)


async def drop_tags(session: AsyncSession, *, community_id: str, member_id: str) -> None:
    await replace_tags(session, community_id=community_id, member_id=member_id, tags=[])
