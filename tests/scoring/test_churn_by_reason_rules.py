"""Churn by exit reason, pure: what a departure event says of why, and every bucket's counts
carrying every reason (0 where none), unknown and missing reasons counted as unspecified."""

from datetime import UTC, datetime

from services.common.events.catalogue import MemberLeft, MemberRemoved
from services.common.events.catalogue.vocabulary import ExitReason
from services.scoring.metrics.rules import (
    DEPARTURE_REASONS,
    departure_reason,
    departures_by_reason,
)

NOW = datetime(2026, 12, 8, tzinfo=UTC)


def test_departure_reason_of_the_events() -> None:
    base = {"community_id": "c", "member_id": "m", "user_id": "u"}
    assert departure_reason(MemberLeft(**base, left_at=NOW, reason="no_time")) == "no_time"
    # An event from before reasons existed, or with a reason this version does not know.
    assert departure_reason(MemberLeft(**base, left_at=NOW)) is None
    assert departure_reason(MemberLeft(**base, left_at=NOW, reason="bored")) is None
    removed = MemberRemoved(**base, removed_by="owner", removed_at=NOW)
    assert departure_reason(removed) == "removed"
    # An old consumer's view of a new event: the extra field is simply carried.
    assert MemberLeft.model_validate({**base, "left_at": NOW.isoformat()}).reason is None


def test_departures_by_reason_has_every_key() -> None:
    counts = departures_by_reason({"no_time": 2, None: 1, "removed": 1, "mystery": 1})
    assert list(counts) == list(DEPARTURE_REASONS)
    assert counts["no_time"] == 2
    assert counts["unspecified"] == 2  # None and a reason nobody knows
    assert counts["removed"] == 1
    assert sum(counts.values()) == 5
    assert set(DEPARTURE_REASONS) == {r.value for r in ExitReason} | {"unspecified", "removed"}
