"""The scoring service's tables, in a metadata of its own (see services.common.db).

Points are stored as integer thousandths (`*_milli`): weights such as 0.2 are not exact in
binary floating point, and SQLite sums NUMERIC as REAL, so float sums would drift and two equal
scores could compare unequal and break the leaderboard's tie order. Integers sum exactly on
both backends.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime, table_registry
from services.common.events.tables import messaging_tables
from services.common.membership.tables import membership_tables

registry = table_registry()
metadata = registry.metadata

ID_LENGTH = 64
ACTIVITY_ID_LENGTH = 128


class ScoringTable(SQLModel, registry=registry):
    pass


class ActivityReceipt(ScoringTable, table=True):
    """One row per activity id ever accepted in a community: what makes ingestion idempotent.

    Ids are a community's own (a partner's message ids, say): two communities may use the same
    one, and neither can claim an id ahead of the other.
    """

    __tablename__ = "activity_receipt"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    activity_id: str = Field(primary_key=True, max_length=ACTIVITY_ID_LENGTH)
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class HeldActivity(ScoringTable, table=True):
    """An activity posted for a community or member the membership projection does not know yet
    (it lags the members service by a moment): held, and recorded once the membership arrives,
    or refused at `refuse_after` (services.scoring.ingestion.workers)."""

    __tablename__ = "held_activity"
    __table_args__ = (Index("ix_held_activity_refuse_after", "refuse_after"),)

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    activity_id: str = Field(primary_key=True, max_length=ACTIVITY_ID_LENGTH)
    # The item as posted, and who posted it: the checks run again with the same caller.
    item: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    actor: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    refuse_after: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LedgerEntry(ScoringTable, table=True):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        Index("ix_ledger_entry_community_seq", "community_id", "seq"),
        # Each batch numbers its entries after max(seq): an index lookup, not a scan.
        Index("ix_ledger_entry_seq", "seq"),
        # A late arrival is decided among its member's entries of its type around its time.
        Index(
            "ix_ledger_entry_member_type_time",
            "community_id",
            "member_id",
            "activity_type",
            "occurred_at",
        ),
        UniqueConstraint("community_id", "activity_id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    activity_id: str = Field(max_length=ACTIVITY_ID_LENGTH)
    community_id: str = Field(max_length=ID_LENGTH)
    member_id: str = Field(max_length=ID_LENGTH)
    activity_type: str = Field(max_length=40)
    points_milli: int = Field(sa_column=Column(BigInteger(), nullable=False))
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    target_member_id: str | None = Field(default=None, max_length=ID_LENGTH)
    content_id: str | None = Field(default=None, max_length=ID_LENGTH)
    attrs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The order entries were applied in, per community (replay folds them in this order).
    seq: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False, default=0))
    # What the rules made of it when it was applied: credited, capped or cooled_down.
    outcome: str = Field(default="credited", max_length=12)
    half_life_days: float = Field(default=14.0, sa_column=Column(Float(), nullable=False))
    # The member's tier and the community's local day when it was applied: which boards it
    # went to, kept so a replay puts it on the same ones whatever changed since.
    tier_id: str | None = Field(default=None, max_length=ID_LENGTH)
    local_day: str = Field(default="", max_length=10)


class MemberScore(ScoringTable, table=True):
    """Per member: the all-time total, the decaying engagement key, points, level, segment.

    `engagement_key` is log2 of the engagement score at the decay epoch (see domain.rules):
    ordering by it is ordering by the decayed score at any moment, so it is indexed and never
    rewritten as time passes.
    """

    __tablename__ = "member_score"
    __table_args__ = (
        Index("ix_member_score_engagement", "community_id", "engagement_key", "member_id"),
    )

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    score_milli: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    activity_count: int = Field(default=0)
    last_active_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    engagement_key: float = Field(default=-1.0e300, sa_column=Column(Float(), nullable=False))
    half_life_days: float = Field(default=14.0, sa_column=Column(Float(), nullable=False))
    # Lifetime points: earned by activity, awarded, redeemed; never below 0.
    points_milli: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    # What levels count: points earned and awarded (a redemption does not lower a level).
    level_milli: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    level: int = Field(default=1)
    segment: str = Field(default="silent", max_length=12)
    was_top_quarter: bool = Field(default=False, sa_column=Column(Boolean(), nullable=False))


class MemberTypeStat(ScoringTable, table=True):
    """Per member and activity type: the breakdown an engagement explains itself with, and the
    state cooldowns and daily caps are decided on."""

    __tablename__ = "member_type_stat"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    activity_type: str = Field(primary_key=True, max_length=40)
    count: int = Field(default=0)
    points_milli: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    capped: int = Field(default=0)
    cooled_down: int = Field(default=0)
    last_credited_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    cap_day: str = Field(default="", max_length=10)
    cap_day_count: int = Field(default=0)


class BoardEntry(ScoringTable, table=True):
    """A member's points in one leaderboard: a period (its first local day; "" for all time)
    and a scope ("*" for the community, else a tier id). The index serves top-N as a range scan
    and a member's rank as a count of the range above them."""

    __tablename__ = "board_entry"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    period: str = Field(primary_key=True, max_length=8)
    period_start: str = Field(primary_key=True, max_length=10)
    scope: str = Field(primary_key=True, max_length=ID_LENGTH)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    score_milli: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))


