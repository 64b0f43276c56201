"""Reports and cases: any member reports a message, a member or a content item (rate-limited per
reporter); reports on one target gather in one case until it is resolved; enforcers and
admins work the queue (assign, comment, resolve). A resolution that sanctions goes through the
sanctions ladder and is recorded with the sanction it caused; `case.resolved` tells every
reporter the outcome. Time to first response and to resolution are observed in the metrics
(`huoli_case_first_response_seconds`, `huoli_case_resolution_seconds`). The caller commits
once."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import CaseResolved as CaseResolvedEvent
from services.common.events.catalogue import ReportFiled
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.tables import BELONGING_STATUSES
from services.common.metrics import CASE_FIRST_RESPONSE, CASE_RESOLUTION
from services.common.unit_of_work import UnitOfWork
from services.members.cases import repository
from services.members.cases.errors import (
    AlreadyReported,
    CaseNotFound,
    CaseResolved,
    ReporterNotMember,
    ReportLimitReached,
    ResolutionNotApplicable,
    TargetNotFound,
)
from services.members.cases.rules import (
    REPORT_WINDOW,
    REPORTS_PER_WINDOW,
    CaseStatus,
    NoteKind,
    ReportKind,
    Resolution,
    TargetType,
)
from services.members.cases.schemas import CaseResolve, ReportCreate
from services.members.memberships import repository as membership_repository
from services.members.memberships.errors import MemberNotFound
from services.members.permissions.rules import Permission, may
from services.members.permissions.service import Acting, acting
from services.members.sanctions.rules import SanctionKind
from services.members.sanctions.service import sanction_membership
from services.members.tables import CaseNote, CaseReport, Membership, ModerationCase

_SANCTION_OF = {
    Resolution.WARN: SanctionKind.WARN,
    Resolution.MUTE: SanctionKind.MUTE,
    Resolution.REMOVE: SanctionKind.REMOVE,
}


@dataclass(frozen=True)
class Filed:
    report: CaseReport
    case: ModerationCase


async def file_report(
    *, uow: UnitOfWork, actor: Actor, community_id: str, report_create: ReportCreate
) -> Filed:
    """File a report (any member); it joins the open case on its target or opens one."""
    session = uow.session
    await acting(session, community_id=community_id, actor=actor, permission=None)
    reporter = await membership_repository.find_membership(
        session, community_id=community_id, user_id=actor.id
    )
    if reporter is None or reporter.status not in BELONGING_STATUSES:
        raise ReporterNotMember
    now = utc_now()
    filed = await repository.reports_since(
        session,
        community_id=community_id,
        reporter_member_id=reporter.id,
        since=now - REPORT_WINDOW,
    )
    if filed >= REPORTS_PER_WINDOW:
        raise ReportLimitReached(REPORTS_PER_WINDOW, REPORT_WINDOW)
    target = report_create.target
    target_member_id = await _target_member(session, community_id, report_create)
    case = await _case_for(session, community_id, report_create, target_member_id, now=now)
    if await repository.reported_by(session, case_id=case.id, reporter_member_id=reporter.id):
        raise AlreadyReported(case.id)
    parties = list(case.parties)
    if report_create.kind == ReportKind.DISPUTE and target_member_id is not None:
        parties = sorted({*parties, reporter.id, target_member_id})
    report = CaseReport(
        id=new_id("rpt"),
        case_id=case.id,
        community_id=community_id,
        reporter_member_id=reporter.id,
        kind=report_create.kind,
        reason=report_create.reason,
        evidence=list(report_create.evidence),
        filed_at=now,
    )
    await repository.add(session, report)
    await repository.count_report(session, case, parties)
    await session.refresh(case)
    await uow.outbox.add(
        session,
        ReportFiled(
            community_id=community_id,
            case_id=case.id,
            report_id=report.id,
            reporter_member_id=reporter.id,
            kind=report_create.kind,
            target_type=target.type,
            target_id=target.id,
            parties=parties,
            filed_at=now,
        ),
    )
    return Filed(report, case)


async def _target_member(
    session: AsyncSession, community_id: str, report_create: ReportCreate
) -> str | None:
    """The member the target points at; TargetNotFound for one this community does not have
    (a member, or a message's sender, of another community)."""
    target = report_create.target
    if target.type == TargetType.MEMBER:
        member_id: str | None = target.id
    else:
        member_id = target.member_id
    if target.type == TargetType.MESSAGE:
        sender = await repository.message_sender(
            session, community_id=community_id, message_id=target.id
        )
        if sender is not None and sender != member_id:
            raise TargetNotFound(target.type, target.id)
    if member_id is not None and (
        await membership_repository.get_membership(
            session, community_id=community_id, member_id=member_id
        )
        is None
    ):
        raise TargetNotFound(
            target.type, target.id if target.type == TargetType.MEMBER else member_id
        )
    return member_id


async def _case_for(
    session: AsyncSession,
    community_id: str,
    report_create: ReportCreate,
    target_member_id: str | None,
    *,
    now: datetime,
) -> ModerationCase:
    target = report_create.target
    where = {"community_id": community_id, "target_type": target.type, "target_id": target.id}
    case = await repository.open_case(session, **where)
    if case is not None:
        return case
    await repository.open_if_absent(
        session,
        {
            **where,
            "id": new_id("case"),
            "target_member_id": target_member_id,
            "kind": report_create.kind,
            "status": CaseStatus.OPEN,
            "parties": [],
            "report_count": 0,
            "opened_at": now,
        },
    )
    # Opened by this call, or by a concurrent report on the same target a moment before.
    case = await repository.open_case(session, **where)
    assert case is not None
    return case


async def _handler(
    session: AsyncSession, actor: Actor, community_id: str, case_id: str
) -> tuple[Acting, ModerationCase]:
    steward = await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MODERATE
    )
    case = await repository.get_case(
        session, community_id=community_id, case_id=case_id, for_update=True
    )
    if case is None:
        raise CaseNotFound(case_id)
    return steward, case


