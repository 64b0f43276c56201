"""The tier policy (升级/留级制度): every period the most engaged members of each tier move one
tier up, the least engaged move down, and inactive members of the lowest tier are purged.

Rules:
- The score is the one measure: the points scoring's ledger credited the member in the period
  judged (`engagement.credited`, summed per local day in credited_day), the figure the matching
  leaderboard shows. Periods are calendar periods in the community's timezone (week from Monday,
  half-month 1st-15th, 16th-end, month). The scheduler runs at each period's start and judges
  the period that just ended; a manual run judges that one too, or (`window: current`) the
  current period so far. Each (step, judged period) runs once.
- Promotion: the `promote_top` best of each tier but the core who scored at all go one tier up.
  Demotion: the `demote_bottom` least engaged of each tier but the lowest (scope `tier`), or of
  the whole community outside the lowest tier (scope `community`), go one tier down
  (`next_lower`) or into the lowest tier (`lowest`); with `demote_silent_days` only members
  with no activity (nor join) for that many days are demoted. Ties go by last activity (more
  recent ranks higher), then join time (earlier ranks higher).
- Never moved: the owner, members an admin locked, members on leave, pending ones. A member
  promoted in the last 14 days is not demoted. Nobody is both promoted and demoted in a run.
- Capacity holds: the moves are made at once, seats one frees count for another (a promotion
  and a demotion between full tiers trade seats); a move that would overfill its target waits
  for a later period (checked under the tier locks every join takes).
- The purge removes members of the lowest tier whose last activity (or join, if they never
  did anything) is `purge_inactive_days` or more ago; `member.purged`; they come back only
  through approval, as removed members do. 0 turns a step off.
- `member.at_risk` goes to the members in the demotion zone of the current period
  `warn_days_before` days before the run that will judge it, once per period.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import (
    DomainEvent,
    MemberAtRisk,
    MemberPurged,
    MemberTierChanged,
)
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
    DemoteScope,
    DemoteTo,
    Move,
    PeriodKind,
    Policy,
    Ranked,
    RunResult,
    Span,
    Window,
    fit_moves,
    local_midnight,
    local_today,
    span,
)
from services.members.tiers import repository as tier_repository

SCHEDULER = "tier-policy"  # who the events name as the mover of a scheduled run
POLICY_FIELDS = (
    "promote_top",
    "promote_period",
    "demote_bottom",
    "demote_period",
    "demote_scope",
    "demote_to",
    "demote_silent_days",
    "purge_inactive_days",
    "warn_days_before",
    "scheduled",
)


def policy_of(row: TierPolicy | None) -> Policy:
    """The policy a community's row holds; without a row the defaults, unscheduled."""
    if row is None:
        return Policy(scheduled=False)
    return Policy(
        promote_top=row.promote_top,
        promote_period=PeriodKind(row.promote_period),
        demote_bottom=row.demote_bottom,
        demote_period=PeriodKind(row.demote_period),
        demote_scope=DemoteScope(row.demote_scope),
        demote_to=DemoteTo(row.demote_to),
        demote_silent_days=row.demote_silent_days,
        purge_inactive_days=row.purge_inactive_days,
        warn_days_before=row.warn_days_before,
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
        promote_period=PeriodKind.WEEK,
        demote_bottom=0,
        demote_period=PeriodKind.WEEK,
        demote_scope=DemoteScope.TIER,
        demote_to=DemoteTo.NEXT_LOWER,
        purge_inactive_days=0,
        updated_at=utc_now(),
    )
    for name in POLICY_FIELDS:
        value = getattr(policy, name)
        setattr(
            row,
            name,
            value.value if isinstance(value, PeriodKind | DemoteScope | DemoteTo) else value,
        )
    row.updated_at = utc_now()
    uow.session.add(row)
    return policy


async def get_policy(*, session: AsyncSession, actor: Actor, community_id: str) -> Policy:
    """The community's tier policy (the defaults, unscheduled, until one is set)."""
    await acting(session, community_id=community_id, actor=actor, permission=None)
    return policy_of(await repository.get_policy(session, community_id))


async def run_tier_policy(
    *, uow: UnitOfWork, actor: Actor, community_id: str, dry_run: bool, window: Window
) -> RunResult:
    """Run the policy now (owner and admins): the plan only, or the moves and the purge."""
    steward = await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.RUN_TIER_POLICY
    )
    return await run_for_community(
        uow=uow, community=steward.community, dry_run=dry_run, by=actor.id, window=window
    )


async def run_scheduled(*, uow: UnitOfWork, community_id: str) -> RunResult:
    """What the scheduler does for one community: judge the periods that ended and have not
    been judged yet."""
    community = await community_repository.get_community(uow.session, community_id)
    if community is None:
        raise CommunityNotFound(community_id)
    return await run_for_community(
        uow=uow, community=community, dry_run=False, by=SCHEDULER, window=Window.PREVIOUS
    )


async def has_due_steps(*, session: AsyncSession, community_id: str) -> bool:
    """Whether a scheduled run would do anything now: read-only, so the scheduler takes no
    write lock for a community whose period already ran."""
    community = await community_repository.get_community(session, community_id)
    if community is None:
        return False
    policy = policy_of(await repository.get_policy(session, community_id))
    spans = policy.spans(local_today(community.timezone, utc_now()), Window.PREVIOUS)
    wanted = [spans[step].key(step) for step, on in policy.enabled_steps().items() if on]
    return bool(set(wanted) - await repository.ran_already(session, community_id, wanted))


@dataclass(frozen=True)
class Candidates:
    promotions: list[Ranked]
    demotions: list[Ranked]


