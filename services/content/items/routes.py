"""HTTP endpoints of the content service."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.common.api.deps import (
    ActorDep,
    PageDep,
    PathId,
    ReadSessionDep,
    RuntimeDep,
    UnitOfWorkDep,
)
from services.common.api.membership import require_member, require_role
from services.common.fields import Timestamp
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.content.api.schemas import (
    ContentCreate,
    ContentPublic,
    ContentReview,
    ContentSchedule,
    ContentUpdate,
    NoFields,
    PollPublic,
    PublishingRulesPublic,
    PublishingRulesPut,
    ScreeningSettingsPublic,
    ScreeningSettingsPut,
    SeriesCreate,
    SeriesPublic,
    VoteCreate,
    VotePublic,
)
from services.content.domain import use_cases
from services.content.domain.models import (
    EDITOR_ROLES,
    RULE_SETTER_ROLES,
    ContentKind,
    ContentStatus,
)
from services.content.settings import ContentSettings
from services.content.storage.tables import membership

router = APIRouter(tags=["content"])

CommunityId = PathId
ContentId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
MemberWritingDep = Annotated[CommunityAccess, Depends(require_member(membership, writes=True))]
EditorDep = Annotated[CommunityAccess, Depends(require_role(membership, roles=EDITOR_ROLES))]
EditorWritingDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=EDITOR_ROLES, writes=True))
]
RuleSetterWritingDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=RULE_SETTER_ROLES, writes=True))
]


@router.post("/communities/{community_id}/content", status_code=status.HTTP_201_CREATED)
async def create_content(
    community_id: CommunityId,
    content_create: ContentCreate,
    uow: UnitOfWorkDep,
    access: MemberWritingDep,
) -> ContentPublic:
    """Create a draft. Any member writes their own member content (source `member`, authored
    by their member id); official and partner content needs owner, admin, assistant or
    recorder."""
    item = await use_cases.create_content(
        uow=uow, access=access, community_id=community_id, content_create=content_create
    )
    return ContentPublic.of(item)


@router.get("/communities/{community_id}/content")
async def list_content(
    community_id: CommunityId,
    session: ReadSessionDep,
    page: PageDep,
    _member: MemberDep,
    kind: ContentKind | None = None,
    content_status: Annotated[ContentStatus | None, Query(alias="status")] = None,
) -> Page[ContentPublic]:
    """A community's content items, oldest first."""
    rows = await use_cases.list_content(
        session=session,
        community_id=community_id,
        kind=kind,
        status=content_status,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [ContentPublic.of(row) for row in rows]
    return Page[ContentPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/content/{content_id}")
async def get_content(
    content_id: ContentId, session: ReadSessionDep, actor: ActorDep
) -> ContentPublic:
    """A content item of a community the caller belongs to; a poll with its live results."""
    item, results = await use_cases.get_content(session=session, actor=actor, content_id=content_id)
    return ContentPublic.of(item, results)


@router.patch("/content/{content_id}")
async def update_content(
    content_id: ContentId, content_update: ContentUpdate, uow: UnitOfWorkDep, actor: ActorDep
) -> ContentPublic:
    """Edit an item while it is a draft or rejected (409 otherwise); its author or an editor."""
    item = await use_cases.update_content(
        uow=uow, actor=actor, content_id=content_id, content_update=content_update
    )
    return ContentPublic.of(item)


@router.post("/content/{content_id}/submit")
async def submit_content(
    content_id: ContentId, uow: UnitOfWorkDep, actor: ActorDep, _body: NoFields | None = None
) -> ContentPublic:
    """Screen the item and send it to review: `in_review` (maybe `flagged`), or `rejected`
    with the `screening` reasons, as the community's screening settings say."""
    item = await use_cases.submit_content(uow=uow, actor=actor, content_id=content_id)
    return ContentPublic.of(item)


@router.post("/content/{content_id}/approve")
async def approve_content(
    content_id: ContentId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    review: ContentReview | None = None,
) -> ContentPublic:
    """Approve an item in review (owner, admin, assistant or recorder)."""
    item = await use_cases.approve_content(
        uow=uow, actor=actor, content_id=content_id, review=review
    )
    return ContentPublic.of(item)


@router.post("/content/{content_id}/reject")
async def reject_content(
    content_id: ContentId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    review: ContentReview | None = None,
) -> ContentPublic:
    """Reject an item in review, with an optional `reason` (owner, admin, assistant or
    recorder)."""
    item = await use_cases.reject_content(
        uow=uow, actor=actor, content_id=content_id, review=review
    )
    return ContentPublic.of(item)


@router.post("/content/{content_id}/schedule")
async def schedule_content(
    content_id: ContentId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    schedule: ContentSchedule | None = None,
) -> ContentPublic:
    """Schedule an approved (or move a scheduled) item: at `publish_at`, or without it at the
    next free slot; a time that breaks a publishing rule is a 409 naming the `rule`."""
    item = await use_cases.schedule_content(
        uow=uow, actor=actor, content_id=content_id, schedule=schedule
    )
    return ContentPublic.of(item)


@router.post("/content/{content_id}/publish")
async def publish_content(
    content_id: ContentId, uow: UnitOfWorkDep, actor: ActorDep, _body: NoFields | None = None
) -> ContentPublic:
    """Publish an approved or scheduled item now."""
    item = await use_cases.publish_content(uow=uow, actor=actor, content_id=content_id)
    return ContentPublic.of(item)


@router.post("/content/{content_id}/archive")
async def archive_content(
    content_id: ContentId, uow: UnitOfWorkDep, actor: ActorDep, _body: NoFields | None = None
) -> ContentPublic:
    """Archive a published item."""
    item = await use_cases.archive_content(uow=uow, actor=actor, content_id=content_id)
    return ContentPublic.of(item)


@router.get("/communities/{community_id}/calendar")
async def get_calendar(
    community_id: CommunityId,
    session: ReadSessionDep,
    page: PageDep,
    _member: MemberDep,
    start: Annotated[Timestamp | None, Query(alias="from")] = None,
    end: Annotated[Timestamp | None, Query(alias="to")] = None,
) -> Page[ContentPublic]:
    """Scheduled and published items with `from <= publish_at < to`, by publish time."""
    rows = await use_cases.calendar(
        session=session,
        community_id=community_id,
        start=start,
        end=end,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [ContentPublic.of(row) for row in rows]
    return Page[ContentPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/publishing-rules")
async def get_publishing_rules(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep
) -> PublishingRulesPublic:
    """The community's publishing rules (the defaults until set), in its timezone."""
    rules, timezone = await use_cases.get_publishing_rules(
        session=session, community_id=community_id
    )
    return PublishingRulesPublic(**rules.model_dump(), community_id=community_id, timezone=timezone)


@router.put("/communities/{community_id}/publishing-rules")
async def put_publishing_rules(
    community_id: CommunityId,
    rules: PublishingRulesPut,
    uow: UnitOfWorkDep,
    _access: RuleSetterWritingDep,
) -> PublishingRulesPublic:
    """Replace the community's publishing rules (owner or admin)."""
    await use_cases.set_publishing_rules(uow=uow, community_id=community_id, rules=rules)
    _rules, timezone = await use_cases.get_publishing_rules(
        session=uow.session, community_id=community_id
    )
    return PublishingRulesPublic(**rules.model_dump(), community_id=community_id, timezone=timezone)


@router.get("/communities/{community_id}/screening")
async def get_screening(
    community_id: CommunityId, session: ReadSessionDep, _editor: EditorDep
) -> ScreeningSettingsPublic:
    """The community's screening settings (editors)."""
    settings = await use_cases.get_screening_settings(session=session, community_id=community_id)
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
    await use_cases.set_screening_settings(uow=uow, community_id=community_id, settings=settings)
    return ScreeningSettingsPublic(**settings.model_dump(), community_id=community_id)


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
    series, made = await use_cases.create_series(
        uow=uow,
        access=access,
        community_id=community_id,
        series_create=series_create,
        window=timedelta(days=settings.series_window_days),
    )
    return SeriesPublic(**series.model_dump(), materialized=made)


@router.post("/content/{content_id}/votes", status_code=status.HTTP_201_CREATED)
async def vote(
    content_id: ContentId, vote_create: VoteCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> VotePublic:
    """A member's vote in a published poll: one each (a second is 409)."""
    ballot, item, results = await use_cases.vote(
        uow=uow, actor=actor, content_id=content_id, vote_create=vote_create
    )
    poll = ContentPublic.of(item, results).poll
    assert isinstance(poll, PollPublic)
    return VotePublic(
        content_id=ballot.content_id,
        member_id=ballot.member_id,
        option=ballot.option,
        voted_at=ballot.voted_at,
        poll=poll,
    )
