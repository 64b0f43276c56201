"""Request shapes of the review."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.common.fields import NoNul

Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), NoNul
]


class ContentReview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None
