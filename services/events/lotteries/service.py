"""Fair lotteries by commit-reveal: the seed's SHA-256 is published at the commit, the seed at
the draw, and the winners are a pure function of the two (rules.draw_winners)."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import LotteryDrawn
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.events.events.errors import EventNotOpen
from services.events.events.rules import EventStatus
from services.events.events.service import event_with_access, organised_event
from services.events.lotteries import repository
from services.events.lotteries.errors import AlreadyDrawn, LotteryNotFound
from services.events.lotteries.rules import (
    LotteryPool,
    LotteryStatus,
    draw_winners,
    new_lottery_seed,
    seed_digest,
)
from services.events.lotteries.schemas import LotteryCreate
from services.events.tables import Lottery


async def commit_lottery(
    *, uow: UnitOfWork, actor: Actor, event_id: str, lottery_create: LotteryCreate
) -> Lottery:
    """Fix a fresh secret seed for a draw and publish only its SHA-256."""
    event = await organised_event(session=uow.session, actor=actor, event_id=event_id)
    if event.status not in (EventStatus.PUBLISHED, EventStatus.COMPLETED):
        raise EventNotOpen(event_id=event_id, status=event.status)
    seed = new_lottery_seed()
    lottery = Lottery(
        id=new_id("lot"),
        event_id=event_id,
        community_id=event.community_id,
        prize=lottery_create.prize,
        winners_count=lottery_create.winners,
        pool=lottery_create.pool,
        seed_hex=seed.hex(),
        seed_sha256=seed_digest(seed),
        status=LotteryStatus.COMMITTED,
        created_by=actor.id,
        committed_at=utc_now(),
    )
    repository.add_lottery(uow.session, lottery)
    return lottery


async def draw_lottery(*, uow: UnitOfWork, actor: Actor, event_id: str, lottery_id: str) -> Lottery:
    """Reveal the seed and draw from the pool as it is now, sorted by member id."""
    session = uow.session
    event = await organised_event(session=session, actor=actor, event_id=event_id)
    lottery = await repository.get_lottery(session, lottery_id)
    if lottery is None or lottery.event_id != event_id:
        raise LotteryNotFound(lottery_id)
    if lottery.status != LotteryStatus.COMMITTED:
        raise AlreadyDrawn(lottery_id)
    pool = await repository.lottery_pool(
        session, event_id=event_id, attendees=lottery.pool == LotteryPool.ATTENDEES
    )
    seed = bytes.fromhex(lottery.seed_hex)
    winners = draw_winners(seed, pool, lottery.winners_count)
    now = utc_now()
    if not await repository.mark_drawn(
        session,
        lottery_id=lottery_id,
        winners=winners,
        pool_size=len(pool),
        pool_member_ids=pool,
        now=now,
    ):
        raise AlreadyDrawn(lottery_id)
    lottery.status, lottery.winners, lottery.pool_size, lottery.drawn_at = (
        LotteryStatus.DRAWN,
        winners,
        len(pool),
        now,
    )
    lottery.pool_member_ids = pool
    await uow.outbox.add(
        session,
        LotteryDrawn(
            community_id=event.community_id,
            event_id=event_id,
            lottery_id=lottery.id,
            prize=lottery.prize,
            pool=lottery.pool,
            pool_size=len(pool),
            seed_sha256=lottery.seed_sha256,
            seed=lottery.seed_hex,
            winners=winners,
            drawn_at=now,
        ),
    )
    return lottery


async def commit_and_draw(
    *, uow: UnitOfWork, actor: Actor, event_id: str, lottery_create: LotteryCreate
) -> Lottery:
    """The one-call form: commit and draw at once."""
    lottery = await commit_lottery(
        uow=uow, actor=actor, event_id=event_id, lottery_create=lottery_create
    )
    await uow.session.flush()
    return await draw_lottery(uow=uow, actor=actor, event_id=event_id, lottery_id=lottery.id)


async def list_lotteries(
    *, session: AsyncSession, actor: Actor, event_id: str
) -> list[tuple[Lottery, list[str]]]:
    """The event's lotteries with their pools (members): see `lottery_with_pool`."""
    await event_with_access(session=session, actor=actor, event_id=event_id)
    lotteries = await repository.event_lotteries(session, event_id)
    return [await _with_pool(session, lottery) for lottery in lotteries]


async def get_lottery(
    *, session: AsyncSession, actor: Actor, event_id: str, lottery_id: str
) -> tuple[Lottery, list[str]]:
    """A lottery and its pool (members): before the draw the commitment and the pool as it
    stands now, after it also the seed, the frozen pool and the winners, so that any member
    can recompute the draw."""
    await event_with_access(session=session, actor=actor, event_id=event_id)
    lottery = await repository.get_lottery(session, lottery_id)
    if lottery is None or lottery.event_id != event_id:
        raise LotteryNotFound(lottery_id)
    return await _with_pool(session, lottery)


async def _with_pool(session: AsyncSession, lottery: Lottery) -> tuple[Lottery, list[str]]:
    if lottery.status == LotteryStatus.DRAWN:
        return lottery, list(lottery.pool_member_ids or [])
    pool: Sequence[str] = await repository.lottery_pool(
        session, event_id=lottery.event_id, attendees=lottery.pool == LotteryPool.ATTENDEES
    )
    return lottery, list(pool)
