"""The scoring use cases. They change state and write events; the caller commits once."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.catalogue import ActivityRecorded, MemberJoined
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.scoring.api.schemas import ActivityCreate
from services.scoring.domain import rules
from services.scoring.domain.models import (
    Engagement,
    IngestResult,
    MemberNotFound,
    Period,
    Standing,
)
from services.scoring.storage import repository

# Event ids derive from activity ids, so a replayed activity can only ever produce the same event.
ACTIVITY_EVENT_NAMESPACE = uuid.UUID("6f1f4a52-93b5-4c39-9a43-5d4c3f0a7e21")


def activity_event_id(activity_id: str) -> str:
    return uuid.uuid5(ACTIVITY_EVENT_NAMESPACE, activity_id).hex


async def record_activities(
    *, uow: UnitOfWork, activities: Sequence[ActivityCreate]
) -> IngestResult:
    """Accept each activity id once and emit `activity.recorded` for it; scoring happens when
    the event comes back from Kafka."""
    session, now = uow.session, utc_now()
    accepted = 0
    # One query settles a replayed batch; the insert below still decides races between requests.
    seen = await repository.received_before(session, [activity.id for activity in activities])
    # Sorted, so that concurrent batches sharing ids take their row locks in one order and
    # cannot deadlock on PostgreSQL; the sort is stable, so a repeated id's first copy wins.
    for activity in sorted(activities, key=lambda activity: activity.id):
        if activity.id in seen:
            continue
        seen.add(activity.id)
        first_time = await repository.add_receipt(
            session, activity_id=activity.id, community_id=activity.community_id, received_at=now
        )
        if not first_time:
            continue
        accepted += 1
        occurred_at = activity.occurred_at.astimezone(UTC)
        await uow.outbox.add(
            session,
            ActivityRecorded(
                activity_id=activity.id,
                community_id=activity.community_id,
                member_id=activity.member_id,
                activity_type=activity.type,
                occurred_at=occurred_at,
                target_member_id=activity.target_member_id,
                content_id=activity.content_id,
                attrs=activity.attrs or {},
            ),
            event_id=activity_event_id(activity.id),
            time=occurred_at,
        )
    return IngestResult(accepted=accepted, duplicates=len(activities) - accepted)


async def post_to_ledger(*, session: AsyncSession, event: ActivityRecorded) -> bool:
    """Enter a recorded activity in the ledger and the member's total, once per activity id.

    The ledger's unique activity id makes this safe even without the consumer's inbox (a replay
    from another consumer group, a manual re-import): a second posting changes nothing.
    """
    points = rules.points_milli(event.activity_type)
    occurred_at = event.occurred_at.astimezone(UTC)
    posted = await repository.add_ledger_entry(
        session,
        {
            "id": new_id("led"),
            "activity_id": event.activity_id,
            "community_id": event.community_id,
            "member_id": event.member_id,
            "activity_type": event.activity_type,
            "points_milli": points,
            "occurred_at": occurred_at,
            "recorded_at": utc_now(),
            "target_member_id": event.target_member_id,
            "content_id": event.content_id,
            "attrs": event.attrs,
        },
    )
    if posted:
        await repository.add_to_member_score(
            session,
            community_id=event.community_id,
            member_id=event.member_id,
            points_milli=points,
            occurred_at=occurred_at,
        )
    return posted


async def save_member_profile(*, session: AsyncSession, event: MemberJoined) -> None:
    """Keep the local copy of a membership that leaderboards show names from."""
    await repository.upsert_member_profile(
        session,
        community_id=event.community_id,
        member_id=event.member_id,
        user_id=event.user_id,
        display_name=event.display_name,
        joined_at=event.joined_at.astimezone(UTC),
    )
    await repository.count_member_joined(session, community_id=event.community_id)


async def get_leaderboard(
    *, session: AsyncSession, community_id: str, period: Period, limit: int, now: datetime
) -> list[Standing]:
    """The community's top members for the period that contains `now`, best first."""
    since = rules.period_start(period, now)
    if since is None:
        rows = await repository.all_time_board(session, community_id=community_id, limit=limit)
    else:
        rows = await repository.board_since(
            session, community_id=community_id, since=since, limit=limit
        )
    return [
        Standing(
            rank=position,
            member_id=row.member_id,
            display_name=row.display_name,
            score=rules.from_milli(row.score_milli),
        )
        for position, row in enumerate(rows, start=1)
    ]


async def get_engagement(*, session: AsyncSession, community_id: str, member_id: str) -> Engagement:
    """A member's all-time score and rank; MemberNotFound if scoring knows nothing of them."""
    score = await repository.get_member_score(
        session, community_id=community_id, member_id=member_id
    )
    profile = await repository.get_member_profile(
        session, community_id=community_id, member_id=member_id
    )
    if score is None and profile is None:
        raise MemberNotFound(member_id)
    display_name = profile.display_name if profile is not None else None
    if score is None:
        return Engagement(
            community_id=community_id,
            member_id=member_id,
            display_name=display_name,
            score=0.0,
            activity_count=0,
            last_active_at=None,
            rank=None,
        )
    ahead = await repository.count_ranked_ahead(
        session, community_id=community_id, member_id=member_id, score_milli=score.score_milli
    )
    return Engagement(
        community_id=community_id,
        member_id=member_id,
        display_name=display_name,
        score=rules.from_milli(score.score_milli),
        activity_count=score.activity_count,
        last_active_at=score.last_active_at,
        rank=ahead + 1,
    )
