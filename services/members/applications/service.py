"""Application questions: owners and admins (`edit_community`) set up to 10 questions (text, or
a choice among options; required or not); whoever may see the community reads them. A join
request carries its answers: they are checked against the questions whenever given (an unknown
question, a choice that is no option: 422 naming the field, nothing stored) and, where the
join waits for approval, every required question must be answered. The approvers (`approve`)
read the answers with the pending requests; the applicant reads their own; erasure deletes
them. The caller commits once."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.members.applications import repository
from services.members.applications.errors import (
    ApplicationNotFound,
    InvalidAnswers,
    InvalidQuestions,
)
from services.members.applications.rules import (
    Answer,
    Question,
    answer_problems,
    answers_kept,
    form_problems,
)
from services.members.applications.schemas import (
    AnswerInput,
    AnswerPublic,
    ApplicationFormPublic,
    ApplicationFormUpdate,
    ApplicationPublic,
    QuestionPublic,
)
from services.members.communities.service import read_community
from services.members.memberships import repository as membership_repository
from services.members.memberships.errors import MemberNotFound
from services.members.memberships.rules import MemberStatus
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import (
    ApplicationForm,
    Community,
    JoinApplication,
    Membership,
)


async def _questions(session: AsyncSession, community_id: str) -> list[Question]:
    form = await repository.form_of(session, community_id)
    return [Question.of(stored) for stored in form.questions] if form else []


def _form_public(community: Community, form: ApplicationForm | None) -> ApplicationFormPublic:
    return ApplicationFormPublic(
        community_id=community.id,
        join_policy=community.join_policy,
        questions=[
            QuestionPublic.model_validate(Question.of(stored).stored())
            for stored in (form.questions if form else [])
        ],
        updated_at=form.updated_at if form else None,
    )


async def get_form(
    *, session: AsyncSession, actor: Actor, community_id: str
) -> ApplicationFormPublic:
    """The questions, for whoever may see the community (members, applicants, anyone when it
    is listed): an applicant reads them before asking to join."""
    community, _whole = await read_community(
        session=session, actor=actor, community_id=community_id
    )
    return _form_public(community, await repository.form_of(session, community_id))


async def set_form(
    *, uow: UnitOfWork, actor: Actor, community_id: str, form_update: ApplicationFormUpdate
) -> ApplicationFormPublic:
    """Replace the questions (owner, admins); 422 `invalid-questions` naming each field at
    fault. Answers already given keep the questions as they were asked."""
    admitted = await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    existing = {question.id for question in await _questions(uow.session, community_id)}
    questions = [
        Question(
            id=given.id or new_id("q"),
            prompt=given.prompt,
            kind=given.kind,
            options=tuple(given.options),
            required=given.required,
        )
        for given in form_update.questions
    ]
    problems = form_problems(
        questions, given_ids=[given.id for given in form_update.questions], existing=existing
    )
    if problems:
        raise InvalidQuestions(problems)
    row = ApplicationForm(
        community_id=community_id,
        questions=[question.stored() for question in questions],
        updated_at=utc_now(),
    )
    await repository.save_form(uow.session, row)
    return _form_public(admitted.community, row)


async def take_answers(
    uow: UnitOfWork,
    *,
    membership: Membership,
    answers: Sequence[AnswerInput],
    returning: bool = False,
) -> None:
    """Check a join request's answers and keep them as the membership's application (joining
    calls this once the membership is written: a refusal rolls the whole join back). A member
    `returning` under their old member id may have an earlier application: this join's
    replaces it."""
    session = uow.session
    questions = await _questions(session, membership.community_id)
    if not questions and not answers:
        if returning:
            await repository.replace_application(session, membership.id, None)
        return
    given = [Answer(question_id=item.question_id, answer=item.answer) for item in answers]
    problems = answer_problems(
        questions, given, required_enforced=membership.status == MemberStatus.PENDING
    )
    if problems:
        raise InvalidAnswers(problems)
    kept = answers_kept(questions, given)
    row = (
        JoinApplication(
            member_id=membership.id,
            community_id=membership.community_id,
            answers=kept,
            submitted_at=utc_now(),
        )
        if kept
        else None
    )
    await repository.replace_application(session, membership.id, row)


async def get_application(
    *, session: AsyncSession, actor: Actor, community_id: str, member_id: str
) -> ApplicationPublic:
    """A member's application: the applicant's own (whatever their status), else for the
    approvers (`approve`); 404 `application-not-found` when they answered nothing."""
    own = await membership_repository.find_membership(
        session, community_id=community_id, user_id=actor.id
    )
    if own is None or own.id != member_id:
        await acting(session, community_id=community_id, actor=actor, permission=Permission.APPROVE)
    membership = await membership_repository.get_membership(
        session, community_id=community_id, member_id=member_id
    )
    if membership is None:
        raise MemberNotFound(member_id)
    application = await repository.application_of(session, member_id)
    if application is None:
        raise ApplicationNotFound(member_id)
    return application_public(membership, application)


async def list_applications(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    status: MemberStatus,
    after_id: str | None,
    limit: int,
) -> list[ApplicationPublic]:
    """The requests of a status (pending: those waiting for a decision) with their answers
    (approvers)."""
    await acting(session, community_id=community_id, actor=actor, permission=Permission.APPROVE)
    rows = await repository.applications(
        session, community_id=community_id, status=status, after_id=after_id, limit=limit
    )
    return [application_public(member, application) for member, application in rows]


def application_public(
    membership: Membership, application: JoinApplication | None
) -> ApplicationPublic:
    answers: list[dict[str, Any]] = application.answers if application else []
    return ApplicationPublic(
        member_id=membership.id,
        community_id=membership.community_id,
        display_name=membership.display_name,
        status=membership.status,
        tier_id=membership.tier_id,
        applied_at=membership.joined_at,
        answers=[AnswerPublic.model_validate(answer) for answer in answers],
    )


async def erase_applications(session: AsyncSession, member_ids: Sequence[str]) -> None:
    """Erasure: what the person answered goes."""
    await repository.forget(session, member_ids)
