"""The member lists' queries: a page of a community's members by member id."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.membership.tables import BELONGING_STATUSES
from services.scoring.engagement.rules import KOL_WEIGHTS, NO_SCORE
from services.scoring.tables import profile_table, score_table, type_table


def _segment() -> Any:
    # A member the ledger never scored has no score row: silent while they belong (as their
    # engagement reads), churned once gone.
    return case(
        (
            score_table.c.member_id.is_(None),
            case(
                (profile_table.c.status.in_(sorted(BELONGING_STATUSES)), "silent"),
                else_="churned",
            ),
        ),
        else_=score_table.c.segment,
    )


def _members(community_id: str, after_id: str | None) -> Any:
    joined = profile_table.outerjoin(
        score_table,
        and_(
            score_table.c.community_id == profile_table.c.community_id,
            score_table.c.member_id == profile_table.c.member_id,
        ),
    )
    query = (
        select(
            profile_table.c.member_id,
            profile_table.c.display_name,
            _segment().label("segment"),
            func.coalesce(score_table.c.engagement_key, NO_SCORE).label("engagement_key"),
            func.coalesce(score_table.c.half_life_days, 14.0).label("half_life_days"),
            func.coalesce(score_table.c.points_milli, 0).label("points_milli"),
            score_table.c.last_active_at,
        )
        .select_from(joined)
        .where(profile_table.c.community_id == community_id)
        .order_by(profile_table.c.member_id)
    )
    if after_id is not None:
        query = query.where(profile_table.c.member_id > after_id)
    return query


async def segment_members(
    session: AsyncSession, *, community_id: str, segment: str, after_id: str | None, limit: int
) -> Sequence[Row[Any]]:
    query = _members(community_id, after_id).where(_segment() == segment).limit(limit)
    return (await session.execute(query)).all()


async def kols(
    session: AsyncSession, *, community_id: str, threshold: int, after_id: str | None, limit: int
) -> Sequence[Row[Any]]:
    """Members whose influence (KOL points from the per-type counts) reaches `threshold`."""
    influence = (
        select(
            type_table.c.member_id,
            func.sum(
                case(
                    *(
                        (type_table.c.activity_type == kind, type_table.c.count * weight)
                        for kind, weight in KOL_WEIGHTS.items()
                    ),
                    else_=0,
                )
            ).label("kol_points"),
        )
        .where(
            type_table.c.community_id == community_id,
            type_table.c.activity_type.in_(list(KOL_WEIGHTS)),
        )
        .group_by(type_table.c.member_id)
        .having(
            func.sum(
                case(
                    *(
                        (type_table.c.activity_type == kind, type_table.c.count * weight)
                        for kind, weight in KOL_WEIGHTS.items()
                    ),
                    else_=0,
                )
            )
            >= threshold
        )
        .subquery()
    )
    base = _members(community_id, after_id)
    query = (
        base.add_columns(influence.c.kol_points)
        .join(influence, influence.c.member_id == profile_table.c.member_id)
        .limit(limit)
    )
    return (await session.execute(query)).all()
