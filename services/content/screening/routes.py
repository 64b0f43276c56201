"""HTTP endpoints of a community's screening settings."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.common.api.deps import PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_role
from services.common.membership.access import CommunityAccess
from services.content.items.rules import EDITOR_ROLES, RULE_SETTER_ROLES
from services.content.screening import service
from services.content.screening.schemas import ScreeningSettingsPublic, ScreeningSettingsPut
from services.content.tables import membership

router = APIRouter(tags=["content"])

CommunityId = PathId
EditorDep = Annotated[CommunityAccess, Depends(require_role(membership, roles=EDITOR_ROLES))]
RuleSetterWritingDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=RULE_SETTER_ROLES, writes=True))
]


@router.get("/communities/{community_id}/screening")
async def get_screening(
    community_id: CommunityId, session: ReadSessionDep, _editor: EditorDep
) -> ScreeningSettingsPublic:
    """The community's screening settings (editors)."""
    settings = await service.get_screening_settings(session=session, community_id=community_id)
    return ScreeningSettingsPublic(**settings.model_dump(), community_id=community_id)


@router.put("/communities/{community_id}/screening")
async def put_screening(
    community_id: CommunityId,
    settings: ScreeningSettingsPut,
    uow: UnitOfWorkDep,
    _access: RuleSetterWritingDep,
) -> ScreeningSettingsPublic:
    """Replace the community's screening settings (owner or admin): `action` reject or flag,
    extra `words` per rule, `allowed_domains` for links."""
    await service.set_screening_settings(uow=uow, community_id=community_id, settings=settings)
    return ScreeningSettingsPublic(**settings.model_dump(), community_id=community_id)
