"""Application question endpoints: the form, the requests with their answers, one member's."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.pagination import Page
from services.members.applications import service
from services.members.applications.schemas import (
    ApplicationFormPublic,
    ApplicationFormUpdate,
    ApplicationPublic,
)
from services.members.memberships.rules import MemberStatus

router = APIRouter(tags=["members"])


@router.get("/communities/{community_id}/application-questions")
async def get_application_questions(
    community_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> ApplicationFormPublic:
    """The questions an applicant answers when asking to join (whoever may see the
    community; anyone when it is listed)."""
    return await service.get_form(session=session, actor=actor, community_id=community_id)


@router.put("/communities/{community_id}/application-questions")
async def set_application_questions(
    community_id: PathId,
    form_update: ApplicationFormUpdate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> ApplicationFormPublic:
    """Replace the questions, at most 10: `text`, or `choice` with 2-20 options; `required`
    or not; `id` keeps an existing question (owner, admins)."""
    return await service.set_form(
        uow=uow, actor=actor, community_id=community_id, form_update=form_update
    )


@router.get("/communities/{community_id}/applications")
async def list_applications(
    community_id: PathId,
    session: ReadSessionDep,
    page: PageDep,
    actor: ActorDep,
    member_status: Annotated[MemberStatus, Query(alias="status")] = MemberStatus.PENDING,
) -> Page[ApplicationPublic]:
    """Join requests with their answers, by member id; `status` pending (the default: those
    waiting for a decision) or any other (owner, admins, assistants: who approves)."""
    items = await service.list_applications(
        session=session,
        actor=actor,
        community_id=community_id,
        status=member_status,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    return Page[ApplicationPublic].of(items, limit=page.limit, id_of=lambda item: item.member_id)


@router.get("/communities/{community_id}/members/{member_id}/application")
async def get_application(
    community_id: PathId, member_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> ApplicationPublic:
    """What a member answered when asking to join: the applicant's own, or for those who
    approve joins."""
    return await service.get_application(
        session=session, actor=actor, community_id=community_id, member_id=member_id
    )
