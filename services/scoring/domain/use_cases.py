"""The scoring use cases. They change state and write events; the caller commits once."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import (
    ActivityRecorded,
    DomainEvent,
    PointsChanged,
    UserErased,
)
from services.common.events.catalogue.vocabulary import ERASED_DISPLAY_NAME
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityNotFound
from services.common.membership.repository import communities_of, known_member_ids
from services.common.membership.tables import ADMIN, OWNER
from services.common.unit_of_work import UnitOfWork
from services.scoring.api.schemas import ActivityCreate, PointsChange, RulesUpdate
from services.scoring.domain import rules
from services.scoring.domain.models import (
    INGESTIBLE_TYPES,
    BreakdownLine,
    Decay,
    Engagement,
    IngestResult,
    InsufficientPoints,
    Leaderboard,
    MemberNotFound,
    Period,
    Rejection,
    RejectionReason,
    Standing,
)
from services.scoring.domain.posting import add_events, announce_level
from services.scoring.storage import repository
from services.scoring.storage.tables import membership

# Event ids derive from (community, activity id), so a replayed activity can only ever produce
# the same event, and two communities using the same id produce two.
ACTIVITY_EVENT_NAMESPACE = uuid.UUID("6f1f4a52-93b5-4c39-9a43-5d4c3f0a7e21")
# Who may report activities for a community (partners' API keys arrive in a later slice).
ACTIVITY_WRITERS = frozenset({OWNER, ADMIN})
# Who may change a community's rules and award or redeem points.
OPERATORS = frozenset({OWNER, ADMIN})


def activity_event_id(community_id: str, activity_id: str) -> str:
    # Community ids never contain "/", so the name is unambiguous.
    return uuid.uuid5(ACTIVITY_EVENT_NAMESPACE, f"{community_id}/{activity_id}").hex


# --- ingestion ---------------------------------------------------------------------------------


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


# --- erasure -----------------------------------------------------------------------------------


async def erase_member(*, session: AsyncSession, event: UserErased) -> None:
    """Anonymise an erased user's membership in scoring's data; their counts stay."""
    await repository.anonymise_member(
        session,
        community_id=event.community_id,
        member_id=event.member_id,
        # The same placeholder and tombstone members gave the membership.
        display_name=ERASED_DISPLAY_NAME,
        user_id=event.replacement_user_id or f"erased-{event.member_id}",
    )


# --- leaderboards and engagement ---------------------------------------------------------------


async def _timezone(session: AsyncSession, community_id: str) -> str:
    community = await repository.get_community(session, community_id)
    if community is None:
        raise CommunityNotFound(community_id)
    return str(community.timezone)


async def get_leaderboard(
    *,
    session: AsyncSession,
    community_id: str,
    period: Period,
    tier_id: str | None,
    limit: int,
    viewer_member_id: str | None,
    now: datetime,
) -> Leaderboard:
    """The top of the community's (or a tier's) board for the period containing `now` in the
    community's timezone, and where the viewer stands on it."""
    timezone = rules.zone(await _timezone(session, community_id))
    start = rules.period_key(period, now, timezone)
    scope = tier_id or "*"
    board = {
        "community_id": community_id,
        "period": period.value,
        "period_start": start,
        "scope": scope,
    }
    rows = await repository.board_top(session, limit=limit, **board)
    items = [
        Standing(
            rank=position,
            member_id=row.member_id,
            display_name=row.display_name,
            score=rules.from_milli(row.score_milli),
        )
        for position, row in enumerate(rows, start=1)
    ]
    own: Standing | None = None
    if viewer_member_id is not None:
        standing = await repository.board_standing(session, member_id=viewer_member_id, **board)
        if standing is not None and standing.score_milli > 0:
            rank = await repository.board_rank(
                session, member_id=viewer_member_id, score_milli=standing.score_milli, **board
            )
            own = Standing(
                rank,
                viewer_member_id,
                standing.display_name,
                rules.from_milli(standing.score_milli),
            )
    return Leaderboard(
        period=period,
        period_start=None if period == Period.ALL else start,
        timezone=timezone.key,
        tier_id=tier_id,
        items=items,
        own=own,
    )


async def get_engagement(
    *, session: AsyncSession, community_id: str, member_id: str, now: datetime
) -> Engagement:
    """Everything scoring knows of a member, with how each number came about."""
    score = await repository.get_member_score(
        session, community_id=community_id, member_id=member_id
    )
    display_name = await repository.get_display_name(
        session, community_id=community_id, member_id=member_id
    )
    if score is None and display_name is None:
        raise MemberNotFound(member_id)
    half_life = (
        score.half_life_days if score is not None else await _half_life(session, community_id)
    )
    key = score.engagement_key if score is not None else rules.NO_SCORE
    value = rules.score_at(key, now, half_life)
    stats = await repository.type_stats(session, community_id=community_id, member_id=member_id)
    breakdown = [
        BreakdownLine(
            type=row.activity_type,
            count=row.count,
            points=rules.from_milli(row.points_milli),
            capped=row.capped,
            cooled_down=row.cooled_down,
        )
        for row in stats
    ]
    counts = {row.activity_type: row.count for row in stats}
    badges = await repository.member_badges(session, community_id=community_id, member_id=member_id)
    rank = None
    if score is not None and key > rules.NO_SCORE:
        rank = await repository.engagement_rank(
            session, community_id=community_id, member_id=member_id, key=key
        )
    last = score.last_active_at if score is not None else None
    factor = None
    if last is not None:
        factor = 2.0 ** (
            -max((now - last).total_seconds(), 0.0) / (half_life * rules.SECONDS_PER_DAY)
        )
    kol_points = rules.kol_points(counts)
    return Engagement(
        community_id=community_id,
        member_id=member_id,
        display_name=display_name,
        score=round(value, 3),
        points=rules.from_milli(score.points_milli) if score is not None else 0.0,
        level=score.level if score is not None else 1,
        badges=[row.badge for row in badges],
        segment=rules.segment_for(
            score=value,
            last_active_at=last,
            now=now,
            was_top_quarter=bool(score.was_top_quarter) if score is not None else False,
        ).value,
        kol=kol_points >= rules.KOL_THRESHOLD,
        kol_points=kol_points,
        rank=rank,
        activity_count=score.activity_count if score is not None else 0,
        all_time_points=rules.from_milli(score.score_milli) if score is not None else 0.0,
        last_active_at=last,
        breakdown=breakdown,
        decay=Decay(
            half_life_days=half_life,
            as_of=now,
            factor_since_last_activity=factor,
            score_at_last_activity=round(value / factor, 3) if factor else None,
        ),
    )


