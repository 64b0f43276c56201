"""Tier policy endpoints: set it, read it, run it (or plan a run)."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.members.domain import tier_policy
from services.members.domain.tier_policy import Policy, RunResult

router = APIRouter(tags=["members"])

Count = Annotated[int, Field(ge=0, le=100_000, description="0 turns the step off")]
Days = Annotated[int, Field(ge=1, le=3650)]

DEFAULTS = Policy()


class TierPolicyBody(BaseModel):
    """Omitted fields take the defaults (PRODUCT.md): every 7 days the 3 best of each tier move
    up, every 14 days the 10 least engaged move down, the lowest tier loses members inactive
    for 30 days. `scheduled` runs it by itself at each period's start."""

    model_config = ConfigDict(extra="forbid")

    promote_top: Count = DEFAULTS.promote_top
    promote_every_days: Days = DEFAULTS.promote_every_days
    demote_bottom: Count = DEFAULTS.demote_bottom
    demote_every_days: Days = DEFAULTS.demote_every_days
    purge_inactive_days: Annotated[
        int, Field(ge=0, le=3650, description="0 turns the purge off")
    ] = DEFAULTS.purge_inactive_days
    scheduled: bool = True


class TierPolicyRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = True


class TierMove(BaseModel):
    member_id: str
    from_tier_id: str
    to_tier_id: str
    reason: str
    score: float


class TierPolicyRunPublic(BaseModel):
    dry_run: bool
    moves: list[TierMove]
    purged: list[str]
    steps: list[str] = Field(description="the steps that ran (or would run)")
    already_ran: list[str] = Field(description="steps that had already run this period")

    @classmethod
    def of(cls, result: RunResult) -> "TierPolicyRunPublic":
        return cls(
            dry_run=result.dry_run,
            moves=[
                TierMove(
                    member_id=move.member_id,
                    from_tier_id=move.from_tier_id,
                    to_tier_id=move.to_tier_id,
                    reason=move.reason,
                    score=move.score,
                )
                for move in result.moves
            ],
            purged=result.purged,
            steps=result.steps,
            already_ran=result.already_ran,
        )


def _public(policy: Policy) -> TierPolicyBody:
    return TierPolicyBody(
        promote_top=policy.promote_top,
        promote_every_days=policy.promote_every_days,
        demote_bottom=policy.demote_bottom,
        demote_every_days=policy.demote_every_days,
        purge_inactive_days=policy.purge_inactive_days,
        scheduled=policy.scheduled,
    )


@router.put("/communities/{community_id}/tier-policy")
async def set_tier_policy(
    community_id: PathId, body: TierPolicyBody, uow: UnitOfWorkDep, actor: ActorDep
) -> TierPolicyBody:
    """Set the community's tier policy (owner and admins)."""
    policy = await tier_policy.set_policy(
        uow=uow, actor=actor, community_id=community_id, policy=Policy(**body.model_dump())
    )
    return _public(policy)


@router.get("/communities/{community_id}/tier-policy")
async def get_tier_policy(
    community_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> TierPolicyBody:
    """The community's tier policy: the defaults, unscheduled, until one is set."""
    return _public(
        await tier_policy.get_policy(session=session, actor=actor, community_id=community_id)
    )


@router.post("/communities/{community_id}/tier-policy/run")
async def run_tier_policy(
    community_id: PathId, run: TierPolicyRunRequest, uow: UnitOfWorkDep, actor: ActorDep
) -> TierPolicyRunPublic:
    """Run the tier policy now (owner and admins). `dry_run` (the default) only returns the
    plan. A real run does each step at most once per period, as the scheduled one does."""
    result = await tier_policy.run_tier_policy(
        uow=uow, actor=actor, community_id=community_id, dry_run=run.dry_run
    )
    return TierPolicyRunPublic.of(result)
