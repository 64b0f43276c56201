"""Tier policy endpoints: set it, read it, run it (or plan a run)."""

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.members.tier_policy import service
from services.members.tier_policy.rules import Policy
from services.members.tier_policy.schemas import (
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
        uow=uow, actor=actor, community_id=community_id, policy=Policy(**body.model_dump())
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
        uow=uow, actor=actor, community_id=community_id, dry_run=run.dry_run
    )
    return TierPolicyRunPublic.of(result)
