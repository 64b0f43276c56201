"""Following `user.erased`: anonymise the member in scoring's data."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.catalogue import UserErased
from services.common.events.catalogue.vocabulary import ERASED_DISPLAY_NAME, erased_user_id
from services.scoring.erasure import repository


async def erase_member(*, session: AsyncSession, event: UserErased) -> None:
    """Anonymise an erased user's membership in scoring's data; their counts stay."""
    # The same placeholder and tombstone members gave the membership.
    tombstone = event.replacement_user_id or erased_user_id(event.member_id)
    await repository.anonymise_member(
        session,
        community_id=event.community_id,
        member_id=event.member_id,
        display_name=ERASED_DISPLAY_NAME,
        user_id=tombstone,
    )
    await repository.replace_actor(
        session, community_id=event.community_id, user_id=event.user_id, replacement=tombstone
    )
    await repository.drop_redemption_notes(
        session, community_id=event.community_id, member_id=event.member_id
    )
    # Erasure ends the membership (members marks it left): an anonymous ghost must not stand
    # on the boards, nor be put back on them by what the ledger applies after this.
    await repository.end_membership(
        session, community_id=event.community_id, member_id=event.member_id
    )
    await repository.remove_from_boards(
        session, community_id=event.community_id, member_id=event.member_id
    )
