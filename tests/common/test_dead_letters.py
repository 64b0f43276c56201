"""`huoli dlq list|replay`: a message dead-lettered as poison is listed, replayed once its cause
is fixed, applied by the consumer that gave up on it, and applied only once however often it is
replayed (the inbox). Real broker; SQLite and PostgreSQL."""

import asyncio
import uuid

from sqlalchemy import Column, MetaData, String, Table, insert, select
from typer.testing import CliRunner

from huoli.cli import app
from services.common.db import session_factory
from services.common.events.catalogue import CommunityCreated
from services.common.events.consumer import InboxConsumer
from services.common.events.envelope import CloudEvent
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox
from services.common.events.tables import messaging_tables
from services.common.settings import ServiceSettings
from services.common.unit_of_work import UnitOfWork
from tests.support import community_created, eventually, schema_engine

metadata = MetaData()
applied = Table("applied", metadata, Column("community_id", String(64), primary_key=True))
messaging = messaging_tables(metadata)
engine = schema_engine(metadata)
runner = CliRunner()


async def _cli(*argv: str) -> str:
    # The commands run their own event loop: off this one's thread.
    result = await asyncio.to_thread(runner.invoke, app, list(argv))
    assert result.exit_code == 0, result.output
    return result.output


async def test_a_dead_letter_is_replayed_once_its_cause_is_fixed(
    engine: object, broker: str
) -> None:
    mine = f"c-{uuid.uuid4().hex[:10]}"
    broken = True
    calls = 0

    async def on_created(uow: UnitOfWork, event: CommunityCreated, _: CloudEvent) -> None:
        nonlocal calls
        if event.community_id != mine:
            return  # other tests' events on the shared broker
        calls += 1
        if broken:
            raise ValueError("a bug for this message only")
        await uow.session.execute(insert(applied).values(community_id=mine))

    settings = ServiceSettings(kafka_bootstrap_servers=broker)
    kafka = KafkaLink(settings, ["huoli.members", "huoli.members.dlq"])
    stopping = asyncio.Event()
    consumer = InboxConsumer(
        group_id=f"test.dlq.{uuid.uuid4().hex[:8]}",
        topics=["huoli.members"],
        handlers={CommunityCreated: on_created},
        sessions=session_factory(engine),  # type: ignore[arg-type]
        outbox=Outbox(messaging, source="test"),
        tables=messaging,
        kafka=kafka,
        max_attempts=2,
        stopping=stopping,
    )
    event = CloudEvent(
        source="test",
        type="community.created",
        data=community_created(mine).model_dump(mode="json"),
    )
    producer = await kafka.producer()
    running = asyncio.create_task(consumer.run())
    try:
        await producer.send_and_wait(
            "huoli.members", event.model_dump_json().encode(), key=mine.encode()
        )

        async def dead_lettered() -> None:
            listing = await _cli("dlq", "list", "--bootstrap-servers", broker)
            assert event.id in listing

        await eventually(dead_lettered, timeout=30, interval=0.5)
        assert calls == 2  # its attempts, while the database answered: poison

        broken = False
        replayed = await _cli("dlq", "replay", "--bootstrap-servers", broker)
        assert event.id in replayed

        async def stored() -> None:
            async with session_factory(engine)() as session:  # type: ignore[arg-type]
                rows = (await session.execute(select(applied.c.community_id))).scalars().all()
            assert rows == [mine]

        await eventually(stored, timeout=30, interval=0.2)
        # A second replay sends only what was dead-lettered since: not this one.
        again = await _cli("dlq", "replay", "--bootstrap-servers", broker)
        assert event.id not in again
        # And were it delivered again anyway, the inbox would skip it.
        await producer.send_and_wait(
            "huoli.members", event.model_dump_json().encode(), key=mine.encode()
        )
        await asyncio.sleep(2)
        assert calls == 3
    finally:
        stopping.set()
        await asyncio.wait_for(running, 15)
        await kafka.close()
