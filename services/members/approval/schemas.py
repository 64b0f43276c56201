"""Request shape of approve and reject (the answer is a `MemberPublic`)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.common.fields import NoNul


class MemberDecision(BaseModel):
    """An optional body of approve and reject: why, for the record (it travels in the event)."""

    model_config = ConfigDict(extra="forbid")

    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoNul] | None
    ) = None
