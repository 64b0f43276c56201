"""Request and response shapes of the tier policy and of a member's standing."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.benefits import BenefitItem
from services.members.tier_policy.rules import (
    PRESETS,
    DemoteScope,
    DemoteTo,
    PeriodKind,
    Policy,
    RunResult,
    Window,
    Zone,
)

Count = Annotated[int, Field(ge=0, le=100_000, description="0 turns the step off")]
Days = Annotated[int, Field(ge=0, le=3650)]

DEFAULTS = Policy()


class TierPolicyBody(BaseModel):
    """Omitted fields take the `preset`'s values (`playbook`, the default: every half-month the
    3 best of each tier move up and the 10 least engaged of the whole community go down into the
    lowest tier; the lowest tier loses members inactive for 30 days; members at risk are warned
    2 days before the run). `scheduled` runs it by itself at each period's start."""

    model_config = ConfigDict(extra="forbid")

    preset: Literal["playbook", "per_tier"] | None = Field(
        default=None, description="start from a preset; the fields sent override it"
    )
    promote_top: Count = DEFAULTS.promote_top
    promote_period: PeriodKind = DEFAULTS.promote_period
    demote_bottom: Count = DEFAULTS.demote_bottom
    demote_period: PeriodKind = DEFAULTS.demote_period
    demote_scope: DemoteScope = DEFAULTS.demote_scope
    demote_to: DemoteTo = DEFAULTS.demote_to
    demote_silent_days: Annotated[
        int, Field(ge=0, le=3650, description="demote only members silent this long; 0: any")
    ] = DEFAULTS.demote_silent_days
    purge_inactive_days: Annotated[
        int, Field(ge=0, le=3650, description="0 turns the purge off")
    ] = DEFAULTS.purge_inactive_days
    warn_days_before: Annotated[
        int, Field(ge=0, le=31, description="member.at_risk this many days before a run; 0: never")
    ] = DEFAULTS.warn_days_before
    scheduled: bool = True

    def policy(self) -> Policy:
        base = PRESETS[self.preset or "playbook"]
        sent = self.model_dump(exclude_unset=True, exclude={"preset"})
        fields = {name: getattr(base, name) for name in Policy.__dataclass_fields__}
        return Policy(**{**fields, **sent})


class TierPolicyRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = True
    window: Window = Field(
        default=Window.PREVIOUS,
        description="previous: the period that ended last (what the scheduler judges); "
        "current: the current period so far",
    )


class TierMove(BaseModel):
    member_id: str
    from_tier_id: str
    to_tier_id: str
    reason: str
    score: float


class PeriodPublic(BaseModel):
    kind: PeriodKind
    starts_on: date
    ends_on: date = Field(description="the first day after the period")


class TierPolicyRunPublic(BaseModel):
    dry_run: bool
    moves: list[TierMove]
    purged: list[str]
    steps: list[str] = Field(description="the steps that ran (or would run)")
    already_ran: list[str] = Field(description="steps that had already run for their period")
    periods: dict[str, PeriodPublic] = Field(description="the period each step judged")

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
            periods={
                step: PeriodPublic(kind=s.kind, starts_on=s.starts_on, ends_on=s.ends_on)
                for step, s in result.periods.items()
            },
        )


def public_policy(policy: Policy) -> TierPolicyBody:
    """The policy as the API shows it."""
    return TierPolicyBody(**{name: getattr(policy, name) for name in Policy.__dataclass_fields__})


class StandingPublic(BaseModel):
    community_id: str
    member_id: str
    tier_id: str | None
    tier_name: str | None
    period: PeriodPublic = Field(description="the current period the next run will judge")
    points: float = Field(description="points scoring credited in the period so far")
    rank_in_tier: int | None
    tier_members: int
    rank_in_community: int
    community_members: int
    promote_cutoff: float | None = Field(
        description="the points of the last member inside the promotion zone; null while the "
        "zone has room for anyone who scored (or nobody is promoted from this tier)"
    )
    demote_cutoff: float | None = Field(
        description="the points of the last member inside the demotion zone; null while nobody "
        "could be demoted"
    )
    zone: Zone
    next_run_at: datetime | None
    level: int = Field(
        default=1, description="the member's level as scoring announced it (level.reached)"
    )
    tier_benefits: list[BenefitItem] = Field(
        default_factory=list, description="what the member's tier gives (described on the tier)"
    )
    level_benefits: list[BenefitItem] = Field(
        default_factory=list,
        description="what the member's level gives (scoring's, as level.benefits_changed "
        "announced them)",
    )