_board = BoardEntry.__table__  # type: ignore[attr-defined]
# Score descending, member id ascending: the board's order, so top-N reads the index in order
# and stops after N entries (a mixed-direction ORDER BY on an all-ascending index sorts).
Index(
    "ix_board_entry_rank",
    _board.c.community_id,
    _board.c.period,
    _board.c.period_start,
    _board.c.scope,
    _board.c.score_milli.desc(),
    _board.c.member_id,
)


class BoardBucket(ScoringTable, table=True):
    """How many members of a board have a score in one bucket (storage/ranks.py): a member's
    rank adds up the buckets above theirs and counts only within their own, so it costs the
    same at rank 100,000 as at rank 10 (a count over the board's index grows with the rank)."""

    __tablename__ = "board_bucket"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    period: str = Field(primary_key=True, max_length=8)
    period_start: str = Field(primary_key=True, max_length=10)
    scope: str = Field(primary_key=True, max_length=ID_LENGTH)
    bucket: int = Field(primary_key=True)
    members: int = Field(default=0)


class EngagementBucket(ScoringTable, table=True):
    """How many members of a community have an engagement key in one bucket
    (storage/ranks.py): the engagement rank adds up the buckets above a member's and counts
    only within their own, as an all-time board's rank does with `board_bucket`. Keys change
    only when a member scores (a batch moves them between buckets) and when the half-life
    changes (the community's buckets are counted again); decay moves no one."""

    __tablename__ = "engagement_bucket"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    bucket: int = Field(primary_key=True)
    members: int = Field(default=0)


