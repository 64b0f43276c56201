"""Anonymising an erased user's authorship; the consumer batch commits."""

from services.common.events.catalogue.vocabulary import ERASED
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.content.erasure import repository


async def erase_author(*, uow: UnitOfWork, community_id: str, member_id: str, user_id: str) -> None:
    """Anonymise a user's authorship in a community; the content stays."""
    await repository.anonymise_author(
        uow.session,
        community_id=community_id,
        member_id=member_id,
        user_id=user_id,
        tombstone=ERASED,
        vote_tombstone=new_id(ERASED),
    )
