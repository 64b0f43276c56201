"""Surveys (问卷): staff (owner, admin, assistant) make them, members of the audience answer once
while they are open, staff read the results and export the responses; a survey opens by itself
after every event (a copy of the community's template, for its attendees) and monthly (the
satisfaction survey whose NPS makes the community's series). Announced as `survey.opened`,
`survey.closed`, `survey.responded`. The caller commits once."""

import csv
import io
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import (
    EventCompleted,
    SurveyClosed,
    SurveyOpened,
    SurveyResponded,
)
from services.common.events.catalogue.vocabulary import Segment
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.pagination import PageParams
from services.common.unit_of_work import UnitOfWork
from services.members.memberships import repository as membership_repository
from services.members.permissions.rules import Permission
from services.members.permissions.service import Acting, acting
from services.members.surveys import repository
from services.members.surveys.errors import (
    AlreadyResponded,
    InvalidAnswer,
    InvalidSurvey,
    NoQuestion,
    NotInAudience,
    NotResponded,
    SurveyNotFound,
    SurveyNotOpen,
)
from services.members.surveys.rules import (
    ANSWERED,
    AnswerRefused,
    AudienceKind,
    Question,
    QuestionKind,
    SurveyKind,
    SurveyStatus,
    check_answers,
    csv_header,
    csv_row,
    in_audience,
    mean,
    month_window,
    net_promoter,
    status,
    tally_keys,
)
from services.members.surveys.schemas import (
    Audience,
    NetPromoterPublic,
    NpsMonth,
    NpsSeries,
    QuestionPublic,
    QuestionResult,
    ResponseCreate,
    ResponsePublic,
    SurveyCreate,
    SurveyPublic,
    SurveyResults,
    SurveySettingsPublic,
    SurveySettingsUpdate,
)
from services.members.tables import (
    Community,
    Membership,
    Survey,
    SurveyResponse,
    SurveySettings,
    SurveyTally,
    SurveyText,
)
from services.members.tiers import repository as tier_repository

DEFAULT_WINDOW = timedelta(days=14)
MAX_WINDOW = timedelta(days=366)
EXPORT_CHUNK = 1000
MONTHLY_QUESTION = {
    "id": "nps",
    "kind": QuestionKind.NPS.value,
    "text": "你有多大可能向朋友推荐本社群？（0-10）",  # noqa: RUF001
    "required": True,
}
MONTHLY_COMMENT = {
    "id": "why",
    "kind": QuestionKind.TEXT.value,
    "text": "你给出这个分数的主要原因是什么？",  # noqa: RUF001
    "required": False,
    "max_length": 2000,
}


def questions_of(survey: Survey) -> list[Question]:
    return [Question.of(stored) for stored in survey.questions]


def status_of(survey: Survey, now: datetime | None = None) -> SurveyStatus:
    return status(
        template=survey.template,
        opens_at=survey.opens_at,
        closes_at=survey.closes_at,
        closed_at=survey.closed_at,
        now=now or utc_now(),
    )


def public(survey: Survey) -> SurveyPublic:
    return SurveyPublic(
        id=survey.id,
        community_id=survey.community_id,
        title=survey.title,
        description=survey.description,
        questions=[QuestionPublic.model_validate(stored) for stored in survey.questions],
        audience=Audience.model_construct(
            kind=AudienceKind(survey.audience_kind), values=list(survey.audience_values)
        ),
        anonymous=survey.anonymous,
        template=survey.template,
        kind=SurveyKind(survey.kind),
        status=status_of(survey),
        opens_at=survey.opens_at,
        closes_at=survey.closes_at,
        closed_at=survey.closed_at,
        response_count=survey.response_count,
        created_by=survey.created_by,
        created_at=survey.created_at,
    )


def _stored_question(question: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in question.items() if value is not None}


def _tallies(survey: Survey) -> list[SurveyTally]:
    return [
        SurveyTally(survey_id=survey.id, question_id=question.id, answer=key, count=0)
        for question in questions_of(survey)
        for key in tally_keys(question)
    ]


def _opened(survey: Survey) -> SurveyOpened:
    return SurveyOpened(
        community_id=survey.community_id,
        survey_id=survey.id,
        title=survey.title,
        kind=survey.kind,
        anonymous=survey.anonymous,
        audience_kind=survey.audience_kind,
        audience_values=list(survey.audience_values),
        event_id=survey.audience_values[0] if survey.audience_kind == AudienceKind.EVENT else None,
        opens_at=survey.opens_at,
        closes_at=survey.closes_at,
    )


