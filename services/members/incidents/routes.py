"""Incident and playbook endpoints."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.pagination import Page
from services.members.incidents import service
from services.members.incidents.rules import IncidentKind, IncidentStatus
from services.members.incidents.schemas import (
    EntryCreate,
    EntryPublic,
    IncidentCreate,
    IncidentDetail,
    IncidentPolicyBody,
    IncidentPublic,
    IncidentUpdate,
    PlaybookBody,
    PlaybookPublic,
)

router = APIRouter(tags=["moderation"])


@router.post("/communities/{community_id}/incidents", status_code=status.HTTP_201_CREATED)
async def open_incident(
    community_id: PathId, incident_create: IncidentCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> IncidentPublic:
    """Open an incident (enforcers, admins, owner) with the checklist of the community's
    playbook for its kind; `drill: true` for a practice run."""
    incident = await service.open_incident(
        uow=uow, actor=actor, community_id=community_id, incident_create=incident_create
    )
    return IncidentPublic.of(incident)


@router.get("/communities/{community_id}/incidents")
async def list_incidents(
    community_id: PathId,
    session: ReadSessionDep,
    page: PageDep,
    actor: ActorDep,
    *,
    incident_status: Annotated[IncidentStatus | None, Query(alias="status")] = None,
    drill: bool | None = None,
) -> Page[IncidentPublic]:
    """Incidents, oldest first, by status; `drill=false` leaves practice runs out."""
    rows = await service.list_incidents(
        session=session,
        actor=actor,
        community_id=community_id,
        status=incident_status,
        drill=drill,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [IncidentPublic.of(row) for row in rows]
    return Page[IncidentPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/incidents/{incident_id}")
async def get_incident(
    community_id: PathId, incident_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> IncidentDetail:
    """An incident with its timeline."""
    incident, timeline = await service.get_incident(
        session=session, actor=actor, community_id=community_id, incident_id=incident_id
    )
    return IncidentDetail(
        **IncidentPublic.of(incident).model_dump(),
        timeline=[EntryPublic.of(entry) for entry in timeline],
    )


@router.patch("/communities/{community_id}/incidents/{incident_id}")
async def update_incident(
    community_id: PathId,
    incident_id: PathId,
    incident_update: IncidentUpdate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> IncidentPublic:
    """Move the status (`reviewed` requires `review`: 422 `review-required` without it), change
    owner or severity, tick checklist items, link cases and alerts."""
    incident = await service.update_incident(
        uow=uow,
        actor=actor,
        community_id=community_id,
        incident_id=incident_id,
        update=incident_update,
    )
    return IncidentPublic.of(incident)


@router.post(
    "/communities/{community_id}/incidents/{incident_id}/entries",
    status_code=status.HTTP_201_CREATED,
)
async def add_incident_entry(
    community_id: PathId,
    incident_id: PathId,
    entry_create: EntryCreate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> IncidentPublic:
    """Add a note to the incident's timeline."""
    incident = await service.add_entry(
        uow=uow,
        actor=actor,
        community_id=community_id,
        incident_id=incident_id,
        text=entry_create.text,
    )
    return IncidentPublic.of(incident)


@router.get("/communities/{community_id}/incident-policy")
async def get_incident_policy(
    community_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> IncidentPolicyBody:
    """Whether early warnings open incidents by themselves (enforcers, admins, owner)."""
    auto_open_at = await service.get_incident_policy(
        session=session, actor=actor, community_id=community_id
    )
    return IncidentPolicyBody(auto_open_at=auto_open_at)


@router.put("/communities/{community_id}/incident-policy")
async def set_incident_policy(
    community_id: PathId, body: IncidentPolicyBody, uow: UnitOfWorkDep, actor: ActorDep
) -> IncidentPolicyBody:
    """Let early warnings (`health.alert_raised`) at or above `auto_open_at` open an incident
    owned by the owner, the alert linked (owner and admins); null: never."""
    auto_open_at = await service.set_incident_policy(
        uow=uow, actor=actor, community_id=community_id, auto_open_at=body.auto_open_at
    )
    return IncidentPolicyBody(auto_open_at=auto_open_at)


@router.get("/communities/{community_id}/playbooks/{kind}")
async def get_playbook(
    community_id: PathId, kind: IncidentKind, session: ReadSessionDep, actor: ActorDep
) -> PlaybookPublic:
    """The community's checklist for an incident kind (the default until it sets its own)."""
    return await service.get_playbook(
        session=session, actor=actor, community_id=community_id, kind=kind
    )


@router.put("/communities/{community_id}/playbooks/{kind}")
async def set_playbook(
    community_id: PathId,
    kind: IncidentKind,
    playbook_body: PlaybookBody,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> PlaybookPublic:
    """Replace the checklist for an incident kind (owner and admins)."""
    return await service.set_playbook(
        uow=uow, actor=actor, community_id=community_id, kind=kind, items=playbook_body.items
    )
