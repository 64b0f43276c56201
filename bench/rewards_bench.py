"""Redemptions of one hot reward, on SQLite and PostgreSQL: how many a second the points mall
takes when many members redeem the same item at once, with the count exact.

    .venv/bin/python bench/rewards_bench.py [--members 2000] [--stock 1000]
        [--concurrency 32] [--backends sqlite,postgresql]

`--members` members, each with points for one item, redeem one reward of `--stock` items,
`--concurrency` at a time, each redemption its own transaction through `redeem` (the service
function behind POST …/rewards/{rid}/redemptions, no HTTP). Beside it, in the same run, the
limit any redemption pays: bare write transactions on the same database at the same
concurrency, each one conditional UPDATE of the same hot row (its transaction and its lock).
Reported: redemptions a second (the refused ones are counted apart) and their ratio to that
floor. Then the count is checked exact: as many redeemed as the stock, none left, each member
who got one debited once, everyone else untouched; the run fails otherwise.
PostgreSQL: HUOLI_BENCH_POSTGRES_DSN (default postgresql://postgres@127.0.0.1:5432/test),
skipped with a note when unreachable.
"""

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select, update  # noqa: E402

from bench.common import fresh_database, stop_on_signals  # noqa: E402
from services.common.auth import Actor  # noqa: E402
from services.common.components import SCORING  # noqa: E402
from services.common.db import create_engine, session_factory  # noqa: E402
from services.common.errors import DomainError  # noqa: E402
from services.common.events.catalogue import CommunityCreated, MemberJoined  # noqa: E402
from services.common.events.envelope import utc_now  # noqa: E402
from services.common.events.outbox import Outbox  # noqa: E402
from services.common.membership.access import CommunityAccess  # noqa: E402
from services.common.membership.repository import save_community, save_membership  # noqa: E402
from services.common.migrations import upgrade_to_head  # noqa: E402
from services.common.unit_of_work import UnitOfWork  # noqa: E402
from services.scoring.points import rules as points_rules  # noqa: E402
from services.scoring.points.service import post_points  # noqa: E402
from services.scoring.rewards.schemas import RewardCreate  # noqa: E402
from services.scoring.rewards.service import create_reward, redeem  # noqa: E402
from services.scoring.tables import membership, messaging, score_table  # noqa: E402
from services.scoring.tables import reward_table as reward  # noqa: E402

CID = "cmty_rewards_bench"
OWNER = "bench-owner"
PRICE = 5


def member_id(n: int) -> str:
    return f"mbr_bench_{n:06d}"


async def seed(url: str, members: int, stock: int) -> str:
    """The community, its members with points for one item each, the reward; its id."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    outbox = Outbox(messaging, source="scoring")
    now = utc_now()
    async with UnitOfWork(sessions, outbox) as uow:
        await save_community(
            uow.session,
            membership,
            CommunityCreated(
                community_id=CID, name="Bench", join_policy="open", timezone="Asia/Shanghai",
                owner_user_id=OWNER, created_at=now,
            ),
        )  # fmt: skip
        for n in range(members + 1):
            await save_membership(
                uow.session,
                membership,
                MemberJoined(
                    community_id=CID, member_id=member_id(n), user_id=f"user-{n}",
                    display_name=f"成员 {n}", status="active",
                    role="owner" if n == 0 else "member", joined_at=now,
                ),
            )  # fmt: skip
        for n in range(1, members + 1):
            await post_points(
                uow=uow, community_id=CID, member_id=member_id(n),
                delta_milli=PRICE * points_rules.MILLI, reason="seed", changed_by=OWNER,
            )  # fmt: skip
        owner = CommunityAccess(CID, Actor(id="user-0"), member_id(0), "owner", "active")
        created = await create_reward(
            uow=uow,
            access=owner,
            reward_create=RewardCreate(name="马克杯", price=PRICE, stock=stock),
        )
    await engine.dispose()
    return created.id


async def timed_redemptions(
    url: str, reward_id: str, members: int, concurrency: int
) -> tuple[float, Counter[str]]:
    """Every member redeems once, `concurrency` at a time: seconds, outcomes by kind."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    outbox = Outbox(messaging, source="scoring")
    gate = asyncio.Semaphore(concurrency)
    outcomes: Counter[str] = Counter()

    async def one(n: int) -> None:
        access = CommunityAccess(CID, Actor(id=f"user-{n}"), member_id(n), "member", "active")
        async with gate:
            try:
                async with UnitOfWork(sessions, outbox) as uow:
                    await redeem(uow=uow, access=access, reward_id=reward_id, member_id=None)
                outcomes["redeemed"] += 1
            except DomainError as refused:
                outcomes[refused.slug] += 1

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(1, members + 1)))
    took = time.perf_counter() - started
    await engine.dispose()
    return took, outcomes


async def timed_floor(url: str, reward_id: str, writes: int, concurrency: int) -> float:
    """`writes` transactions of one conditional UPDATE of the reward's row (changing nothing),
    `concurrency` at a time: seconds."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    gate = asyncio.Semaphore(concurrency)
    touch = (
        update(reward)
        .where(reward.c.id == reward_id, reward.c.stock >= 0)
        .values(redeemed=reward.c.redeemed)
    )

    async def one() -> None:
        async with gate, sessions() as session:
            await session.execute(touch)
            await session.commit()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(writes)))
    took = time.perf_counter() - started
    await engine.dispose()
    return took


async def check_exact(url: str, reward_id: str, stock: int, outcomes: Counter[str]) -> None:
    """As many redeemed as the stock, none left, each winner debited once, no one else."""
    engine = create_engine(url, read_only=True)
    async with session_factory(engine)() as session:
        row = (await session.execute(select(reward).where(reward.c.id == reward_id))).one()
        balances = Counter(
            (
                await session.execute(
                    select(score_table.c.points_milli).where(score_table.c.community_id == CID)
                )
            ).scalars()
        )
    await engine.dispose()
    price = PRICE * points_rules.MILLI
    found = (outcomes["redeemed"], row.stock, row.redeemed, balances[0], balances[price])
    members = sum(outcomes.values())
    wanted = (stock, 0, stock, stock, members - stock)
    assert found == wanted, (
        f"(redeemed, stock, reward.redeemed, at 0, untouched) {found} != {wanted}"
    )


async def bench_backend(backend: str, members: int, stock: int, concurrency: int) -> None:
    async with fresh_database(backend) as url:
        if url is None:
            return
        await asyncio.to_thread(upgrade_to_head, ini_path=SCORING.alembic_ini, database_url=url)
        reward_id = await seed(url, members, stock)
        floor = await timed_floor(url, reward_id, members, concurrency)
        took, outcomes = await timed_redemptions(url, reward_id, members, concurrency)
        await check_exact(url, reward_id, stock, outcomes)
        attempts, floor_rate = sum(outcomes.values()), members / floor
        refused = dict(outcomes - Counter(redeemed=stock))
        print(
            f"{backend}: {attempts} members redeem one reward of {stock}, {concurrency} at a "
            f"time: {attempts / took:,.0f} attempts/s ({outcomes['redeemed']} redeemed, "
            f"{attempts - outcomes['redeemed']} refused: {refused})"
            f"; the floor, bare writes of the hot row: {floor_rate:,.0f}/s; ratio "
            f"{attempts / took / floor_rate:.2f}; count exact"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--stock", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        await bench_backend(backend.strip(), args.members, args.stock, args.concurrency)


if __name__ == "__main__":
    stop_on_signals()
    asyncio.run(main())
