"""The tier policy (升级/留级制度): every period the most engaged members of each tier move one
tier up, the least engaged one tier down, and inactive members of the lowest tier are purged.

Rules:
- Scores are the weighted activity (the vocabulary's DEFAULT_WEIGHTS, see engagement.handlers)
  of the last `promote_every_days` days for promotion and of the last `demote_every_days` for
  demotion, from the local engagement projection. Ties go by last activity (more recent ranks
  higher), then join time (earlier ranks higher). Promotion takes only members who scored at all.
- Never moved: the owner, members an admin locked, members on leave, pending ones. A member
  promoted in the last 14 days is not demoted. Nobody is both promoted and demoted in a run.
- Capacity holds: a promotion and a demotion between the same two tiers swap seats; beyond
  that a move happens only while its target tier has room (checked under the tier locks every
  join takes). Moves that find no room wait for a later period.
- The purge removes members of the lowest tier whose last activity (or join, if they never
  did anything) is `purge_inactive_days` or more ago; `member.purged`; they come back only
  through approval, as removed members do. 0 turns a step off.
- Each step runs once per period per community: a run claims (community, step, period) with a
  unique row, so a second run in the same period, a second instance or a restart changes
  nothing. Periods count whole days since 1970-01-01 in the community's timezone. A manual
  real run claims the period as the scheduled one would; a dry run claims nothing.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import DomainEvent, MemberPurged, MemberTierChanged
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityNotFound
from services.common.unit_of_work import UnitOfWork
from services.members.communities import repository as community_repository
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import Community, TierPolicy
from services.members.tier_policy import repository
from services.members.tier_policy.rules import (
    NO_DEMOTION_AFTER_PROMOTION,
    Move,
    Policy,
    RunResult,
    fit_moves,
)
from services.members.tiers import repository as tier_repository

SCHEDULER = "tier-policy"  # who the events name as the mover of a scheduled run


def policy_of(row: TierPolicy | None) -> Policy:
    """The policy a community's row holds; without a row the defaults, unscheduled."""
    if row is None:
        return Policy(scheduled=False)
    return Policy(
        promote_top=row.promote_top,
        promote_every_days=row.promote_every_days,
        demote_bottom=row.demote_bottom,
        demote_every_days=row.demote_every_days,
        purge_inactive_days=row.purge_inactive_days,
        scheduled=row.scheduled,
    )


async def set_policy(*, uow: UnitOfWork, actor: Actor, community_id: str, policy: Policy) -> Policy:
    """Replace the community's tier policy (owner and admins); `scheduled` starts the periodic
    runs."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.RUN_TIER_POLICY
    )
    row = await repository.get_policy(uow.session, community_id) or TierPolicy(
        community_id=community_id,
        promote_top=0,
        promote_every_days=1,
        demote_bottom=0,
        demote_every_days=1,
        purge_inactive_days=0,
        updated_at=utc_now(),
    )
    for name in (
        "promote_top",
        "promote_every_days",
        "demote_bottom",
        "demote_every_days",
        "purge_inactive_days",
        "scheduled",
    ):
        setattr(row, name, getattr(policy, name))
    row.updated_at = utc_now()
    uow.session.add(row)
    return policy


async def get_policy(*, session: AsyncSession, actor: Actor, community_id: str) -> Policy:
    """The community's tier policy (the defaults, unscheduled, until one is set)."""
    await acting(session, community_id=community_id, actor=actor, permission=None)
    return policy_of(await repository.get_policy(session, community_id))


async def run_tier_policy(
    *, uow: UnitOfWork, actor: Actor, community_id: str, dry_run: bool
) -> RunResult:
    """Run the policy now (owner and admins): the plan only, or the moves and the purge."""
    steward = await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.RUN_TIER_POLICY
    )
    return await run_for_community(
        uow=uow, community=steward.community, dry_run=dry_run, by=actor.id
    )


async def run_scheduled(*, uow: UnitOfWork, community_id: str) -> RunResult:
    """What the scheduler does for one community: the steps whose period has not run yet."""
    community = await community_repository.get_community(uow.session, community_id)
    if community is None:
        raise CommunityNotFound(community_id)
    return await run_for_community(uow=uow, community=community, dry_run=False, by=SCHEDULER)


async def has_due_steps(*, session: AsyncSession, community_id: str) -> bool:
    """Whether a scheduled run would do anything now: read-only, so the scheduler takes no
    write lock for a community whose period already ran."""
    community = await community_repository.get_community(session, community_id)
    if community is None:
        return False
    policy = policy_of(await repository.get_policy(session, community_id))
    keys = policy.period_keys(community.timezone, utc_now())
    wanted = [keys[step] for step, on in policy.enabled_steps().items() if on]
    return bool(set(wanted) - await repository.ran_already(session, community_id, wanted))


