"""Listing the members of a segment and the KOLs of a community, a page at a time, with each
member's decayed score, points and last activity."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.engagement import rules as engagement_rules
from services.scoring.member_lists import repository
from services.scoring.points import rules as points_rules
from services.scoring.segments.rules import Segment


@dataclass(frozen=True)
class ListedMember:
    member_id: str
    display_name: str | None
    segment: str
    score: float
    points: float
    last_active_at: datetime | None
    kol_points: int | None = None


def _listed(row: Any, now: datetime, *, kol: bool = False) -> ListedMember:
    return ListedMember(
        member_id=row.member_id,
        display_name=row.display_name,
        segment=row.segment,
        score=engagement_rules.score_at(row.engagement_key, now, row.half_life_days),
        points=points_rules.from_milli(row.points_milli),
        last_active_at=row.last_active_at,
        kol_points=int(row.kol_points) if kol else None,
    )


async def segment_members(
    *,
    session: AsyncSession,
    community_id: str,
    segment: Segment,
    after_id: str | None,
    limit: int,
    now: datetime,
) -> list[ListedMember]:
    """The community's members in a segment, by member id (`limit` rows, one more than a page
    to tell whether another follows)."""
    rows = await repository.segment_members(
        session, community_id=community_id, segment=segment.value, after_id=after_id, limit=limit
    )
    return [_listed(row, now) for row in rows]


async def kols(
    *, session: AsyncSession, community_id: str, after_id: str | None, limit: int, now: datetime
) -> list[ListedMember]:
    """The community's KOLs (KOL points ≥ the threshold), by member id."""
    rows = await repository.kols(
        session,
        community_id=community_id,
        threshold=engagement_rules.KOL_THRESHOLD,
        after_id=after_id,
        limit=limit,
    )
    return [_listed(row, now, kol=True) for row in rows]
