"""Sanction endpoints and the sanctions ladder."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.pagination import Page
from services.members.memberships.schemas import MemberPublic
from services.members.sanctions import service
from services.members.sanctions.rules import Ladder
from services.members.sanctions.schemas import (
    SanctionCreate,
    SanctionLadder,
    SanctionOutcomePublic,
    SanctionPublic,
)

router = APIRouter(tags=["members"])


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
    outcome = await service.sanction_member(
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
    rows = await service.sanction_history(
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
    ladder = await service.get_ladder(session=session, actor=actor, community_id=community_id)
    return SanctionLadder.model_validate(ladder.as_json())


@router.put("/communities/{community_id}/sanction-ladder")
async def set_sanction_ladder(
    community_id: PathId, sanction_ladder: SanctionLadder, uow: UnitOfWorkDep, actor: ActorDep
) -> SanctionLadder:
    """Replace the ladder (owner and admins); omitted fields take their defaults."""
    ladder = await service.set_ladder(
        uow=uow,
        actor=actor,
        community_id=community_id,
        ladder=Ladder(**sanction_ladder.model_dump()),
    )
    return SanctionLadder.model_validate(ladder.as_json())
