"""Welcome templates: owners and admins (`edit_community`) set the community's template, the
text `{rules}` stands for, and tiers' own templates; every member reads them. Every join that
takes effect (`announce_joined`: an open join, an invite, an approval, a return) renders the
newcomer's template into `member.welcome_due`, which a bot posts; no template, no event. The
caller commits once."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import MemberWelcomeDue
from services.common.events.envelope import utc_now
from services.common.templates import check_template
from services.common.unit_of_work import UnitOfWork
from services.members.communities import repository as community_repository
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import Membership, TierWelcome, WelcomeSettings
from services.members.tiers import repository as tier_repository
from services.members.tiers.errors import TierNotFound
from services.members.welcome import repository
from services.members.welcome.rules import (
    KNOWN,
    Placeholder,
    chosen_template,
    render,
    rules_text,
)
from services.members.welcome.schemas import (
    TierWelcomePublic,
    TierWelcomeUpdate,
    WelcomePublic,
    WelcomeUpdate,
)


def _checked(template: str | None) -> None:
    if template is not None:
        check_template(template, KNOWN)


async def get_welcome(*, session: AsyncSession, actor: Actor, community_id: str) -> WelcomePublic:
    """The community's welcome and its tiers' (any member)."""
    admitted = await acting(session, community_id=community_id, actor=actor, permission=None)
    return await _welcome(session, community_id, admitted.community.rules)


async def _welcome(session: AsyncSession, community_id: str, rules: list[str]) -> WelcomePublic:
    settings = await repository.settings_of(session, community_id)
    tiers = await repository.tier_templates(session, community_id)
    return WelcomePublic(
        community_id=community_id,
        template=settings.template if settings else None,
        rules_summary=settings.rules_summary if settings else None,
        rules_text=rules_text(settings.rules_summary if settings else None, rules),
        tiers=[TierWelcomePublic.model_validate(row, from_attributes=True) for row in tiers],
        updated_by=settings.updated_by if settings else None,
        updated_at=settings.updated_at if settings else None,
    )


async def set_welcome(
    *, uow: UnitOfWork, actor: Actor, community_id: str, welcome_update: WelcomeUpdate
) -> WelcomePublic:
    """Replace the community's template and rules text (owner, admins); 422
    `unknown-placeholder` naming `template` for a placeholder it does not know."""
    admitted = await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    _checked(welcome_update.template)
    await repository.save_settings(
        uow.session,
        WelcomeSettings(
            community_id=community_id,
            template=welcome_update.template,
            rules_summary=welcome_update.rules_summary,
            updated_by=actor.id,
            updated_at=utc_now(),
        ),
    )
    await uow.session.flush()
    return await _welcome(uow.session, community_id, admitted.community.rules)


async def clear_welcome(*, uow: UnitOfWork, actor: Actor, community_id: str) -> None:
    """Clear the community's template and rules text (owner, admins); tiers keep theirs."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    await repository.clear_settings(uow.session, community_id)


async def set_tier_welcome(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    tier_id: str,
    tier_welcome_update: TierWelcomeUpdate,
) -> TierWelcomePublic:
    """Set a tier's own template (owner, admins): it overrides the community's there."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    await _tier(uow.session, community_id, tier_id)
    _checked(tier_welcome_update.template)
    row = TierWelcome(
        tier_id=tier_id,
        community_id=community_id,
        template=tier_welcome_update.template,
        updated_by=actor.id,
        updated_at=utc_now(),
    )
    await repository.save_tier_template(uow.session, row)
    return TierWelcomePublic.model_validate(row, from_attributes=True)


async def clear_tier_welcome(
    *, uow: UnitOfWork, actor: Actor, community_id: str, tier_id: str
) -> None:
    """Clear a tier's own template (owner, admins): its members get the community's again."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    await _tier(uow.session, community_id, tier_id)
    await repository.clear_tier_template(uow.session, tier_id)


async def _tier(session: AsyncSession, community_id: str, tier_id: str) -> None:
    if await tier_repository.get_tier(session, community_id=community_id, tier_id=tier_id) is None:
        raise TierNotFound(tier_id)


async def announce_welcome(uow: UnitOfWork, membership: Membership) -> None:
    """Write `member.welcome_due` for a join taking effect now, if a template applies."""
    session = uow.session
    # Two primary-key reads decide whether anything is due: most joins stop here.
    settings = await repository.settings_of(session, membership.community_id)
    tier_row = (
        await repository.tier_template(session, membership.tier_id) if membership.tier_id else None
    )
    chosen = chosen_template(
        community_template=settings.template if settings else None,
        tier_template=tier_row.template if tier_row else None,
    )
    if chosen is None:
        return
    template, scope = chosen
    community = await community_repository.get_community(session, membership.community_id)
    if community is None:  # the membership's community exists; kept for the type checker
        return
    tier = (
        await tier_repository.get_tier(
            session, community_id=membership.community_id, tier_id=membership.tier_id
        )
        if membership.tier_id
        else None
    )
    text = render(
        template,
        {
            Placeholder.NAME: membership.display_name,
            Placeholder.COMMUNITY: community.name,
            Placeholder.TIER: tier.name if tier else "",
            Placeholder.RULES: rules_text(
                settings.rules_summary if settings else None, community.rules
            ),
        },
    )
    await uow.outbox.add(
        session,
        MemberWelcomeDue(
            community_id=membership.community_id,
            member_id=membership.id,
            user_id=membership.user_id,
            tier_id=membership.tier_id,
            text=text,
            template_scope=scope,
            joined_at=membership.joined_at,
        ),
    )
