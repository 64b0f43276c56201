"""Request and response shapes of the suggestion box."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.common.fields import NoNul
from services.content.suggestions.rules import BODY_MAX, REPLY_MAX, TITLE_MAX, StaffStatus

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX), NoNul
]
Body = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=BODY_MAX), NoNul
]
Reply = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REPLY_MAX), NoNul
]


class SuggestionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"title": "每周五加一场读书会", "body": "晚上 8 点线上 轮流领读 📚"}]
        },
    )

    title: Title = Field(description=f"1 to {TITLE_MAX} characters.")
    body: Body = Field(description=f"1 to {BODY_MAX} characters.")


class SuggestionUpdate(BaseModel):
    """What the author changes while the suggestion is new; a field left out stays."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"body": "改成每两周一次"}]}
    )

    title: Title | None = None
    body: Body | None = None

    @model_validator(mode="after")
    def _not_null(self) -> Self:
        for name in ("title", "body"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class SuggestionDecision(BaseModel):
    """Staff set the status, with a reply to the author (required when declining)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "planned", "reply": "好主意 下个月开始试行"}]},
    )

    status: StaffStatus
    reply: Reply | None = Field(default=None, description=f"Up to {REPLY_MAX} characters.")


class SuggestionPublic(BaseModel):
    id: str
    community_id: str
    author_member_id: str | None = Field(description="null once the author's data was erased")
    author_erased: bool
    title: str
    body: str
    status: str = Field(description="new | under_review | planned | done | declined | withdrawn")
    votes: int = Field(description="+1s by members other than the author")
    voted: bool = Field(description="whether the caller has +1'd it")
    reply: str | None
    status_changed_at: datetime | None
    created_at: datetime
    updated_at: datetime
