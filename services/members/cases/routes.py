"""Report and case endpoints: any member reports; enforcers, admins and the owner work the
queue."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.fields import ID_MAX_LENGTH, ID_PATTERN
from services.common.pagination import Page
from services.members.cases import service
from services.members.cases.rules import CaseStatus, ReportKind
from services.members.cases.schemas import (
    CaseAssign,
    CaseComment,
    CaseDetail,
    CasePublic,
    CaseResolve,
    FiledReport,
    NotePublic,
    ReportCreate,
    ReportPublic,
)

router = APIRouter(tags=["moderation"])


@router.post("/communities/{community_id}/reports", status_code=status.HTTP_201_CREATED)
async def file_report(
    community_id: PathId, report_create: ReportCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> FiledReport:
    """Report a message, a member or a content item (any member; at most 10 an hour). Reports
    on one target gather in one case; a dispute names both parties."""
    filed = await service.file_report(
        uow=uow, actor=actor, community_id=community_id, report_create=report_create
    )
    return FiledReport(report=ReportPublic.of(filed.report), case=CasePublic.of(filed.case))


@router.get("/communities/{community_id}/cases")
async def list_cases(
    community_id: PathId,
    session: ReadSessionDep,
    page: PageDep,
    actor: ActorDep,
    *,
    case_status: Annotated[CaseStatus | None, Query(alias="status")] = None,
    kind: ReportKind | None = None,
    assignee_member_id: Annotated[
        str | None, Query(max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)
    ] = None,
) -> Page[CasePublic]:
    """The case queue, oldest first (enforcers, admins, owner)."""
    rows = await service.list_cases(
        session=session,
        actor=actor,
        community_id=community_id,
        status=case_status,
        kind=kind,
        assignee_member_id=assignee_member_id,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [CasePublic.of(row) for row in rows]
    return Page[CasePublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/cases/{case_id}")
async def get_case(
    community_id: PathId, case_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> CaseDetail:
    """A case with its reports and its timeline (enforcers, admins, owner)."""
    case, reports, notes = await service.get_case(
        session=session, actor=actor, community_id=community_id, case_id=case_id
    )
    return CaseDetail(
        **CasePublic.of(case).model_dump(),
        reports=[ReportPublic.of(row) for row in reports],
        notes=[NotePublic.of(row) for row in notes],
    )


@router.post("/communities/{community_id}/cases/{case_id}/assign")
async def assign_case(
    community_id: PathId,
    case_id: PathId,
    case_assign: CaseAssign,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> CasePublic:
    """Assign the case to a handler (default: the caller)."""
    case = await service.assign_case(
        uow=uow,
        actor=actor,
        community_id=community_id,
        case_id=case_id,
        member_id=case_assign.member_id,
    )
    return CasePublic.of(case)


@router.post("/communities/{community_id}/cases/{case_id}/comments")
async def comment_case(
    community_id: PathId,
    case_id: PathId,
    case_comment: CaseComment,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> CasePublic:
    """Add a comment to the case's timeline."""
    case = await service.comment_case(
        uow=uow, actor=actor, community_id=community_id, case_id=case_id, text=case_comment.text
    )
    return CasePublic.of(case)


@router.post("/communities/{community_id}/cases/{case_id}/resolve")
async def resolve_case(
    community_id: PathId,
    case_id: PathId,
    case_resolve: CaseResolve,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> CasePublic:
    """Resolve: `dismiss`, `warn`, `mute` (`mute_hours`), `remove` (the member the target
    points at, through the sanctions ladder) or `archive_content`; the reporters are told."""
    case = await service.resolve_case(
        uow=uow, actor=actor, community_id=community_id, case_id=case_id, resolve=case_resolve
    )
    return CasePublic.of(case)
