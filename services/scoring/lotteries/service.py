"""Community-wide lotteries: commit (freeze the pool, fix the seed, publish both digests),
then draw (reveal the seed; the winners are draw_winners(seed, frozen pool, n)).

The pool is resolved once, at the commit, and stored: who joins, leaves or climbs a board
afterwards changes nothing, so the published `pool_sha256` pins exactly what the draw used.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import InvalidInput
from services.common.events.catalogue import CommunityLotteryCommitted, CommunityLotteryDrawn
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.lottery import draw_winners, new_lottery_seed, pool_digest, seed_digest
from services.common.membership.access import CommunityAccess
from services.common.unit_of_work import UnitOfWork
from services.scoring.leaderboards.service import get_leaderboard
from services.scoring.lotteries import repository
from services.scoring.lotteries.errors import CommunityLotteryDrawn as AlreadyDrawn
from services.scoring.lotteries.errors import CommunityLotteryNotFound
from services.scoring.lotteries.rules import MAX_ACTIVE_DAYS, LotteryStatus
from services.scoring.lotteries.schemas import (
    ActivePool,
    ChallengeFinishersPool,
    CommunityLotteryCreate,
    CommunityLotteryPublic,
    PollVotersPool,
    PoolSpec,
    SegmentPool,
    TierPool,
    TopPool,
)
from services.scoring.pools.rules import PoolKind as KeptPool
from services.scoring.pools.service import pool_members


async def _tier_pool(session: AsyncSession, community_id: str, tier_id: str) -> list[str]:
    found = await repository.tier_members(session, community_id=community_id, tier_id=tier_id)
    if found:
        return found
    if await repository.tier_elsewhere(session, community_id=community_id, tier_id=tier_id):
        raise InvalidInput(f"Tier {tier_id!r} belongs to another community.", field="tier_id")
    raise InvalidInput(f"Nobody of this community is in tier {tier_id!r}.", field="tier_id")


async def resolve_pool(session: AsyncSession, community_id: str, spec: PoolSpec) -> list[str]:
    """The pool's member ids, sorted and distinct, as they stand now. A tier, poll or
    challenge of another community is refused, 422 naming the pool's field, and so is one of
    them nobody of this community is in (scoring cannot tell it from an unknown id). Active
    members, a segment or a board's top may be empty: the draw then has no winners."""
    if isinstance(spec, ActivePool):
        if spec.to_on < spec.from_on:
            raise InvalidInput("to_on must not be before from_on.", field="to_on")
        if (spec.to_on - spec.from_on).days >= MAX_ACTIVE_DAYS:
            raise InvalidInput(
                f"An active pool spans at most {MAX_ACTIVE_DAYS} days.", field="to_on"
            )
        return await repository.active_members(
            session, community_id=community_id, from_on=spec.from_on, to_on=spec.to_on
        )
    if isinstance(spec, SegmentPool):
        return await repository.segment_members(
            session, community_id=community_id, segment=spec.segment.value
        )
    if isinstance(spec, TierPool):
        return await _tier_pool(session, community_id, spec.tier_id)
    if isinstance(spec, PollVotersPool):
        return await pool_members(
            session,
            community_id=community_id,
            kind=KeptPool.VOTER,
            source_id=spec.poll_id,
            field="poll_id",
            what="poll",
        )
    if isinstance(spec, ChallengeFinishersPool):
        return await pool_members(
            session,
            community_id=community_id,
            kind=KeptPool.FINISHER,
            source_id=spec.challenge_id,
            field="challenge_id",
            what="challenge",
        )
    assert isinstance(spec, TopPool)
    if spec.tier_id is not None:
        await _tier_pool(session, community_id, spec.tier_id)
    board = await get_leaderboard(
        session=session,
        community_id=community_id,
        period=spec.period,
        tier_id=spec.tier_id,
        limit=spec.limit,
        viewer_member_id=None,
        now=utc_now(),
    )
    return sorted({item.member_id for item in board.items})


