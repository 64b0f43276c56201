"""Request and response shapes of community lotteries."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from services.common.events.catalogue.vocabulary import Segment
from services.common.fields import NoNul, ResourceId
from services.scoring.lotteries.rules import MAX_ACTIVE_DAYS, MAX_TOP, LotteryStatus
from services.scoring.periods.rules import Period

Prize = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]


class ActivePool(BaseModel):
    """Members active (any activity the ledger posted) on a local day from `from_on` to `to_on`
    (inclusive, the community's timezone)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["active"]
    from_on: date
    to_on: date = Field(description=f"Not before from_on; at most {MAX_ACTIVE_DAYS} days on.")


class SegmentPool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["segment"]
    segment: Segment


class TierPool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["tier"]
    tier_id: ResourceId


class PollVotersPool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["poll_voters"]
    poll_id: ResourceId


class ChallengeFinishersPool(BaseModel):
    """Members whose 打卡 streak reached the challenge's length."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["challenge_finishers"]
    challenge_id: ResourceId


class TopPool(BaseModel):
    """The top `limit` of the current period's board (a tier's with `tier_id`)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["top"]
    period: Period = Period.MONTH
    limit: Annotated[StrictInt, Field(ge=1, le=MAX_TOP)]
    tier_id: ResourceId | None = None


PoolSpec = Annotated[
    ActivePool | SegmentPool | TierPool | PollVotersPool | ChallengeFinishersPool | TopPool,
    Field(discriminator="kind"),
]


class CommunityLotteryCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "prize": "年度会员卡",
                    "winners": 3,
                    "pool": {"kind": "segment", "segment": "core"},
                },
                {
                    "prize": "定制周边",
                    "winners": 1,
                    "pool": {"kind": "top", "period": "month", "limit": 20},
                },
            ]
        },
    )

    prize: Prize
    winners: Annotated[StrictInt, Field(ge=1, le=10_000)]
    pool: PoolSpec


class CommunityLotteryPublic(BaseModel):
    """A community lottery. At the commit: the frozen pool (`pool_member_ids`, sorted) and its
    `pool_sha256`, and `seed_sha256`; `seed`, `winners` and `drawn_at` are null until the draw.
    Recompute: SHA-256(bytes.fromhex(seed)) == seed_sha256; SHA-256("\\n".join(sorted pool))
    == pool_sha256; winners = the `winners_count` members with the smallest
    SHA-256(seed || member_id) (docs/scoring.md, "Community lotteries")."""

    id: str
    community_id: str
    prize: str
    winners_count: int
    pool: dict[str, Any]
    pool_size: int
    pool_member_ids: list[str]
    pool_sha256: str
    seed_sha256: str
    status: LotteryStatus
    seed: str | None
    winners: list[str] | None
    created_by: str
    committed_at: datetime
    drawn_at: datetime | None


class CommunityLotteryList(BaseModel):
    items: list[CommunityLotteryPublic]
