"""HTTP endpoints of scheduling and publishing: schedule, publish, archive, the calendar, and
the publishing rules."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.fields import Timestamp
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.content.items.rules import RULE_SETTER_ROLES
from services.content.items.schemas import ContentPublic, NoFields
from services.content.items.service import shows_user_ids
from services.content.scheduling import service
from services.content.scheduling.schemas import (
    ContentSchedule,
    PublishingRulesPublic,
    PublishingRulesPut,
    UrgentAnnouncement,
)
from services.content.tables import membership

router = APIRouter(tags=["content"])

CommunityId = PathId
ContentId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
RuleSetterWritingDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=RULE_SETTER_ROLES, writes=True))
]


@router.post("/content/{content_id}/schedule")
async def schedule_content(
    content_id: ContentId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    schedule: ContentSchedule | None = None,
) -> ContentPublic:
    """Schedule an approved (or move a scheduled) item: at `publish_at`, or without it at the
    next free slot; a time that breaks a publishing rule is a 409 naming the `rule`."""
    item = await service.schedule_content(
        uow=uow, actor=actor, content_id=content_id, schedule=schedule
    )
    return ContentPublic.of(item)


@router.post("/content/{content_id}/publish")
async def publish_content(
    content_id: ContentId, uow: UnitOfWorkDep, actor: ActorDep, _body: NoFields | None = None
) -> ContentPublic:
    """Publish an approved or scheduled item now."""
    item = await service.publish_content(uow=uow, actor=actor, content_id=content_id)
    return ContentPublic.of(item)


@router.post("/content/{content_id}/archive")
async def archive_content(
    content_id: ContentId, uow: UnitOfWorkDep, actor: ActorDep, _body: NoFields | None = None
) -> ContentPublic:
    """Archive a published item."""
    item = await service.archive_content(uow=uow, actor=actor, content_id=content_id)
    return ContentPublic.of(item)


@router.post(
    "/communities/{community_id}/urgent-announcements", status_code=status.HTTP_201_CREATED
)
async def publish_urgent_announcement(
    community_id: CommunityId,
    urgent: UrgentAnnouncement,
    uow: UnitOfWorkDep,
    access: RuleSetterWritingDep,
) -> ContentPublic:
    """Publish an urgent announcement at once (owner, admin): no slot, no review; still
    screened, and a hit flags it (`flagged`, `content.flagged`) instead of rejecting it."""
    item = await service.publish_urgent(
        uow=uow, access=access, community_id=community_id, urgent=urgent
    )
    return ContentPublic.of(item)


@router.get("/communities/{community_id}/calendar")
async def get_calendar(
    *,
    community_id: CommunityId,
    session: ReadSessionDep,
    page: PageDep,
    member: MemberDep,
    start: Annotated[Timestamp | None, Query(alias="from")] = None,
    end: Annotated[Timestamp | None, Query(alias="to")] = None,
) -> Page[ContentPublic]:
    """Scheduled and published items with `from <= publish_at < to`, by publish time."""
    rows = await service.calendar(
        session=session,
        community_id=community_id,
        start=start,
        end=end,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    staff = shows_user_ids(member)
    items = [ContentPublic.of(row).seen_by(user_id=member.actor.id, staff=staff) for row in rows]
    return Page[ContentPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/publishing-rules")
async def get_publishing_rules(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep
) -> PublishingRulesPublic:
    """The community's publishing rules (the defaults until set), in its timezone."""
    rules, timezone = await service.get_publishing_rules(session=session, community_id=community_id)
    return PublishingRulesPublic(**rules.model_dump(), community_id=community_id, timezone=timezone)


@router.put("/communities/{community_id}/publishing-rules")
async def put_publishing_rules(
    community_id: CommunityId,
    rules: PublishingRulesPut,
    uow: UnitOfWorkDep,
    _access: RuleSetterWritingDep,
) -> PublishingRulesPublic:
    """Replace the community's publishing rules (owner or admin)."""
    await service.set_publishing_rules(uow=uow, community_id=community_id, rules=rules)
    _rules, timezone = await service.get_publishing_rules(
        session=uow.session, community_id=community_id
    )
    return PublishingRulesPublic(**rules.model_dump(), community_id=community_id, timezone=timezone)
