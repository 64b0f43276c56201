"""Request and response shapes of incidents and playbooks."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import ResourceId, Utf8Text
from services.members.incidents.rules import EntryKind, IncidentKind, IncidentStatus, Severity
from services.members.tables import Incident, IncidentEntry

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), Utf8Text
]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128), Utf8Text]
Item = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Utf8Text
]


class IncidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: IncidentKind
    severity: Severity
    summary: Text
    drill: bool = Field(default=False, description="a practice incident (应急演练), counted apart")
    owner: UserId | None = Field(
        default=None, description="a handler's user id; default: the caller"
    )


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cause: Text
    actions: Text = Field(description="what was done")
    lessons: Text


class IncidentUpdate(BaseModel):
    """Changes to an open incident, each written to its timeline: a status move (`reviewed`
    takes `review`), a new owner or severity, checklist items done or undone (by index), cases
    and alerts linked."""

    model_config = ConfigDict(extra="forbid")

    status: IncidentStatus | None = None
    review: Review | None = None
    owner: UserId | None = None
    severity: Severity | None = None
    done: Annotated[list[Annotated[int, Field(ge=0, le=99)]], Field(max_length=100)] = []
    undone: Annotated[list[Annotated[int, Field(ge=0, le=99)]], Field(max_length=100)] = []
    link_cases: Annotated[list[ResourceId], Field(max_length=50)] = []
    link_alerts: Annotated[list[ResourceId], Field(max_length=50)] = []


class EntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text


class ChecklistItem(BaseModel):
    item: str
    done: bool


class EntryPublic(BaseModel):
    id: str
    kind: EntryKind
    text: str
    author: str
    created_at: datetime

    @classmethod
    def of(cls, row: IncidentEntry) -> "EntryPublic":
        return cls.model_validate(row, from_attributes=True)


class IncidentPublic(BaseModel):
    id: str
    community_id: str
    kind: IncidentKind
    severity: Severity
    summary: str
    status: IncidentStatus
    drill: bool
    owner: str
    checklist: list[ChecklistItem]
    case_ids: list[str]
    alert_ids: list[str]
    review: Review | None
    opened_by: str
    opened_at: datetime
    resolved_at: datetime | None
    reviewed_at: datetime | None

    @classmethod
    def of(cls, row: Incident) -> "IncidentPublic":
        return cls.model_validate(row, from_attributes=True)


class IncidentDetail(IncidentPublic):
    timeline: list[EntryPublic]


class IncidentPolicyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auto_open_at: Severity | None = Field(
        default=None,
        description="early warnings at or above this severity open an incident; null: never",
    )


class PlaybookBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[Item], Field(min_length=1, max_length=100)]


class PlaybookPublic(PlaybookBody):
    kind: IncidentKind
    default: bool = Field(description="true until the community sets its own")
