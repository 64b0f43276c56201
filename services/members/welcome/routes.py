"""Welcome template endpoints: the community's, and each tier's own."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.members.welcome import service
from services.members.welcome.schemas import (
    TierWelcomePublic,
    TierWelcomeUpdate,
    WelcomePublic,
    WelcomeUpdate,
)

router = APIRouter(tags=["members"])


@router.get("/communities/{community_id}/welcome")
async def get_welcome(
    community_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> WelcomePublic:
    """The welcome newcomers get (入群欢迎语): the community's template, the text `{rules}`
    stands for, and tiers' own templates (members)."""
    return await service.get_welcome(session=session, actor=actor, community_id=community_id)


@router.put("/communities/{community_id}/welcome")
async def set_welcome(
    community_id: PathId, welcome_update: WelcomeUpdate, uow: UnitOfWorkDep, actor: ActorDep
) -> WelcomePublic:
    """Replace the community's welcome template and rules text (owner, admins); placeholders
    `{name}`, `{community}`, `{tier}`, `{rules}`; any other is a 422 naming `template`."""
    return await service.set_welcome(
        uow=uow, actor=actor, community_id=community_id, welcome_update=welcome_update
    )


@router.delete("/communities/{community_id}/welcome", status_code=status.HTTP_204_NO_CONTENT)
async def clear_welcome(community_id: PathId, uow: UnitOfWorkDep, actor: ActorDep) -> None:
    """Clear the community's template and rules text (owner, admins); tiers keep theirs."""
    await service.clear_welcome(uow=uow, actor=actor, community_id=community_id)


@router.put("/communities/{community_id}/tiers/{tier_id}/welcome")
async def set_tier_welcome(
    community_id: PathId,
    tier_id: PathId,
    tier_welcome_update: TierWelcomeUpdate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> TierWelcomePublic:
    """Set a tier's own welcome template, which overrides the community's for members seated
    there (owner, admins)."""
    return await service.set_tier_welcome(
        uow=uow,
        actor=actor,
        community_id=community_id,
        tier_id=tier_id,
        tier_welcome_update=tier_welcome_update,
    )


@router.delete(
    "/communities/{community_id}/tiers/{tier_id}/welcome", status_code=status.HTTP_204_NO_CONTENT
)
async def clear_tier_welcome(
    community_id: PathId, tier_id: PathId, uow: UnitOfWorkDep, actor: ActorDep
) -> None:
    """Clear a tier's own template: its members get the community's again (owner, admins)."""
    await service.clear_tier_welcome(
        uow=uow, actor=actor, community_id=community_id, tier_id=tier_id
    )
