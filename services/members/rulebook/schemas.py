"""Request and response shapes of versioned rules and their acknowledgements."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import NoNul
from services.members.rulebook.rules import BODY_MAX_LENGTH, TITLE_MAX_LENGTH
from services.members.tables import RulesAcknowledgement, RulesVersion

# Versions are numbered 1, 2, …; a bound keeps a hostile number out of the database's integer.
VersionNumber = Annotated[int, Field(ge=1, le=1_000_000)]


class RulesVersionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "群规 2027 版",
                    "body": "1. 友善交流。\n2. 未经允许不发广告。\n3. 23:00 后请勿刷屏。",
                }
            ]
        },
    )

    title: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH),
        NoNul,
    ]
    body: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=BODY_MAX_LENGTH),
        NoNul,
    ]


class RulesVersionPublic(BaseModel):
    community_id: str
    version: int
    title: str
    body: str
    published_by_member_id: str | None
    published_at: datetime
    # Whether this is the version members acknowledge now (the newest).
    current: bool

    @classmethod
    def of(cls, row: RulesVersion, *, current_version: int | None) -> Self:
        return cls(
            community_id=row.community_id,
            version=row.version,
            title=row.title,
            body=row.body,
            published_by_member_id=row.published_by_member_id,
            published_at=row.published_at,
            current=row.version == current_version,
        )


class RulesAcknowledgementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 1}]})

    version: VersionNumber


class RulesAcknowledgementPublic(BaseModel):
    community_id: str
    member_id: str
    version: int
    acknowledged_at: datetime

    @classmethod
    def of(cls, row: RulesAcknowledgement) -> Self:
        return cls(
            community_id=row.community_id,
            member_id=row.member_id,
            version=row.version,
            acknowledged_at=row.acknowledged_at,
        )


class PendingAcknowledgement(BaseModel):
    """A member who has not acknowledged the current version."""

    member_id: str
    display_name: str
    joined_at: datetime
    # The newest version they did acknowledge, if any.
    last_acknowledged_version: int | None