async def _store(uow: UnitOfWork, survey: Survey) -> bool:
    """Store a survey with its tallies, announced unless it is a template."""
    if not await repository.add_survey(uow.session, survey, _tallies(survey)):
        return False
    if not survey.template:
        await uow.outbox.add(uow.session, _opened(survey))
    return True


async def create_survey(
    *, uow: UnitOfWork, actor: Actor, community_id: str, survey_create: SurveyCreate
) -> Survey:
    """Make a survey (or a template) for the community (staff)."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.MANAGE_SURVEYS
    )
    await _check_audience(uow.session, community_id=community_id, audience=survey_create.audience)
    now = utc_now()
    opens_at = survey_create.opens_at or now
    if opens_at > now + MAX_WINDOW:
        # Also keeps the default closes_at (14 days on) clear of year 9999.
        raise InvalidSurvey("A survey opens at most 366 days ahead.", field="opens_at")
    closes_at = survey_create.closes_at or opens_at + DEFAULT_WINDOW
    if closes_at <= opens_at:
        raise InvalidSurvey("closes_at must be after opens_at.", field="closes_at")
    if closes_at - opens_at > MAX_WINDOW:
        raise InvalidSurvey("A survey stays open at most 366 days.", field="closes_at")
    if not survey_create.template and closes_at <= now:
        raise InvalidSurvey("closes_at must be in the future.", field="closes_at")
    survey = Survey(
        id=new_id("srv"),
        community_id=community_id,
        title=survey_create.title,
        description=survey_create.description,
        questions=[_stored_question(question.model_dump()) for question in survey_create.questions],
        audience_kind=survey_create.audience.kind,
        audience_values=survey_create.audience.values,
        anonymous=survey_create.anonymous,
        template=survey_create.template,
        kind=SurveyKind.STANDARD,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=actor.id,
        created_at=now,
    )
    await _store(uow, survey)
    return survey


async def _check_audience(session: AsyncSession, *, community_id: str, audience: Audience) -> None:
    if audience.kind == AudienceKind.TIERS:
        for tier_id in audience.values:
            tier = await tier_repository.get_tier(
                session, community_id=community_id, tier_id=tier_id
            )
            if tier is None:
                raise InvalidSurvey(
                    f"This community has no tier {tier_id!r}.", field="audience.values"
                )
    if audience.kind == AudienceKind.SEGMENTS:
        known = {segment.value for segment in Segment}
        for segment in audience.values:
            if segment not in known:
                raise InvalidSurvey(
                    f"{segment!r} is no segment; segments are {', '.join(sorted(known))}.",
                    field="audience.values",
                )


async def _member(session: AsyncSession, admitted: Acting) -> Membership | None:
    if admitted.role is None:
        return None
    return await membership_repository.find_membership(
        session, community_id=admitted.community.id, user_id=admitted.actor.id
    )


async def _asks(session: AsyncSession, survey: Survey, member: Membership) -> bool:
    kind = AudienceKind(survey.audience_kind)
    attended = kind == AudienceKind.EVENT and await repository.attended(
        session, event_id=survey.audience_values[0], member_id=member.id
    )
    return in_audience(
        kind=kind,
        values=survey.audience_values,
        tier_id=member.tier_id,
        segment=member.segment,
        tags=member.tags,
        attended=attended,
    )


async def _visible_survey(
    session: AsyncSession, *, actor: Actor, community_id: str, survey_id: str
) -> tuple[Survey, Acting]:
    """A survey the caller may see: any to staff; to a member, one asking them (else 404)."""
    admitted = await acting(session, community_id=community_id, actor=actor, permission=None)
    survey = await repository.get_survey(session, community_id=community_id, survey_id=survey_id)
    if survey is None:
        raise SurveyNotFound(survey_id)
    if admitted.may(Permission.MANAGE_SURVEYS):
        return survey, admitted
    member = await _member(session, admitted)
    if survey.template or member is None or not await _asks(session, survey, member):
        raise SurveyNotFound(survey_id)
    return survey, admitted


async def get_survey(
    *, session: AsyncSession, actor: Actor, community_id: str, survey_id: str
) -> Survey:
    """One survey: staff see any, members those asking them."""
    survey, _ = await _visible_survey(
        session, actor=actor, community_id=community_id, survey_id=survey_id
    )
    return survey


async def list_surveys(
    *, session: AsyncSession, actor: Actor, community_id: str, page: PageParams
) -> list[Survey]:
    """The community's surveys by id, up to `page.fetch_limit`: all to staff; to a member,
    those asking them (read on past the others until a page is full or none are left)."""
    admitted = await acting(session, community_id=community_id, actor=actor, permission=None)
    staff = admitted.may(Permission.MANAGE_SURVEYS)
    member = None if staff else await _member(session, admitted)
    if not staff and member is None:
        return []
    found: list[Survey] = []
    after = page.after_id
    while len(found) < page.fetch_limit:
        rows = await repository.list_surveys(
            session, community_id=community_id, after_id=after, limit=page.fetch_limit
        )
        for row in rows:
            if member is None or (not row.template and await _asks(session, row, member)):
                found.append(row)
        if len(rows) < page.fetch_limit:
            break
        after = rows[-1].id
    return found[: page.fetch_limit]


async def close_survey(
    *, uow: UnitOfWork, actor: Actor, community_id: str, survey_id: str
) -> Survey:
    """Close an open or scheduled survey now (staff); a closed one is answered 409."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.MANAGE_SURVEYS
    )
    survey = await repository.get_survey(
        uow.session, community_id=community_id, survey_id=survey_id
    )
    if survey is None:
        raise SurveyNotFound(survey_id)
    current = status_of(survey)
    if current in (SurveyStatus.CLOSED, SurveyStatus.TEMPLATE):
        raise SurveyNotOpen(current)
    now = utc_now()
    survey.closed_at = now
    await repository.close_survey(uow.session, survey)
    await uow.outbox.add(
        uow.session,
        SurveyClosed(
            community_id=community_id,
            survey_id=survey.id,
            responses=survey.response_count,
            closed_by=actor.id,
            closed_at=now,
        ),
    )
    return survey


