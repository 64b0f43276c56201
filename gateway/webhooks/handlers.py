"""The fan-out consumer (group `gateway.webhooks`): turns each domain event into one delivery
row per subscribed endpoint, in one transaction per batch, and wakes the sender."""

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.webhooks.rules import Announced, payload
from gateway.webhooks.service import fan_out
from services.common.components import GATEWAY
from services.common.events.catalogue import ALL_TOPICS, EVENT_TYPES, topic_of
from services.common.events.consumer import ConsumerLoop, EventReader, FailurePolicy, Records
from services.common.events.envelope import CloudEvent
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox
from services.common.faults import Readiness
from services.common.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

WEBHOOKS_GROUP = "gateway.webhooks"
# The gateway's own events were fanned out in the transaction that wrote them to the outbox;
# reading them back from Kafka would only find their deliveries there already.
FANNED_OUT_TOPICS = tuple(topic for topic in ALL_TOPICS if topic != topic_of(GATEWAY.name))


def announced(envelope: CloudEvent) -> Announced:
    return Announced(
        event_id=envelope.id,
        event_type=envelope.type,
        community_id=envelope.communityid,
        body=payload(envelope.type, envelope.time, envelope.data),
    )


class FanOutConsumer:
    """The `gateway.webhooks` consumer: every type in the catalogue, each batch the loop polls
    turned into deliveries in one transaction. It needs no inbox rows: a delivery is unique per
    (endpoint, event), so a redelivered event adds nothing."""

    def __init__(
        self,
        *,
        wake: Callable[[], None],
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        kafka: KafkaLink,
        max_attempts: int,
        stopping: asyncio.Event,
        readiness: Readiness | None = None,
    ) -> None:
        self.group_id = WEBHOOKS_GROUP
        self.sessions = sessions
        self.outbox = outbox
        self.policy = FailurePolicy(
            group_id=WEBHOOKS_GROUP,
            sessions=sessions,
            stopping=stopping,
            attempts=max_attempts,
            readiness=readiness,
        )
        self._wake = wake
        self.reader = EventReader(group_id=WEBHOOKS_GROUP, handled_types=EVENT_TYPES, kafka=kafka)
        self.loop = ConsumerLoop(
            group_id=WEBHOOKS_GROUP,
            topics=FANNED_OUT_TOPICS,
            kafka=kafka,
            stopping=stopping,
            apply=self.fan_out,
        )

    async def run(self) -> None:
        await self.loop.run()

    async def fan_out(self, records: Records) -> None:
        events = [announced(envelope) for _, envelope, _ in await self.reader.handled(records)]
        if events:
            await self._deliver(events)

    async def _deliver(self, events: list[Announced]) -> None:
        created = 0

        async def deliver() -> None:
            nonlocal created
            async with UnitOfWork(self.sessions, self.outbox) as uow:
                created = await fan_out(uow.session, events)

        # A database outage pauses the fan-out; an error that persists while the database
        # answers ends the loop (the supervisor restarts it, from the uncommitted offsets).
        poison = await self.policy.run(deliver, f"a fan-out of {len(events)} events")
        if poison is not None:
            raise poison
        if created:
            self._wake()
