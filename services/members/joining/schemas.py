"""Request shape of a join (the answer is a `MemberPublic`)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import NoNul, ResourceId
from services.members.applications.rules import MAX_QUESTIONS
from services.members.applications.schemas import AnswerInput
from services.members.memberships.schemas import DisplayName, Tag, UserId


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: UserId
    display_name: DisplayName
    invite_code: Annotated[str, StringConstraints(max_length=64), NoNul] | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    tier_id: ResourceId | None = None
    # Answers to the community's application questions (GET …/application-questions).
    answers: Annotated[list[AnswerInput], Field(max_length=MAX_QUESTIONS)] = []