async def respond(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    survey_id: str,
    response_create: ResponseCreate,
) -> ResponsePublic:
    """Answer a survey once (a member of its audience, while it is open). Refused whole, with
    nothing stored: closed (409), answered already (409), outside the audience (403), an
    answer its question does not take (422 naming `answers.<question id>`)."""
    session = uow.session
    admitted = await acting(session, community_id=community_id, actor=actor, permission=None)
    survey = await repository.get_survey(session, community_id=community_id, survey_id=survey_id)
    member = await _member(session, admitted)
    if survey is None or survey.template:
        raise SurveyNotFound(survey_id)
    if member is None or not await _asks(session, survey, member):
        raise NotInAudience
    current = status_of(survey)
    if current != SurveyStatus.OPEN:
        raise SurveyNotOpen(current)
    questions = questions_of(survey)
    try:
        keys = check_answers(questions, response_create.answers)
    except AnswerRefused as refused:
        raise InvalidAnswer(refused.reason, field=refused.field) from None
    if not await repository.mark_responded(session, survey_id=survey.id, member_id=member.id):
        raise AlreadyResponded
    answers = {qid: value for qid, value in response_create.answers.items() if qid in keys}
    now = utc_now()
    # Random ids, no time and no member in an anonymous survey: nothing orders or joins the
    # answers to the respondent marker written just above.
    response = SurveyResponse(
        id=uuid.uuid4().hex,
        survey_id=survey.id,
        member_id=None if survey.anonymous else member.id,
        answers=answers,
        submitted_at=None if survey.anonymous else now,
    )
    texts = [
        SurveyText(id=uuid.uuid4().hex, survey_id=survey.id, question_id=question.id, text=text)
        for question in questions
        if question.kind == QuestionKind.TEXT and isinstance(text := answers.get(question.id), str)
    ]
    await repository.add_response(session, response=response, texts=texts, keys=keys)
    await uow.outbox.add(
        session,
        SurveyResponded(
            community_id=community_id,
            survey_id=survey.id,
            member_id=None if survey.anonymous else member.id,
            anonymous=survey.anonymous,
            responded_at=now,
        ),
    )
    return _own(survey, response)


def _own(survey: Survey, response: SurveyResponse | None) -> ResponsePublic:
    if survey.anonymous or response is None:
        return ResponsePublic(
            survey_id=survey.id, anonymous=survey.anonymous, answers=None, submitted_at=None
        )
    return ResponsePublic(
        survey_id=survey.id,
        anonymous=False,
        answers=response.answers,
        submitted_at=response.submitted_at,
    )


async def own_response(
    *, session: AsyncSession, actor: Actor, community_id: str, survey_id: str
) -> ResponsePublic:
    """The caller's own response (404 `no-response` when they have not answered); in an
    anonymous survey only that they answered."""
    survey, admitted = await _visible_survey(
        session, actor=actor, community_id=community_id, survey_id=survey_id
    )
    member = await _member(session, admitted)
    if member is None or not await repository.has_responded(
        session, survey_id=survey.id, member_id=member.id
    ):
        raise NotResponded
    if survey.anonymous:
        return _own(survey, None)
    response = await repository.own_response(session, survey_id=survey.id, member_id=member.id)
    return _own(survey, response)


