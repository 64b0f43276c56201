"""The write boundary: commit before the answer, nothing stored when a route fails, the same
boundary for consumer handlers; on_commit callbacks; pruning of the outbox and inbox. On SQLite
and PostgreSQL."""

from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI, status
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, func, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.api.deps import UnitOfWorkDep
from services.common.api.problems import install_problem_handlers
from services.common.db import on_commit, session_factory
from services.common.errors import Conflict
from services.common.events.catalogue import CommunityCreated
from services.common.events.consumer import InboxConsumer
from services.common.events.envelope import CloudEvent, utc_now
from services.common.events.housekeeping import prune_messaging_tables
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox
from services.common.events.tables import messaging_tables
from services.common.settings import ServiceSettings
from services.common.unit_of_work import UnitOfWork
from tests.support import assert_problem, community_created, schema_engine

metadata = MetaData()
parent = Table("parent", metadata, Column("id", Integer, primary_key=True))
# Deferred: a dangling reference is refused at COMMIT, after the route has returned.
child = Table(
    "child",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "parent_id",
        Integer,
        ForeignKey("parent.id", deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
)
messaging = messaging_tables(metadata)


engine = schema_engine(metadata)


def boundary_app(engine: object) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    sessions = session_factory(engine)  # type: ignore[arg-type]
    app.state.runtime = SimpleNamespace(sessions=sessions, outbox=Outbox(messaging, source="test"))

    @app.post("/parents/{parent_id}", status_code=status.HTTP_201_CREATED)
    async def add_parent(parent_id: int, uow: UnitOfWorkDep, fail: bool = False) -> dict[str, int]:
        await uow.session.execute(insert(parent).values(id=parent_id))
        if fail:
            raise Conflict("refused after writing")
        return {"id": parent_id}

    @app.post("/children/{parent_id}", status_code=status.HTTP_201_CREATED)
    async def add_child(parent_id: int, uow: UnitOfWorkDep) -> dict[str, int]:
        await uow.session.execute(insert(child).values(id=1, parent_id=parent_id))
        return {"parent_id": parent_id}

    return app


async def count(engine: object, table: Table) -> int:
    async with session_factory(engine)() as session:  # type: ignore[arg-type]
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_a_2xx_means_the_change_is_stored_and_a_failure_stores_nothing(
    engine: object,
) -> None:
    transport = httpx.ASGITransport(app=boundary_app(engine), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await client.post("/parents/1")
        assert created.status_code == 201
        # Visible to a fresh session the moment the answer arrived: committed before it.
        assert await count(engine, parent) == 1

        refused = await client.post("/parents/2", params={"fail": "true"})
        assert_problem(refused, 409)
        assert await count(engine, parent) == 1  # the route's write was rolled back

        # The commit itself fails (deferred foreign key): the caller gets an error, not a 201.
        dangling = await client.post("/children/99")
        assert dangling.status_code == 500
        assert await count(engine, child) == 0


async def test_on_commit_callbacks_run_once_after_commit_and_never_after_rollback(
    engine: object,
) -> None:
    calls: list[str] = []

    def committed() -> None:
        calls.append("committed")

    sessions = session_factory(engine)  # type: ignore[arg-type]
    async with sessions() as session:
        on_commit(session, committed)
        await session.execute(insert(parent).values(id=10))
        await session.rollback()
        assert calls == []
        on_commit(session, committed)
        on_commit(session, committed)
        await session.execute(insert(parent).values(id=11))
        assert calls == []
        await session.commit()
        assert calls == ["committed"]
        await session.execute(insert(parent).values(id=12))
        await session.commit()  # registered for the earlier transaction only
        assert calls == ["committed"]


async def test_pruning_keeps_what_may_still_be_needed(engine: object) -> None:
    settings = ServiceSettings(
        outbox_retention_seconds=3600,
        outbox_replay_window_seconds=600,
        inbox_retention_seconds=7200,
    )
    now = utc_now()
    long_ago, recently = now - timedelta(hours=3), now - timedelta(minutes=5)
    outbox_rows = [
        ("old-published", long_ago, long_ago),
        ("recent-published", recently, recently),
        ("old-unpublished", long_ago, None),
    ]
    inbox_rows = [("old", long_ago), ("recent", recently)]
    sessions = session_factory(engine)  # type: ignore[arg-type]
    async with sessions() as session:
        for event_id, created_at, published_at in outbox_rows:
            await session.execute(
                insert(messaging.outbox).values(
                    event_id=event_id,
                    topic="t",
                    payload="{}",
                    created_at=created_at,
                    published_at=published_at,
                )
            )
        for event_id, processed_at in inbox_rows:
            await session.execute(
                insert(messaging.inbox).values(
                    consumer="c", event_id=event_id, event_type="x", processed_at=processed_at
                )
            )
        await session.commit()

    assert await prune_messaging_tables(sessions, messaging, settings) == 2

    async with sessions() as session:
        outbox_left = set((await session.execute(select(messaging.outbox.c.event_id))).scalars())
        inbox_left = set((await session.execute(select(messaging.inbox.c.event_id))).scalars())
    # Never an unpublished row, whatever its age: it has not reached Kafka yet.
    assert outbox_left == {"recent-published", "old-unpublished"}
    assert inbox_left == {"recent"}


async def test_a_request_that_gets_no_database_connection_in_time_is_told_to_retry(
    database_url: str,
) -> None:
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        transport = httpx.ASGITransport(app=boundary_app(engine))
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://test") as client,
            engine.connect() as held,  # the pool's only connection, taken
        ):
            await held.execute(select(1))
            busy = await client.post("/parents/1")
        assert_problem(busy, 503)
        assert busy.headers["retry-after"] == "1"
        assert await count(engine, parent) == 0
    finally:
        await engine.dispose()


def test_the_outbox_must_outlive_its_replay_window() -> None:
    with pytest.raises(ValueError, match="outbox_retention_seconds"):
        ServiceSettings(outbox_retention_seconds=60, outbox_replay_window_seconds=3600)


def envelope_of(event: CommunityCreated) -> CloudEvent:
    return CloudEvent(source="test", type=event.type, data=event.model_dump(mode="json"))


def record_of(envelope: CloudEvent) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="huoli.members",
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=envelope.model_dump_json().encode(),
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=(),
    )


