"""Tier endpoints: owners and admins manage tiers; members see them."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.fields import NoNul
from services.members.api.routes import MemberDep
from services.members.domain import tiers
from services.members.domain.seating import DEFAULT_CAPACITY
from services.members.domain.tiers import TierView

router = APIRouter(tags=["members"])

TierName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoNul
]
Capacity = Annotated[int, Field(ge=1, le=1_000_000)]


class TierCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TierName
    rank: Annotated[int, Field(ge=1, le=1000, description="1 is the core group")]
    capacity: Capacity = DEFAULT_CAPACITY


class TierUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TierName | None = None
    capacity: Capacity | None = None


class TierPublic(BaseModel):
    id: str
    community_id: str
    name: str
    rank: int
    capacity: int
    member_count: int
    created_at: datetime

    @classmethod
    def of(cls, view: TierView) -> "TierPublic":
        tier = view.tier
        return cls(
            id=tier.id,
            community_id=tier.community_id,
            name=tier.name,
            rank=tier.rank,
            capacity=tier.capacity,
            member_count=view.member_count,
            created_at=tier.created_at,
        )


class TierList(BaseModel):
    items: list[TierPublic]


@router.post("/communities/{community_id}/tiers", status_code=status.HTTP_201_CREATED)
async def create_tier(
    community_id: PathId, tier_create: TierCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> TierPublic:
    """Add a tier (owner or admin); rank 1 is the core group."""
    view = await tiers.create_tier(
        session=uow.session,
        actor=actor,
        community_id=community_id,
        name=tier_create.name,
        rank=tier_create.rank,
        capacity=tier_create.capacity,
    )
    return TierPublic.of(view)


@router.get("/communities/{community_id}/tiers")
async def list_tiers(community_id: PathId, session: ReadSessionDep, _member: MemberDep) -> TierList:
    """The community's tiers by rank, with the seats taken in each."""
    views = await tiers.list_tiers(session=session, community_id=community_id)
    return TierList(items=[TierPublic.of(view) for view in views])


@router.patch("/communities/{community_id}/tiers/{tier_id}")
async def update_tier(
    community_id: PathId,
    tier_id: PathId,
    tier_update: TierUpdate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> TierPublic:
    """Rename a tier or change its capacity (owner or admin)."""
    view = await tiers.update_tier(
        session=uow.session,
        actor=actor,
        community_id=community_id,
        tier_id=tier_id,
        name=tier_update.name,
        capacity=tier_update.capacity,
    )
    return TierPublic.of(view)
