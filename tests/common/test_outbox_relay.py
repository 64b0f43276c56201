"""Two relays on one outbox, as two replicas of a service run them, on the real broker: on
PostgreSQL every row goes out once and in write order (an advisory lock makes one relay at a
time read and send); on SQLite none is lost (a copy may go out twice, for the inboxes to drop)."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select

from services.common.components import MEMBERS
from services.common.db import create_engine, session_factory
from services.common.events.catalogue import MemberJoined
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import RELAY_BATCH, Outbox, OutboxRelay
from services.common.settings import ServiceSettings
from services.members.tables import messaging
from tests.conftest import MigratedDatabases

TOPIC = "huoli.members"
ROWS = 3 * RELAY_BATCH + 17  # several batches, the last one short


def joins(community_id: str, count: int) -> list[MemberJoined]:
    return [
        MemberJoined(
            community_id=community_id,
            member_id=f"m-{n}",
            user_id=f"u-{n}",
            display_name=f"成员 {n} 🎉",
            status="active",
            role="member",
            joined_at=datetime.now(UTC),
        )
        for n in range(count)
    ]


async def topic_ids(broker: str, community_id: str) -> list[str]:
    """The CloudEvent ids of the community's events on the topic, in log order (one key, so
    one partition), reading the topic to its end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(TOPIC, p) for p in consumer.partitions_for_topic(TOPIC) or []]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        ids: list[str] = []
        while any([await consumer.position(p) < ends[p] for p in partitions]):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    try:
                        event = orjson.loads(record.value)
                    except orjson.JSONDecodeError:
                        continue  # other tests' poison messages share the topic
                    if isinstance(event, dict) and event.get("communityid") == community_id:
                        ids.append(event["id"])
        return ids
    finally:
        await consumer.stop()


async def test_two_relays_share_one_outbox(
    backend: str, broker: str, migrated_databases: MigratedDatabases, tmp_path: Path
) -> None:
    community_id = f"cmty_relay_{uuid.uuid4().hex[:10]}"
    settings = ServiceSettings(kafka_bootstrap_servers=broker, service_name=MEMBERS.name)
    async with migrated_databases.copy(backend, MEMBERS, tmp_path) as database_url:
        outbox = Outbox(messaging, source=MEMBERS.name)
        engines = [create_engine(database_url) for _ in range(2)]
        read_engines = [create_engine(database_url, read_only=True) for _ in range(2)]
        links = [KafkaLink(settings, [TOPIC]) for _ in range(2)]
        try:
            async with session_factory(engines[0])() as session:
                await outbox.add_many(session, joins(community_id, ROWS))
                await session.commit()
            async with session_factory(engines[0])() as session:
                table = outbox.table
                written = await session.execute(select(table.c.event_id).order_by(table.c.seq))
                in_write_order = list(written.scalars())
            relays = [
                OutboxRelay(
                    outbox=outbox,
                    sessions=session_factory(engine),
                    read_sessions=session_factory(read_engine),
                    kafka=link,
                    poll_seconds=0.1,
                    replay_window_seconds=3600,
                )
                for engine, read_engine, link in zip(engines, read_engines, links, strict=True)
            ]
            published = await asyncio.gather(*(relay.publish_pending() for relay in relays))
            async with session_factory(engines[0])() as session:
                pending = await session.scalar(
                    select(func.count()).where(outbox.table.c.published_at.is_(None))
                )
        finally:
            for link in links:
                await link.close()
            for engine in (*engines, *read_engines):
                await engine.dispose()

    assert pending == 0
    sent = await topic_ids(broker, community_id)
    copies = Counter(sent)
    assert set(copies) == set(in_write_order)  # nothing lost
    if backend == "postgresql":
        assert sum(count for count, _more in published) == ROWS, published
        assert sent == in_write_order  # once each, in write order
