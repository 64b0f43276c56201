"""Badge rules evaluated as the ledger posts a batch: one query for the batch's communities'
rules (none: nothing more happens), then each rule against the fold's state of the members
the batch touched, in memory. Awards join the fold like the built-in badges': written with
it, announced as `badge.awarded` in the same transaction."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.badge_rules import repository
from services.scoring.badge_rules.rules import Facts, Rule, met, streak_of
from services.scoring.ledger.rules import Fold, LedgerRow, Milestone


async def award_by_rules(session: AsyncSession, fold: Fold, rows: Sequence[LedgerRow]) -> None:
    if not rows:
        return
    rules = await repository.rules_of(session, {row.community_id for row in rows})
    if not rules:
        return
    by_community: dict[str, list[Rule]] = {}
    for rule in rules:
        by_community.setdefault(rule.community_id, []).append(rule)
    facts: dict[tuple[str, str], Facts] = {}
    last_at: dict[tuple[str, str], datetime] = {}
    for row in rows:
        if row.community_id not in by_community:
            continue
        key = (row.community_id, row.member_id)
        found = facts.setdefault(key, Facts(counts={}))
        found.streak = max(found.streak, streak_of(row.attrs))
        last_at[key] = row.occurred_at
    for (community_id, member_id, activity_type), state in fold.types.items():
        found_facts = facts.get((community_id, member_id))
        if found_facts is not None:
            found_facts.counts = {**found_facts.counts, activity_type: state.count}
    for (community_id, member_id), member_facts in facts.items():
        score = fold.scores.get((community_id, member_id))
        if score is not None:
            member_facts.level, member_facts.earned_milli = score.level, score.level_milli
        for rule in by_community[community_id]:
            held = (community_id, member_id, rule.badge_id)
            if held in fold.badges or not met(rule, member_facts):
                continue
            fold.badges.add(held)
            at = last_at[(community_id, member_id)]
            fold.new_badges.append((community_id, member_id, rule.badge_id, at))
            fold.milestones.append(
                Milestone(
                    kind="badge",
                    community_id=community_id,
                    member_id=member_id,
                    badge=rule.badge_id,
                    at=at,
                )
            )
