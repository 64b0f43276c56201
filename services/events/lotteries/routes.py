"""HTTP endpoints of lotteries: commit, draw, or both at once."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.events.events.schemas import EmptyBody
from services.events.lotteries import service as lotteries
from services.events.lotteries.rules import LotteryPool, LotteryStatus
from services.events.lotteries.schemas import (
    LotteryCommitted,
    LotteryCreate,
    LotteryList,
    LotteryPublic,
    LotteryResult,
)
from services.events.tables import Lottery

router = APIRouter(tags=["events"])

EventId = PathId
LotteryId = PathId


def _lottery_result(lottery: Lottery) -> LotteryResult:
    assert lottery.drawn_at is not None
    assert lottery.pool_size is not None
    return LotteryResult(
        id=lottery.id,
        event_id=lottery.event_id,
        prize=lottery.prize,
        pool=LotteryPool(lottery.pool),
        pool_size=lottery.pool_size,
        seed_sha256=lottery.seed_sha256,
        seed=lottery.seed_hex,
        winners=lottery.winners,
        drawn_at=lottery.drawn_at,
    )


@router.post("/events/{event_id}/lottery", status_code=status.HTTP_201_CREATED)
async def draw_lottery_at_once(
    event_id: EventId, lottery_create: LotteryCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> LotteryResult:
    """Commit and draw in one call (organisers)."""
    lottery = await lotteries.commit_and_draw(
        uow=uow, actor=actor, event_id=event_id, lottery_create=lottery_create
    )
    return _lottery_result(lottery)


@router.post("/events/{event_id}/lottery/commit", status_code=status.HTTP_201_CREATED)
async def commit_lottery(
    event_id: EventId, lottery_create: LotteryCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> LotteryCommitted:
    """Fix a secret seed for a later draw and publish its SHA-256 (organisers)."""
    lottery = await lotteries.commit_lottery(
        uow=uow, actor=actor, event_id=event_id, lottery_create=lottery_create
    )
    return LotteryCommitted.model_validate(lottery, from_attributes=True)


@router.post("/events/{event_id}/lottery/{lottery_id}/draw")
async def draw_lottery(
    event_id: EventId,
    lottery_id: LotteryId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    _body: EmptyBody | None = None,
) -> LotteryResult:
    """Reveal the seed and draw the winners from the pool as it is now (organisers)."""
    lottery = await lotteries.draw_lottery(
        uow=uow, actor=actor, event_id=event_id, lottery_id=lottery_id
    )
    return _lottery_result(lottery)


def _lottery_public(lottery: Lottery, pool: list[str]) -> LotteryPublic:
    drawn = lottery.status == LotteryStatus.DRAWN
    return LotteryPublic(
        id=lottery.id,
        event_id=lottery.event_id,
        prize=lottery.prize,
        pool=LotteryPool(lottery.pool),
        winners_count=lottery.winners_count,
        status=LotteryStatus(lottery.status),
        seed_sha256=lottery.seed_sha256,
        committed_at=lottery.committed_at,
        pool_member_ids=pool,
        pool_size=lottery.pool_size if lottery.pool_size is not None else len(pool),
        seed=lottery.seed_hex if drawn else None,
        winners=list(lottery.winners) if drawn else None,
        drawn_at=lottery.drawn_at,
    )


@router.get("/events/{event_id}/lottery")
async def list_lotteries(
    event_id: EventId, session: ReadSessionDep, actor: ActorDep
) -> LotteryList:
    """The event's lotteries, committed and drawn (members)."""
    found = await lotteries.list_lotteries(session=session, actor=actor, event_id=event_id)
    return LotteryList(items=[_lottery_public(lottery, pool) for lottery, pool in found])


@router.get("/events/{event_id}/lottery/{lottery_id}")
async def get_lottery(
    event_id: EventId, lottery_id: LotteryId, session: ReadSessionDep, actor: ActorDep
) -> LotteryPublic:
    """A lottery's commitment, pool and, once drawn, seed and winners (members)."""
    lottery, pool = await lotteries.get_lottery(
        session=session, actor=actor, event_id=event_id, lottery_id=lottery_id
    )
    return _lottery_public(lottery, pool)
