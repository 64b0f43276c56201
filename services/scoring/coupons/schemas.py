"""Request and response shapes of coupon batches."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from services.scoring.coupons.rules import CODE_PATTERN, MAX_BATCH, MAX_CODE_LENGTH

Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN),
    Field(description="Visible ASCII (! to ~), 1 to 64 characters."),
]


class CouponBatchCreate(BaseModel):
    """Either `codes` (imported: duplicates, within the list or with the reward's codes, are
    skipped and counted) or `generate` (that many new unique codes); not both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"codes": ["JD-8H2K-77QX", "JD-9M3P-12RT"]}, {"generate": 50}]
        },
    )

    codes: Annotated[list[Code], Field(min_length=1, max_length=MAX_BATCH)] | None = None
    generate: Annotated[StrictInt, Field(ge=1, le=MAX_BATCH)] | None = None


class CouponPublic(BaseModel):
    code: str
    redemption_id: str | None = Field(description="The redemption that took it; null: free.")
    issued_at: datetime | None


class CouponBatchPublic(BaseModel):
    id: str
    community_id: str
    reward_id: str
    source: str = Field(description="imported | generated")
    count: int = Field(description="Codes added.")
    skipped: int = Field(description="Duplicates left out (imported batches).")
    issued: int = Field(description="Codes of this batch handed out so far.")
    created_by: str
    created_at: datetime
    codes: list[CouponPublic] = Field(description="The batch's codes, in the order added.")


class CouponBatchList(BaseModel):
    items: list[CouponBatchPublic]
