"""HTTP endpoint of ingestion: POST /activities."""

from datetime import timedelta

from fastapi import APIRouter, Request, status

from services.common.api.deps import ActorDep, ReadSessionDep, UnitOfWorkDep
from services.scoring.ingestion import service
from services.scoring.ingestion.schemas import ActivitiesAccepted, ActivityBatch

router = APIRouter(tags=["scoring"])


@router.post("/activities", status_code=status.HTTP_202_ACCEPTED)
async def record_activities(
    activity_batch: ActivityBatch,
    uow: UnitOfWorkDep,
    reads: ReadSessionDep,
    actor: ActorDep,
    request: Request,
) -> ActivitiesAccepted:
    """Accept up to 1000 activities, sent as `{"items": [...]}` (or, as before, a bare array);
    an id seen before in the same community (or earlier in the
    batch) is a duplicate.

    202: the activities are recorded, and scores follow once the ledger consumes them. Items
    for a community the caller is not an owner or admin of (`unknown_community`,
    `not_allowed`), naming a member the community does not have (`unknown_member`,
    `unknown_target_member`), of a type scoring does not know (`unknown_type`) or more than 5
    minutes in the future (`in_future`) are listed in `rejected` (by index) and not recorded;
    the rest are. Items for a community or member scoring does not know yet (it learns of them
    from the members service a moment after a community is created or someone joins) are
    listed in `pending`: held, and recorded as soon as scoring knows them; after
    `SCORING_HOLD_SECONDS` (5 minutes) they are refused with that reason and
    `activity.refused`. A community the caller is not in reads like one that does not exist.
    """
    hold = timedelta(seconds=request.app.state.hold_seconds)
    result = await service.record_activities(
        uow=uow, reads=reads, actor=actor, activities=activity_batch.items, hold_for=hold
    )
    return ActivitiesAccepted.model_validate(result, from_attributes=True)