async def _staff_survey(
    session: AsyncSession, *, actor: Actor, community_id: str, survey_id: str
) -> Survey:
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MANAGE_SURVEYS
    )
    survey = await repository.get_survey(session, community_id=community_id, survey_id=survey_id)
    if survey is None:
        raise SurveyNotFound(survey_id)
    return survey


def results_of(survey: Survey, tallies: Sequence[SurveyTally]) -> SurveyResults:
    """The results from the survey's tallies: per option or point its count, a scale's mean,
    an NPS question's promoters, passives, detractors and score."""
    counts: dict[str, dict[str, int]] = {}
    for tally in tallies:
        counts.setdefault(tally.question_id, {})[tally.answer] = tally.count
    results = []
    for question in questions_of(survey):
        own = counts.get(question.id, {})
        answered = own.get(ANSWERED, 0)
        result = QuestionResult(
            id=question.id, kind=question.kind, text=question.text, answered=answered, counts={}
        )
        if question.options:
            result.counts = {
                label: own.get(str(index), 0) for index, label in enumerate(question.options)
            }
        elif question.kind in (QuestionKind.SCALE, QuestionKind.NPS):
            histogram = {int(key): count for key, count in own.items() if key != ANSWERED}
            result.counts = {str(point): histogram[point] for point in sorted(histogram)}
            result.mean = mean(histogram)
            if question.kind == QuestionKind.NPS:
                score = net_promoter(histogram)
                result.nps = NetPromoterPublic(
                    promoters=score.promoters,
                    passives=score.passives,
                    detractors=score.detractors,
                    score=score.score,
                )
        results.append(result)
    return SurveyResults(
        survey_id=survey.id,
        status=status_of(survey),
        anonymous=survey.anonymous,
        responses=survey.response_count,
        questions=results,
    )


async def survey_results(
    *, session: AsyncSession, actor: Actor, community_id: str, survey_id: str
) -> SurveyResults:
    """A survey's results (staff): read from its tallies, whatever the number of responses."""
    survey = await _staff_survey(
        session, actor=actor, community_id=community_id, survey_id=survey_id
    )
    return results_of(survey, await repository.tallies(session, [survey.id]))


async def text_answers(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    survey_id: str,
    question_id: str,
    page: PageParams,
) -> list[SurveyText]:
    """One free-text question's answers, a page at a time (staff)."""
    survey = await _staff_survey(
        session, actor=actor, community_id=community_id, survey_id=survey_id
    )
    if not any(q.id == question_id and q.kind == QuestionKind.TEXT for q in questions_of(survey)):
        raise NoQuestion(question_id)
    return list(
        await repository.texts(
            session,
            survey_id=survey.id,
            question_id=question_id,
            after_id=page.after_id,
            limit=page.fetch_limit,
        )
    )


async def survey_for_export(
    *, session: AsyncSession, actor: Actor, community_id: str, survey_id: str
) -> Survey:
    """The survey to export, once the caller is known to be staff (checked before streaming,
    so a refusal is a proper problem response rather than a broken download)."""
    return await _staff_survey(session, actor=actor, community_id=community_id, survey_id=survey_id)


def _csv_line(row: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue()


ReadSessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def export_csv(
    read_sessions: ReadSessions, survey: Survey, *, chunk: int = EXPORT_CHUNK
) -> AsyncIterator[bytes]:
    """The survey's responses as CSV, one row each, UTF-8 with a BOM so Excel reads the
    Chinese right: fetched `chunk` rows at a time, each chunk in a short read session of its
    own, so memory stays flat and no transaction stays open for the whole download."""
    questions = questions_of(survey)
    yield ("\ufeff" + _csv_line(csv_header(questions))).encode()
    after: str | None = None
    while True:
        async with read_sessions() as session:
            rows = await repository.responses_chunk(
                session, survey_id=survey.id, after_id=after, limit=chunk
            )
        if not rows:
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for response_id, member_id, answers, submitted_at in rows:
            writer.writerow(
                csv_row(
                    response_id=response_id,
                    member_id=member_id,
                    submitted_at=submitted_at if isinstance(submitted_at, datetime) else None,
                    answers=answers,
                    questions=questions,
                )
            )
        yield buffer.getvalue().encode()
        if len(rows) < chunk:
            return
        after = rows[-1][0]


def _settings_public(community_id: str, row: SurveySettings | None) -> SurveySettingsPublic:
    if row is None:
        return SurveySettingsPublic(
            community_id=community_id,
            post_event_template_id=None,
            post_event_days=7,
            monthly_nps=False,
            updated_at=None,
        )
    return SurveySettingsPublic.model_validate(row, from_attributes=True)


async def get_settings(
    *, session: AsyncSession, actor: Actor, community_id: str
) -> SurveySettingsPublic:
    """The community's automatic surveys (staff)."""
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MANAGE_SURVEYS
    )
    return _settings_public(community_id, await repository.get_settings(session, community_id))


