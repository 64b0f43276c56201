"""Early warnings: each join, departure, report and sanction counts in its UTC hour; an hour
whose count reaches its threshold (`rules.THRESHOLDS`: an absolute floor and five times the
hourly average of the week before) raises `health.alert_raised` (`join_spike`, `leave_spike`,
`report_spike`, `sanction_spike`), once per community, kind and day, listed by
`GET …/health` with the WAU drop. Each event's feedback ratings are tallied as they arrive; an
event whose mean falls below the usual level (`rules.RATING_THRESHOLD`) raises `rating_drop`,
once per event. The caller commits once."""

import math
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.catalogue import HealthAlertRaised
from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.scoring.metrics import repository as alert_repository
from services.scoring.tables import WarningThresholds
from services.scoring.warnings import repository
from services.scoring.warnings.rules import (
    MIN_FLOOR,
    RATING_DROP,
    RATING_KEY,
    Signal,
    alert_kind,
    baseline_span,
    hour_of,
    rating_fall,
    rating_threshold_of,
    thresholds_of,
)
from services.scoring.warnings.schemas import (
    RatingThresholdBody,
    ThresholdBody,
    WarningThresholdsBody,
    WarningThresholdsPublic,
)


async def count_signal(*, uow: UnitOfWork, community_id: str, signal: Signal, at: datetime) -> None:
    """Count one signal at `at`, and raise the spike alert when its hour crosses the line."""
    session = uow.session
    hour = hour_of(at)
    value = await repository.count(session, community_id=community_id, kind=signal, hour=hour)
    if value < MIN_FLOOR:
        return  # the common case: below any floor a community may set, no more reads
    own = await repository.get_thresholds(session, community_id)
    threshold = thresholds_of(own.thresholds if own else None)[signal]
    if value < threshold.at_least:
        return
    since, until = baseline_span(hour, threshold)
    before = await repository.total(
        session, community_id=community_id, kind=signal, since=since, until=until
    )
    average = before / (threshold.baseline_days * 24)
    limit = threshold.limit(average)
    if value != limit:
        return  # below the line, or past it already (raised when it was crossed)
    now = utc_now()
    kind = alert_kind(signal)
    usual = math.ceil(average)
    raised = await alert_repository.raise_alert(
        session,
        {
            "community_id": community_id,
            "kind": kind,
            "week_start": hour.date().isoformat(),
            "previous_value": usual,
            "value": value,
            "drop": 0.0,
            "raised_at": now,
        },
    )
    if raised:
        await uow.outbox.add(
            session,
            HealthAlertRaised(
                community_id=community_id,
                kind=kind,
                week_starts_on=hour.date().isoformat(),
                previous_value=usual,
                value=value,
                drop=0.0,
                raised_at=now,
                window_start=hour,
                threshold=limit,
            ),
        )


async def count_rating(
    *,
    uow: UnitOfWork,
    community_id: str,
    event_id: str,
    ends_at: datetime,
    rating: int,
) -> None:
    """Count one feedback rating of an event, and raise `rating_drop` when the event's mean
    has fallen below the community's usual level by the threshold (once per event)."""
    session = uow.session
    ratings, total, ends_at, alerted_at = await repository.add_rating(
        session, community_id=community_id, event_id=event_id, ends_at=ends_at, rating=rating
    )
    own = await repository.get_thresholds(session, community_id)
    threshold = rating_threshold_of(own.thresholds if own else None)
    if alerted_at is not None or ratings < threshold.min_ratings:
        return
    previous = await repository.previous_ratings(
        session,
        community_id=community_id,
        event_id=event_id,
        before=ends_at,
        min_ratings=threshold.min_ratings,
        limit=threshold.previous_events,
    )
    fall = rating_fall(ratings, total, previous, threshold)
    if fall is None:
        return
    now = utc_now()
    if not await repository.mark_alerted(session, event_id=event_id, at=now):
        return
    day = ends_at.date().isoformat()
    mean, baseline = round(fall.mean * 100), round(fall.baseline * 100)
    # Listed by GET …/health (one row per kind and day there); announced for every event.
    await alert_repository.raise_alert(
        session,
        {
            "community_id": community_id,
            "kind": RATING_DROP,
            "week_start": day,
            "previous_value": baseline,
            "value": mean,
            "drop": round(fall.fall, 2),
            "raised_at": now,
        },
    )
    await uow.outbox.add(
        session,
        HealthAlertRaised(
            community_id=community_id,
            kind=RATING_DROP,
            week_starts_on=day,
            previous_value=baseline,
            value=mean,
            drop=round(fall.fall, 2),
            raised_at=now,
            window_start=ends_at,
            threshold=round(threshold.drop * 100),
            event_id=event_id,
            ratings=ratings,
        ),
    )


def _public(row: WarningThresholds | None) -> WarningThresholdsPublic:
    found = thresholds_of(row.thresholds if row else None)
    rating = rating_threshold_of(row.thresholds if row else None)
    return WarningThresholdsPublic(
        thresholds={
            signal: ThresholdBody(at_least=threshold.at_least, times=threshold.times)
            for signal, threshold in found.items()
        },
        rating=RatingThresholdBody(
            min_ratings=rating.min_ratings,
            previous_events=rating.previous_events,
            drop=rating.drop,
        ),
    )


async def get_thresholds(*, session: AsyncSession, community_id: str) -> WarningThresholdsPublic:
    """The community's early-warning thresholds, defaults filled in."""
    return _public(await repository.get_thresholds(session, community_id))


async def set_thresholds(
    *, uow: UnitOfWork, community_id: str, body: WarningThresholdsBody
) -> WarningThresholdsPublic:
    """Replace the community's thresholds (signals left out, and the rating one if left out,
    take the defaults again)."""
    document = body.model_dump(mode="json")
    thresholds = document["thresholds"]
    if document["rating"] is not None:
        thresholds[RATING_KEY] = document["rating"]
    row = WarningThresholds(community_id=community_id, thresholds=thresholds, updated_at=utc_now())
    await repository.save_thresholds(uow.session, row)
    return _public(row)
