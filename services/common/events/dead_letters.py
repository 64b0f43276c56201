"""The dead-letter topics (`<topic>.dlq`): what is in them, and replaying it.

A replay publishes each dead letter again on its original topic, key and headers unchanged, so
it reaches its consumer in its community's order from then on. Every consumer that had already
applied the event finds it in its inbox and skips it; the one that dead-lettered it applies it
now (or dead-letters it again, if its cause is not fixed). What has been replayed is remembered
as the committed offset of the consumer group `huoli.dlq-replay` on each dead-letter topic, so
running the replay again sends only what was dead-lettered since.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from services.common.events.catalogue import ALL_TOPICS, dlq_topic
from services.common.events.envelope import CloudEvent

REPLAY_GROUP = "huoli.dlq-replay"
DLQ_SUFFIX = ".dlq"
# Headers the consumer added when it dead-lettered the message: dropped when it is replayed.
_DEAD_LETTER_HEADERS = frozenset(
    {"huoli-error", "huoli-consumer", "huoli-original-partition", "huoli-original-offset"}
)


@dataclass(frozen=True)
class DeadLetter:
    topic: str  # the dead-letter topic
    partition: int
    offset: int
    consumer: str
    error: str
    event_type: str
    event_id: str
    replayed: bool  # at or past this offset the replay group has not yet been

    @property
    def original_topic(self) -> str:
        return self.topic.removesuffix(DLQ_SUFFIX)


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str:
    for key, value in record.headers or ():
        if key == name:
            text: str = value.decode("utf-8", errors="replace")
            return text
    return ""


def _letter(record: ConsumerRecord[bytes, bytes], *, replayed: bool) -> DeadLetter:
    try:
        envelope = CloudEvent.model_validate_json(record.value or b"")
        event_type, event_id = envelope.type, envelope.id
    except ValueError:
        event_type, event_id = "(not an envelope)", ""
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        consumer=_header(record, "huoli-consumer"),
        error=_header(record, "huoli-error"),
        event_type=event_type,
        event_id=event_id,
        replayed=replayed,
    )


class DeadLetters:
    """Reads the dead-letter topics from their start to their current end."""

    def __init__(self, bootstrap_servers: str, topics: Sequence[str] | None = None) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topics = tuple(topics or (dlq_topic(topic) for topic in ALL_TOPICS))

    async def _read(
        self, consumer: AIOKafkaConsumer
    ) -> list[tuple[ConsumerRecord[bytes, bytes], bool]]:
        available = await consumer.topics()
        partitions = [
            TopicPartition(topic, partition)
            for topic in self.topics
            if topic in available
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        committed = {tp: (await consumer.committed(tp)) or 0 for tp in partitions}
        await consumer.seek_to_beginning(*partitions)
        found: list[tuple[ConsumerRecord[bytes, bytes], bool]] = []
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            if not batch:
                break
            for tp, records in batch.items():
                found.extend((record, record.offset < committed[tp]) for record in records)
                if records[-1].offset + 1 >= ends[tp]:
                    pending.discard(tp)
        return found

    def _consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=REPLAY_GROUP,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )

    async def contents(self) -> list[DeadLetter]:
        """Every dead letter still in the topics, each marked whether it has been replayed."""
        consumer = self._consumer()
        await consumer.start()
        try:
            return [_letter(record, replayed=done) for record, done in await self._read(consumer)]
        finally:
            await consumer.stop()

    async def replay(self) -> list[DeadLetter]:
        """Publish the dead letters not replayed yet on their original topics; what was sent."""
        consumer = self._consumer()
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, acks="all")
        await consumer.start()
        await producer.start()
        try:
            sent: list[DeadLetter] = []
            done: dict[TopicPartition, int] = {}
            for record, replayed in await self._read(consumer):
                if replayed:
                    continue
                letter = _letter(record, replayed=True)
                headers = [
                    (key, value)
                    for key, value in record.headers or ()
                    if key not in _DEAD_LETTER_HEADERS
                ]
                await producer.send_and_wait(
                    letter.original_topic, value=record.value, key=record.key, headers=headers
                )
                sent.append(letter)
                done[TopicPartition(record.topic, record.partition)] = record.offset + 1
            if done:
                await consumer.commit(
                    {tp: OffsetAndMetadata(offset, "") for tp, offset in done.items()}
                )
            return sent
        finally:
            await producer.stop()
            await consumer.stop()


__all__ = ["REPLAY_GROUP", "DeadLetter", "DeadLetters"]
