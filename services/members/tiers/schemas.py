"""Request and response shapes of tiers."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import NoNul, ResourceId
from services.members.tables import Tier
from services.members.tiers.rules import DEFAULT_CAPACITY

TierName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoNul
]
Capacity = Annotated[int, Field(ge=1, le=1_000_000)]


@dataclass(frozen=True)
class TierView:
    """A tier with the seats taken in it."""

    tier: Tier
    member_count: int


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


class TierMoveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier_id: ResourceId
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul
    ]


class TierChangePublic(BaseModel):
    id: str
    member_id: str
    from_tier_id: str | None
    to_tier_id: str
    reason: str
    changed_by: str
    changed_at: datetime


class TierChangeList(BaseModel):
    items: list[TierChangePublic]