async def _note(
    uow: UnitOfWork, case: ModerationCase, actor: Actor, kind: NoteKind, text: str
) -> None:
    now = utc_now()
    await repository.add(
        uow.session,
        CaseNote(
            id=new_id("note"),
            case_id=case.id,
            kind=kind,
            text=text,
            author=actor.id,
            created_at=now,
        ),
    )
    if case.first_response_at is None:
        case.first_response_at = now
        CASE_FIRST_RESPONSE.labels(case.kind).observe((now - case.opened_at).total_seconds())
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.IN_PROGRESS


async def assign_case(
    *, uow: UnitOfWork, actor: Actor, community_id: str, case_id: str, member_id: str | None
) -> ModerationCase:
    """Give the case to a handler (default: the caller); they must be able to work cases."""
    session = uow.session
    _, case = await _handler(session, actor, community_id, case_id)
    if case.status == CaseStatus.RESOLVED:
        raise CaseResolved(case_id)
    assignee: Membership | None
    if member_id is None:
        assignee = await membership_repository.find_membership(
            session, community_id=community_id, user_id=actor.id
        )
    else:
        assignee = await membership_repository.get_membership(
            session, community_id=community_id, member_id=member_id
        )
    if (
        assignee is None
        or assignee.status not in BELONGING_STATUSES
        or not may(assignee.role, Permission.MODERATE)
    ):
        raise MemberNotFound(member_id or actor.id)
    case.assignee_member_id = assignee.id
    await _note(uow, case, actor, NoteKind.ASSIGN, f"assigned to {assignee.id}")
    return case


async def comment_case(
    *, uow: UnitOfWork, actor: Actor, community_id: str, case_id: str, text: str
) -> ModerationCase:
    _, case = await _handler(uow.session, actor, community_id, case_id)
    await _note(uow, case, actor, NoteKind.COMMENT, text)
    return case


