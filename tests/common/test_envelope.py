"""The outbox's rows for a batch of events are written without building a `CloudEvent` each:
their payload must still be, byte for byte, the envelope `CloudEvent` serializes."""

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

import services.common.events.outbox as outbox_module
from services.common.events.catalogue import (
    DomainEvent,
    LevelReached,
    MemberJoined,
    SegmentChanged,
)
from services.common.events.envelope import CloudEvent
from services.common.events.outbox import Outbox, _trace_headers
from services.common.tracing import TRACEPARENT_HEADER
from services.members.tables import messaging

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
SHANGHAI = timezone(timedelta(hours=8))


def sample_events() -> list[DomainEvent]:
    return [
        SegmentChanged(
            community_id="cmty_1",
            member_id='m-"引号"\\ 🎉',
            previous_segment="silent",
            segment="active",
            score=1 / 3,
            changed_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=SHANGHAI),
        ),
        LevelReached(
            community_id="cmty_2",
            member_id="m-2",
            level=3,
            previous_level=2,
            points=150.5,
            reached_at=datetime(2026, 1, 2, 3, 4, 5, 0, tzinfo=UTC),
        ),
        MemberJoined(
            community_id="cmty_3",
            member_id="m-3",
            user_id="u-3",
            display_name="成员 3",
            status="active",
            role="member",
            joined_at=datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
            unknown_extra={"kept": [1, 2.5, None]},  # the catalogue allows extra fields
        ),
    ]


def reference(row: dict[str, object], event: DomainEvent, *, traceparent: str | None) -> str:
    """The payload as `Outbox.add` serializes it: through a validated `CloudEvent`."""
    envelope = CloudEvent.model_validate_json(str(row["payload"]))
    return CloudEvent(
        id=envelope.id,
        time=envelope.time,
        source="huoli/members",
        type=event.type,
        subject=event.subject(),
        communityid=event.community(),
        data=event.model_dump(mode="json"),
        traceparent=traceparent,
    ).model_dump_json()


@pytest.mark.parametrize("traceparent", [None, TRACEPARENT])
def test_batch_rows_carry_the_envelope_cloudevent_writes(
    monkeypatch: pytest.MonkeyPatch, traceparent: str | None
) -> None:
    monkeypatch.setattr(outbox_module, "current_traceparent", lambda: traceparent)
    outbox = Outbox(messaging, source="members")
    events = sample_events()
    at = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=SHANGHAI)
    rows = outbox.rows(zip(events, [None, "fixed-id", None], strict=True), time_of=lambda _: at)
    for row, event in zip(rows, events, strict=True):
        assert row["payload"] == reference(row, event, traceparent=traceparent)
        assert row["topic"] == event.kafka_topic()
        assert row["message_key"] == event.community()
        envelope = CloudEvent.model_validate_json(str(row["payload"]))
        assert (envelope.id, envelope.time) == (row["event_id"], at)
    assert rows[1]["event_id"] == "fixed-id"
    # The relay finds the trace context by position: it must come before `data`.
    headers = _trace_headers(str(rows[0]["payload"]))
    assert headers == ([(TRACEPARENT_HEADER, TRACEPARENT.encode())] if traceparent else None)


def test_fresh_event_ids_are_distinct_and_shaped_like_uuid4_hex() -> None:
    outbox = Outbox(messaging, source="members")
    event = sample_events()[0]
    ids = [
        str(row["event_id"])
        for _ in range(3)
        for row in outbox.rows((event, None) for _ in range(1000))
    ]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{32}", event_id) for event_id in ids)
