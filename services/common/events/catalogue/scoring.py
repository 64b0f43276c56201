"""Events the scoring service publishes, and the activities it ingested (on their own topic)."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from services.common.events.catalogue.base import DomainEvent, register
from services.common.fields import JsonObject


@register
class ActivityRecorded(DomainEvent):
    type = "activity.recorded"
    source = "activities"
    subject_field = "member_id"

    activity_id: str
    community_id: str
    member_id: str
    activity_type: str
    occurred_at: datetime
    target_member_id: str | None = None
    content_id: str | None = None
    # The API's own type: an activity the API accepted is one the ledger can take.
    attrs: JsonObject = {}


@register
class ActivityRefused(DomainEvent):
    """An activity `POST /v1/activities` answered `pending` (its community or member unknown to
    scoring then) was refused: the membership did not arrive within the hold. `reason` is the
    rejection the item would have had (unknown_community, unknown_member, ...)."""

    type = "activity.refused"
    source = "scoring"
    subject_field = "member_id"

    activity_id: str
    community_id: str
    member_id: str
    activity_type: str
    occurred_at: datetime
    reason: str
    received_at: datetime
    refused_at: datetime


class RankedMember(BaseModel):
    model_config = ConfigDict(frozen=True)

    member_id: str
    rank: int
    score: float


@register
class LeaderboardPeriodClosed(DomainEvent):
    """A leaderboard period ended in the community's timezone. `entries` holds the top of the
    ranking (at most `PERIOD_CLOSE_TOP` rows; a Kafka message has a size limit), `members_ranked`
    how many members the whole ranking had."""

    type = "leaderboard.period_closed"
    source = "scoring"
    subject_field = "community_id"

    community_id: str
    period: str
    starts_at: datetime
    ends_at: datetime
    members_ranked: int
    entries: list[RankedMember]


PERIOD_CLOSE_TOP = 1000


@register
class BadgeAwarded(DomainEvent):
    """A member earned a badge; each badge is awarded to a member once."""

    type = "badge.awarded"
    source = "scoring"
    subject_field = "member_id"

    community_id: str
    member_id: str
    badge: str
    awarded_at: datetime
    # Who awarded it by hand (a badge operators defined); None when a rule earned it.
    awarded_by: str | None = None


@register
class BadgeRevoked(DomainEvent):
    """An owner or admin took a badge back from a member (a built-in one or their own)."""

    type = "badge.revoked"
    source = "scoring"
    subject_field = "member_id"

    community_id: str
    member_id: str
    badge: str
    revoked_by: str
    revoked_at: datetime


@register
class LevelReached(DomainEvent):
    type = "level.reached"
    source = "scoring"
    subject_field = "member_id"

    community_id: str
    member_id: str
    level: int
    previous_level: int
    points: float
    reached_at: datetime


@register
class PointsChanged(DomainEvent):
    """Points awarded (delta > 0) or redeemed (delta < 0) by an operator; `balance` after it."""

    type = "points.changed"
    source = "scoring"
    subject_field = "member_id"

    community_id: str
    member_id: str
    delta: float
    balance: float
    reason: str
    changed_by: str
    changed_at: datetime


@register
class RewardRedeemed(DomainEvent):
    """A member spent `points` on a reward of the points mall; `code` is what they show to
    collect it, `balance` their points after it (the debit is also a `points.changed`)."""

    type = "reward.redeemed"
    source = "scoring"
    subject_field = "member_id"

    community_id: str
    member_id: str
    reward_id: str
    redemption_id: str
    code: str
    points: float
    balance: float
    stock: int
    redeemed_by: str
    redeemed_at: datetime


@register
class RewardCancelled(DomainEvent):
    """A redemption was cancelled: its `points` went back to the member and the item back to
    the reward's stock."""

    type = "reward.cancelled"
    source = "scoring"
    subject_field = "member_id"

    community_id: str
    member_id: str
    reward_id: str
    redemption_id: str
    points: float
    balance: float
    reason: str
    cancelled_by: str
    cancelled_at: datetime


@register
class SegmentChanged(DomainEvent):
    type = "segment.changed"
    source = "scoring"
    subject_field = "member_id"

    community_id: str
    member_id: str
    previous_segment: str
    segment: str
    score: float
    changed_at: datetime


@register
class HealthAlertRaised(DomainEvent):
    """Activity fell sharply, or something spiked: `kind` says which measure. wau_drop:
    weekly active members fell by `drop`, a fraction, from `previous_value` to `value` week
    over week. join_spike, leave_spike, report_spike, sanction_spike: `value` events in the
    hour from `window_start` against `previous_value`, the hourly average of the 7 days
    before (rounded up), past `threshold` (the count that raises it); `week_starts_on` holds
    the UTC day (such an alert is raised once per kind and day), `drop` is 0. rating_drop: the
    event `event_id` ended with a mean rating (`value`, hundredths of a star, from `ratings`
    ratings) below the mean of the community's previous events (`previous_value`, hundredths)
    by `drop` stars, at least `threshold` hundredths; raised once per event, `week_starts_on`
    the UTC day it ended."""

    type = "health.alert_raised"
    source = "scoring"
    subject_field = "community_id"

    community_id: str
    kind: str
    week_starts_on: str
    previous_value: int
    value: int
    drop: float
    raised_at: datetime
    window_start: datetime | None = None
    threshold: int | None = None
    event_id: str | None = None
    ratings: int | None = None


class CreditedDay(BaseModel):
    """What the ledger credited one member on one day (the community's timezone)."""

    model_config = ConfigDict(frozen=True)

    member_id: str
    day: date
    points: float
    activities: int
    last_activity_at: datetime


@register
class EngagementCredited(DomainEvent):
    """Points the ledger credited in one consumer batch, summed per member and local day: the one
    measure of engagement. Other services keep their own totals by adding these up (the sums are
    deltas; a batch is published once, through the outbox, with the ledger rows it sums)."""

    type = "engagement.credited"
    source = "scoring"
    subject_field = "community_id"

    community_id: str
    credited: list[CreditedDay]
    credited_at: datetime


@register
class ReportReady(DomainEvent):
    """A community's weekly or monthly report was built at its period's end (in the
    community's timezone), or rebuilt by an operator: read it at `path` (JSON, or HTML with
    `Accept: text/html`). `period` is `2026-11` for a month, `2026-W48` for an ISO week."""

    type = "report.ready"
    source = "scoring"
    subject_field = "community_id"

    community_id: str
    period: str
    kind: str
    starts_on: date
    ends_on: date
    path: str
    built_at: datetime