class ScoringRules(ScoringTable, table=True):
    """A community's own rules; a community without a row scores with the defaults."""

    __tablename__ = "scoring_rules"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    weights: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    cooldown_seconds: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    daily_cap: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    half_life_days: float = Field(default=14.0, sa_column=Column(Float(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class HalfLifeChange(ScoringTable, table=True):
    """When a community's half-life changed: replay re-keys scores at the same moments."""

    __tablename__ = "half_life_change"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    changed_at: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    from_days: float = Field(sa_column=Column(Float(), nullable=False))
    to_days: float = Field(sa_column=Column(Float(), nullable=False))


class Badge(ScoringTable, table=True):
    __tablename__ = "badge"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    badge: str = Field(primary_key=True, max_length=40)
    awarded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class BadgeDefinition(ScoringTable, table=True):
    """A badge a community's operators defined, awarded by hand (the built-in badges of
    services/scoring/badges/rules.py are earned by rules and have no row here)."""

    __tablename__ = "badge_definition"
    __table_args__ = (Index("ix_badge_definition_community", "community_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=ID_LENGTH)
    name: str = Field(max_length=60)
    description: str = Field(default="", max_length=500)
    image_url: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class PointsAdjustment(ScoringTable, table=True):
    """An award or a redemption: the log replay adds back to the points."""

    __tablename__ = "points_adjustment"
    __table_args__ = (Index("ix_points_adjustment_member", "community_id", "member_id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=ID_LENGTH)
    member_id: str = Field(max_length=ID_LENGTH)
    delta_milli: int = Field(sa_column=Column(BigInteger(), nullable=False))
    balance_milli: int = Field(sa_column=Column(BigInteger(), nullable=False))
    reason: str = Field(max_length=200)
    changed_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # False for a refund (a cancelled redemption's points coming back): it raises no level.
    earned: bool = Field(
        default=True, sa_column=Column(Boolean(), nullable=False, server_default=true())
    )


class MembershipChange(ScoringTable, table=True):
    """Joins and departures, for the metrics (new, left, members over time, cohorts)."""

    __tablename__ = "membership_change"
    __table_args__ = (Index("ix_membership_change_community_at", "community_id", "occurred_at"),)

    event_id: str = Field(primary_key=True, max_length=64)
    community_id: str = Field(max_length=ID_LENGTH)
    member_id: str = Field(max_length=ID_LENGTH)
    kind: str = Field(max_length=8)  # joined | left
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # Why a departure happened: the exit reason the member gave on `member.left`, `removed`
    # for `member.removed`; None for a join, or a member who left without saying.
    reason: str | None = Field(default=None, max_length=30)


class DailyActive(ScoringTable, table=True):
    """Who was active on which local day: DAU/WAU/MAU and retention count these rows."""

    __tablename__ = "daily_active"
    # Each member's first active day in one ordered pass (the members counts of a report).
    __table_args__ = (Index("ix_daily_active_member", "community_id", "member_id", "day"),)

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    day: str = Field(primary_key=True, max_length=10)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)


class DailyTypeCount(ScoringTable, table=True):
    __tablename__ = "daily_type_count"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    day: str = Field(primary_key=True, max_length=10)
    activity_type: str = Field(primary_key=True, max_length=40)
    count: int = Field(default=0)


class PeriodClose(ScoringTable, table=True):
    """The claim on closing one period of a community: whoever inserts it closes the period."""

    __tablename__ = "period_close"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    period: str = Field(primary_key=True, max_length=8)
    period_start: str = Field(primary_key=True, max_length=10)
    closed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    members_ranked: int = Field(default=0)


class HealthAlert(ScoringTable, table=True):
    __tablename__ = "health_alert"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(primary_key=True, max_length=40)
    week_start: str = Field(primary_key=True, max_length=10)
    previous_value: int = Field(default=0)
    value: int = Field(default=0)
    drop: float = Field(sa_column=Column(Float(), nullable=False))
    raised_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class SignalHour(ScoringTable, table=True):
    """How many joins, departures, reports or sanctions a community had in one UTC hour: what
    the early warnings compare with the hours before."""

    __tablename__ = "signal_hour"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(primary_key=True, max_length=20)
    hour: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    count: int = Field(default=0)


class WarningThresholds(ScoringTable, table=True):
    """A community's own early-warning thresholds ({signal: {at_least, times}}), replacing the
    defaults of the signals it names."""

    __tablename__ = "warning_thresholds"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    thresholds: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class EventRating(ScoringTable, table=True):
    """An event's feedback ratings as they arrive (their count and sum), and when it raised a
    falling-rating warning: what the community's later events are compared with."""

    __tablename__ = "event_rating"
    __table_args__ = (Index("ix_event_rating_community_id_ends_at", "community_id", "ends_at"),)

    event_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    community_id: str = Field(max_length=ID_LENGTH)
    ends_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ratings: int = Field(default=0)
    rating_sum: int = Field(default=0)
    alerted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class CommunityTally(ScoringTable, table=True):
    """Running counts per community that the metrics build on: one per applied event, so a
    redelivered event applied twice (or one lost) would show here."""

    __tablename__ = "community_tally"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    members_joined: int = Field(default=0)


class Reward(ScoringTable, table=True):
    """An item of the points mall. `stock` is what is left: a redemption takes one with a
    conditional UPDATE (stock > 0), so concurrent redemptions never oversell."""

    __tablename__ = "reward"
    __table_args__ = (Index("ix_reward_community", "community_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=ID_LENGTH)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    price_milli: int = Field(sa_column=Column(BigInteger(), nullable=False))
    stock: int = Field(default=0)
    redeemed: int = Field(default=0)
    per_member_limit: int | None = Field(default=None)
    tier_id: str | None = Field(default=None, max_length=ID_LENGTH)
    starts_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    ends_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    status: str = Field(default="active", max_length=12)  # active | withdrawn
    # Stock is the codes of its coupon batches left (services/scoring/coupons).
    coupon_backed: bool = Field(
        default=False, sa_column=Column(Boolean(), nullable=False, server_default=false())
    )
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class RewardClaim(ScoringTable, table=True):
    """How many of a reward a member holds (redeemed, not cancelled): the per-member limit is a
    conditional UPDATE on this count, safe under concurrency like the stock."""

    __tablename__ = "reward_claim"

    reward_id: str = Field(primary_key=True, max_length=40)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    count: int = Field(default=0)


class Redemption(ScoringTable, table=True):
    __tablename__ = "redemption"
    __table_args__ = (
        Index("ix_redemption_member", "community_id", "member_id", "id"),
        UniqueConstraint("code"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=ID_LENGTH)
    reward_id: str = Field(max_length=40)
    member_id: str = Field(max_length=ID_LENGTH)
    code: str = Field(max_length=32)
    price_milli: int = Field(sa_column=Column(BigInteger(), nullable=False))
    status: str = Field(default="redeemed", max_length=12)  # redeemed | cancelled
    redeemed_by: str = Field(max_length=128)
    redeemed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    cancelled_by: str | None = Field(default=None, max_length=128)
    cancelled_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    cancel_reason: str | None = Field(default=None, max_length=200)
    # The coupon a coupon-backed reward's redemption handed out.
    coupon_code: str | None = Field(default=None, max_length=64)


# --- rewards, badges by rule, level benefits, community lotteries (j24b) ---------------------


class CouponBatch(ScoringTable, table=True):
    """Codes added to a coupon-backed reward at once: imported from a list or generated."""

    __tablename__ = "coupon_batch"
    __table_args__ = (Index("ix_coupon_batch_reward", "reward_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=ID_LENGTH)
    reward_id: str = Field(max_length=40)
    source: str = Field(max_length=12)  # imported | generated
    count: int = Field(default=0)
    skipped: int = Field(default=0)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Coupon(ScoringTable, table=True):
    """One code of a coupon-backed reward; `redemption_id` is set once, by the redemption that
    took it (a conditional UPDATE on a free row), and never cleared: a code a member was shown
    is never handed to another."""

    __tablename__ = "coupon"
    __table_args__ = (
        UniqueConstraint("reward_id", "code"),
        UniqueConstraint("redemption_id"),
        Index("ix_coupon_free", "reward_id", "redemption_id", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    reward_id: str = Field(max_length=40)
    batch_id: str = Field(max_length=40)
    code: str = Field(max_length=64)
    redemption_id: str | None = Field(default=None, max_length=40)
    issued_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class BadgeRule(ScoringTable, table=True):
    """A rule that awards an operator-defined badge: `kind` activity_count (N activities of
    `activity_type`), streak (a 打卡 streak of N days), level (level L) or points (P points
    earned, in thousandths)."""

    __tablename__ = "badge_rule"
    __table_args__ = (Index("ix_badge_rule_community", "community_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=ID_LENGTH)
    badge_id: str = Field(max_length=40)
    kind: str = Field(max_length=16)
    activity_type: str | None = Field(default=None, max_length=40)
    threshold: int = Field(sa_column=Column(BigInteger(), nullable=False))
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LevelBenefit(ScoringTable, table=True):
    """What members of a level get (福利): a list of {title, description}; scoring owns levels,
    so it owns their benefits and announces each change (`level.benefits_changed`)."""

    __tablename__ = "level_benefit"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    level: int = Field(primary_key=True)
    benefits: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(max_length=128)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class CommunityLottery(ScoringTable, table=True):
    """A community-wide draw by commit-reveal: the pool is frozen at the commit and published
    with its SHA-256 beside the seed's; the seed is revealed at the draw."""

    __tablename__ = "community_lottery"
    __table_args__ = (Index("ix_community_lottery_community", "community_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=ID_LENGTH)
    prize: str = Field(max_length=200)
    winners_count: int
    pool: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    pool_member_ids: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    pool_size: int
    pool_sha256: str = Field(max_length=64)
    seed_hex: str = Field(max_length=64)
    seed_sha256: str = Field(max_length=64)
    status: str = Field(max_length=12)  # committed | drawn
    winners: list[Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_by: str = Field(max_length=128)
    committed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    drawn_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class PoolMember(ScoringTable, table=True):
    """Who belongs to a pool other services define, kept from their events (consumer
    `scoring.pools`): a poll's voters, a 打卡 challenge's finishers, an event's registrants and
    attendees. `source_id` is the poll, challenge or event; `kind` voter | finisher |
    registrant | attendee. Keyed without the community so a pool of another community is told
    apart from an unknown one."""

    __tablename__ = "pool_member"
    __table_args__ = (Index("ix_pool_member_community", "community_id", "kind", "source_id"),)

    kind: str = Field(primary_key=True, max_length=12)
    source_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    community_id: str = Field(max_length=ID_LENGTH)
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class NudgeCampaign(ScoringTable, table=True):
    """A win-back campaign (services/scoring/nudges): whom it targets (one of a segment, a tier
    or a tag), the message, the holdout share and the frequency cap; once run, its counts."""

    __tablename__ = "nudge_campaign"
    __table_args__ = (
        Index("ix_nudge_campaign_community", "community_id", "id"),
        # The scheduler's look for campaigns due to run.
        Index("ix_nudge_campaign_status_run_at", "status", "run_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=ID_LENGTH)
    name: str = Field(max_length=100)
    segment: str | None = Field(default=None, max_length=12)
    tier_id: str | None = Field(default=None, max_length=ID_LENGTH)
    tag: str | None = Field(default=None, max_length=50)
    template: str = Field(sa_column=Column(Text(), nullable=False))
    holdout_percent: int = Field(default=10)
    frequency_cap_days: int = Field(default=7)
    run_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    # draft | scheduled | ran | cancelled
    status: str = Field(max_length=12)
    ran_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    targeted: int = Field(default=0)
    nudged: int = Field(default=0)
    held_out: int = Field(default=0)
    capped: int = Field(default=0)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class NudgeRecipient(ScoringTable, table=True):
    """A member a campaign's run targeted, and in which arm: nudged, holdout (got nothing, the
    comparison group) or capped (nudged by some campaign too recently; in neither arm)."""

    __tablename__ = "nudge_recipient"
    __table_args__ = (
        # The frequency cap: a member's latest nudge in the community, across campaigns.
        Index("ix_nudge_recipient_member", "community_id", "member_id", "assigned_at"),
    )

    campaign_id: str = Field(primary_key=True, max_length=40)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    community_id: str = Field(max_length=ID_LENGTH)
    arm: str = Field(max_length=8)
    assigned_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # "Active again" counts activity after `assigned_at` up to here (the report's window).
    window_ends_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class NudgeMemberTag(ScoringTable, table=True):
    """A member's tags, as `member.joined`, `member.approved` and `member.updated` tell them:
    the one thing nudges target that the membership projection does not hold."""

    __tablename__ = "nudge_member_tag"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    tag: str = Field(primary_key=True, max_length=50)


class NudgeCommunity(ScoringTable, table=True):
    """A community's name, for the `{community}` placeholder."""

    __tablename__ = "nudge_community"

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    name: str = Field(max_length=200)


class OnboardingChecklist(ScoringTable, table=True):
    """The steps a community's newcomers are to do (services.scoring.onboarding.rules); no row,
    or an empty list: the community has no checklist."""

    __tablename__ = "onboarding_checklist"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    steps: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class OnboardingProgress(ScoringTable, table=True):
    """When a member first did each step of the vocabulary, whatever the checklist holds (so a
    checklist changed later counts what was done before), and when the checklist was complete.
    A column per step: the progress list filters and counts on them."""

    __tablename__ = "onboarding_progress"
    __table_args__ = (Index("ix_onboarding_progress_onboarded", "community_id", "onboarded_at"),)

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    acknowledge_rules_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    introduce_yourself_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    first_checkin_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    first_event_attended_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    first_content_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    profile_complete_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    onboarded_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class Goal(ScoringTable, table=True):
    """A target for one of a community's figures over a month, quarter or year
    (services/scoring/goals)."""

    __tablename__ = "goal"
    __table_args__ = (
        UniqueConstraint("community_id", "metric", "period"),
        Index("ix_goal_community", "community_id", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=ID_LENGTH)
    metric: str = Field(max_length=24)
    # "2026-12", "2026-Q4" or "2026": the period the target is for.
    period: str = Field(max_length=8)
    target: float = Field(sa_column=Column(Float(), nullable=False))
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ContentInfo(ScoringTable, table=True):
    """What content.published told scoring about an item: the report names and groups the
    items members engaged with by it."""

    __tablename__ = "content_info"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    content_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(max_length=40)
    title: str = Field(max_length=500)
    source_kind: str = Field(max_length=20)
    published_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


_content_info = ContentInfo.__table__  # type: ignore[attr-defined]
Index("ix_content_info_published", _content_info.c.community_id, _content_info.c.published_at)


class ContentDay(ScoringTable, table=True):
    """How many activities of one type named one content item on one local day: what content
    is ranked by."""

    __tablename__ = "content_day"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    day: str = Field(primary_key=True, max_length=10)
    content_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    activity_type: str = Field(primary_key=True, max_length=40)
    count: int = Field(default=0)


class EventStat(ScoringTable, table=True):
    """One event as its domain events told scoring: what the events comparison shows."""

    __tablename__ = "event_stat"
    __table_args__ = (Index("ix_event_stat_starts", "community_id", "starts_at"),)

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    event_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    title: str = Field(default="", max_length=500)
    kind: str = Field(default="", max_length=40)
    starts_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    status: str = Field(default="published", max_length=12)
    registered: int = Field(default=0)
    attended: int = Field(default=0)
    rating_sum: int = Field(default=0)
    ratings: int = Field(default=0)


class TierMove(ScoringTable, table=True):
    """A member.tier_changed, kept for the report's tier moves."""

    __tablename__ = "tier_move"
    __table_args__ = (Index("ix_tier_move_community_at", "community_id", "changed_at"),)

    event_id: str = Field(primary_key=True, max_length=64)
    community_id: str = Field(max_length=ID_LENGTH)
    member_id: str = Field(max_length=ID_LENGTH)
    from_tier_id: str = Field(max_length=ID_LENGTH)
    to_tier_id: str = Field(max_length=ID_LENGTH)
    reason: str = Field(max_length=20)
    changed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class SegmentMove(ScoringTable, table=True):
    """A segment.changed, kept for the report's segment movement."""

    __tablename__ = "segment_move"
    __table_args__ = (Index("ix_segment_move_community_at", "community_id", "changed_at"),)

    event_id: str = Field(primary_key=True, max_length=64)
    community_id: str = Field(max_length=ID_LENGTH)
    member_id: str = Field(max_length=ID_LENGTH)
    previous_segment: str = Field(max_length=12)
    segment: str = Field(max_length=12)
    changed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Report(ScoringTable, table=True):
    """A weekly or monthly report as built at its period's end (or rebuilt since)."""

    __tablename__ = "report"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    # "2026-11" or "2026-W48".
    period: str = Field(primary_key=True, max_length=8)
    kind: str = Field(max_length=8)  # week | month
    starts_on: str = Field(max_length=10)
    ends_on: str = Field(max_length=10)
    built_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


messaging = messaging_tables(metadata)
# Who belongs where, as the members service announces it (services.common.membership); the
# boards take display names from it.
membership = membership_tables(metadata)

# The tables as SQLAlchemy Core sees them, for the repositories' statements.
receipt_table: Table = ActivityReceipt.__table__  # type: ignore[attr-defined]
held_table: Table = HeldActivity.__table__  # type: ignore[attr-defined]
ledger_table: Table = LedgerEntry.__table__  # type: ignore[attr-defined]
score_table: Table = MemberScore.__table__  # type: ignore[attr-defined]
type_table: Table = MemberTypeStat.__table__  # type: ignore[attr-defined]
board_table: Table = BoardEntry.__table__  # type: ignore[attr-defined]
bucket_table: Table = BoardBucket.__table__  # type: ignore[attr-defined]
key_bucket_table: Table = EngagementBucket.__table__  # type: ignore[attr-defined]
badge_table: Table = Badge.__table__  # type: ignore[attr-defined]
rules_table: Table = ScoringRules.__table__  # type: ignore[attr-defined]
half_life_table: Table = HalfLifeChange.__table__  # type: ignore[attr-defined]
adjustment_table: Table = PointsAdjustment.__table__  # type: ignore[attr-defined]
change_table: Table = MembershipChange.__table__  # type: ignore[attr-defined]
daily_active_table: Table = DailyActive.__table__  # type: ignore[attr-defined]
daily_count_table: Table = DailyTypeCount.__table__  # type: ignore[attr-defined]
close_table: Table = PeriodClose.__table__  # type: ignore[attr-defined]
alert_table: Table = HealthAlert.__table__  # type: ignore[attr-defined]
tally_table: Table = CommunityTally.__table__  # type: ignore[attr-defined]
# Display names, tiers and timezones come from the membership projection.
profile_table: Table = membership.membership
community_table: Table = membership.community
reward_table: Table = Reward.__table__  # type: ignore[attr-defined]
claim_table: Table = RewardClaim.__table__  # type: ignore[attr-defined]
redemption_table: Table = Redemption.__table__  # type: ignore[attr-defined]
definition_table: Table = BadgeDefinition.__table__  # type: ignore[attr-defined]
campaign_table: Table = NudgeCampaign.__table__  # type: ignore[attr-defined]
recipient_table: Table = NudgeRecipient.__table__  # type: ignore[attr-defined]
member_tag_table: Table = NudgeMemberTag.__table__  # type: ignore[attr-defined]
nudge_community_table: Table = NudgeCommunity.__table__  # type: ignore[attr-defined]
checklist_table: Table = OnboardingChecklist.__table__  # type: ignore[attr-defined]
progress_table: Table = OnboardingProgress.__table__  # type: ignore[attr-defined]
coupon_batch_table: Table = CouponBatch.__table__  # type: ignore[attr-defined]
coupon_table: Table = Coupon.__table__  # type: ignore[attr-defined]
badge_rule_table: Table = BadgeRule.__table__  # type: ignore[attr-defined]
level_benefit_table: Table = LevelBenefit.__table__  # type: ignore[attr-defined]
community_lottery_table: Table = CommunityLottery.__table__  # type: ignore[attr-defined]
pool_member_table: Table = PoolMember.__table__  # type: ignore[attr-defined]
goal_table: Table = Goal.__table__  # type: ignore[attr-defined]
content_info_table: Table = ContentInfo.__table__  # type: ignore[attr-defined]
content_day_table: Table = ContentDay.__table__  # type: ignore[attr-defined]
event_stat_table: Table = EventStat.__table__  # type: ignore[attr-defined]
tier_move_table: Table = TierMove.__table__  # type: ignore[attr-defined]
segment_move_table: Table = SegmentMove.__table__  # type: ignore[attr-defined]
report_table: Table = Report.__table__  # type: ignore[attr-defined]
