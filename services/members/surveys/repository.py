"""Queries of surveys, their respondents, responses, tallies, free texts and settings."""

from collections.abc import Mapping, Sequence

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.members.tables import (
    Survey,
    SurveyAttendee,
    SurveyRespondent,
    SurveyResponse,
    SurveySettings,
    SurveyTally,
    SurveyText,
)


async def get_survey(session: AsyncSession, *, community_id: str, survey_id: str) -> Survey | None:
    survey = await session.get(Survey, survey_id)
    return survey if survey is not None and survey.community_id == community_id else None


async def list_surveys(
    session: AsyncSession, *, community_id: str, after_id: str | None, limit: int
) -> Sequence[Survey]:
    query = select(Survey).where(col(Survey.community_id) == community_id)
    if after_id is not None:
        query = query.where(col(Survey.id) > after_id)
    rows = await session.execute(query.order_by(col(Survey.id)).limit(limit))
    return rows.scalars().all()


async def survey_of_origin(
    session: AsyncSession, *, community_id: str, origin: str
) -> Survey | None:
    query = select(Survey).where(
        col(Survey.community_id) == community_id, col(Survey.origin) == origin
    )
    return (await session.execute(query)).scalars().first()


async def add_survey(session: AsyncSession, survey: Survey, tallies: Sequence[SurveyTally]) -> bool:
    """Store a survey with its zeroed tallies; False when one of the same origin exists (a
    redelivered event, another replica's monthly run), and nothing is stored then."""
    try:
        async with session.begin_nested():
            session.add(survey)
            session.add_all(tallies)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def mark_responded(session: AsyncSession, *, survey_id: str, member_id: str) -> bool:
    """Record that the member answered; False when they had (the primary key decides, so two
    racing answers cannot both pass)."""
    try:
        async with session.begin_nested():
            session.add(SurveyRespondent(survey_id=survey_id, member_id=member_id))
            await session.flush()
    except IntegrityError:
        return False
    return True


async def has_responded(session: AsyncSession, *, survey_id: str, member_id: str) -> bool:
    return await session.get(SurveyRespondent, (survey_id, member_id)) is not None


async def add_response(
    session: AsyncSession,
    *,
    response: SurveyResponse,
    texts: Sequence[SurveyText],
    keys: Mapping[str, Sequence[str]],
) -> None:
    """Store a response and add it to the survey's count and tallies, atomically in the
    database (count = count + 1) so concurrent responses never lose an increment."""
    session.add(response)
    session.add_all(texts)
    pairs = [
        and_(col(SurveyTally.question_id) == question_id, col(SurveyTally.answer) == key)
        for question_id, question_keys in keys.items()
        for key in question_keys
    ]
    if pairs:
        await session.execute(
            update(SurveyTally)
            .where(col(SurveyTally.survey_id) == response.survey_id, or_(*pairs))
            .values(count=col(SurveyTally.count) + 1)
            .execution_options(synchronize_session=False)
        )
    await session.execute(
        update(Survey)
        .where(col(Survey.id) == response.survey_id)
        .values(response_count=col(Survey.response_count) + 1)
        .execution_options(synchronize_session=False)
    )


async def own_response(
    session: AsyncSession, *, survey_id: str, member_id: str
) -> SurveyResponse | None:
    query = select(SurveyResponse).where(
        col(SurveyResponse.survey_id) == survey_id, col(SurveyResponse.member_id) == member_id
    )
    return (await session.execute(query)).scalars().first()


async def tallies(session: AsyncSession, survey_ids: Sequence[str]) -> Sequence[SurveyTally]:
    query = select(SurveyTally).where(col(SurveyTally.survey_id).in_(survey_ids))
    return (await session.execute(query)).scalars().all()


async def texts(
    session: AsyncSession, *, survey_id: str, question_id: str, after_id: str | None, limit: int
) -> Sequence[SurveyText]:
    query = select(SurveyText).where(
        col(SurveyText.survey_id) == survey_id, col(SurveyText.question_id) == question_id
    )
    if after_id is not None:
        query = query.where(col(SurveyText.id) > after_id)
    rows = await session.execute(query.order_by(col(SurveyText.id)).limit(limit))
    return rows.scalars().all()


async def responses_chunk(
    session: AsyncSession, *, survey_id: str, after_id: str | None, limit: int
) -> Sequence[tuple[str, str | None, dict[str, object], object]]:
    """One chunk of a survey's responses by id (random, so the order says nothing of who or
    when), for the CSV export: only the columns it writes."""
    query = select(
        col(SurveyResponse.id),
        col(SurveyResponse.member_id),
        col(SurveyResponse.answers),
        col(SurveyResponse.submitted_at),
    ).where(col(SurveyResponse.survey_id) == survey_id)
    if after_id is not None:
        query = query.where(col(SurveyResponse.id) > after_id)
    rows = await session.execute(query.order_by(col(SurveyResponse.id)).limit(limit))
    return [tuple(row) for row in rows.all()]


async def close_survey(session: AsyncSession, survey: Survey) -> None:
    session.add(survey)


async def get_settings(session: AsyncSession, community_id: str) -> SurveySettings | None:
    return await session.get(SurveySettings, community_id)


async def save_settings(session: AsyncSession, settings: SurveySettings) -> None:
    await session.merge(settings)


async def monthly_nps_communities(session: AsyncSession) -> Sequence[str]:
    query = select(col(SurveySettings.community_id)).where(col(SurveySettings.monthly_nps))
    return (await session.execute(query)).scalars().all()


async def satisfaction_surveys(
    session: AsyncSession, *, community_id: str, limit: int
) -> Sequence[Survey]:
    """The community's monthly satisfaction surveys, newest month first."""
    query = (
        select(Survey)
        .where(col(Survey.community_id) == community_id, col(Survey.kind) == "satisfaction")
        .order_by(col(Survey.origin).desc())
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def add_attendee(
    session: AsyncSession, *, community_id: str, event_id: str, member_id: str
) -> None:
    if await session.get(SurveyAttendee, (event_id, member_id)) is None:
        session.add(
            SurveyAttendee(event_id=event_id, member_id=member_id, community_id=community_id)
        )
        await session.flush()


async def attended(session: AsyncSession, *, event_id: str, member_id: str) -> bool:
    query = select(
        exists().where(
            col(SurveyAttendee.event_id) == event_id, col(SurveyAttendee.member_id) == member_id
        )
    )
    return bool((await session.execute(query)).scalar())


async def count_texts(session: AsyncSession, survey_id: str) -> int:
    query = select(func.count()).where(col(SurveyText.survey_id) == survey_id)
    return int((await session.execute(query)).scalar_one())
