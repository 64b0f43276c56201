"""Endpoints of the onboarding checklist and members' progress through it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.common.api.deps import PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityAccess, RoleRequired
from services.common.pagination import Page
from services.scoring.onboarding import service
from services.scoring.onboarding.schemas import ChecklistPublic, ChecklistUpdate, ProgressPublic
from services.scoring.scoring_rules.rules import OPERATORS, PARTICIPATION_READERS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
EditorDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]
ReaderDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=PARTICIPATION_READERS))
]


@router.get("/communities/{community_id}/onboarding/checklist")
async def get_onboarding_checklist(
    community_id: PathId, session: ReadSessionDep, _member: MemberDep
) -> ChecklistPublic:
    """The steps the community's newcomers are to do, in order (any member); none until an
    owner or admin chooses them."""
    steps, updated_at = await service.get_checklist(session, community_id)
    return ChecklistPublic(community_id=community_id, steps=steps, updated_at=updated_at)


@router.put("/communities/{community_id}/onboarding/checklist")
async def set_onboarding_checklist(
    community_id: PathId, checklist: ChecklistUpdate, uow: UnitOfWorkDep, _editor: EditorDep
) -> ChecklistPublic:
    """Choose the checklist's steps from the fixed vocabulary (owner, admin); `[]` turns it
    off. Members whose steps already complete it are onboarded at once (`member.onboarded`)."""
    row = await service.set_checklist(
        uow=uow, community_id=community_id, steps=checklist.steps, now=utc_now()
    )
    return ChecklistPublic(
        community_id=community_id, steps=list(row.steps), updated_at=row.updated_at
    )


@router.get("/communities/{community_id}/onboarding/progress")
async def list_onboarding_progress(
    community_id: PathId,
    session: ReadSessionDep,
    page: PageDep,
    _reader: ReaderDep,
    onboarded: Annotated[bool | None, Query()] = None,
) -> Page[ProgressPublic]:
    """Every member's progress through the checklist, by member id; `onboarded=false` lists
    those still on their way (owner, admin, enforcer)."""
    rows, steps = await service.list_progress(
        session=session,
        community_id=community_id,
        onboarded=onboarded,
        after_member_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [ProgressPublic.of(row, steps) for row in rows]
    return Page[ProgressPublic].of(items, limit=page.limit, id_of=lambda item: item.member_id)


@router.get("/communities/{community_id}/members/{member_id}/onboarding")
async def get_member_onboarding(
    community_id: PathId, member_id: PathId, session: ReadSessionDep, caller: MemberDep
) -> ProgressPublic:
    """A member's progress through the checklist: their own, or anyone's for the owner, admins
    and enforcers."""
    if caller.member_id != member_id and not caller.has_role(PARTICIPATION_READERS):
        raise RoleRequired(PARTICIPATION_READERS)
    row, steps = await service.member_progress(
        session=session, community_id=community_id, member_id=member_id
    )
    return ProgressPublic.of(row, steps)