async def put_settings(
    *, uow: UnitOfWork, actor: Actor, community_id: str, update: SurveySettingsUpdate
) -> SurveySettingsPublic:
    """Set the automatic surveys (staff). The template must be one of the community's; turning
    the monthly survey on opens this month's at once if it has none."""
    admitted = await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.MANAGE_SURVEYS
    )
    if update.post_event_template_id is not None:
        template = await repository.get_survey(
            uow.session, community_id=community_id, survey_id=update.post_event_template_id
        )
        if template is None or not template.template:
            raise InvalidSurvey(
                "Name a survey template of this community (a survey made with template: true).",
                field="post_event_template_id",
            )
    row = SurveySettings(
        community_id=community_id,
        post_event_template_id=update.post_event_template_id,
        post_event_days=update.post_event_days,
        monthly_nps=update.monthly_nps,
        updated_at=utc_now(),
    )
    await repository.save_settings(uow.session, row)
    if update.monthly_nps:
        await open_monthly_survey(uow=uow, community=admitted.community, now=utc_now())
    return _settings_public(community_id, row)


async def open_monthly_survey(*, uow: UnitOfWork, community: Community, now: datetime) -> bool:
    """Open this month's satisfaction survey (anonymous, everyone, an NPS question and why),
    closing when the month ends; False when the month has one (or another replica made it)."""
    month, month_ends = month_window(community.timezone, now)
    origin = f"month:{month}"
    if await repository.survey_of_origin(uow.session, community_id=community.id, origin=origin):
        return False
    survey = Survey(
        id=new_id("srv"),
        community_id=community.id,
        title=f"{month} 社群满意度调查",
        questions=[MONTHLY_QUESTION, MONTHLY_COMMENT],
        audience_kind=AudienceKind.EVERYONE,
        audience_values=[],
        anonymous=True,
        template=False,
        kind=SurveyKind.SATISFACTION,
        origin=origin,
        opens_at=now,
        closes_at=month_ends,
        created_by="huoli",
        created_at=now,
    )
    return await _store(uow, survey)


async def open_post_event_survey(uow: UnitOfWork, event: EventCompleted) -> bool:
    """When an event ends, open a copy of the community's post-event template for the members
    who checked in; nothing without a template. Once per event (`origin`)."""
    settings = await repository.get_settings(uow.session, event.community_id)
    if settings is None or settings.post_event_template_id is None:
        return False
    template = await repository.get_survey(
        uow.session, community_id=event.community_id, survey_id=settings.post_event_template_id
    )
    origin = f"event:{event.event_id}"
    if template is None or await repository.survey_of_origin(
        uow.session, community_id=event.community_id, origin=origin
    ):
        return False
    now = utc_now()
    survey = Survey(
        id=new_id("srv"),
        community_id=event.community_id,
        title=template.title,
        description=template.description,
        questions=list(template.questions),
        audience_kind=AudienceKind.EVENT,
        audience_values=[event.event_id],
        anonymous=template.anonymous,
        template=False,
        kind=SurveyKind.POST_EVENT,
        origin=origin,
        opens_at=now,
        closes_at=now + timedelta(days=settings.post_event_days),
        created_by="huoli",
        created_at=now,
    )
    return await _store(uow, survey)


async def nps_series(
    *, session: AsyncSession, actor: Actor, community_id: str, months: int
) -> NpsSeries:
    """The community's NPS month by month, from the monthly satisfaction surveys (staff)."""
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MANAGE_SURVEYS
    )
    surveys = list(
        reversed(
            await repository.satisfaction_surveys(session, community_id=community_id, limit=months)
        )
    )
    tallies = await repository.tallies(session, [survey.id for survey in surveys])
    items = []
    for survey in surveys:
        histogram = {
            int(t.answer): t.count
            for t in tallies
            if t.survey_id == survey.id and t.question_id == MONTHLY_QUESTION["id"]
            and t.answer != ANSWERED
        }  # fmt: skip
        score = net_promoter(histogram)
        items.append(
            NpsMonth(
                month=(survey.origin or "").removeprefix("month:"),
                survey_id=survey.id,
                responses=survey.response_count,
                promoters=score.promoters,
                passives=score.passives,
                detractors=score.detractors,
                nps=score.score,
            )
        )
    return NpsSeries(community_id=community_id, items=items)
