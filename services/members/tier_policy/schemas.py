"""Request and response shapes of the tier policy."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.members.tier_policy.rules import Policy, RunResult

Count = Annotated[int, Field(ge=0, le=100_000, description="0 turns the step off")]
Days = Annotated[int, Field(ge=1, le=3650)]

DEFAULTS = Policy()


class TierPolicyBody(BaseModel):
    """Omitted fields take the defaults: every 7 days the 3 best of each tier move
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


def public_policy(policy: Policy) -> TierPolicyBody:
    """The policy as the API shows it."""
    return TierPolicyBody(
        promote_top=policy.promote_top,
        promote_every_days=policy.promote_every_days,
        demote_bottom=policy.demote_bottom,
        demote_every_days=policy.demote_every_days,
        purge_inactive_days=policy.purge_inactive_days,
        scheduled=policy.scheduled,
    )
