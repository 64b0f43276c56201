"""Request and response shapes of reports and cases."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.common.fields import ResourceId, Utf8Text
from services.members.cases.rules import (
    CaseStatus,
    NoteKind,
    ReportKind,
    Resolution,
    TargetType,
)
from services.members.tables import CaseNote, CaseReport, ModerationCase

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), Utf8Text
]
TargetId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
]
Evidence = Annotated[str, StringConstraints(min_length=1, max_length=500), Utf8Text]


class Target(BaseModel):
    """What is reported: a chat message (its id, as the bot knows it, and its sender), a member,
    or a content item (and its author, when the reporter knows them)."""

    model_config = ConfigDict(extra="forbid")

    type: TargetType
    id: TargetId
    member_id: ResourceId | None = Field(
        default=None, description="a message's sender or an item's author (a member id)"
    )

    @model_validator(mode="after")
    def _message_names_its_sender(self) -> "Target":
        if self.type == TargetType.MESSAGE and self.member_id is None:
            raise ValueError("a message target names its sender (member_id)")
        if self.type == TargetType.MEMBER and self.member_id not in (None, self.id):
            raise ValueError("a member target is the member itself")
        return self


class ReportCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "target": {"type": "message", "id": "msg_20261224_0001", "member_id": "mem_2"},
                    "kind": "spam",
                    "reason": "连续发布广告",
                    "evidence": ["群聊截图 12:01 广告二维码"],
                }
            ]
        },
    )

    target: Target
    kind: ReportKind
    reason: Text
    evidence: Annotated[list[Evidence], Field(max_length=10)] = []

    @model_validator(mode="after")
    def _a_dispute_names_the_other_party(self) -> "ReportCreate":
        if self.kind == ReportKind.DISPUTE and (
            self.target.type == TargetType.CONTENT and self.target.member_id is None
        ):
            raise ValueError("a dispute names the member it is with (target.member_id)")
        return self


class ReportPublic(BaseModel):
    id: str
    case_id: str
    reporter_member_id: str
    kind: ReportKind
    reason: str
    evidence: list[str]
    filed_at: datetime

    @classmethod
    def of(cls, row: CaseReport) -> "ReportPublic":
        return cls.model_validate(row, from_attributes=True)


class NotePublic(BaseModel):
    id: str
    kind: NoteKind
    text: str
    author: str
    created_at: datetime

    @classmethod
    def of(cls, row: CaseNote) -> "NotePublic":
        return cls.model_validate(row, from_attributes=True)


class CasePublic(BaseModel):
    id: str
    community_id: str
    target_type: TargetType
    target_id: str
    target_member_id: str | None
    kind: ReportKind
    status: CaseStatus
    parties: list[str] = Field(description="a dispute's parties (member ids)")
    report_count: int
    assignee_member_id: str | None
    resolution: Resolution | None
    resolution_note: str | None
    sanction_id: str | None = Field(description="the sanction the resolution caused")
    resolved_by: str | None
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, row: ModerationCase) -> "CasePublic":
        return cls.model_validate(row, from_attributes=True)


class CaseDetail(CasePublic):
    reports: list[ReportPublic]
    notes: list[NotePublic]


class FiledReport(BaseModel):
    report: ReportPublic
    case: CasePublic


class CaseAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: ResourceId | None = Field(default=None, description="default: the caller")


class CaseComment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text


class CaseResolve(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"resolution": "mute", "note": "第二次发广告 禁言一天", "mute_hours": 24}]
        },
    )

    resolution: Resolution
    note: Text | None = None
    mute_hours: Annotated[int, Field(ge=1, le=672)] | None = None

    @model_validator(mode="after")
    def _mute_hours_for_mutes(self) -> "CaseResolve":
        if self.mute_hours is not None and self.resolution != Resolution.MUTE:
            raise ValueError("mute_hours is for the mute resolution only")
        return self
