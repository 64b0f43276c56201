"""Win-back campaigns: operators target a segment, tier or tag; a run sends each targeted
member outside the holdout and the frequency cap a `nudge.due` with the rendered message, in
one transaction with the recipients; the report compares who came back, nudged against
holdout.

Scoring owns nudges because it already holds what a campaign needs locally: segments (computed
here), the membership projection (tiers, names, user ids), the activity ledger ("active
again"), and, from the same `huoli.members` events, tags and community names. A run reads no
other service, so it needs no synchronous call.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.catalogue import NudgeDue
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess
from services.common.unit_of_work import UnitOfWork
from services.scoring.nudges import repository, rules
from services.scoring.nudges.errors import (
    CampaignNotFound,
    CampaignNotRunnable,
    CampaignTargetRequired,
    UnknownTier,
)
from services.scoring.nudges.rules import Arm, ArmResult, CampaignStatus
from services.scoring.nudges.schemas import (
    ArmPublic,
    CampaignCreate,
    CampaignPublic,
    CampaignReport,
    RecipientPublic,
)


def campaign_public(row: Mapping[Any, Any]) -> CampaignPublic:
    return CampaignPublic.model_validate(dict(row))


async def _campaign(session: AsyncSession, community_id: str, campaign_id: str) -> Any:
    found = await repository.get_campaign(
        session, community_id=community_id, campaign_id=campaign_id
    )
    if found is None:
        raise CampaignNotFound(campaign_id)
    return found


async def create_campaign(
    *, uow: UnitOfWork, access: CommunityAccess, campaign_create: CampaignCreate
) -> CampaignPublic:
    """A draft (or, with `run_at`, a scheduled) campaign; nothing is stored if the target or
    the template is refused."""
    given = [
        name for name in ("segment", "tier_id", "tag") if getattr(campaign_create, name) is not None
    ]
    if len(given) != 1:
        raise CampaignTargetRequired(given)
    rules.check_template(campaign_create.template)
    tier_id = campaign_create.tier_id
    if tier_id is not None and not await repository.tier_has_members(
        uow.session, community_id=access.community_id, tier_id=tier_id
    ):
        raise UnknownTier(tier_id)
    now = utc_now()
    values = campaign_create.model_dump()
    values.update(
        id=new_id("ncp"),
        community_id=access.community_id,
        status=(
            CampaignStatus.SCHEDULED if campaign_create.run_at is not None else CampaignStatus.DRAFT
        ).value,
        ran_at=None,
        targeted=0,
        nudged=0,
        held_out=0,
        capped=0,
        created_by=access.actor.id,
        created_at=now,
        updated_at=now,
    )
    if campaign_create.segment is not None:
        values["segment"] = campaign_create.segment.value
    await repository.add_campaign(uow.session, values)
    return campaign_public(values)


async def get_campaign(
    *, session: AsyncSession, community_id: str, campaign_id: str
) -> CampaignPublic:
    return campaign_public(await _campaign(session, community_id, campaign_id))


async def list_campaigns(
    *, session: AsyncSession, community_id: str, after_id: str | None, limit: int
) -> list[CampaignPublic]:
    rows = await repository.list_campaigns(
        session, community_id=community_id, after_id=after_id, limit=limit
    )
    return [campaign_public(row) for row in rows]


async def _claim(
    uow: UnitOfWork, community_id: str, campaign_id: str, values: dict[str, Any]
) -> Any:
    current = await _campaign(uow.session, community_id, campaign_id)
    claimed = await repository.claim_campaign(uow.session, campaign_id=campaign_id, values=values)
    if claimed is None:
        raise CampaignNotRunnable(campaign_id, current["status"])
    return claimed


async def cancel_campaign(*, uow: UnitOfWork, community_id: str, campaign_id: str) -> None:
    """Cancel a draft or scheduled campaign: it will never run."""
    await _claim(
        uow,
        community_id,
        campaign_id,
        {"status": CampaignStatus.CANCELLED.value, "updated_at": utc_now()},
    )


async def run_campaign(
    *, uow: UnitOfWork, community_id: str, campaign_id: str, now: datetime | None = None
) -> CampaignPublic:
    """Run a campaign once: every member the target matches now is capped, held out or
    nudged (`nudge.due` with the message rendered for them), all in this transaction."""
    now = now or utc_now()
    session = uow.session
    await repository.lock_community(session, community_id=community_id)
    campaign = await _claim(
        uow,
        community_id,
        campaign_id,
        {"status": CampaignStatus.RAN.value, "ran_at": now, "updated_at": now},
    )
    members = await repository.audience(
        session,
        community_id=community_id,
        segment=campaign["segment"],
        tier_id=campaign["tier_id"],
        tag=campaign["tag"],
    )
    cap_days: int = campaign["frequency_cap_days"]
    recent = (
        await repository.last_nudged(
            session, community_id=community_id, since=now - timedelta(days=cap_days)
        )
        if cap_days > 0
        else {}
    )
    community = await repository.community_name(session, community_id=community_id)
    window_ends_at = now + timedelta(days=rules.WINDOW_DAYS)
    rows: list[dict[str, Any]] = []
    events: list[NudgeDue] = []
    counts = dict.fromkeys(Arm, 0)
    for member in members:
        arm = rules.assign(
            campaign_id=campaign_id,
            member_id=member["member_id"],
            holdout_percent=campaign["holdout_percent"],
            last_nudged_at=recent.get(member["member_id"]),
            now=now,
            cap_days=cap_days,
        )
        counts[arm] += 1
        rows.append(
            {
                "campaign_id": campaign_id,
                "member_id": member["member_id"],
                "community_id": community_id,
                "arm": arm.value,
                "assigned_at": now,
                "window_ends_at": window_ends_at,
            }
        )
        if arm is Arm.NUDGED:
            text = rules.render(
                campaign["template"],
                {
                    "name": member["display_name"],
                    "community": community or community_id,
                    "days_inactive": str(
                        rules.days_inactive(member["last_active_at"], member["joined_at"], now)
                    ),
                },
            )
            events.append(
                NudgeDue(
                    community_id=community_id,
                    campaign_id=campaign_id,
                    member_id=member["member_id"],
                    user_id=member["user_id"],
                    display_name=member["display_name"],
                    text=text,
                    nudged_at=now,
                )
            )
    await repository.add_recipients(session, rows)
    await uow.outbox.add_many(session, events)
    totals = {
        "targeted": len(rows),
        "nudged": counts[Arm.NUDGED],
        "held_out": counts[Arm.HOLDOUT],
        "capped": counts[Arm.CAPPED],
    }
    await repository.save_counts(session, campaign_id=campaign_id, counts=totals)
    return campaign_public({**campaign, **totals})


async def due_campaigns(*, session: AsyncSession, now: datetime) -> list[tuple[str, str]]:
    """Scheduled campaigns whose time has come, as (community id, campaign id)."""
    rows = await repository.due_campaigns(session, now=now, limit=50)
    return [(row["community_id"], row["id"]) for row in rows]


async def recipients(
    *, session: AsyncSession, community_id: str, campaign_id: str, after_id: str | None, limit: int
) -> list[RecipientPublic]:
    await _campaign(session, community_id, campaign_id)
    rows = await repository.recipients(
        session, campaign_id=campaign_id, after_id=after_id, limit=limit
    )
    return [RecipientPublic.model_validate(dict(row)) for row in rows]


async def report(*, session: AsyncSession, community_id: str, campaign_id: str) -> CampaignReport:
    """Who came back within the window, nudged against holdout."""
    campaign = await _campaign(session, community_id, campaign_id)
    results = await repository.arm_results(session, campaign_id=campaign_id)
    nudged = ArmResult(*results.get(Arm.NUDGED.value, (0, 0)))
    holdout = ArmResult(*results.get(Arm.HOLDOUT.value, (0, 0)))
    ran_at: datetime | None = campaign["ran_at"]
    window_ends_at = ran_at + timedelta(days=rules.WINDOW_DAYS) if ran_at else None
    complete = window_ends_at is not None and utc_now() >= window_ends_at
    comparison = rules.compare(nudged, holdout, window_complete=complete)
    note = comparison.note if ran_at is not None else "the campaign has not run yet"
    return CampaignReport(
        campaign_id=campaign_id,
        status=campaign["status"],
        ran_at=ran_at,
        window_days=rules.WINDOW_DAYS,
        window_ends_at=window_ends_at,
        window_complete=complete,
        nudged=ArmPublic(
            members=nudged.members, active_again=nudged.active_again, share=nudged.share
        ),
        holdout=ArmPublic(
            members=holdout.members, active_again=holdout.active_again, share=holdout.share
        ),
        capped=results.get(Arm.CAPPED.value, (0, 0))[0],
        uplift=comparison.uplift,
        p_value=comparison.p_value,
        meaningful=comparison.meaningful,
        min_arm_members=rules.MIN_ARM_MEMBERS,
        note=note,
    )
