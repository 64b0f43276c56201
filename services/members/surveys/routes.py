"""Survey endpoints: surveys, responses, results, free texts, the CSV export, the automatic
surveys' settings and the community's monthly NPS series."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import StreamingResponse

from services.common.api.deps import (
    ActorDep,
    PageDep,
    PathId,
    ReadSessionDep,
    RuntimeDep,
    UnitOfWorkDep,
)
from services.common.pagination import Page
from services.members.surveys import service
from services.members.surveys.schemas import (
    NpsSeries,
    ResponseCreate,
    ResponsePublic,
    SurveyCreate,
    SurveyPublic,
    SurveyResults,
    SurveySettingsPublic,
    SurveySettingsUpdate,
    TextAnswerPublic,
)

router = APIRouter(tags=["surveys"])

_SURVEY = "/communities/{community_id}/surveys/{survey_id}"
QuestionIdPath = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")]


@router.post("/communities/{community_id}/surveys", status_code=status.HTTP_201_CREATED)
async def create_survey(
    community_id: PathId, survey_create: SurveyCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> SurveyPublic:
    """Make a survey (owner, admins, assistants): up to 30 questions, an audience, a window
    (`opens_at` default now, `closes_at` default 14 days later), `anonymous` to store answers
    with no member id; `template: true` for a template that is never answered itself."""
    survey = await service.create_survey(
        uow=uow, actor=actor, community_id=community_id, survey_create=survey_create
    )
    return service.public(survey)


@router.get("/communities/{community_id}/surveys")
async def list_surveys(
    community_id: PathId, session: ReadSessionDep, page: PageDep, actor: ActorDep
) -> Page[SurveyPublic]:
    """Surveys, oldest first: all of them to staff, to a member those that ask them."""
    rows = await service.list_surveys(
        session=session, actor=actor, community_id=community_id, page=page
    )
    items = [service.public(row) for row in rows]
    return Page[SurveyPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get(_SURVEY)
async def get_survey(
    community_id: PathId, survey_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> SurveyPublic:
    """One survey with its questions (staff; members of its audience)."""
    survey = await service.get_survey(
        session=session, actor=actor, community_id=community_id, survey_id=survey_id
    )
    return service.public(survey)


@router.post(f"{_SURVEY}/close")
async def close_survey(
    community_id: PathId, survey_id: PathId, uow: UnitOfWorkDep, actor: ActorDep
) -> SurveyPublic:
    """Close the survey now (staff); `survey.closed`."""
    survey = await service.close_survey(
        uow=uow, actor=actor, community_id=community_id, survey_id=survey_id
    )
    return service.public(survey)


@router.post(f"{_SURVEY}/responses", status_code=status.HTTP_201_CREATED)
async def respond(
    community_id: PathId,
    survey_id: PathId,
    response_create: ResponseCreate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> ResponsePublic:
    """Answer the survey, once (members of its audience while it is open): `answers` maps a
    question id to an option (single choice), a list of options (multiple choice), a whole
    number (scale 1-5, NPS 0-10) or text."""
    return await service.respond(
        uow=uow,
        actor=actor,
        community_id=community_id,
        survey_id=survey_id,
        response_create=response_create,
    )


@router.get(f"{_SURVEY}/responses")
async def own_response(
    community_id: PathId, survey_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> ResponsePublic:
    """Your own response, the only one a member sees (404 `no-response` before you answer);
    in an anonymous survey only that you answered. Staff read all at …/results and …/export."""
    return await service.own_response(
        session=session, actor=actor, community_id=community_id, survey_id=survey_id
    )


@router.get(f"{_SURVEY}/results")
async def survey_results(
    community_id: PathId, survey_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> SurveyResults:
    """Per question: counts per option or point, a scale's mean, NPS (staff)."""
    return await service.survey_results(
        session=session, actor=actor, community_id=community_id, survey_id=survey_id
    )


@router.get(f"{_SURVEY}/questions/{{question_id}}/texts")
async def text_answers(
    community_id: PathId,
    survey_id: PathId,
    question_id: QuestionIdPath,
    *,
    session: ReadSessionDep,
    page: PageDep,
    actor: ActorDep,
) -> Page[TextAnswerPublic]:
    """A free-text question's answers, a page at a time (staff)."""
    rows = await service.text_answers(
        session=session,
        actor=actor,
        community_id=community_id,
        survey_id=survey_id,
        question_id=question_id,
        page=page,
    )
    items = [TextAnswerPublic(id=row.id, text=row.text) for row in rows]
    return Page[TextAnswerPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get(
    f"{_SURVEY}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a BOM"}},
)
async def export_responses(
    community_id: PathId,
    survey_id: PathId,
    session: ReadSessionDep,
    runtime: RuntimeDep,
    actor: ActorDep,
) -> StreamingResponse:
    """Every response as CSV (staff), one row each, UTF-8 with a BOM so Excel shows Chinese
    right; streamed in chunks."""
    survey = await service.survey_for_export(
        session=session, actor=actor, community_id=community_id, survey_id=survey_id
    )
    return StreamingResponse(
        service.export_csv(runtime.read_sessions, survey),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{survey.id}.csv"'},
    )


@router.get("/communities/{community_id}/survey-settings")
async def get_survey_settings(
    community_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> SurveySettingsPublic:
    """The automatic surveys: the post-event template and the monthly NPS survey (staff)."""
    return await service.get_settings(session=session, actor=actor, community_id=community_id)


@router.put("/communities/{community_id}/survey-settings")
async def put_survey_settings(
    community_id: PathId, update: SurveySettingsUpdate, uow: UnitOfWorkDep, actor: ActorDep
) -> SurveySettingsPublic:
    """Set the automatic surveys (staff): `post_event_template_id` opens a copy for each
    ended event's attendees for `post_event_days`; `monthly_nps` a satisfaction survey each
    month (this month's at once)."""
    return await service.put_settings(
        uow=uow, actor=actor, community_id=community_id, update=update
    )


@router.get("/communities/{community_id}/metrics/nps")
async def nps_series(
    community_id: PathId,
    session: ReadSessionDep,
    actor: ActorDep,
    months: Annotated[int, Query(ge=1, le=120)] = 12,
) -> NpsSeries:
    """The community's NPS month by month, from its monthly satisfaction surveys (staff)."""
    return await service.nps_series(
        session=session, actor=actor, community_id=community_id, months=months
    )