async def test_a_consumer_handler_commits_its_effect_its_events_and_the_inbox_row_together(
    engine: object, broker: str
) -> None:
    outbox = Outbox(messaging, source="test")

    async def on_community_created(uow: UnitOfWork, event: CommunityCreated, _: CloudEvent) -> None:
        await uow.session.execute(insert(parent).values(id=int(event.community_id)))
        await uow.outbox.add(uow.session, community_created(f"{event.community_id}-echo"))
        if event.community_id == "2":
            raise RuntimeError("fails after writing and emitting")

    settings = ServiceSettings(kafka_bootstrap_servers=broker)
    consumer = InboxConsumer(
        group_id="test.uow",
        topics=["huoli.members"],
        handlers={CommunityCreated: on_community_created},
        sessions=session_factory(engine),  # type: ignore[arg-type]
        outbox=outbox,
        tables=messaging,
        kafka=KafkaLink(settings, ["huoli.members", "huoli.members.dlq"]),
        max_attempts=1,
    )
    try:
        applied = CloudEvent(
            source="t",
            type="community.created",
            data=community_created("1").model_dump(mode="json"),
        )
        await consumer.process(record_of(applied))
        await consumer.process(record_of(applied))  # redelivered: the inbox skips it
        failing = CloudEvent(
            source="t",
            type="community.created",
            data=community_created("2").model_dump(mode="json"),
        )
        await consumer.process(record_of(failing))  # to the DLQ, nothing of it stored
    finally:
        await consumer.kafka.close()

    async with session_factory(engine)() as session:  # type: ignore[arg-type]
        parents = list((await session.execute(select(parent.c.id))).scalars())
        emitted = list((await session.execute(select(messaging.outbox.c.payload))).scalars())
        inbox = list((await session.execute(select(messaging.inbox.c.event_id))).scalars())
    assert parents == [1]
    assert [
        CloudEvent.model_validate_json(payload).data["community_id"] for payload in emitted
    ] == ["1-echo"]
    assert inbox == [applied.id]
