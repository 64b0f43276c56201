"""The one Kafka producer a process owns, and the one client that reads log-end offsets, both
created lazily so a broker outage never blocks start-up."""

import asyncio
import logging
from collections.abc import Iterable
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from services.common.settings import ServiceSettings

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_MS = 10_000

_Client = TypeVar("_Client", AIOKafkaProducer, AIOKafkaConsumer)


async def ensure_topics(settings: ServiceSettings, topics: Iterable[str]) -> None:
    """Create the topics that are missing. Idempotent: the embedded broker forgets everything
    when it restarts, so this runs at start-up and again after every outage."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=REQUEST_TIMEOUT_MS
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [topic for topic in topics if topic not in existing]
        if not missing:
            return
        new_topics = [
            NewTopic(
                name=topic,
                num_partitions=settings.kafka_topic_partitions,
                replication_factor=settings.kafka_replication_factor,
            )
            for topic in missing
        ]
        response = await admin.create_topics(new_topics)
        # aiokafka returns per-topic error codes instead of raising. "Already exists" means
        # another process created the topic between our list and our create: that is fine.
        for topic, code, message in response.topic_errors:
            if code not in (0, TopicAlreadyExistsError.errno):
                raise KafkaError(f"cannot create topic {topic}: {code} {message}")
        logger.info("created topics %s", ", ".join(missing))
    finally:
        await admin.close()


class KafkaLink:
    """Owns this process's producer and offsets reader; (re)connects on demand and re-creates
    topics after outages."""

    def __init__(self, settings: ServiceSettings, topics: Iterable[str]) -> None:
        self.settings = settings
        self.topics = tuple(topics)
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        # The relay reads log-end offsets every few seconds; one long-lived, group-less consumer
        # serves them (starting a consumer costs connections, metadata and a coordinator lookup).
        self._offsets_reader: AIOKafkaConsumer | None = None
        self._offsets_lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._producer is not None

    async def producer(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                await ensure_topics(self.settings, self.topics)
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.settings.kafka_bootstrap_servers,
                    acks="all",
                    enable_idempotence=self.settings.kafka_enable_idempotence,
                    linger_ms=5,
                    request_timeout_ms=REQUEST_TIMEOUT_MS,
                )
                self._producer = await _started(producer)
            return self._producer

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The log-end offset of each partition, as the broker reports it now."""
        reader = await self._reader()
        # Fresh metadata: a broker that restarted empty may have re-created a topic smaller.
        await reader._client.force_metadata_update()
        existing = [
            partition
            for partition in partitions
            if partition.partition in (reader.partitions_for_topic(partition.topic) or ())
        ]
        # A partition that vanished (the topic was re-created smaller) has lost its log.
        ends: dict[TopicPartition, int] = dict.fromkeys(partitions, 0)
        if existing:
            ends.update(await reader.end_offsets(existing))
        return ends

    async def _reader(self) -> AIOKafkaConsumer:
        async with self._offsets_lock:
            if self._offsets_reader is None:
                reader = AIOKafkaConsumer(
                    bootstrap_servers=self.settings.kafka_bootstrap_servers,
                    request_timeout_ms=REQUEST_TIMEOUT_MS,
                    enable_auto_commit=False,
                )
                self._offsets_reader = await _started(reader)
            return self._offsets_reader

    async def reset(self) -> None:
        """Drop the clients after a failure; the next call reconnects and re-creates topics."""
        async with self._lock:
            producer, self._producer = self._producer, None
        async with self._offsets_lock:
            reader, self._offsets_reader = self._offsets_reader, None
        for client in (producer, reader):
            if client is not None:
                try:
                    await client.stop()
                except KafkaError:
                    logger.debug("Kafka client stop failed after an outage", exc_info=True)

    async def close(self) -> None:
        await self.reset()


async def _started(client: _Client) -> _Client:
    """Start a client; one that fails to start is stopped, so it leaks no connections."""
    try:
        await client.start()
    except BaseException:
        await client.stop()
        raise
    return client
