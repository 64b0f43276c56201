"""Erasure of a user's personal data (个人信息保护, PIPL/GDPR).

In each community the user had a membership in, the membership stays (counts and history keep
their shape) but no longer names the person: the user id becomes a tombstone `erased-<member
id>` (the vocabulary's `erased_user_id`), the display name ERASED_DISPLAY_NAME, the tags are
cleared; where they owned the community or issued sanctions, those fields take the tombstone
too, and the reasons of sanctions against them are cleared; their answers to application
questions are deleted and the words they gave when leaving cleared (the reason stays,
counted). One `user.erased` per community, carrying the original user id (so the other
services find what to erase) and the tombstone.

Erasure also ends each membership: a pending, active or muted member has left (status `left`,
`member.left` under the tombstone), so their seat in a tier is free, the projections no longer
count them as belonging and scoring takes them off the boards; their history stays, anonymous.
An owner stays the (anonymous) owner: a community cannot be without one, and only a transfer
(by a platform admin, say) ends that. The user may join again later under their own id, as a
new member. A second request finds nothing left to erase.
"""

from dataclasses import dataclass

from services.common.auth import Actor
from services.common.events.catalogue import MemberLeft, UserErased
from services.common.events.catalogue.vocabulary import (
    ERASED,
    ERASED_DISPLAY_NAME,
    Role,
    erased_user_id,
)
from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.members.applications.service import erase_applications
from services.members.erasure import repository
from services.members.exits.service import erase_exit_texts
from services.members.leaving.service import CURRENT_STATUSES
from services.members.memberships import repository as membership_repository
from services.members.memberships.rules import MemberStatus
from services.members.permissions.errors import NotAllowed


@dataclass(frozen=True)
class Erasure:
    user_id: str
    memberships_erased: int


async def erase_personal_data(*, uow: UnitOfWork, actor: Actor, user_id: str) -> Erasure:
    """Erase the user's personal data in every community (the user themself or a platform
    admin)."""
    if actor.id != user_id and not actor.is_platform_admin:
        raise NotAllowed("Only the user themselves or a platform admin may erase their data.")
    session, now = uow.session, utc_now()
    memberships = await repository.memberships_of(session, user_id)
    for membership in memberships:
        tombstone = erased_user_id(membership.id)
        await repository.anonymise_membership(
            session, membership, tombstone=tombstone, display_name=ERASED_DISPLAY_NAME
        )
        await uow.outbox.add(
            session,
            UserErased(
                community_id=membership.community_id,
                member_id=membership.id,
                user_id=user_id,
                replacement_user_id=tombstone,
                erased_at=now,
            ),
        )
        left = membership.role != Role.OWNER and await membership_repository.change_if(
            session,
            membership,
            statuses=CURRENT_STATUSES,
            status=MemberStatus.LEFT,
            muted_until=None,
        )
        if left:
            await uow.outbox.add(
                session,
                MemberLeft(
                    community_id=membership.community_id,
                    member_id=membership.id,
                    user_id=tombstone,
                    left_at=now,
                ),
            )
    await repository.anonymise_elsewhere(session, user_id=user_id, tombstone=ERASED)
    await repository.anonymise_moderation(
        session, user_id=user_id, member_ids=[m.id for m in memberships], tombstone=ERASED
    )
    # The member journey's personal data: application answers and the words of exit reasons.
    await erase_applications(session, [m.id for m in memberships])
    await erase_exit_texts(session, [m.id for m in memberships])
    return Erasure(user_id=user_id, memberships_erased=len(memberships))
