"""Recording partners' activities (POST /activities): checked item by item, then emitted as
`activity.recorded` for the ledger to post."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import (
    ActivityRecorded,
    DomainEvent,
)
from services.common.events.envelope import utc_now
from services.common.membership.repository import communities_of, known_member_ids
from services.common.unit_of_work import UnitOfWork
from services.scoring.ingestion import repository, rules
from services.scoring.ingestion.rules import (
    ACTIVITY_WRITERS,
    INGESTIBLE_TYPES,
    IngestResult,
    Rejection,
    RejectionReason,
)
from services.scoring.ingestion.schemas import ActivityCreate
from services.scoring.ledger.service import add_events
from services.scoring.tables import membership

# Event ids derive from (community, activity id), so a replayed activity can only ever produce
# the same event, and two communities using the same id produce two.
ACTIVITY_EVENT_NAMESPACE = uuid.UUID("6f1f4a52-93b5-4c39-9a43-5d4c3f0a7e21")


def activity_event_id(community_id: str, activity_id: str) -> str:
    # Community ids never contain "/", so the name is unambiguous.
    return uuid.uuid5(ACTIVITY_EVENT_NAMESPACE, f"{community_id}/{activity_id}").hex


async def record_activities(
    *, uow: UnitOfWork, reads: AsyncSession, actor: Actor, activities: Sequence[ActivityCreate]
) -> IngestResult:
    """Accept each activity id once per community and emit `activity.recorded` for it; scoring
    happens when the event comes back from Kafka. Items are refused one by one (unknown
    community or member, a type scoring does not know, a time too far ahead); the rest are
    accepted. The checks read through `reads`, so on SQLite the write lock is held only for
    the receipts and the events (the consumer's batches queue behind every POST)."""
    session, now = uow.session, utc_now()
    rejected = await _rejections(reads, actor, activities, now)
    admissible: dict[tuple[str, str], ActivityCreate] = {}
    for index, activity in enumerate(activities):
        if index not in rejected:
            # A repeated id's first copy wins.
            admissible.setdefault(_key(activity), activity)
    # Sorted, so that concurrent batches sharing ids take their row locks in one order and
    # cannot deadlock on PostgreSQL.
    keys = sorted(admissible)
    inserted = await repository.accept_receipts(
        session,
        [{"community_id": cid, "activity_id": aid, "received_at": now} for cid, aid in keys],
    )
    events: list[tuple[DomainEvent, str | None]] = []
    for key in keys:
        if key not in inserted:
            continue
        activity = admissible[key]
        events.append(
            (
                ActivityRecorded(
                    activity_id=activity.id,
                    community_id=activity.community_id,
                    member_id=activity.member_id,
                    activity_type=activity.type,
                    occurred_at=activity.occurred_at.astimezone(UTC),
                    target_member_id=activity.target_member_id,
                    content_id=activity.content_id,
                    attrs=activity.attrs or {},
                ),
                activity_event_id(activity.community_id, activity.id),
            )
        )
    # One multi-row insert for the batch's events (the envelope time is the activity's).
    await add_events(uow, events, time_of=lambda event: event.occurred_at)
    admitted = len(activities) - len(rejected)
    return IngestResult(
        accepted=len(inserted),
        duplicates=admitted - len(inserted),
        rejected=[rejected[index] for index in sorted(rejected)],
    )


def _key(activity: ActivityCreate) -> tuple[str, str]:
    return (activity.community_id, activity.id)


async def _rejections(
    session: AsyncSession, actor: Actor, activities: Sequence[ActivityCreate], now: datetime
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
    latest = now + rules.MAX_FUTURE_SKEW

    def reason(activity: ActivityCreate) -> RejectionReason | None:
        # The first check that fails names the reason; the order is the API's.
        community, members = activity.community_id, known.get(activity.community_id, set())
        target = activity.target_member_id
        checks = (
            (community not in visible, RejectionReason.UNKNOWN_COMMUNITY),
            (community not in writable, RejectionReason.NOT_ALLOWED),
            (activity.type not in INGESTIBLE_TYPES, RejectionReason.UNKNOWN_TYPE),
            (activity.occurred_at > latest, RejectionReason.IN_FUTURE),
            (activity.member_id not in members, RejectionReason.UNKNOWN_MEMBER),
            (target is not None and target not in members, RejectionReason.UNKNOWN_TARGET_MEMBER),
        )
        return next((why for failed, why in checks if failed), None)

    return {
        index: Rejection(index=index, id=activity.id, reason=why)
        for index, activity in enumerate(activities)
        if (why := reason(activity)) is not None
    }
