"""Request and response shapes of the polls (and a poll's options as an item carries them)."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import NoNul, ResourceId

PollOption = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul
]


def _distinct(options: list[str]) -> list[str]:
    if len(set(options)) != len(options):
        raise ValueError("options must be distinct")
    return options


PollOptions = Annotated[list[PollOption], Field(max_length=10), AfterValidator(_distinct)]


class PollPublic(BaseModel):
    options: list[str]
    # Live counts per option (every option listed, zero included); on GET of the item.
    results: dict[str, int] | None = None
    votes: int | None = None


class VoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: ResourceId
    option: PollOption


class VotePublic(BaseModel):
    content_id: str
    member_id: str
    option: str
    voted_at: datetime
    poll: PollPublic
