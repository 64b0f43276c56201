"""The tier-policy ranking SQL, and every other query of the tier policy: set operations over
a whole community (ranking with window functions, bulk UPDATEs), never a statement per member."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.common.db_ops import insert_if_absent
from services.common.ids import new_id
from services.common.membership.tables import BELONGING_STATUSES
from services.members.tables import CreditedDay, Membership, TierPolicy, TierPolicyRun
from services.members.tier_policy.rules import Ranked, Scored

TIER_POLICY_RUN: Table = TierPolicyRun.__table__  # type: ignore[attr-defined]
MOVABLE_STATUSES = sorted(BELONGING_STATUSES)


@dataclass(frozen=True)
class Inactive:
    member_id: str
    user_id: str
    last_active_at: datetime | None


async def get_policy(session: AsyncSession, community_id: str) -> TierPolicy | None:
    return await session.get(TierPolicy, community_id)


async def scheduled_community_ids(session: AsyncSession) -> Sequence[str]:
    query = select(col(TierPolicy.community_id)).where(col(TierPolicy.scheduled).is_(True))
    return (await session.execute(query)).scalars().all()


async def ran_already(session: AsyncSession, community_id: str, keys: Sequence[str]) -> set[str]:
    """Which of these period keys have run in the community."""
    query = select(col(TierPolicyRun.period_key)).where(
        col(TierPolicyRun.community_id) == community_id, col(TierPolicyRun.period_key).in_(keys)
    )
    return set((await session.execute(query)).scalars().all())


async def claim(session: AsyncSession, *, community_id: str, key: str, now: datetime) -> bool:
    """Take the (community, period) run; False if it is taken. On PostgreSQL a concurrent
    claimer waits on the unique index until this transaction ends, then finds it taken."""
    return await insert_if_absent(
        session,
        TIER_POLICY_RUN,
        {
            "id": new_id("tprun"),
            "community_id": community_id,
            "period_key": key,
            "ran_at": now,
            "moved": 0,
            "purged": 0,
        },
    )


def _movable(community_id: str) -> ColumnElement[bool]:
    """Members the policy may move or purge: belonging, neither locked nor on leave, and not
    the owner (who is never moved out of the core group)."""
    return and_(
        col(Membership.community_id) == community_id,
        col(Membership.status).in_(MOVABLE_STATUSES),
        not_(col(Membership.locked)),
        not_(col(Membership.on_leave)),
        col(Membership.role) != "owner",
    )


def _points_in(community_id: str, starts_on: date, ends_on: date) -> Any:
    """The member's credited points in [starts_on, ends_on), a correlated sum over the primary
    key (community, member, day): the plan stays an index probe per member whatever the
    statistics say, where a join to an aggregated subquery turned into a nested loop over the
    whole window on a PostgreSQL table not analysed yet (8 s for 3,000 members)."""
    return (
        select(func.sum(CreditedDay.points))
        .where(
            col(CreditedDay.community_id) == community_id,
            col(CreditedDay.member_id) == col(Membership.id),
            col(CreditedDay.day) >= starts_on,
            col(CreditedDay.day) < ends_on,
        )
        .scalar_subquery()
    )


async def ranked_ends(
    session: AsyncSession,
    *,
    community_id: str,
    tier_ids: Sequence[str],
    starts_on: date,
    ends_on: date,
    take: int,
    best_first: bool,
    per_tier: bool = True,
    promoted_before: datetime | None = None,
    silent_before: datetime | None = None,
) -> list[Ranked]:
    """The `take` best (or worst) members of each tier (or, not `per_tier`, of all these tiers
    together) by the points credited in the period, ties broken by last activity, then by join
    time. Best-first keeps only members who scored; `silent_before` only members with no
    activity (nor join) since then."""
    if take <= 0 or not tier_ids:
        return []
    conditions = [_movable(community_id), col(Membership.tier_id).in_(tier_ids)]
    if promoted_before is not None:
        conditions.append(
            (col(Membership.promoted_at).is_(None))
            | (col(Membership.promoted_at) < promoted_before)
        )
    if silent_before is not None:
        conditions.append(
            func.coalesce(col(Membership.last_active_at), col(Membership.joined_at)) < silent_before
        )
    scored = (
        select(
            col(Membership.id).label("member_id"),
            col(Membership.user_id).label("user_id"),
            col(Membership.tier_id).label("tier_id"),
            col(Membership.last_active_at).label("last_active_at"),
            col(Membership.joined_at).label("joined_at"),
            func.coalesce(_points_in(community_id, starts_on, ends_on), 0.0).label("score"),
        )
        .where(*conditions)
        .subquery()
    )
    order: tuple[Any, ...] = (
        (
            scored.c.score.desc(),
            scored.c.last_active_at.desc().nulls_last(),
            scored.c.joined_at.asc(),
            scored.c.member_id.asc(),
        )
        if best_first
        else (
            scored.c.score.asc(),
            scored.c.last_active_at.asc().nulls_first(),
            scored.c.joined_at.desc(),
            scored.c.member_id.desc(),
        )
    )
    place = func.row_number().over(
        partition_by=scored.c.tier_id if per_tier else None, order_by=order
    )
    ranked = select(
        scored.c.member_id,
        scored.c.user_id,
        scored.c.tier_id,
        scored.c.score,
        place.label("place"),
    ).subquery()
    query = select(ranked.c.member_id, ranked.c.user_id, ranked.c.tier_id, ranked.c.score).where(
        ranked.c.place <= take
    )
    if best_first:
        query = query.where(ranked.c.score > 0)
    query = (
        query.order_by(ranked.c.tier_id, ranked.c.place)
        if per_tier
        else query.order_by(ranked.c.place)
    )
    rows = (await session.execute(query)).all()
    return [Ranked(row[0], row[1], row[2], float(row[3])) for row in rows]


async def period_points(
    session: AsyncSession,
    *,
    community_id: str,
    starts_on: date,
    ends_on: date,
    member_id: str | None = None,
) -> list[Scored]:
    """Every belonging member of the community (or the one `member_id`) with their points in
    [starts_on, ends_on): one aggregate over the period's credited days (the community-and-day
    index) and one read of the members, joined in memory: for a whole community that beats a
    sum per member."""
    totals_query = (
        select(col(CreditedDay.member_id), func.sum(CreditedDay.points))
        .where(
            col(CreditedDay.community_id) == community_id,
            col(CreditedDay.day) >= starts_on,
            col(CreditedDay.day) < ends_on,
        )
        .group_by(col(CreditedDay.member_id))
    )
    if member_id is not None:
        totals_query = totals_query.where(col(CreditedDay.member_id) == member_id)
    totals = {row[0]: float(row[1]) for row in (await session.execute(totals_query)).all()}
    movable = and_(
        not_(col(Membership.locked)),
        not_(col(Membership.on_leave)),
        col(Membership.role) != "owner",
    )
    query = select(
        col(Membership.id),
        col(Membership.user_id),
        col(Membership.tier_id),
        col(Membership.last_active_at),
        col(Membership.joined_at),
        col(Membership.promoted_at),
        movable,
    ).where(
        col(Membership.community_id) == community_id,
        col(Membership.status).in_(MOVABLE_STATUSES),
    )
    if member_id is not None:
        query = query.where(col(Membership.id) == member_id)
    return [
        Scored(
            member_id=row[0],
            user_id=row[1],
            tier_id=row[2],
            points=totals.get(row[0], 0.0),
            last_active_at=row[3],
            joined_at=row[4],
            promoted_at=row[5],
            movable=bool(row[6]),
        )
        for row in (await session.execute(query)).all()
    ]


def _inactive(
    community_id: str, tier_id: str, before: datetime, exclude: Sequence[str]
) -> ColumnElement[bool]:
    last_seen = func.coalesce(col(Membership.last_active_at), col(Membership.joined_at))
    condition = and_(_movable(community_id), col(Membership.tier_id) == tier_id, last_seen < before)
    if exclude:
        condition = and_(condition, col(Membership.id).not_in(list(exclude)))
    return condition


async def inactive_members(
    session: AsyncSession,
    *,
    community_id: str,
    tier_id: str,
    before: datetime,
    exclude: Sequence[str],
) -> list[Inactive]:
    """Members of the tier with no activity (nor join) since `before`, by member id."""
    query = (
        select(col(Membership.id), col(Membership.user_id), col(Membership.last_active_at))
        .where(_inactive(community_id, tier_id, before, exclude))
        .order_by(col(Membership.id))
    )
    return [Inactive(*row) for row in (await session.execute(query)).all()]


async def purge_inactive(
    session: AsyncSession,
    *,
    community_id: str,
    tier_id: str,
    before: datetime,
    exclude: Sequence[str],
) -> None:
    """Remove those `inactive_members` names, in one statement."""
    await session.execute(
        update(Membership)
        .where(_inactive(community_id, tier_id, before, exclude))
        .values(status="removed", muted_until=None)
        .execution_options(synchronize_session=False)
    )


async def move_members(
    session: AsyncSession,
    *,
    member_ids: Sequence[str],
    to_tier_id: str,
    promoted_at: datetime | None,
) -> None:
    """Move these members into a tier (a promotion also stamps `promoted_at`)."""
    values: dict[str, Any] = {"tier_id": to_tier_id}
    if promoted_at is not None:
        values["promoted_at"] = promoted_at
    await session.execute(
        update(Membership)
        .where(col(Membership.id).in_(list(member_ids)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def record_run(
    session: AsyncSession, *, community_id: str, keys: Sequence[str], moved: int, purged: int
) -> None:
    await session.execute(
        update(TierPolicyRun)
        .where(
            col(TierPolicyRun.community_id) == community_id,
            col(TierPolicyRun.period_key).in_(list(keys)),
        )
        .values(moved=moved, purged=purged)
    )
