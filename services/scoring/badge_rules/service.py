"""Badge rules and bulk awards of the badges operators define.

A rule is evaluated once over the members already scored when it is created (the response
says how many got the badge), then by the ledger as activities are posted (ledger_hook). A
bulk award gives the badge to every attendee or registrant of an event that scoring knows of
(services.scoring.pools), skipping those who hold it. Revoking stays the badges' own
(DELETE …/badges/{badge_id}); a rule may award a revoked badge again when the member next
qualifies in a batch, as a built-in badge's rule does.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import InvalidInput, NotFound
from services.common.events.catalogue import BadgeAwarded, DomainEvent
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess
from services.common.unit_of_work import UnitOfWork
from services.scoring.badge_rules import repository
from services.scoring.badge_rules.rules import BulkPool, Rule, RuleKind
from services.scoring.badge_rules.schemas import (
    ActivityCountRule,
    BadgeRuleCreate,
    BadgeRulePublic,
    BulkAwardCreate,
    BulkAwardPublic,
    LevelRule,
    PointsRule,
    StreakRule,
)
from services.scoring.badges import repository as badges_repository
from services.scoring.badges.service import BUILT_IN, BadgeBuiltIn, BadgeNotFound
from services.scoring.ledger.service import add_events, milestone_event_id
from services.scoring.points import rules as points_rules
from services.scoring.pools.rules import PoolKind
from services.scoring.pools.service import pool_members


class BadgeRuleNotFound(NotFound):
    slug = "badge-rule-not-found"

    def __init__(self, rule_id: str) -> None:
        super().__init__(f"No badge rule {rule_id!r} for this badge.", rule_id=rule_id)


async def _defined_badge(session: AsyncSession, community_id: str, badge_id: str) -> None:
    """Rules and bulk awards give badges operators defined; a built-in badge has its rule."""
    if badge_id in BUILT_IN:
        raise BadgeBuiltIn(badge_id)
    found = await badges_repository.get_definition(
        session, community_id=community_id, badge_id=badge_id
    )
    if found is None:
        raise BadgeNotFound(badge_id)


def rule_public(row: Mapping[Any, Any], *, awarded: int | None = None) -> BadgeRulePublic:
    values = dict(row)
    threshold = int(values["threshold"])
    values["threshold"] = (
        points_rules.from_milli(threshold) if values["kind"] == RuleKind.POINTS else threshold
    )
    return BadgeRulePublic.model_validate({**values, "awarded": awarded})


async def _award_all(
    uow: UnitOfWork,
    *,
    community_id: str,
    badge: str,
    member_ids: Sequence[str],
    at: datetime,
    by: str | None,
) -> list[str]:
    """Give the badge to each member not holding it; `badge.awarded` for each who got it."""
    session = uow.session
    awarded = [
        member_id
        for member_id in member_ids
        if await badges_repository.award(
            session, community_id=community_id, member_id=member_id, badge=badge, at=at
        )
    ]
    events: list[tuple[DomainEvent, str | None]] = [
        (
            BadgeAwarded(
                community_id=community_id,
                member_id=member_id,
                badge=badge,
                awarded_at=at,
                awarded_by=by,
            ),
            # A rule's award has the id the ledger would give it: announced once either way.
            milestone_event_id(community_id, member_id, "badge", badge) if by is None else None,
        )
        for member_id in awarded
    ]
    await add_events(uow, events)
    return awarded


def _threshold(rule: ActivityCountRule | StreakRule | LevelRule | PointsRule) -> int:
    if isinstance(rule, ActivityCountRule):
        return rule.count
    if isinstance(rule, StreakRule):
        return rule.days
    if isinstance(rule, LevelRule):
        return rule.level
    milli = round(rule.points * points_rules.MILLI)
    if milli <= 0:
        raise InvalidInput("points must be at least 0.001.", field="points")
    return milli


async def create_rule(
    *, uow: UnitOfWork, access: CommunityAccess, badge_id: str, rule_create: BadgeRuleCreate
) -> BadgeRulePublic:
    """Add a rule to a defined badge and award it at once to every member who meets it."""
    session, now = uow.session, utc_now()
    community_id = access.community_id
    await _defined_badge(session, community_id, badge_id)
    spec = rule_create.rule
    values: dict[str, Any] = {
        "id": new_id("bdr"),
        "community_id": community_id,
        "badge_id": badge_id,
        "kind": spec.kind,
        "activity_type": spec.activity_type.value if isinstance(spec, ActivityCountRule) else None,
        "threshold": _threshold(spec),
        "created_by": access.actor.id,
        "created_at": now,
    }
    await repository.add_rule(session, values)
    rule = Rule(
        id=values["id"],
        community_id=community_id,
        badge_id=badge_id,
        kind=values["kind"],
        activity_type=values["activity_type"],
        threshold=values["threshold"],
    )
    meeting = await repository.members_meeting(session, rule)
    awarded = await _award_all(
        uow, community_id=community_id, badge=badge_id, member_ids=meeting, at=now, by=None
    )
    return rule_public(values, awarded=len(awarded))


async def list_rules(
    *, session: AsyncSession, community_id: str, badge_id: str
) -> list[BadgeRulePublic]:
    await _defined_badge(session, community_id, badge_id)
    rows = await repository.badge_rules(session, community_id=community_id, badge_id=badge_id)
    return [rule_public(row) for row in rows]


async def get_rule(
    *, session: AsyncSession, community_id: str, badge_id: str, rule_id: str
) -> BadgeRulePublic:
    row = await repository.get_rule(
        session, community_id=community_id, badge_id=badge_id, rule_id=rule_id
    )
    if row is None:
        raise BadgeRuleNotFound(rule_id)
    return rule_public(row)


async def delete_rule(*, uow: UnitOfWork, community_id: str, badge_id: str, rule_id: str) -> None:
    """Stop a rule awarding; the badges it gave stay (revoke them one by one)."""
    await get_rule(
        session=uow.session, community_id=community_id, badge_id=badge_id, rule_id=rule_id
    )
    await repository.delete_rule(uow.session, rule_id=rule_id)


async def bulk_award(
    *, uow: UnitOfWork, access: CommunityAccess, badge_id: str, bulk_create: BulkAwardCreate
) -> BulkAwardPublic:
    """Award a defined badge to every attendee (or registrant) of an event in one call."""
    session, now = uow.session, utc_now()
    community_id, actor = access.community_id, access.actor
    await _defined_badge(session, community_id, badge_id)
    kind = PoolKind.ATTENDEE if bulk_create.pool == BulkPool.ATTENDEES else PoolKind.REGISTRANT
    pool = await pool_members(
        session,
        community_id=community_id,
        kind=kind,
        source_id=bulk_create.event_id,
        field="event_id",
        what="event",
    )
    awarded = await _award_all(
        uow, community_id=community_id, badge=badge_id, member_ids=pool, at=now, by=actor.id
    )
    return BulkAwardPublic(
        community_id=community_id,
        badge=badge_id,
        event_id=bulk_create.event_id,
        pool=bulk_create.pool,
        awarded=len(awarded),
        skipped=len(pool) - len(awarded),
        awarded_member_ids=awarded,
    )
