"""Incidents (危机处理): enforcers, admins and the owner open one (`drill` for a practice run,
counted apart), give it an owner, keep its timeline, link the cases and alerts it concerns, tick
the checklist copied from the community's playbook for its kind, and move it open → mitigating →
resolved → reviewed; closing (reviewed) requires the review: cause, what was done, lessons. A
reviewed incident is closed to changes. Playbooks: the defaults in `rules.py` until a
community replaces one (owner and admins). The caller commits once."""

from collections.abc import Sequence

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.cases import repository as case_repository
from services.members.cases.errors import CaseNotFound
from services.members.incidents import repository
from services.members.incidents.errors import (
    IncidentClosed,
    IncidentNotFound,
    NoSuchChecklistItem,
    ReviewRequired,
    WrongIncidentStatus,
)
from services.members.incidents.rules import (
    ALERT_INCIDENTS,
    DEFAULT_PLAYBOOKS,
    EARLY_WARNING,
    MOVES,
    SEVERITY_RANK,
    EntryKind,
    IncidentKind,
    IncidentStatus,
    Severity,
)
from services.members.incidents.schemas import IncidentCreate, IncidentUpdate, PlaybookPublic
from services.members.memberships import repository as membership_repository
from services.members.memberships.errors import MemberNotFound
from services.members.permissions.rules import Permission, may
from services.members.permissions.service import acting
from services.members.tables import Incident, IncidentEntry, IncidentPolicy, Playbook

INCIDENTS_OPENED = Counter(
    "huoli_incidents_opened_total",
    "Incidents opened, by kind; drills (practice incidents) apart.",
    ("kind", "drill"),
)


async def playbook(session: AsyncSession, community_id: str, kind: IncidentKind) -> PlaybookPublic:
    row = await repository.get_playbook(session, community_id, kind)
    if row is None:
        return PlaybookPublic(kind=kind, items=list(DEFAULT_PLAYBOOKS[kind]), default=True)
    return PlaybookPublic(kind=kind, items=list(row.items), default=False)


async def get_playbook(
    *, session: AsyncSession, actor: Actor, community_id: str, kind: IncidentKind
) -> PlaybookPublic:
    await acting(session, community_id=community_id, actor=actor, permission=Permission.MODERATE)
    return await playbook(session, community_id, kind)


async def set_playbook(
    *, uow: UnitOfWork, actor: Actor, community_id: str, kind: IncidentKind, items: list[str]
) -> PlaybookPublic:
    """Replace the community's checklist for a kind (owner and admins); incidents already open
    keep the copy they took."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    await repository.save_playbook(
        uow.session,
        Playbook(community_id=community_id, kind=kind, items=items, updated_at=utc_now()),
    )
    return PlaybookPublic(kind=kind, items=items, default=False)


async def _handler_user(session: AsyncSession, community_id: str, user_id: str) -> str:
    """A user who may work incidents here (belongs, with the moderate permission)."""
    membership = await membership_repository.find_membership(
        session, community_id=community_id, user_id=user_id
    )
    if (
        membership is None
        or membership.status not in BELONGING_STATUSES
        or not may(membership.role, Permission.MODERATE)
    ):
        raise MemberNotFound(user_id)
    return user_id


async def _entry(
    uow: UnitOfWork, incident: Incident, author: str, kind: EntryKind, text: str
) -> None:
    await repository.add(
        uow.session,
        IncidentEntry(
            id=new_id("ient"),
            incident_id=incident.id,
            kind=kind,
            text=text[:2000],
            author=author,
            created_at=utc_now(),
        ),
    )


async def open_incident(
    *, uow: UnitOfWork, actor: Actor, community_id: str, incident_create: IncidentCreate
) -> Incident:
    session = uow.session
    await acting(session, community_id=community_id, actor=actor, permission=Permission.MODERATE)
    owner = actor.id
    if incident_create.owner is not None:
        owner = await _handler_user(session, community_id, incident_create.owner)
    return await _open(uow, community_id, incident_create, owner=owner, opened_by=actor.id)


async def _open(
    uow: UnitOfWork,
    community_id: str,
    incident_create: IncidentCreate,
    *,
    owner: str,
    opened_by: str,
    alert_ids: Sequence[str] = (),
) -> Incident:
    checklist = await playbook(uow.session, community_id, incident_create.kind)
    incident = Incident(
        id=new_id("inc"),
        community_id=community_id,
        kind=incident_create.kind,
        severity=incident_create.severity,
        summary=incident_create.summary,
        status=IncidentStatus.OPEN,
        drill=incident_create.drill,
        owner=owner,
        checklist=[{"item": item, "done": False} for item in checklist.items],
        case_ids=[],
        alert_ids=list(alert_ids),
        opened_by=opened_by,
        opened_at=utc_now(),
    )
    await repository.add(uow.session, incident)
    drill = " (drill)" if incident.drill else ""
    await _entry(uow, incident, opened_by, EntryKind.OPENED, f"opened{drill}: {incident.summary}")
    INCIDENTS_OPENED.labels(incident.kind, str(incident.drill).lower()).inc()
    return incident


async def open_from_alert(
    uow: UnitOfWork, *, community_id: str, alert_id: str, alert_kind: str, summary: str
) -> Incident | None:
    """Open the incident an early warning calls for, if the community lets alerts at its
    severity do so (`IncidentPolicy.auto_open_at`); owned by the community's owner."""
    mapped = ALERT_INCIDENTS.get(alert_kind)
    policy = await repository.get_policy(uow.session, community_id)
    community = await repository.get_community(uow.session, community_id)
    if mapped is None or community is None or policy is None or policy.auto_open_at is None:
        return None
    kind, severity = mapped
    if SEVERITY_RANK[severity] < SEVERITY_RANK[Severity(policy.auto_open_at)]:
        return None
    create = IncidentCreate(kind=kind, severity=severity, summary=summary[:1000])
    return await _open(
        uow,
        community_id,
        create,
        owner=community.owner_user_id,
        opened_by=EARLY_WARNING,
        alert_ids=[alert_id],
    )


