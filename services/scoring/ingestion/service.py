"""Recording partners' activities (POST /activities): checked item by item, then emitted as
`activity.recorded` for the ledger to post."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import (
    ActivityRecorded,
    ActivityRefused,
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
    *,
    uow: UnitOfWork,
    reads: AsyncSession,
    actor: Actor,
    activities: Sequence[ActivityCreate],
    hold_for: timedelta,
) -> IngestResult:
    """Accept each activity id once per community and emit `activity.recorded` for it; scoring
    happens when the event comes back from Kafka. Items are refused one by one (not allowed, a
    type scoring does not know, a time too far ahead). Items for a community or member scoring's
    membership projection does not know yet are held (`pending`) for up to `hold_for`: the
    projection follows the members service a moment behind, and a partner posting a newcomer's
    first message right after the join must not lose it (see `release_held`). The checks read
    through `reads`, so on SQLite the write lock is held only for the receipts and the events
    (the consumer's batches queue behind every POST)."""
    session, now = uow.session, utc_now()
    rejected, held = await _rejections(reads, actor, activities, now)
    admissible: dict[tuple[str, str], ActivityCreate] = {}
    for index, activity in enumerate(activities):
        if index not in rejected and index not in held:
            # A repeated id's first copy wins.
            admissible.setdefault(_key(activity), activity)
    inserted = await _record(uow, admissible, now)
    if held:
        await repository.hold(
            session,
            [
                {
                    "community_id": activities[index].community_id,
                    "activity_id": activities[index].id,
                    "item": activities[index].model_dump(mode="json"),
                    "actor": actor.model_dump(mode="json"),
                    "received_at": now,
                    "refuse_after": now + hold_for,
                }
                for index in sorted(held)
            ],
        )
    admitted = len(activities) - len(rejected) - len(held)
    return IngestResult(
        accepted=len(inserted),
        duplicates=admitted - len(inserted),
        rejected=[rejected[index] for index in sorted(rejected)],
        pending=[held[index] for index in sorted(held)],
    )


async def _record(
    uow: UnitOfWork, admissible: dict[tuple[str, str], ActivityCreate], now: datetime
) -> set[tuple[str, str]]:
    """Take the receipts and write `activity.recorded` for the ones this call took."""
    # Sorted, so that concurrent batches sharing ids take their row locks in one order and
    # cannot deadlock on PostgreSQL.
    keys = sorted(admissible)
    inserted = await repository.accept_receipts(
        uow.session,
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
    return inserted


@dataclass
class Released:
    recorded: int = 0
    refused: int = 0


async def release_held(*, uow: UnitOfWork, limit: int = 500) -> Released:
    """Look at held activities again, oldest first, with the caller who posted them: record
    those whose community and member scoring knows now, refuse (`activity.refused`) those whose
    hold ran out or that are refused for another reason now, keep the others."""
    session, now = uow.session, utc_now()
    rows = await repository.held(session, limit=limit)
    released = Released()
    by_actor: dict[str, list[Any]] = {}
    for row in rows:
        by_actor.setdefault(
            orjson.dumps(row.actor, option=orjson.OPT_SORT_KEYS).decode(), []
        ).append(row)
    for actor_json, group in by_actor.items():
        actor = Actor.model_validate_json(actor_json)
        items = [ActivityCreate.model_validate(row.item) for row in group]
        rejected, held = await _rejections(session, actor, items, now)
        admissible: dict[tuple[str, str], ActivityCreate] = {}
        refusals: list[DomainEvent] = []
        done: list[tuple[str, str]] = []
        for index, (row, item) in enumerate(zip(group, items, strict=True)):
            why = rejected.get(index) or (
                held[index] if index in held and row.refuse_after <= now else None
            )
            if index not in rejected and index not in held:
                admissible.setdefault(_key(item), item)
            elif why is None:
                continue  # still waiting for the membership
            else:
                refusals.append(
                    ActivityRefused(
                        activity_id=item.id,
                        community_id=item.community_id,
                        member_id=item.member_id,
                        activity_type=item.type,
                        occurred_at=item.occurred_at.astimezone(UTC),
                        reason=why.reason,
                        received_at=row.received_at,
                        refused_at=now,
                    )
                )
            done.append(_key(item))
        released.recorded += len(await _record(uow, admissible, now))
        released.refused += len(refusals)
        await uow.outbox.add_many(session, refusals)
        await repository.unhold(session, done)
    return released


def _key(activity: ActivityCreate) -> tuple[str, str]:
    return (activity.community_id, activity.id)


async def _rejections(
    session: AsyncSession, actor: Actor, activities: Sequence[ActivityCreate], now: datetime
) -> tuple[dict[int, Rejection], dict[int, Rejection]]:
    """The items that may not be recorded, and those to hold until scoring's membership
    projection knows their community and members, by their index in the batch."""
    roles = await communities_of(
        session, membership, community_ids={a.community_id for a in activities}, actor=actor
    )
    # A community the caller is not in is answered exactly like one that does not exist (held,
    # then refused as unknown_community): strangers cannot tell the two apart, nor either from
    # a community created a moment ago that scoring does not know yet.
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

    def malformed(activity: ActivityCreate) -> RejectionReason | None:
        # What no membership arriving can mend: refused at once, even while the rest waits.
        if activity.type not in INGESTIBLE_TYPES:
            return RejectionReason.UNKNOWN_TYPE
        return RejectionReason.IN_FUTURE if activity.occurred_at > latest else None

    rejected: dict[int, Rejection] = {}
    held: dict[int, Rejection] = {}
    for index, activity in enumerate(activities):
        why = reason(activity)
        if why is None:
            continue
        if why in rules.HOLDABLE:
            if (flaw := malformed(activity)) is not None:
                rejected[index] = Rejection(index=index, id=activity.id, reason=flaw)
            else:
                held[index] = Rejection(index=index, id=activity.id, reason=why)
        else:
            rejected[index] = Rejection(index=index, id=activity.id, reason=why)
    return rejected, held
