"""The catalogue: event types name their community and subject; consumers subscribe by handler."""

from datetime import UTC, datetime
from typing import ClassVar

import pytest

from services.common.events import catalogue
from services.common.events.catalogue import (
    EVENT_TYPES,
    ActivityRecorded,
    DomainEvent,
    MemberJoined,
    WebhookDisabled,
    register,
)
from services.common.events.consumer import ConsumerSpec
from services.scoring.ledger.handlers import LEDGER_CONSUMER

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def test_every_event_type_is_exported_from_the_package_and_lives_in_its_sources_module() -> None:
    assert len(EVENT_TYPES) >= 5
    for event_class in EVENT_TYPES.values():
        assert getattr(catalogue, event_class.__name__) is event_class
        assert event_class.__module__.rsplit(".", 1)[0] == "services.common.events.catalogue"


def test_a_disabled_webhook_of_every_community_has_no_partition_key() -> None:
    def disabled(community_id: str | None) -> WebhookDisabled:
        return WebhookDisabled(
            webhook_id="wh_1", community_id=community_id, url="https://x.test/h", reason="410",
            disabled_at=NOW,
        )  # fmt: skip

    assert WebhookDisabled.kafka_topic() == "huoli.gateway"
    assert disabled("c1").community() == "c1"
    assert disabled(None).community() == ""
    assert disabled(None).subject() == "wh_1"


def test_an_event_knows_its_community_and_subject() -> None:
    joined = MemberJoined(
        community_id="cmty_1",
        member_id="mbr_1",
        user_id="alice",
        display_name="Alice",
        status="active",
        role="member",
        joined_at=NOW,
    )
    assert (joined.community(), joined.subject()) == ("cmty_1", "mbr_1")
    activity = ActivityRecorded(
        activity_id="a1",
        community_id="cmty_2",
        member_id="mbr_2",
        activity_type="message",
        occurred_at=NOW,
    )
    assert (activity.community(), activity.subject()) == ("cmty_2", "mbr_2")


@pytest.mark.parametrize(
    ("subject_field", "community_field"),
    [("nothing_here", "community_id"), ("thing_id", "maybe"), ("thing_id", "nothing_here")],
)
def test_registering_a_type_whose_key_or_subject_is_missing_or_optional_fails(
    subject_field: str, community_field: str
) -> None:
    class Broken(DomainEvent):
        type: ClassVar[str] = "test.broken"
        source: ClassVar[str] = "members"

        community_id: str
        thing_id: str
        maybe: str | None = None

    Broken.subject_field = subject_field
    Broken.community_field = community_field
    with pytest.raises(ValueError, match="must name a required field"):
        register(Broken)
    assert "test.broken" not in EVENT_TYPES


def test_a_consumer_subscribes_to_the_topics_of_the_events_it_handles() -> None:
    # Scoring's ledger credits activities and the other services' events (content, events,
    # members: invites, joins, erasure).
    assert LEDGER_CONSUMER.topics == (
        "huoli.activities",
        "huoli.content",
        "huoli.events",
        "huoli.members",
    )

    async def ignore(*_args: object) -> None:
        return None

    spec = ConsumerSpec(group_id="test.only-members", handlers={MemberJoined: ignore})
    assert spec.topics == ("huoli.members",)
