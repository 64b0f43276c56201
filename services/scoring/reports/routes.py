"""HTTP endpoints of reports, content ranking and events compared."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from services.common.api.deps import PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_role
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.scoring.reports import html, service
from services.scoring.reports.schemas import (
    ContentRankingPublic,
    EventComparisonPublic,
    ReportPublic,
    ReportSummary,
)
from services.scoring.scoring_rules.rules import OPERATORS, PARTICIPATION_READERS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
# Any text up to 20 characters reaches the service, which names `period` in what it refuses.
ReportPeriod = Annotated[str, Path(min_length=1, max_length=20)]
ReaderDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=PARTICIPATION_READERS))
]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]
FromDay = Annotated[date | None, Query(alias="from")]
ToDay = Annotated[date | None, Query(alias="to")]


@router.get("/communities/{community_id}/content-ranking", response_model_by_alias=True)
async def get_content_ranking(
    community_id: CommunityId,
    session: ReadSessionDep,
    _reader: ReaderDep,
    from_day: FromDay = None,
    to_day: ToDay = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ContentRankingPublic:
    """Content ranked by engagement over local days `from`..`to` (default the last 28 days):
    top items, and kinds (owner, admin, enforcer). Formula: docs/scoring.md."""
    found = await service.get_content_ranking(
        session=session,
        community_id=community_id,
        from_day=from_day,
        to_day=to_day,
        limit=limit,
        now=utc_now(),
    )
    return ContentRankingPublic.model_validate(found)


@router.get("/communities/{community_id}/event-comparison", response_model_by_alias=True)
async def get_event_comparison(
    community_id: CommunityId,
    session: ReadSessionDep,
    _reader: ReaderDep,
    from_day: FromDay = None,
    to_day: ToDay = None,
) -> EventComparisonPublic:
    """Events starting on local days `from`..`to` side by side: registered, attended,
    attendance and no-show rates, average rating (owner, admin, enforcer)."""
    found = await service.get_event_comparison(
        session=session, community_id=community_id, from_day=from_day, to_day=to_day, now=utc_now()
    )
    return EventComparisonPublic.model_validate(found)


@router.get("/communities/{community_id}/periodic-reports")
async def list_reports(
    community_id: CommunityId, session: ReadSessionDep, _reader: ReaderDep, page: PageDep
) -> Page[ReportSummary]:
    """The reports built so far, in period order (owner, admin, enforcer)."""
    rows = await service.list_reports(
        session=session, community_id=community_id, after=page.after_id, limit=page.fetch_limit
    )
    items = [ReportSummary.model_validate(row) for row in rows]
    return Page[ReportSummary].of(items, limit=page.limit, id_of=lambda item: item.period)


def _wants_html(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        return fmt == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


@router.get(
    "/communities/{community_id}/reports/{period}",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def get_report(
    community_id: CommunityId,
    period: ReportPeriod,
    request: Request,
    session: ReadSessionDep,
    _reader: ReaderDep,
    format: Annotated[Literal["json", "html"] | None, Query()] = None,
) -> ReportPublic:
    """The weekly (`2026-W48`) or monthly (`2026-11`) report of an ended period, as JSON or, with
    `Accept: text/html` or `?format=html`, as a self-contained HTML page with inline SVG
    charts (owner, admin, enforcer)."""
    body = await service.get_report(
        session=session, community_id=community_id, period_text=period, now=utc_now()
    )
    report = ReportPublic.model_validate(body)
    if _wants_html(request, format):
        return HTMLResponse(html.render(report.model_dump(mode="json")))  # type: ignore[return-value]
    return report


@router.post("/communities/{community_id}/reports/{period}/rebuild")
async def rebuild_report(
    community_id: CommunityId, period: ReportPeriod, uow: UnitOfWorkDep, _operator: OperatorWriteDep
) -> ReportPublic:
    """Build an ended period's report again (late or imported activity), store it and
    announce `report.ready` (owner, admin)."""
    body = await service.rebuild_report(
        uow=uow, community_id=community_id, period_text=period, now=utc_now()
    )
    return ReportPublic.model_validate(body)