def lottery_public(row: Mapping[Any, Any]) -> CommunityLotteryPublic:
    values = dict(row)
    drawn = values["status"] == LotteryStatus.DRAWN
    values["seed"] = values.pop("seed_hex") if drawn else None
    values.pop("seed_hex", None)
    return CommunityLotteryPublic.model_validate(values)


async def commit_lottery(
    *, uow: UnitOfWork, access: CommunityAccess, lottery_create: CommunityLotteryCreate
) -> CommunityLotteryPublic:
    """Freeze the pool and fix a secret seed; publish the pool, its digest and the seed's."""
    session, now, community_id = uow.session, utc_now(), access.community_id
    pool = await resolve_pool(session, community_id, lottery_create.pool)
    seed = new_lottery_seed()
    values = {
        "id": new_id("clot"),
        "community_id": community_id,
        "prize": lottery_create.prize,
        "winners_count": lottery_create.winners,
        "pool": lottery_create.pool.model_dump(mode="json"),
        "pool_member_ids": pool,
        "pool_size": len(pool),
        "pool_sha256": pool_digest(pool),
        "seed_hex": seed.hex(),
        "seed_sha256": seed_digest(seed),
        "status": LotteryStatus.COMMITTED.value,
        "winners": None,
        "created_by": access.actor.id,
        "committed_at": now,
        "drawn_at": None,
    }
    await repository.add_lottery(session, values)
    await uow.outbox.add(
        session,
        CommunityLotteryCommitted(
            community_id=community_id,
            lottery_id=values["id"],
            prize=values["prize"],
            winners_count=values["winners_count"],
            pool_kind=lottery_create.pool.kind,
            pool_size=len(pool),
            pool_sha256=values["pool_sha256"],
            seed_sha256=values["seed_sha256"],
            committed_at=now,
        ),
    )
    return lottery_public(values)


async def _lottery(session: AsyncSession, community_id: str, lottery_id: str) -> Mapping[Any, Any]:
    found = await repository.get_lottery(session, community_id=community_id, lottery_id=lottery_id)
    if found is None:
        raise CommunityLotteryNotFound(lottery_id)
    return found


async def draw_lottery(
    *, uow: UnitOfWork, access: CommunityAccess, lottery_id: str
) -> CommunityLotteryPublic:
    """Reveal the seed and draw from the pool frozen at the commit, once (409 the second
    time)."""
    session, now = uow.session, utc_now()
    found = await _lottery(session, access.community_id, lottery_id)
    if found["status"] != LotteryStatus.COMMITTED:
        raise AlreadyDrawn(lottery_id)
    seed = bytes.fromhex(found["seed_hex"])
    winners = draw_winners(seed, found["pool_member_ids"], found["winners_count"])
    drawn = await repository.mark_drawn(session, lottery_id=lottery_id, winners=winners, at=now)
    if drawn is None:
        raise AlreadyDrawn(lottery_id)
    await uow.outbox.add(
        session,
        CommunityLotteryDrawn(
            community_id=access.community_id,
            lottery_id=lottery_id,
            prize=found["prize"],
            pool_kind=str(found["pool"].get("kind", "")),
            pool_size=found["pool_size"],
            pool_sha256=found["pool_sha256"],
            seed_sha256=found["seed_sha256"],
            seed=found["seed_hex"],
            winners=winners,
            drawn_at=now,
        ),
    )
    return lottery_public(drawn)


async def get_lottery(
    *, session: AsyncSession, community_id: str, lottery_id: str
) -> CommunityLotteryPublic:
    return lottery_public(await _lottery(session, community_id, lottery_id))


async def list_lotteries(
    *, session: AsyncSession, community_id: str, after_id: str | None, limit: int
) -> list[CommunityLotteryPublic]:
    rows = await repository.list_lotteries(
        session, community_id=community_id, after_id=after_id, limit=limit
    )
    return [lottery_public(row) for row in rows]
