"""The erasure endpoint."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from services.common.api.deps import ActorDep, UnitOfWorkDep
from services.members.erasure import service
from services.members.erasure.schemas import ErasureAccepted

router = APIRouter(tags=["members"])

UserIdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\x00/]+$")]


@router.delete("/users/{user_id}/personal-data", status_code=status.HTTP_202_ACCEPTED)
async def erase_personal_data(
    user_id: UserIdPath, uow: UnitOfWorkDep, actor: ActorDep
) -> ErasureAccepted:
    """Erase a user's personal data (the user or a platform admin): done here at once; the
    other services erase theirs when `user.erased` reaches them, hence 202."""
    done = await service.erase_personal_data(uow=uow, actor=actor, user_id=user_id)
    return ErasureAccepted(user_id=done.user_id, memberships_erased=done.memberships_erased)
