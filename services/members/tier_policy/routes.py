"""Tier policy endpoints: set it, read it, run it (or plan a run)."""

from fastapi import APIRouter

from services.common.api.deps import (
    ActorDep,
    PathId,
    ReadSessionDep,
    RuntimeDep,
    UnitOfWorkDep,
)
from services.members.benefits.service import caller_benefits
from services.members.settings import MembersSettings
from services.members.tier_policy import service, standings
from services.members.tier_policy.schemas import (
    PeriodPublic,
    StandingPublic,
    TierPolicyBody,
    TierPolicyRunPublic,
    TierPolicyRunRequest,
    public_policy,
)

router = APIRouter(tags=["members"])


@router.put("/communities/{community_id}/tier-policy")
async def set_tier_policy(
    community_id: PathId, body: TierPolicyBody, uow: UnitOfWorkDep, actor: ActorDep
) -> TierPolicyBody:
    """Set the community's tier policy (owner and admins)."""
    policy = await service.set_policy(
        uow=uow, actor=actor, community_id=community_id, policy=body.policy()
    )
    return public_policy(policy)


@router.get("/communities/{community_id}/tier-policy")
async def get_tier_policy(
    community_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> TierPolicyBody:
    """The community's tier policy: the defaults, unscheduled, until one is set."""
    return public_policy(
        await service.get_policy(session=session, actor=actor, community_id=community_id)
    )


@router.post("/communities/{community_id}/tier-policy/run")
async def run_tier_policy(
    community_id: PathId, run: TierPolicyRunRequest, uow: UnitOfWorkDep, actor: ActorDep
) -> TierPolicyRunPublic:
    """Run the tier policy now (owner and admins). `dry_run` (the default) only returns the
    plan. A real run does each step at most once per period, as the scheduled one does."""
    result = await service.run_tier_policy(
        uow=uow, actor=actor, community_id=community_id, dry_run=run.dry_run, window=run.window
    )
    return TierPolicyRunPublic.of(result)


@router.get("/me/communities/{community_id}/standing")
async def get_standing(
    community_id: PathId, session: ReadSessionDep, actor: ActorDep, runtime: RuntimeDep
) -> StandingPublic:
    """Where the caller stands in the community's current period: tier, ranks, points, the
    promotion and demotion cut-offs, the zone (promote, safe, at_risk) and the next run; their
    level and the benefits of their tier and level."""
    settings = runtime.settings
    refresher = standings.Refresher(
        sessions=runtime.read_sessions,
        stopping=runtime.stopping,
        ttl_seconds=(
            settings.standings_ttl_seconds
            if isinstance(settings, MembersSettings)
            else standings.STANDINGS_TTL_SECONDS
        ),
        database_url=settings.resolved_database_url(),
    )
    benefits = await caller_benefits(session, community_id=community_id, user_id=actor.id)
    standing = await standings.get_standing(
        session=session, actor=actor, community_id=community_id, refresher=refresher
    )
    period = standing.period
    return StandingPublic(
        community_id=standing.community_id,
        member_id=standing.member_id,
        tier_id=standing.tier_id,
        tier_name=standing.tier_name,
        period=PeriodPublic(kind=period.kind, starts_on=period.starts_on, ends_on=period.ends_on),
        points=standing.points,
        rank_in_tier=standing.rank_in_tier,
        tier_members=standing.tier_members,
        rank_in_community=standing.rank_in_community,
        community_members=standing.community_members,
        promote_cutoff=standing.promote_cutoff,
        demote_cutoff=standing.demote_cutoff,
        zone=standing.zone,
        next_run_at=standing.next_run_at,
        level=benefits.level,
        tier_benefits=benefits.tier_benefits,
        level_benefits=benefits.level_benefits,
    )