async def candidates(
    session: AsyncSession,
    *,
    community_id: str,
    policy: Policy,
    tier_ids: Sequence[str],
    spans: dict[str, Span],
    now: datetime,
    steps: Sequence[str] = ("promote", "demote"),
) -> Candidates:
    """Who the policy would promote and demote, ranked in SQL: the run's and the standing's
    one answer."""
    promotions = (
        await repository.ranked_ends(
            session,
            community_id=community_id,
            tier_ids=tier_ids[1:],
            starts_on=spans["promote"].starts_on,
            ends_on=spans["promote"].ends_on,
            take=policy.promote_top,
            best_first=True,
        )
        if "promote" in steps
        else []
    )
    promoted_ids = {row.member_id for row in promotions}
    silent = now - timedelta(days=policy.demote_silent_days) if policy.demote_silent_days else None
    demotions = (
        [
            row
            for row in await repository.ranked_ends(
                session,
                community_id=community_id,
                tier_ids=tier_ids[:-1],
                starts_on=spans["demote"].starts_on,
                ends_on=spans["demote"].ends_on,
                take=policy.demote_bottom,
                best_first=False,
                per_tier=policy.demote_scope == DemoteScope.TIER,
                promoted_before=now - NO_DEMOTION_AFTER_PROMOTION,
                silent_before=silent,
            )
            if row.member_id not in promoted_ids
        ]
        if "demote" in steps
        else []
    )
    return Candidates(promotions, demotions)


async def run_for_community(
    *, uow: UnitOfWork, community: Community, dry_run: bool, by: str, window: Window
) -> RunResult:
    session, now = uow.session, utc_now()
    policy = policy_of(await repository.get_policy(session, community.id))
    # The tier locks every join takes: no join takes a seat while the run moves members.
    tiers = await tier_repository.lock_for_seating(session, community_id=community.id, tier_id=None)
    spans = policy.spans(local_today(community.timezone, now), window)
    result = RunResult(dry_run=dry_run, periods=spans)
    wanted = [step for step, on in policy.enabled_steps().items() if on]
    done = await repository.ran_already(
        session, community.id, [spans[step].key(step) for step in wanted]
    )
    for step in wanted:
        key = spans[step].key(step)
        if key in done:
            result.already_ran.append(step)
        elif dry_run or await repository.claim(
            session, community_id=community.id, key=key, now=now
        ):
            result.steps.append(step)
        else:
            result.already_ran.append(step)  # claimed by a concurrent run meanwhile
    if len(tiers) == 0 or not result.steps:
        return result
    tier_ids = [tier_id for tier_id, _capacity in tiers]
    capacity = dict(tiers)
    found = await candidates(
        session,
        community_id=community.id,
        policy=policy,
        tier_ids=tier_ids,
        spans=spans,
        now=now,
        steps=result.steps,
    )
    seats = await tier_repository.seat_counts(session, tier_ids)
    result.moves = fit_moves(
        tier_ids, capacity, seats, found.promotions, found.demotions, demote_to=policy.demote_to
    )
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
        keys=[spans[step].key(step) for step in result.steps],
        moved=len(result.moves),
        purged=len(result.purged),
    )
    return result


# --- warnings --------------------------------------------------------------------------------


def warning_due(policy: Policy, timezone: str, now: datetime) -> Span | None:
    """The current demotion period, if its run is `warn_days_before` days away or less."""
    if not (policy.scheduled and policy.demote_bottom > 0 and policy.warn_days_before > 0):
        return None
    current = span(policy.demote_period, local_today(timezone, now), Window.CURRENT)
    run_at = local_midnight(current.ends_on, timezone)
    return current if run_at - timedelta(days=policy.warn_days_before) <= now else None


async def has_due_warning(*, session: AsyncSession, community_id: str) -> bool:
    community = await community_repository.get_community(session, community_id)
    if community is None:
        return False
    policy = policy_of(await repository.get_policy(session, community_id))
    current = warning_due(policy, community.timezone, utc_now())
    if current is None:
        return False
    key = current.key("warn")
    return key not in await repository.ran_already(session, community_id, [key])


async def warn_at_risk(*, uow: UnitOfWork, community_id: str) -> int:
    """`member.at_risk` to each member the coming demotion run would demote as things stand,
    once per period; returns how many were warned."""
    session, now = uow.session, utc_now()
    community = await community_repository.get_community(session, community_id)
    if community is None:
        return 0
    policy = policy_of(await repository.get_policy(session, community_id))
    current = warning_due(policy, community.timezone, now)
    if current is None or not await repository.claim(
        session, community_id=community_id, key=current.key("warn"), now=now
    ):
        return 0
    tiers = await tier_repository.list_tiers(session, community_id)
    tier_ids = [tier.id for tier in tiers]
    found = await candidates(
        session,
        community_id=community_id,
        policy=policy,
        tier_ids=tier_ids,
        spans={"promote": current, "demote": current},
        now=now,
        steps=("demote",),
    )
    run_at = local_midnight(current.ends_on, community.timezone)
    await uow.outbox.add_many(
        session,
        [
            MemberAtRisk(
                community_id=community_id,
                member_id=row.member_id,
                user_id=row.user_id,
                tier_id=row.tier_id,
                points=row.score,
                demote_cutoff=found.demotions[-1].score,
                period_starts_on=current.starts_on,
                period_ends_on=current.ends_on,
                run_at=run_at,
            )
            for row in found.demotions
        ],
    )
    return len(found.demotions)


# --- moves -----------------------------------------------------------------------------------


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
