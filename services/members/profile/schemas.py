"""Request shape of editing a member (the answer is a `MemberPublic`)."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.members.memberships.schemas import DisplayName, Tag


class MemberUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None
    locked: bool | None = None
    on_leave: bool | None = None

    @field_validator("display_name", "tags", "locked", "on_leave")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value
