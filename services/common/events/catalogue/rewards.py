"""Scoring's events of rewards and recognition beyond the points mall: level benefits and
community-wide lotteries (a module of its own so the features that add them stay apart)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.common.events.catalogue.base import DomainEvent, register


class Benefit(BaseModel):
    """One benefit (福利) of a tier or a level, as operators describe it."""

    model_config = ConfigDict(frozen=True)

    title: str
    description: str = ""


@register
class LevelBenefitsChanged(DomainEvent):
    """An owner or admin described what members of `level` get; `benefits` is the whole list
    now (empty: none). The members service keeps it to show with a member's standing."""

    type = "level.benefits_changed"
    source = "scoring"
    subject_field = "community_id"

    community_id: str
    level: int
    benefits: list[Benefit]
    changed_by: str
    changed_at: datetime


@register
class CommunityLotteryCommitted(DomainEvent):
    """A community-wide draw was committed: its pool frozen (`pool_sha256` over the sorted
    member ids, `pool_size` of them) and its seed fixed (`seed_sha256`), before anyone knows
    the seed."""

    type = "community_lottery.committed"
    source = "scoring"
    subject_field = "lottery_id"

    community_id: str
    lottery_id: str
    prize: str
    winners_count: int
    pool_kind: str
    pool_size: int
    pool_sha256: str
    seed_sha256: str
    committed_at: datetime


@register
class CommunityLotteryDrawn(DomainEvent):
    """A community-wide draw revealed its seed: `winners` are draw_winners(seed, pool, n)
    (services.common.lottery), which anyone can recompute from the published pool."""

    type = "community_lottery.drawn"
    source = "scoring"
    subject_field = "lottery_id"

    community_id: str
    lottery_id: str
    prize: str
    pool_kind: str
    pool_size: int
    pool_sha256: str
    seed_sha256: str
    seed: str
    winners: list[str]
    drawn_at: datetime
