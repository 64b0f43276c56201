"""Sanction endpoints, the sanctions ladder, and editing a member."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.fields import NoNul
from services.common.pagination import Page
from services.members.api.schemas import DisplayName, MemberPublic, Tag
from services.members.domain import profile, sanctions
from services.members.domain.sanctions import Ladder, SanctionKind
from services.members.storage.tables import Sanction

router = APIRouter(tags=["members"])

Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul
]


class SanctionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SanctionKind
    reason: Reason
    duration_hours: (
        Annotated[int, Field(ge=1, le=8760, description="mute only; default: the ladder's")] | None
    ) = None


class SanctionPublic(BaseModel):
    id: str
    community_id: str
    member_id: str
    kind: SanctionKind
    reason: str
    duration_hours: int | None
    muted_until: datetime | None
    issued_by: str
    by_ladder: bool
    issued_at: datetime

    @classmethod
    def of(cls, sanction: Sanction) -> "SanctionPublic":
        return cls.model_validate(sanction, from_attributes=True)


class SanctionOutcomePublic(BaseModel):
    sanction: SanctionPublic
    escalation: SanctionPublic | None = Field(
        description="the mute or removal the ladder made of this warning, if it did"
    )
    member: MemberPublic


class SanctionLadder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warnings_before_mute: Annotated[int, Field(ge=1, le=100)] = 3
    mute_hours: Annotated[int, Field(ge=1, le=8760)] = 24
    mutes_before_removal: Annotated[int, Field(ge=0, le=100)] = 1


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


@router.post(
    "/communities/{community_id}/members/{member_id}/sanctions",
    status_code=status.HTTP_201_CREATED,
)
async def sanction_member(
    community_id: PathId,
    member_id: PathId,
    sanction_create: SanctionCreate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> SanctionOutcomePublic:
    """Warn, mute (for `duration_hours`) or remove a member (owner, admins, enforcers). A
    warning may climb the community's ladder to a mute or a removal (`escalation`)."""
    outcome = await sanctions.sanction_member(
        uow=uow,
        actor=actor,
        community_id=community_id,
        member_id=member_id,
        kind=sanction_create.kind,
        reason=sanction_create.reason,
        duration_hours=sanction_create.duration_hours,
    )
    return SanctionOutcomePublic(
        sanction=SanctionPublic.of(outcome.sanction),
        escalation=SanctionPublic.of(outcome.escalation) if outcome.escalation else None,
        member=MemberPublic.model_validate(outcome.membership, from_attributes=True),
    )


@router.get("/communities/{community_id}/members/{member_id}/sanctions")
async def sanction_history(
    community_id: PathId,
    member_id: PathId,
    session: ReadSessionDep,
    page: PageDep,
    actor: ActorDep,
) -> Page[SanctionPublic]:
    """Who sanctioned the member, how and why, oldest first (stewards and the member)."""
    rows = await sanctions.sanction_history(
        session=session,
        actor=actor,
        community_id=community_id,
        member_id=member_id,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [SanctionPublic.of(row) for row in rows]
    return Page[SanctionPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/sanction-ladder")
async def get_sanction_ladder(
    community_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> SanctionLadder:
    """How warnings escalate in this community (default: 3 warnings → 24 h mute → removal)."""
    ladder = await sanctions.get_ladder(session=session, actor=actor, community_id=community_id)
    return SanctionLadder.model_validate(ladder.as_json())


@router.put("/communities/{community_id}/sanction-ladder")
async def set_sanction_ladder(
    community_id: PathId, sanction_ladder: SanctionLadder, uow: UnitOfWorkDep, actor: ActorDep
) -> SanctionLadder:
    """Replace the ladder (owner and admins); omitted fields take their defaults."""
    ladder = await sanctions.set_ladder(
        uow=uow,
        actor=actor,
        community_id=community_id,
        ladder=Ladder(**sanction_ladder.model_dump()),
    )
    return SanctionLadder.model_validate(ladder.as_json())


@router.patch("/communities/{community_id}/members/{member_id}")
async def update_member(
    community_id: PathId,
    member_id: PathId,
    member_update: MemberUpdate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> MemberPublic:
    """Edit a member: display name and tags (the member or a steward); `locked` and `on_leave`
    (owner and admins), which keep the tier policy from moving the member."""
    membership = await profile.update_member(
        uow=uow,
        actor=actor,
        community_id=community_id,
        member_id=member_id,
        changes=member_update.model_dump(exclude_unset=True),
    )
    return MemberPublic.model_validate(membership, from_attributes=True)
