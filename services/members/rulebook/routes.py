"""Endpoints of versioned rules and their acknowledgements."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.errors import InvalidInput
from services.common.fields import ID_MAX_LENGTH, ID_PATTERN
from services.common.pagination import Page
from services.members.rulebook import service
from services.members.rulebook.schemas import (
    PendingAcknowledgement,
    RulesAcknowledgementCreate,
    RulesAcknowledgementPublic,
    RulesVersionCreate,
    RulesVersionPublic,
    VersionNumber,
)

router = APIRouter(tags=["members"])

VersionPath = Annotated[int, Path(ge=1, le=1_000_000)]


def _after_version(after_id: str | None) -> int | None:
    # A versions cursor is the last version number shown, as text.
    if after_id is None:
        return None
    if not after_id.isdigit() or len(after_id) > 7:
        raise InvalidInput("The cursor is not one this API returned.", field="cursor")
    return int(after_id)


@router.post("/communities/{community_id}/rules/versions", status_code=status.HTTP_201_CREATED)
async def publish_rules(
    community_id: PathId, rules_create: RulesVersionCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> RulesVersionPublic:
    """Publish the next version of the community's rules (owner, admin): it is current at once,
    and members acknowledge it anew. A version is never edited; publish another instead."""
    row, current = await service.publish_rules(
        uow=uow, actor=actor, community_id=community_id, rules_create=rules_create
    )
    return RulesVersionPublic.of(row, current_version=current)


@router.get("/communities/{community_id}/rules/versions")
async def list_rules_versions(
    community_id: PathId, session: ReadSessionDep, page: PageDep, actor: ActorDep
) -> Page[RulesVersionPublic]:
    """Every version of the rules, oldest first; the last is `current` (any member)."""
    rows, current = await service.list_versions(
        session=session,
        actor=actor,
        community_id=community_id,
        after_version=_after_version(page.after_id),
        limit=page.fetch_limit,
    )
    items = [RulesVersionPublic.of(row, current_version=current) for row in rows]
    return Page[RulesVersionPublic].of(
        items, limit=page.limit, id_of=lambda item: str(item.version)
    )


@router.get("/communities/{community_id}/rules/versions/{version}")
async def get_rules_version(
    community_id: PathId, version: VersionPath, session: ReadSessionDep, actor: ActorDep
) -> RulesVersionPublic:
    """One version of the rules (any member)."""
    row, current = await service.get_version(
        session=session, actor=actor, community_id=community_id, version=version
    )
    return RulesVersionPublic.of(row, current_version=current)


@router.post(
    "/communities/{community_id}/rules/acknowledgements", status_code=status.HTTP_201_CREATED
)
async def acknowledge_rules(
    community_id: PathId,
    acknowledgement: RulesAcknowledgementCreate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> RulesAcknowledgementPublic:
    """Acknowledge the current rules version as yourself (any member). Any other version is
    409 `rules-version-not-current` naming `version`; twice is 409 `rules-already-acknowledged`."""
    row = await service.acknowledge_rules(
        uow=uow, actor=actor, community_id=community_id, version=acknowledgement.version
    )
    return RulesAcknowledgementPublic.of(row)


@router.get("/communities/{community_id}/rules/acknowledgements")
async def list_rules_acknowledgements(
    community_id: PathId,
    session: ReadSessionDep,
    page: PageDep,
    actor: ActorDep,
    *,
    version: Annotated[VersionNumber | None, Query()] = None,
    member_id: Annotated[str | None, Query(max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)] = None,
) -> Page[RulesAcknowledgementPublic]:
    """Who acknowledged a version (default: the current one), by member id: moderators (owner,
    admin, enforcer) see everyone; any other member only themself."""
    rows = await service.list_acknowledgements(
        session=session,
        actor=actor,
        community_id=community_id,
        version=version,
        member_id=member_id,
        after_member_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [RulesAcknowledgementPublic.of(row) for row in rows]
    return Page[RulesAcknowledgementPublic].of(
        items, limit=page.limit, id_of=lambda item: item.member_id
    )


@router.get("/communities/{community_id}/rules/pending-acknowledgements")
async def list_pending_acknowledgements(
    community_id: PathId, session: ReadSessionDep, page: PageDep, actor: ActorDep
) -> Page[PendingAcknowledgement]:
    """Members (active or muted) who have not acknowledged the current rules version yet, by
    member id (owner, admin, enforcer); empty while no rules are published."""
    rows = await service.list_pending(
        session=session,
        actor=actor,
        community_id=community_id,
        after_member_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [PendingAcknowledgement.model_validate(row, from_attributes=True) for row in rows]
    return Page[PendingAcknowledgement].of(
        items, limit=page.limit, id_of=lambda item: item.member_id
    )
