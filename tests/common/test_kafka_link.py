"""The relay's view of the broker's log: log-end offsets read on one long-lived client, which
must still see a broker that restarted empty (the relay then publishes again what it lost)."""

import asyncio

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from devstack.broker import EmbeddedBroker
from services.common.events.catalogue import ALL_TOPICS
from services.common.events.kafka import KafkaLink
from services.common.settings import ServiceSettings

TOPIC = ALL_TOPICS[0]


async def end_offset_as_the_relay_reads_it(link: KafkaLink, partition: TopicPartition) -> int:
    """The relay answers a Kafka error by resetting the link and checking again."""
    for _ in range(20):
        try:
            return (await link.end_offsets([partition]))[partition]
        except (KafkaError, OSError, TimeoutError):
            await link.reset()
            await asyncio.sleep(0.5)
    raise AssertionError("the broker never answered")


async def test_end_offsets_follow_the_log_and_see_a_broker_that_lost_it() -> None:
    broker = await asyncio.to_thread(EmbeddedBroker().start)
    link = KafkaLink(ServiceSettings(kafka_bootstrap_servers=broker.bootstrap_servers), [TOPIC])
    partition = TopicPartition(TOPIC, 0)
    try:
        producer = await link.producer()
        first = await (await producer.send(TOPIC, b"one", partition=0))
        assert await end_offset_as_the_relay_reads_it(link, partition) > first.offset

        # The same reader answers again, and sees the log grow.
        second = await (await producer.send(TOPIC, b"two", partition=0))
        assert second.offset > first.offset
        assert await end_offset_as_the_relay_reads_it(link, partition) > second.offset

        await asyncio.to_thread(broker.restart)  # memory storage: the log is gone
        assert await end_offset_as_the_relay_reads_it(link, partition) <= first.offset
    finally:
        await link.close()
        await asyncio.to_thread(broker.stop)
