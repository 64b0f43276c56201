"""HTTP endpoint of feedback."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.events.feedback import service as feedback_service
from services.events.feedback.schemas import (
    FeedbackCreate,
    FeedbackList,
    FeedbackPublic,
    FeedbackRead,
)

router = APIRouter(tags=["events"])

EventId = PathId


@router.post("/events/{event_id}/feedback", status_code=status.HTTP_201_CREATED)
async def give_feedback(
    event_id: EventId, feedback_create: FeedbackCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> FeedbackPublic:
    """An attendee's rating (1 to 5) and comment, once per attendee."""
    feedback = await feedback_service.give_feedback(
        uow=uow, actor=actor, event_id=event_id, feedback_create=feedback_create
    )
    return FeedbackPublic(
        event_id=event_id,
        member_id=feedback_create.member_id,
        rating=feedback.rating,
        comment=feedback.comment,
        submitted_at=feedback.submitted_at,
    )


@router.get("/events/{event_id}/feedback")
async def list_feedback(
    event_id: EventId, session: ReadSessionDep, actor: ActorDep
) -> FeedbackList:
    """Every attendee's rating and comment (organisers)."""
    rows = await feedback_service.list_feedback(session=session, actor=actor, event_id=event_id)
    return FeedbackList(
        event_id=event_id,
        items=[
            FeedbackRead(
                member_id=member_id,
                rating=feedback.rating,
                comment=feedback.comment,
                submitted_at=feedback.submitted_at,
            )
            for member_id, feedback in rows
        ],
    )
