"""HTTP endpoints of the series."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, status

from services.common.api.deps import (
    ActorDep,
    PageDep,
    PathId,
    ReadSessionDep,
    RuntimeDep,
    UnitOfWorkDep,
)
from services.common.api.membership import require_role
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.content.items.rules import EDITOR_ROLES
from services.content.items.schemas import NoFields
from services.content.series import service
from services.content.series.schemas import SeriesCreate, SeriesPublic
from services.content.settings import ContentSettings
from services.content.tables import membership

router = APIRouter(tags=["content"])

CommunityId = PathId
SeriesId = PathId
EditorDep = Annotated[CommunityAccess, Depends(require_role(membership, roles=EDITOR_ROLES))]
EditorWritingDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=EDITOR_ROLES, writes=True))
]


async def _settings(runtime: RuntimeDep) -> ContentSettings:
    settings = runtime.settings
    assert isinstance(settings, ContentSettings)
    return settings


SettingsDep = Annotated[ContentSettings, Depends(_settings)]


@router.post("/communities/{community_id}/series", status_code=status.HTTP_201_CREATED)
async def create_series(
    community_id: CommunityId,
    series_create: SeriesCreate,
    uow: UnitOfWorkDep,
    access: EditorWritingDep,
    settings: SettingsDep,
) -> SeriesPublic:
    """A recurring series from an RFC 5545 RRULE (editors); occurrences in the next
    `series_window_days` become scheduled items at once, later ones as the window moves."""
    series, made = await service.create_series(
        uow=uow,
        access=access,
        community_id=community_id,
        series_create=series_create,
        window=timedelta(days=settings.series_window_days),
    )
    return SeriesPublic(**series.model_dump(), materialized=made)


@router.get("/communities/{community_id}/series")
async def list_series(
    community_id: CommunityId, session: ReadSessionDep, page: PageDep, _editor: EditorDep
) -> Page[SeriesPublic]:
    """A community's recurring series, oldest first, paused ones too (editors)."""
    rows = await service.list_series(
        session=session, community_id=community_id, after_id=page.after_id, limit=page.fetch_limit
    )
    items = [SeriesPublic(**row.model_dump()) for row in rows]
    return Page[SeriesPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/series/{series_id}")
async def get_series(series_id: SeriesId, session: ReadSessionDep, actor: ActorDep) -> SeriesPublic:
    """A recurring series (editors)."""
    series = await service.get_series(session=session, actor=actor, series_id=series_id)
    return SeriesPublic(**series.model_dump())


@router.post("/series/{series_id}/pause")
async def pause_series(
    series_id: SeriesId, uow: UnitOfWorkDep, actor: ActorDep, _body: NoFields | None = None
) -> SeriesPublic:
    """Pause a series (owners, admins): no new occurrences; unpublished ones are withdrawn."""
    series = await service.pause_series(uow=uow, actor=actor, series_id=series_id)
    return SeriesPublic(**series.model_dump())


@router.post("/series/{series_id}/resume")
async def resume_series(
    series_id: SeriesId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    settings: SettingsDep,
    _body: NoFields | None = None,
) -> SeriesPublic:
    """Resume a paused series (owners, admins): the window ahead is made at once."""
    series, made = await service.resume_series(
        uow=uow,
        actor=actor,
        series_id=series_id,
        window=timedelta(days=settings.series_window_days),
    )
    return SeriesPublic(**series.model_dump(), materialized=made)


@router.delete("/series/{series_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_series(series_id: SeriesId, uow: UnitOfWorkDep, actor: ActorDep) -> None:
    """Delete a series (owners, admins): unpublished occurrences are withdrawn, published
    ones stay."""
    await service.delete_series(uow=uow, actor=actor, series_id=series_id)
