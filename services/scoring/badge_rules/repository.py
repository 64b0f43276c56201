"""Badge rules' queries: the rules, and who meets one among the members already scored."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.catalogue.vocabulary import ActivityType
from services.common.membership.tables import BELONGING_STATUSES
from services.scoring.badge_rules.rules import Rule, RuleKind, streak_of
from services.scoring.tables import (
    badge_rule_table,
    badge_table,
    ledger_table,
    membership,
    score_table,
    type_table,
)


def _rule(row: Any) -> Rule:
    return Rule(
        id=row.id,
        community_id=row.community_id,
        badge_id=row.badge_id,
        kind=row.kind,
        activity_type=row.activity_type,
        threshold=int(row.threshold),
    )


async def rules_of(session: AsyncSession, community_ids: Iterable[str]) -> list[Rule]:
    """The rules of these communities: one indexed query per ledger batch."""
    ids = sorted(set(community_ids))
    if not ids:
        return []
    result = await session.execute(
        select(badge_rule_table).where(badge_rule_table.c.community_id.in_(ids))
    )
    return [_rule(row) for row in result]


async def add_rule(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(badge_rule_table).values(**values))


async def get_rule(
    session: AsyncSession, *, community_id: str, badge_id: str, rule_id: str
) -> RowMapping | None:
    result = await session.execute(
        select(badge_rule_table).where(
            badge_rule_table.c.community_id == community_id,
            badge_rule_table.c.badge_id == badge_id,
            badge_rule_table.c.id == rule_id,
        )
    )
    return result.mappings().one_or_none()


async def badge_rules(
    session: AsyncSession, *, community_id: str, badge_id: str
) -> list[RowMapping]:
    result = await session.execute(
        select(badge_rule_table)
        .where(
            badge_rule_table.c.community_id == community_id,
            badge_rule_table.c.badge_id == badge_id,
        )
        .order_by(badge_rule_table.c.id)
    )
    return list(result.mappings().all())


async def delete_rule(session: AsyncSession, *, rule_id: str) -> None:
    await session.execute(delete(badge_rule_table).where(badge_rule_table.c.id == rule_id))


def _belonging(community_id: str) -> Any:
    projection = membership.membership
    return select(projection.c.member_id).where(
        projection.c.community_id == community_id,
        projection.c.status.in_(BELONGING_STATUSES),
    )


async def members_meeting(session: AsyncSession, rule: Rule) -> list[str]:
    """The community's members who meet the rule now, sorted."""
    belonging = _belonging(rule.community_id)
    if rule.kind == RuleKind.ACTIVITY_COUNT:
        query = select(type_table.c.member_id).where(
            type_table.c.community_id == rule.community_id,
            type_table.c.activity_type == rule.activity_type,
            type_table.c.count >= rule.threshold,
            type_table.c.member_id.in_(belonging),
        )
    elif rule.kind in (RuleKind.LEVEL, RuleKind.POINTS):
        column = score_table.c.level if rule.kind == RuleKind.LEVEL else score_table.c.level_milli
        query = select(score_table.c.member_id).where(
            score_table.c.community_id == rule.community_id,
            column >= rule.threshold,
            score_table.c.member_id.in_(belonging),
        )
    else:
        # A streak is what a check-in's attrs carry (JSON): read the community's check-ins.
        result = await session.execute(
            select(ledger_table.c.member_id, ledger_table.c.attrs).where(
                ledger_table.c.community_id == rule.community_id,
                ledger_table.c.activity_type == ActivityType.CHECKIN.value,
                ledger_table.c.member_id.in_(belonging),
            )
        )
        return sorted({row.member_id for row in result if streak_of(row.attrs) >= rule.threshold})
    result = await session.execute(query)
    return sorted(set(result.scalars().all()))


async def holders(
    session: AsyncSession, *, community_id: str, badge: str, member_ids: Sequence[str]
) -> set[str]:
    held: set[str] = set()
    for start in range(0, len(member_ids), 500):
        result = await session.execute(
            select(badge_table.c.member_id).where(
                badge_table.c.community_id == community_id,
                badge_table.c.badge == badge,
                badge_table.c.member_id.in_(member_ids[start : start + 500]),
            )
        )
        held.update(result.scalars().all())
    return held
