"""Request and response shapes of lotteries."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from services.events.events.schemas import Title
from services.events.lotteries.rules import LotteryPool, LotteryStatus


class LotteryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    winners: Annotated[StrictInt, Field(ge=1, le=10_000)]
    pool: LotteryPool
    prize: Title


class LotteryCommitted(BaseModel):
    id: str
    event_id: str
    prize: str
    pool: LotteryPool
    winners_count: int
    status: LotteryStatus
    seed_sha256: str
    committed_at: datetime


class LotteryResult(BaseModel):
    id: str
    event_id: str
    prize: str
    pool: LotteryPool
    pool_size: int
    seed_sha256: str
    # Hex of the seed's 32 bytes: SHA-256 of those bytes is seed_sha256.
    seed: str
    winners: list[str]
    drawn_at: datetime


class LotteryPublic(LotteryCommitted):
    """A lottery as members read it. Before the draw: the commitment (`seed_sha256`) and the
    pool as it stands now; `seed`, `winners` and `drawn_at` are null. After: the seed, the pool
    frozen at the draw and the winners."""

    pool_member_ids: list[str]
    pool_size: int
    seed: str | None
    winners: list[str] | None
    drawn_at: datetime | None


class LotteryList(BaseModel):
    items: list[LotteryPublic]