async def get_incident_policy(
    *, session: AsyncSession, actor: Actor, community_id: str
) -> Severity | None:
    await acting(session, community_id=community_id, actor=actor, permission=Permission.MODERATE)
    row = await repository.get_policy(session, community_id)
    return Severity(row.auto_open_at) if row and row.auto_open_at else None


async def set_incident_policy(
    *, uow: UnitOfWork, actor: Actor, community_id: str, auto_open_at: Severity | None
) -> Severity | None:
    """Let early warnings at or above `auto_open_at` open incidents (None: never)."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    await repository.save_policy(
        uow.session,
        IncidentPolicy(community_id=community_id, auto_open_at=auto_open_at, updated_at=utc_now()),
    )
    return auto_open_at


async def _incident(
    session: AsyncSession, actor: Actor, community_id: str, incident_id: str
) -> Incident:
    await acting(session, community_id=community_id, actor=actor, permission=Permission.MODERATE)
    incident = await repository.get_incident(
        session, community_id=community_id, incident_id=incident_id, for_update=True
    )
    if incident is None:
        raise IncidentNotFound(incident_id)
    return incident


async def update_incident(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    incident_id: str,
    update: IncidentUpdate,
) -> Incident:
    """Apply the changes (all or none) and write them to the timeline as one entry."""
    session = uow.session
    incident = await _incident(session, actor, community_id, incident_id)
    if incident.status == IncidentStatus.REVIEWED:
        raise IncidentClosed(incident_id)
    changes = _move(incident, update)
    if update.owner is not None and update.owner != incident.owner:
        incident.owner = await _handler_user(session, community_id, update.owner)
        changes.append(f"owner {incident.owner}")
    if update.severity is not None and update.severity != incident.severity:
        changes.append(f"severity {incident.severity} → {update.severity}")
        incident.severity = update.severity
    changes += _tick(incident, update)
    changes += await _link(session, incident, update)
    if changes:
        await _entry(uow, incident, actor.id, EntryKind.UPDATE, "; ".join(changes))
    return incident


def _move(incident: Incident, update: IncidentUpdate) -> list[str]:
    if update.status is None or update.status == incident.status:
        if update.review is not None:
            raise WrongIncidentStatus(incident.status, IncidentStatus.REVIEWED)
        return []
    if update.status not in MOVES[IncidentStatus(incident.status)]:
        raise WrongIncidentStatus(incident.status, update.status)
    now = utc_now()
    if update.status == IncidentStatus.REVIEWED:
        if update.review is None:
            raise ReviewRequired
        incident.review = update.review.model_dump()
        incident.reviewed_at = now
    if update.status == IncidentStatus.RESOLVED:
        incident.resolved_at = now
    moved = f"status {incident.status} → {update.status}"
    incident.status = update.status
    return [moved]


def _tick(incident: Incident, update: IncidentUpdate) -> list[str]:
    changes: list[str] = []
    checklist = [dict(item) for item in incident.checklist]
    for index, done in [(i, True) for i in update.done] + [(i, False) for i in update.undone]:
        if index >= len(checklist):
            raise NoSuchChecklistItem(index)
        if checklist[index]["done"] != done:
            checklist[index]["done"] = done
            changes.append(f"{'✓' if done else '✗'} {checklist[index]['item']}")
    incident.checklist = checklist
    return changes


async def _link(session: AsyncSession, incident: Incident, update: IncidentUpdate) -> list[str]:
    changes: list[str] = []
    for case_id in update.link_cases:
        if case_id in incident.case_ids:
            continue
        found = await case_repository.get_case(
            session, community_id=incident.community_id, case_id=case_id
        )
        if found is None:
            raise CaseNotFound(case_id)
        incident.case_ids = [*incident.case_ids, case_id]
        changes.append(f"case {case_id}")
    for alert_id in update.link_alerts:
        if alert_id not in incident.alert_ids:
            incident.alert_ids = [*incident.alert_ids, alert_id]
            changes.append(f"alert {alert_id}")
    return changes


async def add_entry(
    *, uow: UnitOfWork, actor: Actor, community_id: str, incident_id: str, text: str
) -> Incident:
    incident = await _incident(uow.session, actor, community_id, incident_id)
    if incident.status == IncidentStatus.REVIEWED:
        raise IncidentClosed(incident_id)
    await _entry(uow, incident, actor.id, EntryKind.NOTE, text)
    return incident


async def get_incident(
    *, session: AsyncSession, actor: Actor, community_id: str, incident_id: str
) -> tuple[Incident, Sequence[IncidentEntry]]:
    await acting(session, community_id=community_id, actor=actor, permission=Permission.MODERATE)
    incident = await repository.get_incident(
        session, community_id=community_id, incident_id=incident_id
    )
    if incident is None:
        raise IncidentNotFound(incident_id)
    return incident, await repository.timeline(session, incident_id)


async def list_incidents(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    status: IncidentStatus | None,
    drill: bool | None,
    after_id: str | None,
    limit: int,
) -> Sequence[Incident]:
    await acting(session, community_id=community_id, actor=actor, permission=Permission.MODERATE)
    return await repository.list_incidents(
        session,
        community_id=community_id,
        status=status,
        drill=drill,
        after_id=after_id,
        limit=limit,
    )
