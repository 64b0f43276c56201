"""Polls: a member's one vote in a published poll, and the live results. The caller commits
once."""

from services.common.auth import Actor
from services.common.events.catalogue import PollVoted
from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.content.items.rules import ContentKind, ContentStatus
from services.content.items.service import item_with_access
from services.content.polls import repository
from services.content.polls.errors import (
    AlreadyVoted,
    NotAPoll,
    NotYourVote,
    PollNotOpen,
    UnknownOption,
)
from services.content.polls.schemas import VoteCreate
from services.content.tables import ContentItem, PollVote


async def cast_vote(
    *, uow: UnitOfWork, actor: Actor, content_id: str, vote_create: VoteCreate
) -> tuple[PollVote, ContentItem, dict[str, int]]:
    """A member's one vote in a published poll."""
    item, access = await item_with_access(uow.session, actor, content_id)
    if access.member_id is None or vote_create.member_id != access.member_id:
        raise NotYourVote()
    access.refuse_if_muted()
    if item.kind != ContentKind.POLL:
        raise NotAPoll(content_id)
    if item.status != ContentStatus.PUBLISHED:
        raise PollNotOpen(item.status)
    if vote_create.option not in item.poll_options:
        raise UnknownOption(vote_create.option, list(item.poll_options))
    ballot = PollVote(
        content_id=item.id,
        member_id=vote_create.member_id,
        community_id=item.community_id,
        option=vote_create.option,
        voted_at=utc_now(),
    )
    if not await repository.add_vote(uow.session, ballot):
        raise AlreadyVoted(vote_create.member_id)
    await uow.outbox.add(
        uow.session,
        PollVoted(
            community_id=item.community_id,
            content_id=item.id,
            member_id=ballot.member_id,
            option=ballot.option,
            voted_at=ballot.voted_at,
        ),
    )
    return ballot, item, await repository.poll_results(uow.session, content_id)
