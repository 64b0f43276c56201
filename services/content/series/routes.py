"""HTTP endpoints of the series."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, status

from services.common.api.deps import PathId, RuntimeDep, UnitOfWorkDep
from services.common.api.membership import require_role
from services.common.membership.access import CommunityAccess
from services.content.items.rules import EDITOR_ROLES
from services.content.series import service
from services.content.series.schemas import SeriesCreate, SeriesPublic
from services.content.settings import ContentSettings
from services.content.tables import membership

router = APIRouter(tags=["content"])

CommunityId = PathId
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
