"""HTTP endpoints of the polls."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PathId, UnitOfWorkDep
from services.content.items.schemas import ContentPublic
from services.content.polls import service
from services.content.polls.schemas import PollPublic, VoteCreate, VotePublic

router = APIRouter(tags=["content"])

ContentId = PathId


@router.post("/content/{content_id}/votes", status_code=status.HTTP_201_CREATED)
async def vote(
    content_id: ContentId, vote_create: VoteCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> VotePublic:
    """A member's vote in a published poll: one each (a second is 409)."""
    ballot, item, results = await service.cast_vote(
        uow=uow, actor=actor, content_id=content_id, vote_create=vote_create
    )
    poll = ContentPublic.of(item, results).poll
    assert isinstance(poll, PollPublic)
    return VotePublic(
        content_id=ballot.content_id,
        member_id=ballot.member_id,
        option=ballot.option,
        voted_at=ballot.voted_at,
        poll=poll,
    )
