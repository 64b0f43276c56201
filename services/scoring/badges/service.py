"""Badges operators define (name, description, image) and award by hand, beside the built-in
badges the ledger's rules award; any badge can be revoked."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.errors import Conflict, NotFound
from services.common.events.catalogue import BadgeAwarded, BadgeRevoked
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.repository import known_member_ids
from services.common.unit_of_work import UnitOfWork
from services.scoring.badges import repository
from services.scoring.badges.rules import Badge
from services.scoring.badges.schemas import BadgeAwardPublic, BadgeCreate, BadgePublic
from services.scoring.engagement.service import MemberNotFound
from services.scoring.tables import membership

BUILT_IN = frozenset(Badge)
# What the built-in badges stand for, as the badge list shows them (docs/scoring.md).
BUILT_IN_DESCRIPTIONS: dict[str, str] = {
    Badge.FIRST_EVENT: "An event attended.",
    Badge.STREAK_7: "A challenge check-in with a streak of 7 days or more.",
    Badge.HUNDRED_MESSAGES: "100 messages.",
    Badge.FIRST_UGC: "A first approved piece of member content.",
    Badge.FIVE_INVITES: "5 accepted invites.",
    Badge.WEEKLY_TOP3: "Top 3 of a week's leaderboard when the week closes.",
}


class BadgeNotFound(NotFound):
    slug = "badge-not-found"

    def __init__(self, badge: str) -> None:
        super().__init__(f"No badge {badge!r} in this community.", badge=badge, field="badge_id")


class BadgeBuiltIn(Conflict):
    slug = "badge-built-in"

    def __init__(self, badge: str) -> None:
        super().__init__(
            f"Badge {badge!r} is earned by its rule, not awarded by hand.",
            badge=badge,
            field="badge_id",
        )


class BadgeNotHeld(NotFound):
    slug = "badge-award-not-found"

    def __init__(self, member_id: str, badge: str) -> None:
        super().__init__(
            f"Member {member_id!r} does not hold badge {badge!r}.",
            member_id=member_id,
            badge=badge,
        )


async def define_badge(
    *, uow: UnitOfWork, community_id: str, actor: Actor, badge_create: BadgeCreate
) -> BadgePublic:
    values = {
        "id": new_id("bdg"),
        "community_id": community_id,
        "name": badge_create.name,
        "description": badge_create.description,
        "image_url": str(badge_create.image_url) if badge_create.image_url else None,
        "created_by": actor.id,
        "created_at": utc_now(),
    }
    await repository.add_definition(uow.session, values)
    return BadgePublic.model_validate({**values, "built_in": False})


async def list_badges(*, session: AsyncSession, community_id: str) -> list[BadgePublic]:
    built_in = [
        BadgePublic(
            id=badge,
            name=badge,
            description=BUILT_IN_DESCRIPTIONS[badge],
            image_url=None,
            built_in=True,
            created_at=None,
        )
        for badge in Badge
    ]
    defined = await repository.definitions(session, community_id=community_id)
    return built_in + [
        BadgePublic.model_validate({**row._mapping, "built_in": False}) for row in defined
    ]


async def _known_member(session: AsyncSession, community_id: str, member_id: str) -> None:
    known = await known_member_ids(
        session, membership, community_id=community_id, member_ids=[member_id]
    )
    if member_id not in known:
        raise MemberNotFound(member_id)


async def award_badge(
    *, uow: UnitOfWork, community_id: str, member_id: str, badge: str, actor: Actor
) -> BadgeAwardPublic:
    """Award a badge operators defined; a member holds it once (awarding again changes
    nothing and announces nothing)."""
    session, now = uow.session, utc_now()
    if badge in BUILT_IN:
        raise BadgeBuiltIn(badge)
    if await repository.get_definition(session, community_id=community_id, badge_id=badge) is None:
        raise BadgeNotFound(badge)
    await _known_member(session, community_id, member_id)
    awarded = await repository.award(
        session, community_id=community_id, member_id=member_id, badge=badge, at=now
    )
    awarded_at: datetime = now
    if awarded:
        await uow.outbox.add(
            session,
            BadgeAwarded(
                community_id=community_id,
                member_id=member_id,
                badge=badge,
                awarded_at=now,
                awarded_by=actor.id,
            ),
        )
    else:
        held = await repository.member_badges(
            session, community_id=community_id, member_id=member_id
        )
        awarded_at = next(row.awarded_at for row in held if row.badge == badge)
    return BadgeAwardPublic(
        community_id=community_id,
        member_id=member_id,
        badge=badge,
        awarded_at=awarded_at,
        newly_awarded=awarded,
    )


async def revoke_badge(
    *, uow: UnitOfWork, community_id: str, member_id: str, badge: str, actor: Actor
) -> None:
    """Take a badge back (built-in or defined). A built-in badge's rule may award it again
    when the member next qualifies."""
    session = uow.session
    if not await repository.revoke(
        session, community_id=community_id, member_id=member_id, badge=badge
    ):
        raise BadgeNotHeld(member_id, badge)
    await uow.outbox.add(
        session,
        BadgeRevoked(
            community_id=community_id,
            member_id=member_id,
            badge=badge,
            revoked_by=actor.id,
            revoked_at=utc_now(),
        ),
    )
