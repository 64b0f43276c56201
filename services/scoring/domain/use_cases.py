"""The scoring use cases. They change state and write events; the caller commits once."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import ActivityRecorded, MemberJoined
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership import ADMIN, OWNER, communities_of, known_member_ids
from services.common.unit_of_work import UnitOfWork
from services.scoring.api.schemas import ActivityCreate
from services.scoring.domain import rules
from services.scoring.domain.models import (
    Engagement,
    IngestResult,
    MemberNotFound,
    Period,
    Rejection,
    RejectionReason,
    Standing,
)
from services.scoring.storage import repository
from services.scoring.storage.tables import membership

# Event ids derive from (community, activity id), so a replayed activity can only ever produce
# the same event, and two communities using the same id produce two.
ACTIVITY_EVENT_NAMESPACE = uuid.UUID("6f1f4a52-93b5-4c39-9a43-5d4c3f0a7e21")
# Who may report activities for a community (partners' API keys arrive in a later slice).
ACTIVITY_WRITERS = frozenset({OWNER, ADMIN})


def activity_event_id(community_id: str, activity_id: str) -> str:
    # Community ids never contain "/", so the name is unambiguous.
    return uuid.uuid5(ACTIVITY_EVENT_NAMESPACE, f"{community_id}/{activity_id}").hex


async def record_activities(
    *, uow: UnitOfWork, actor: Actor, activities: Sequence[ActivityCreate]
) -> IngestResult:
    """Accept each activity id once per community and emit `activity.recorded` for it; scoring
    happens when the event comes back from Kafka. Items for a community the caller may not
    report for, or naming a member the community does not have, are rejected one by one."""
    session, now = uow.session, utc_now()
    rejected = await _rejections(session, actor, activities)
    admissible = [activity for index, activity in enumerate(activities) if index not in rejected]
    accepted = 0
    # One query settles a replayed batch; the insert below still decides races between requests.
    seen = await repository.received_before(session, [_key(activity) for activity in admissible])
    # Sorted, so that concurrent batches sharing ids take their row locks in one order and
    # cannot deadlock on PostgreSQL; the sort is stable, so a repeated id's first copy wins.
    for activity in sorted(admissible, key=_key):
        if _key(activity) in seen:
            continue
        seen.add(_key(activity))
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
            event_id=activity_event_id(activity.community_id, activity.id),
            time=occurred_at,
        )
    return IngestResult(
        accepted=accepted,
        duplicates=len(admissible) - accepted,
        rejected=[rejected[index] for index in sorted(rejected)],
    )


def _key(activity: ActivityCreate) -> tuple[str, str]:
    return (activity.community_id, activity.id)


async def _rejections(
    session: AsyncSession, actor: Actor, activities: Sequence[ActivityCreate]
) -> dict[int, Rejection]:
    """The items that may not be recorded, by their index in the batch."""
    roles = await communities_of(
        session, membership, community_ids={a.community_id for a in activities}, actor=actor
    )
    # A community the caller is not in is refused exactly like one that does not exist.
    visible = {cid for cid, role in roles.items() if role is not None or actor.may_administer(cid)}
    writable = {
        cid for cid in visible if actor.may_administer(cid) or roles[cid] in ACTIVITY_WRITERS
    }
    known: dict[str, set[str]] = {}
    for community_id in writable:
        in_community = [a for a in activities if a.community_id == community_id]
        named = {a.member_id for a in in_community} | {
            a.target_member_id for a in in_community if a.target_member_id is not None
        }
        known[community_id] = await known_member_ids(
            session, membership, community_id=community_id, member_ids=named
        )

    def reason(activity: ActivityCreate) -> RejectionReason | None:
        if activity.community_id not in visible:
            return RejectionReason.UNKNOWN_COMMUNITY
        if activity.community_id not in writable:
            return RejectionReason.NOT_ALLOWED
        if activity.member_id not in known[activity.community_id]:
            return RejectionReason.UNKNOWN_MEMBER
        target = activity.target_member_id
        if target is not None and target not in known[activity.community_id]:
            return RejectionReason.UNKNOWN_TARGET_MEMBER
        return None

    return {
        index: Rejection(index=index, id=activity.id, reason=why)
        for index, activity in enumerate(activities)
        if (why := reason(activity)) is not None
    }


async def post_to_ledger(*, session: AsyncSession, event: ActivityRecorded) -> bool:
    """Enter a recorded activity in the ledger and the member's total, once per activity id
    in its community.

    The ledger's unique (community, activity id) makes this safe even without the consumer's
    inbox (a replay from another consumer group, a manual re-import): a second posting changes
    nothing.
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


async def count_member_joined(*, session: AsyncSession, event: MemberJoined) -> None:
    """Count a join in the community's tally (the membership projection keeps the member)."""
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
    display_name = await repository.get_display_name(
        session, community_id=community_id, member_id=member_id
    )
    if score is None and display_name is None:
        raise MemberNotFound(member_id)
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
