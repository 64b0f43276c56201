"""Request and response shapes of 打卡 challenges and their streaks."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
)

from services.common.fields import ResourceId
from services.events.events.schemas import Title


def _iso_date_text(value: Any) -> Any:
    # Pydantic would read a number as a Unix time; the contract is an ISO date.
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 date string (YYYY-MM-DD)")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]


class ChallengeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    days: Annotated[StrictInt, Field(ge=1, le=366)]
    starts_on: IsoDate
    # Make-up cards (补卡) each member may spend to fill a missed day.
    make_up_cards: Annotated[StrictInt, Field(ge=0, le=366)] = 2

    @field_validator("starts_on")
    @classmethod
    def _plausible_year(cls, starts_on: date) -> date:
        if not 2000 <= starts_on.year <= 2999:
            raise ValueError("must be a date between the years 2000 and 2999")
        return starts_on


class ChallengePublic(BaseModel):
    id: str
    community_id: str
    title: str
    days: int
    starts_on: date
    ends_on: date
    make_up_cards: int
    # A user id: to staff and to that user (and in the creator's answer); null otherwise.
    created_by: str | None
    created_at: datetime


class ChallengeCheckinCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: ResourceId
    # A past day of the challenge spends a make-up card; absent means today, in the
    # community's timezone.
    date: IsoDate | None = None


class ChallengeCheckinPublic(BaseModel):
    challenge_id: str
    member_id: str
    checked_in_on: date
    make_up: bool
    current_streak: int
    longest_streak: int
    make_up_cards_left: int
    checked_in_at: datetime


class StreakPublic(BaseModel):
    rank: int
    member_id: str
    current_streak: int
    longest_streak: int
    days_checked_in: int


class StreakBoard(BaseModel):
    challenge_id: str
    today: date
    items: list[StreakPublic]
