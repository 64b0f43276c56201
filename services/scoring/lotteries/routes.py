"""HTTP endpoints of community-wide lotteries."""

from typing import Annotated

from fastapi import APIRouter, Depends, status

from services.common.api.deps import PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.scoring.lotteries import service
from services.scoring.lotteries.schemas import CommunityLotteryCreate, CommunityLotteryPublic
from services.scoring.scoring_rules.rules import OPERATORS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
LotteryId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]


@router.post("/communities/{community_id}/lotteries", status_code=status.HTTP_201_CREATED)
async def commit_community_lottery(
    community_id: CommunityId,
    lottery_create: CommunityLotteryCreate,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> CommunityLotteryPublic:
    """Commit a community-wide draw (owner, admin): the pool (`active` from_on..to_on,
    `segment`, `tier`, `poll_voters`, `challenge_finishers`, or `top` N of a board) is frozen
    now and published with `pool_sha256`, beside the seed's `seed_sha256`. 422 naming the
    pool's field for a tier, poll or challenge of another community, or an empty pool. Emits
    `community_lottery.committed`."""
    return await service.commit_lottery(uow=uow, access=access, lottery_create=lottery_create)


@router.post("/communities/{community_id}/lotteries/{lottery_id}/draw")
async def draw_community_lottery(
    community_id: CommunityId, lottery_id: LotteryId, uow: UnitOfWorkDep, access: OperatorWriteDep
) -> CommunityLotteryPublic:
    """Reveal the seed and draw from the frozen pool (owner, admin); once (409
    `community-lottery-drawn`). Emits `community_lottery.drawn`."""
    return await service.draw_lottery(uow=uow, access=access, lottery_id=lottery_id)


@router.get("/communities/{community_id}/lotteries")
async def list_community_lotteries(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep, page: PageDep
) -> Page[CommunityLotteryPublic]:
    """The community's lotteries, oldest first, with their pools: any member can check them."""
    items = await service.list_lotteries(
        session=session, community_id=community_id, after_id=page.after_id, limit=page.fetch_limit
    )
    return Page[CommunityLotteryPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/lotteries/{lottery_id}")
async def get_community_lottery(
    community_id: CommunityId, lottery_id: LotteryId, session: ReadSessionDep, _member: MemberDep
) -> CommunityLotteryPublic:
    """A lottery: its frozen pool and digests; after the draw the seed and winners too."""
    return await service.get_lottery(
        session=session, community_id=community_id, lottery_id=lottery_id
    )
