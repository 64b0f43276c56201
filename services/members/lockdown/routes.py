"""Lockdown endpoints: start, read, lift."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.members.lockdown import service
from services.members.lockdown.schemas import LockdownCreate, LockdownPublic, LockdownState

router = APIRouter(tags=["moderation"])


@router.post("/communities/{community_id}/lockdown", status_code=status.HTTP_201_CREATED)
async def start_lockdown(
    community_id: PathId, lockdown_create: LockdownCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> LockdownPublic:
    """Lock the community down until `until` (owner and admins): joins `approval_only` or
    `closed`, new members muted on entry if `mute_new_members`. Replaces one that holds."""
    row = await service.start_lockdown(
        uow=uow, actor=actor, community_id=community_id, lockdown_create=lockdown_create
    )
    return LockdownPublic.of(row)


@router.get("/communities/{community_id}/lockdown")
async def get_lockdown(
    community_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> LockdownState:
    """The lockdown holding now, or null (members)."""
    row = await service.get_lockdown(session=session, actor=actor, community_id=community_id)
    return LockdownState(lockdown=LockdownPublic.of(row) if row else None)


@router.delete("/communities/{community_id}/lockdown", status_code=status.HTTP_204_NO_CONTENT)
async def lift_lockdown(community_id: PathId, uow: UnitOfWorkDep, actor: ActorDep) -> None:
    """Lift the lockdown now (owner and admins)."""
    await service.lift_lockdown(uow=uow, actor=actor, community_id=community_id)
