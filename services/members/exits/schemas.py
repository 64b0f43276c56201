"""Request and response shapes of exit reasons."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.common.events.catalogue.vocabulary import ExitReason
from services.common.fields import Utf8Text
from services.common.pagination import Page

MAX_EXIT_TEXT = 1000


class MemberDeparture(BaseModel):
    """The optional body of `DELETE …/members/{mid}` when a member leaves: why, from the fixed
    list, and in their own words (text without a reason counts as `other`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "no_time", "text": "最近工作太忙, 以后再来"}]},
    )

    reason: ExitReason | None = None
    text: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_EXIT_TEXT),
            Utf8Text,
        ]
        | None
    ) = None


class ExitPublic(BaseModel):
    id: str
    member_id: str
    reason: ExitReason
    # The member's own words; null when they gave none, or after their data was erased.
    text: str | None
    left_at: datetime


class ExitPage(Page[ExitPublic]):
    """Exits by when they happened (oldest first), and how many left for each reason in all."""

    counts: dict[str, int]
