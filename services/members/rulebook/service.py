"""Publishing rules versions and acknowledging them. Owners and admins publish (the
`edit_community` permission); every member reads the versions and acknowledges the current
one; moderators (`moderate`: owner, admin, enforcer) see who has acknowledged and who has not
yet. The caller commits once."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import MemberRulesAcknowledged, RulesPublished
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.memberships import repository as membership_repository
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.rulebook import repository, rules
from services.members.rulebook.errors import (
    AcknowledgerNotMember,
    RulesAlreadyAcknowledged,
    RulesVersionNotCurrent,
    RulesVersionNotFound,
    RulesVersionRace,
)
from services.members.rulebook.schemas import RulesVersionCreate
from services.members.tables import Membership, RulesAcknowledgement, RulesVersion


async def _own_membership(
    session: AsyncSession, *, community_id: str, actor: Actor
) -> Membership | None:
    own = await membership_repository.find_membership(
        session, community_id=community_id, user_id=actor.id
    )
    return own if own is not None and own.status in BELONGING_STATUSES else None


async def publish_rules(
    *, uow: UnitOfWork, actor: Actor, community_id: str, rules_create: RulesVersionCreate
) -> tuple[RulesVersion, int]:
    """Publish the next version (owner, admin); it becomes the current one at once.
    `rules.published`."""
    session = uow.session
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    own = await _own_membership(session, community_id=community_id, actor=actor)
    current = await repository.current_version(session, community_id)
    version = (current or 0) + 1
    values: dict[str, Any] = {
        "id": new_id("rv"),
        "community_id": community_id,
        "version": version,
        "title": rules_create.title,
        "body": rules_create.body,
        "published_by_member_id": own.id if own is not None else None,
        "published_at": utc_now(),
    }
    if not await repository.add_version(session, values):
        raise RulesVersionRace
    await uow.outbox.add(
        session,
        RulesPublished(
            community_id=community_id,
            version=version,
            title=values["title"],
            body=values["body"],
            published_by_member_id=values["published_by_member_id"],
            published_at=values["published_at"],
        ),
    )
    return RulesVersion(**values), version


async def list_versions(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    after_version: int | None,
    limit: int,
) -> tuple[Sequence[RulesVersion], int | None]:
    """The versions, oldest first, with the current version's number (any member)."""
    await acting(session, community_id=community_id, actor=actor, permission=None)
    rows = await repository.list_versions(
        session, community_id=community_id, after_version=after_version, limit=limit
    )
    return rows, await repository.current_version(session, community_id)


async def get_version(
    *, session: AsyncSession, actor: Actor, community_id: str, version: int
) -> tuple[RulesVersion, int | None]:
    """One version (any member); RulesVersionNotFound if the community has no such one."""
    await acting(session, community_id=community_id, actor=actor, permission=None)
    row = await repository.get_version(session, community_id=community_id, version=version)
    if row is None:
        raise RulesVersionNotFound(version)
    return row, await repository.current_version(session, community_id)


async def acknowledge_rules(
    *, uow: UnitOfWork, actor: Actor, community_id: str, version: int
) -> RulesAcknowledgement:
    """The caller acknowledges the current version (a muted member too: reading the rules is
    what a mute should lead to). `member.rules_acknowledged`."""
    session = uow.session
    await acting(session, community_id=community_id, actor=actor, permission=None)
    own = await _own_membership(session, community_id=community_id, actor=actor)
    if own is None:
        raise AcknowledgerNotMember
    current = await repository.current_version(session, community_id)
    if not rules.acknowledgeable(version=version, current_version=current):
        raise RulesVersionNotCurrent(version, current)
    row = RulesAcknowledgement(
        community_id=community_id, member_id=own.id, version=version, acknowledged_at=utc_now()
    )
    if not await repository.add_acknowledgement(session, row.model_dump()):
        raise RulesAlreadyAcknowledged(version)
    await uow.outbox.add(
        session,
        MemberRulesAcknowledged(
            community_id=community_id,
            member_id=own.id,
            version=version,
            acknowledged_at=row.acknowledged_at,
        ),
    )
    return row


async def list_acknowledgements(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    version: int | None,
    member_id: str | None,
    after_member_id: str | None,
    limit: int,
) -> Sequence[RulesAcknowledgement]:
    """Acknowledgements of a version (default: the current one), by member id. Moderators see
    everyone's; any other member sees only their own, whatever `member_id` asks."""
    admitted = await acting(session, community_id=community_id, actor=actor, permission=None)
    if not admitted.may(Permission.MODERATE):
        own = await _own_membership(session, community_id=community_id, actor=actor)
        if own is None or (member_id is not None and member_id != own.id):
            return []
        member_id = own.id
    wanted = (
        version if version is not None else await repository.current_version(session, community_id)
    )
    if wanted is None:
        return []
    return await repository.list_acknowledgements(
        session,
        community_id=community_id,
        version=wanted,
        member_id=member_id,
        after_member_id=after_member_id,
        limit=limit,
    )


async def list_pending(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    after_member_id: str | None,
    limit: int,
) -> Sequence[Any]:
    """Belonging members who have not acknowledged the current version (moderators); nobody
    while the community has published no rules."""
    await acting(session, community_id=community_id, actor=actor, permission=Permission.MODERATE)
    current = await repository.current_version(session, community_id)
    if current is None:
        return []
    return await repository.pending(
        session,
        community_id=community_id,
        version=current,
        after_member_id=after_member_id,
        limit=limit,
    )