async def _half_life(session: AsyncSession, community_id: str) -> float:
    row = await repository.get_rules_row_for_read(session, community_id)
    return float(row.half_life_days) if row is not None else rules.DEFAULT_HALF_LIFE_DAYS


# --- points --------------------------------------------------------------------------------------


async def change_points(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    member_id: str,
    points_change: PointsChange,
) -> tuple[float, int]:
    """Award (delta > 0) or redeem (delta < 0) points; a balance never goes below 0 (409).
    Returns the balance and the level."""
    session, now = uow.session, utc_now()
    known = await known_member_ids(
        session, membership, community_id=community_id, member_ids=[member_id]
    )
    if member_id not in known:
        raise MemberNotFound(member_id)
    delta = round(points_change.delta * rules.MILLI)
    balance = await repository.change_points(
        session,
        community_id=community_id,
        member_id=member_id,
        delta_milli=delta,
        half_life_days=await _half_life(session, community_id),
    )
    if balance is None:
        current = await repository.get_member_score(
            session, community_id=community_id, member_id=member_id
        )
        raise InsufficientPoints(
            member_id, balance=rules.from_milli(current.points_milli if current else 0)
        )
    await repository.add_adjustment(
        session,
        {
            "id": new_id("pts"),
            "community_id": community_id,
            "member_id": member_id,
            "delta_milli": delta,
            "balance_milli": balance,
            "reason": points_change.reason,
            "changed_by": actor.id,
            "created_at": now,
        },
    )
    await uow.outbox.add(
        session,
        PointsChanged(
            community_id=community_id,
            member_id=member_id,
            delta=rules.from_milli(delta),
            balance=rules.from_milli(balance),
            reason=points_change.reason,
            changed_by=actor.id,
            changed_at=now,
        ),
    )
    score = await repository.get_member_score(
        session, community_id=community_id, member_id=member_id
    )
    assert score is not None
    level = rules.level_for(score.level_milli)
    if level > score.level:
        await repository.set_level(
            session, community_id=community_id, member_id=member_id, level=level
        )
        await announce_level(
            uow,
            community_id=community_id,
            member_id=member_id,
            level=level,
            previous_level=score.level,
            level_milli=score.level_milli,
            at=now,
        )
    return rules.from_milli(balance), max(level, score.level)


# --- rules -------------------------------------------------------------------------------------


async def get_rules(*, session: AsyncSession, community_id: str) -> rules.Rules:
    row = await repository.get_rules_row_for_read(session, community_id)
    if row is None:
        return rules.DEFAULT_RULES.effective()
    return rules.Rules(
        weights=row.weights,
        cooldown_seconds=row.cooldown_seconds,
        daily_cap=row.daily_cap,
        half_life_days=row.half_life_days,
    ).effective()


async def replace_rules(
    *, uow: UnitOfWork, community_id: str, rules_update: RulesUpdate
) -> rules.Rules:
    """Replace a community's rules. They apply to activities posted from now on; a new
    half-life re-keys every member's score once, so scores are unchanged now and decay at the
    new rate from here."""
    session, now = uow.session, utc_now()
    weights = {str(kind): value for kind, value in rules_update.weights.items()}
    cooldowns = {str(kind): value for kind, value in rules_update.cooldown_seconds.items()}
    caps = {str(kind): value for kind, value in rules_update.daily_cap.items()}
    current = await repository.get_rules_row(session, community_id)
    old_half_life = (
        float(current.half_life_days) if current is not None else rules.DEFAULT_HALF_LIFE_DAYS
    )
    await repository.save_rules(
        session,
        {
            "community_id": community_id,
            "weights": weights,
            "cooldown_seconds": cooldowns,
            "daily_cap": caps,
            "half_life_days": rules_update.half_life_days,
            "updated_at": now,
        },
    )
    if rules_update.half_life_days != old_half_life:
        await repository.rekey_community(
            session,
            community_id=community_id,
            at=now,
            old=old_half_life,
            new=rules_update.half_life_days,
        )
    return rules.Rules(
        weights=weights,
        cooldown_seconds=cooldowns,
        daily_cap=caps,
        half_life_days=rules_update.half_life_days,
    ).effective()
