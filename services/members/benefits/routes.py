"""HTTP endpoints of tier benefits."""

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.members.benefits import service
from services.members.benefits.schemas import TierBenefitsPublic, TierBenefitsUpdate

router = APIRouter(tags=["members"])


@router.put("/communities/{community_id}/tiers/{tier_id}/benefits")
async def set_tier_benefits(
    community_id: PathId,
    tier_id: PathId,
    benefits_update: TierBenefitsUpdate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> TierBenefitsPublic:
    """Describe what members of a tier get (owner or admin): the whole list, up to 20
    `{title, description}`. A member's standing shows their tier's."""
    return await service.set_tier_benefits(
        session=uow.session,
        actor=actor,
        community_id=community_id,
        tier_id=tier_id,
        benefits_update=benefits_update,
    )


@router.get("/communities/{community_id}/tiers/{tier_id}/benefits")
async def get_tier_benefits(
    community_id: PathId, tier_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> TierBenefitsPublic:
    """A tier's benefits (its members and staff; 404 for strangers)."""
    return await service.get_tier_benefits(
        session=session, actor=actor, community_id=community_id, tier_id=tier_id
    )
