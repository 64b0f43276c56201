"""HTTP endpoints of the suggestion box."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from services.common.api.deps import PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.content.suggestions import service
from services.content.suggestions.rules import STAFF, SuggestionSort, SuggestionStatus
from services.content.suggestions.schemas import (
    SuggestionCreate,
    SuggestionDecision,
    SuggestionPublic,
    SuggestionUpdate,
)
from services.content.tables import membership

router = APIRouter(tags=["content"])

CommunityId = PathId
SuggestionId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
MemberWriteDep = Annotated[CommunityAccess, Depends(require_member(membership, writes=True))]
StaffWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=STAFF, writes=True))
]
_ITEM = "/communities/{community_id}/suggestions/{suggestion_id}"


@router.post("/communities/{community_id}/suggestions", status_code=status.HTTP_201_CREATED)
async def create_suggestion(
    community_id: CommunityId,
    suggestion_create: SuggestionCreate,
    uow: UnitOfWorkDep,
    access: MemberWriteDep,
) -> SuggestionPublic:
    """Post a suggestion to the community's suggestion box (a member; a muted one gets 403
    `member-muted`). Emits `suggestion.created`."""
    return await service.create_suggestion(
        uow=uow, access=access, suggestion_create=suggestion_create
    )


@router.get("/communities/{community_id}/suggestions")
async def list_suggestions(
    *,
    community_id: CommunityId,
    session: ReadSessionDep,
    access: MemberDep,
    page: PageDep,
    sort: SuggestionSort = SuggestionSort.VOTES,
    suggestion_status: Annotated[SuggestionStatus | None, Query(alias="status")] = None,
) -> Page[SuggestionPublic]:
    """The community's suggestions, most +1s first (ties: oldest first) or `sort=newest`,
    optionally of one `status`; withdrawn ones only to owners and admins asking for them."""
    items = await service.list_suggestions(
        session=session,
        access=access,
        status=suggestion_status,
        sort=sort,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    return Page[SuggestionPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get(_ITEM)
async def get_suggestion(
    community_id: CommunityId,
    suggestion_id: SuggestionId,
    session: ReadSessionDep,
    access: MemberDep,
) -> SuggestionPublic:
    return await service.get_suggestion(session=session, access=access, suggestion_id=suggestion_id)


@router.patch(_ITEM)
async def update_suggestion(
    community_id: CommunityId,
    suggestion_id: SuggestionId,
    suggestion_update: SuggestionUpdate,
    uow: UnitOfWorkDep,
    access: MemberWriteDep,
) -> SuggestionPublic:
    """The author edits their suggestion while it is `new` (409 `suggestion-not-editable`
    after; 403 `not-your-suggestion` to anyone else)."""
    return await service.update_suggestion(
        uow=uow, access=access, suggestion_id=suggestion_id, suggestion_update=suggestion_update
    )


@router.delete(_ITEM, status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_suggestion(
    community_id: CommunityId,
    suggestion_id: SuggestionId,
    uow: UnitOfWorkDep,
    access: MemberWriteDep,
) -> Response:
    """The author withdraws their suggestion while it is `new`. Emits `suggestion.withdrawn`."""
    await service.withdraw_suggestion(uow=uow, access=access, suggestion_id=suggestion_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(f"{_ITEM}/vote")
async def vote_for_suggestion(
    community_id: CommunityId,
    suggestion_id: SuggestionId,
    uow: UnitOfWorkDep,
    access: MemberWriteDep,
) -> SuggestionPublic:
    """+1 another member's suggestion while it is new, under review or planned: once per
    member (again changes nothing). The author cannot (403 `own-suggestion-vote`); a muted
    member neither (403 `member-muted`)."""
    return await service.vote(uow=uow, access=access, suggestion_id=suggestion_id)


@router.delete(f"{_ITEM}/vote")
async def take_back_suggestion_vote(
    community_id: CommunityId,
    suggestion_id: SuggestionId,
    uow: UnitOfWorkDep,
    access: MemberWriteDep,
) -> SuggestionPublic:
    """Take one's +1 back (without one, nothing changes)."""
    return await service.unvote(uow=uow, access=access, suggestion_id=suggestion_id)


@router.put(f"{_ITEM}/status")
async def decide_suggestion(
    community_id: CommunityId,
    suggestion_id: SuggestionId,
    decision: SuggestionDecision,
    uow: UnitOfWorkDep,
    staff: StaffWriteDep,
) -> SuggestionPublic:
    """Set the status (new, under_review, planned, done, declined) with a reply to the author
    (owner, admin; a decline needs a reply). Emits `suggestion.status_changed`."""
    return await service.decide(
        uow=uow, access=staff, suggestion_id=suggestion_id, decision=decision
    )
