"""HTTP endpoints of goals (目标)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from services.common.api.deps import PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_role
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.scoring.goals import service
from services.scoring.goals.schemas import GoalCreate, GoalPublic, GoalUpdate
from services.scoring.scoring_rules.rules import OPERATORS, PARTICIPATION_READERS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
GoalId = PathId
ReaderDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=PARTICIPATION_READERS))
]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]


@router.post("/communities/{community_id}/goals", status_code=status.HTTP_201_CREATED)
async def create_goal(
    community_id: CommunityId, goal_create: GoalCreate, uow: UnitOfWorkDep, access: OperatorWriteDep
) -> GoalPublic:
    """Set a target for members, weekly_actives, active_rate, week4_retention or nps over a
    month, quarter or year (owner, admin); answered with its progress so far."""
    return await service.create_goal(uow=uow, access=access, goal_create=goal_create)


@router.get("/communities/{community_id}/goals")
async def list_goals(
    community_id: CommunityId, session: ReadSessionDep, _reader: ReaderDep, page: PageDep
) -> Page[GoalPublic]:
    """The community's goals, oldest first, each with progress and forecast (owner, admin,
    enforcer)."""
    items = await service.list_goals(
        session=session, community_id=community_id, after_id=page.after_id, limit=page.fetch_limit
    )
    return Page[GoalPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/goals/{goal_id}")
async def get_goal(
    community_id: CommunityId, goal_id: GoalId, session: ReadSessionDep, _reader: ReaderDep
) -> GoalPublic:
    """One goal with its progress so far and the linear forecast to its period's end."""
    return await service.get_goal(session=session, community_id=community_id, goal_id=goal_id)


@router.patch("/communities/{community_id}/goals/{goal_id}")
async def update_goal(
    community_id: CommunityId,
    goal_id: GoalId,
    goal_update: GoalUpdate,
    uow: UnitOfWorkDep,
    _operator: OperatorWriteDep,
) -> GoalPublic:
    """Change a goal's target (owner, admin)."""
    return await service.update_goal(
        uow=uow, community_id=community_id, goal_id=goal_id, goal_update=goal_update
    )


@router.delete(
    "/communities/{community_id}/goals/{goal_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_goal(
    community_id: CommunityId, goal_id: GoalId, uow: UnitOfWorkDep, _operator: OperatorWriteDep
) -> Response:
    """Withdraw a goal (owner, admin)."""
    await service.delete_goal(uow=uow, community_id=community_id, goal_id=goal_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