async def run_for_community(
    *, uow: UnitOfWork, community: Community, dry_run: bool, by: str
) -> RunResult:
    session, now = uow.session, utc_now()
    policy = policy_of(await repository.get_policy(session, community.id))
    # The tier locks every join takes: no join takes a seat while the run moves members.
    tiers = await tier_repository.lock_for_seating(session, community_id=community.id, tier_id=None)
    result = RunResult(dry_run=dry_run)
    keys = policy.period_keys(community.timezone, now)
    wanted = [step for step, on in policy.enabled_steps().items() if on]
    done = await repository.ran_already(session, community.id, [keys[step] for step in wanted])
    for step in wanted:
        if keys[step] in done:
            result.already_ran.append(step)
        elif dry_run or await repository.claim(
            session, community_id=community.id, key=keys[step], now=now
        ):
            result.steps.append(step)
        else:
            result.already_ran.append(step)  # claimed by a concurrent run meanwhile
    if len(tiers) == 0 or not result.steps:
        return result
    tier_ids = [tier_id for tier_id, _capacity in tiers]
    capacity = dict(tiers)
    today = now.date()
    promotions = (
        await repository.ranked_ends(
            session,
            community_id=community.id,
            tier_ids=tier_ids[1:],
            since=today - timedelta(days=policy.promote_every_days),
            take=policy.promote_top,
            best_first=True,
        )
        if "promote" in result.steps
        else []
    )
    promoted_ids = {row.member_id for row in promotions}
    demotions = (
        [
            row
            for row in await repository.ranked_ends(
                session,
                community_id=community.id,
                tier_ids=tier_ids[:-1],
                since=today - timedelta(days=policy.demote_every_days),
                take=policy.demote_bottom,
                best_first=False,
                promoted_before=now - NO_DEMOTION_AFTER_PROMOTION,
            )
            if row.member_id not in promoted_ids
        ]
        if "demote" in result.steps
        else []
    )
    seats = await tier_repository.seat_counts(session, tier_ids)
    result.moves = fit_moves(tier_ids, capacity, seats, promotions, demotions)
    moved = [move.member_id for move in result.moves]
    inactive = (
        await repository.inactive_members(
            session,
            community_id=community.id,
            tier_id=tier_ids[-1],
            before=now - timedelta(days=policy.purge_inactive_days),
            exclude=moved,
        )
        if "purge" in result.steps
        else []
    )
    result.purged = [member.member_id for member in inactive]
    if dry_run:
        return result
    await _apply_moves(uow, community.id, result.moves, now=now, by=by)
    if inactive:
        await repository.purge_inactive(
            session,
            community_id=community.id,
            tier_id=tier_ids[-1],
            before=now - timedelta(days=policy.purge_inactive_days),
            exclude=moved,
        )
        await uow.outbox.add_many(
            session,
            [
                MemberPurged(
                    community_id=community.id,
                    member_id=member.member_id,
                    user_id=member.user_id,
                    tier_id=tier_ids[-1],
                    last_active_at=member.last_active_at,
                    purged_at=now,
                    purged_by=by,
                )
                for member in inactive
            ],
        )
    await repository.record_run(
        session,
        community_id=community.id,
        keys=[keys[step] for step in result.steps],
        moved=len(result.moves),
        purged=len(result.purged),
    )
    return result


async def _apply_moves(
    uow: UnitOfWork, community_id: str, moves: Sequence[Move], *, now: datetime, by: str
) -> None:
    groups: dict[tuple[str, str], list[str]] = {}
    for move in moves:
        groups.setdefault((move.to_tier_id, move.reason), []).append(move.member_id)
    for (to_tier_id, reason), member_ids in groups.items():
        await repository.move_members(
            uow.session,
            member_ids=member_ids,
            to_tier_id=to_tier_id,
            promoted_at=now if reason == "promoted" else None,
        )
    events: list[DomainEvent] = [
        MemberTierChanged(
            community_id=community_id,
            member_id=move.member_id,
            user_id=move.user_id,
            from_tier_id=move.from_tier_id,
            to_tier_id=move.to_tier_id,
            reason=move.reason,
            score=move.score,
            changed_at=now,
            changed_by=by,
        )
        for move in moves
    ]
    await uow.outbox.add_many(uow.session, events)