async def resolve_case(
    *, uow: UnitOfWork, actor: Actor, community_id: str, case_id: str, resolve: CaseResolve
) -> ModerationCase:
    """Resolve the case (enforcers, admins, owner): dismiss it, sanction the member its target
    points at, or archive the reported content item; every reporter is told (`case.resolved`)."""
    session = uow.session
    steward, case = await _handler(session, actor, community_id, case_id)
    if case.status == CaseStatus.RESOLVED:
        raise CaseResolved(case_id)
    resolution = resolve.resolution
    sanction_id: str | None = None
    if resolution in _SANCTION_OF:
        if case.target_member_id is None:
            raise ResolutionNotApplicable(resolution, "the target names no member")
        membership = await membership_repository.get_membership(
            session, community_id=community_id, member_id=case.target_member_id
        )
        if membership is None:
            raise ResolutionNotApplicable(resolution, "the member is gone")
        outcome = await sanction_membership(
            uow=uow,
            steward=steward,
            membership=membership,
            kind=_SANCTION_OF[resolution],
            reason=f"case {case.id}: {resolve.note or case.kind}"[:500],
            duration_hours=resolve.mute_hours,
        )
        sanction_id = outcome.sanction.id
    elif resolution == Resolution.ARCHIVE_CONTENT and case.target_type != TargetType.CONTENT:
        raise ResolutionNotApplicable(resolution, "the target is not a content item")
    await _note(uow, case, actor, NoteKind.RESOLVE, resolve.note or resolution)
    now = utc_now()
    case.status = CaseStatus.RESOLVED
    case.resolution = resolution
    case.resolution_note = resolve.note
    case.sanction_id = sanction_id
    case.resolved_by = actor.id
    case.resolved_at = now
    CASE_RESOLUTION.labels(case.kind).observe((now - case.opened_at).total_seconds())
    reporters = sorted(
        {report.reporter_member_id for report in await repository.reports_of(session, case.id)}
    )
    await uow.outbox.add(
        session,
        CaseResolvedEvent(
            community_id=community_id,
            case_id=case.id,
            resolution=resolution,
            note=resolve.note,
            sanction_id=sanction_id,
            resolved_by=actor.id,
            reporter_member_ids=reporters,
            target_type=case.target_type,
            target_id=case.target_id,
            resolved_at=now,
        ),
    )
    return case


async def record_archived(
    *, uow: UnitOfWork, community_id: str, case_id: str, content_id: str, author: str | None
) -> None:
    """Note on the case that the content service archived its item (content.archived with the
    case): the resolution's effect, beside the sanction a `warn`, `mute` or `remove` records."""
    case = await repository.get_case(uow.session, community_id=community_id, case_id=case_id)
    if case is None:
        return
    told = f"; its author {author} is told" if author else ""
    await repository.add(
        uow.session,
        CaseNote(
            id=new_id("note"),
            case_id=case.id,
            kind=NoteKind.EFFECT,
            text=f"content {content_id} archived{told}",
            author="content",
            created_at=utc_now(),
        ),
    )


async def list_cases(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    status: CaseStatus | None,
    kind: ReportKind | None,
    assignee_member_id: str | None,
    after_id: str | None,
    limit: int,
) -> Sequence[ModerationCase]:
    """The queue (enforcers, admins, owner), oldest first, filtered by status, kind, assignee."""
    await acting(session, community_id=community_id, actor=actor, permission=Permission.MODERATE)
    return await repository.list_cases(
        session,
        community_id=community_id,
        status=status,
        kind=kind,
        assignee_member_id=assignee_member_id,
        after_id=after_id,
        limit=limit,
    )


async def get_case(
    *, session: AsyncSession, actor: Actor, community_id: str, case_id: str
) -> tuple[ModerationCase, Sequence[CaseReport], Sequence[CaseNote]]:
    await acting(session, community_id=community_id, actor=actor, permission=Permission.MODERATE)
    case = await repository.get_case(session, community_id=community_id, case_id=case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return (
        case,
        await repository.reports_of(session, case_id),
        await repository.notes_of(session, case_id),
    )
