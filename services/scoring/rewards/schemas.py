"""Request and response shapes of the points mall."""

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.common.fields import NoNul, Timestamp
from services.scoring.points import rules as points_rules

Name = Annotated[str, StringConstraints(min_length=1, max_length=100), NoNul]
Description = Annotated[str, StringConstraints(max_length=2000), NoNul]
Price = Annotated[float, Field(gt=0, le=1_000_000, allow_inf_nan=False)]
Stock = Annotated[int, Field(ge=0, le=1_000_000_000)]
Limit = Annotated[int, Field(ge=1, le=1_000_000)]
TierId = Annotated[str, StringConstraints(min_length=1, max_length=64), NoNul]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=200), NoNul]

_EXAMPLE: dict[str, Any] = {
    "name": "社群定制马克杯",
    "description": "Collected at the next meetup.",
    "price": 200,
    "stock": 50,
    "per_member_limit": 1,
    "tier_id": None,
    "starts_at": "2027-01-01T00:00:00+08:00",
    "ends_at": "2027-02-01T00:00:00+08:00",
}


def _whole_milli(value: float | None) -> None:
    if value is not None and round(value * points_rules.MILLI) == 0:
        raise ValueError("price must be at least 0.001")


def _window_ordered(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")


class RewardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    name: Name
    description: Description = ""
    price: Price = Field(description="Points a redemption costs; 3 decimals kept.")
    stock: Stock = Field(description="Items available to redeem.")
    per_member_limit: Limit | None = Field(
        default=None, description="Redemptions one member may hold (not cancelled); none: any."
    )
    tier_id: TierId | None = Field(
        default=None, description="Only members of this tier may redeem it; none: everyone."
    )
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = Field(default=None, description="Exclusive.")

    @field_validator("price")
    @classmethod
    def _price(cls, value: float) -> float:
        _whole_milli(value)
        return value

    @model_validator(mode="after")
    def _window(self) -> Self:
        _window_ordered(self.starts_at, self.ends_at)
        return self


class RewardUpdate(BaseModel):
    """Fields to change; a field left out keeps its value, `null` clears an optional one."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"price": 180, "stock": 60}]}
    )

    name: Name | None = None
    description: Description | None = None
    price: Price | None = None
    stock: Stock | None = Field(default=None, description="Items left to redeem from now on.")
    per_member_limit: Limit | None = None
    tier_id: TierId | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None

    @field_validator("price")
    @classmethod
    def _price(cls, value: float | None) -> float | None:
        _whole_milli(value)
        return value

    @model_validator(mode="after")
    def _not_null(self) -> Self:
        for name in ("name", "description", "price", "stock"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class RewardPublic(BaseModel):
    id: str
    community_id: str
    name: str
    description: str
    price: float
    stock: int
    redeemed: int
    per_member_limit: int | None
    tier_id: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    status: str = Field(description="active | withdrawn")
    coupon_backed: bool = Field(
        default=False,
        description="Each redemption hands out a coupon code; the stock is the codes left.",
    )
    created_by: str
    created_at: datetime
    updated_at: datetime


class RedemptionCreate(BaseModel):
    """Who redeems: the caller (no body, or no `member_id`), or for an owner, admin or partner
    key, the member named."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})

    member_id: Annotated[str, StringConstraints(min_length=1, max_length=64), NoNul] | None = None


class RedemptionCancel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Out of stock at the venue"}]}
    )

    reason: Reason


class RedemptionPublic(BaseModel):
    id: str
    community_id: str
    reward_id: str
    member_id: str
    code: str = Field(description="Unique; shown to collect the reward.")
    points: float
    status: str = Field(description="redeemed | cancelled")
    redeemed_by: str
    redeemed_at: datetime
    cancelled_by: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    balance: float | None = Field(
        default=None, description="The member's points after this change (on redeem and cancel)."
    )
    coupon_code: str | None = Field(
        default=None, description="The coupon a coupon-backed reward handed out (else null)."
    )
