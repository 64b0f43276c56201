"""Helpers for tests: run an app in-process, wait for eventual effects, read Kafka topics."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from alembic import command
from fastapi import FastAPI
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.common.auth import signed_actor_headers
from services.common.components import Component
from services.common.db import create_engine
from services.common.events.catalogue import CommunityCreated, MemberJoined, MemberSanctioned
from services.common.membership.repository import mute_membership, save_community, save_membership
from services.common.membership.tables import MembershipTables
from services.common.migrations import alembic_config
from services.common.settings import DEVELOPMENT_INTERNAL_SECRET
from tests.conftest import MigratedDatabases


@asynccontextmanager
async def running_service(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (migrations, relay, consumers) and hand out a client bound to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def service_app(service: Component, *, database_url: str, broker: str, **overrides: Any) -> FastAPI:
    """A service's app in test settings, on this database and broker."""
    settings = service.load_settings_class()(
        database_url=database_url, kafka_bootstrap_servers=broker, environment="test", **overrides
    )
    app: FastAPI = service.load_app_factory()(settings)
    return app


def service_client(
    service: Component,
    *,
    prepare: Callable[[FastAPI], Awaitable[None]] | None = None,
    **overrides: Any,
) -> Any:
    """A fixture running the service in-process on each database backend (a copy of its
    migrated schema), with the real broker; assign it to the fixture's name:
    `client = service_client(MEMBERS)`. `prepare` runs once the app has started, before the
    test (to seed data, say); `overrides` are settings."""

    @pytest.fixture
    async def client(
        backend: str, migrated_databases: MigratedDatabases, broker: str, tmp_path: Path
    ) -> AsyncIterator[httpx.AsyncClient]:
        async with migrated_databases.copy(backend, service, tmp_path) as database_url:
            app = service_app(
                service,
                database_url=database_url,
                broker=broker,
                run_migrations_on_startup=False,
                **overrides,
            )
            async with running_service(app) as client:
                if prepare is not None:
                    await prepare(app)
                yield client

    return client


def actor(
    user_id: str = "alice", roles: Iterable[str] = (), *, secret: str = DEVELOPMENT_INTERNAL_SECRET
) -> dict[str, str]:
    """The identity headers the gateway sets after verifying a caller, signed as it signs them
    (with the secret the services' test settings fall back to)."""
    return signed_actor_headers(secret, actor_id=user_id, roles=roles)


def member_id_of(user_id: str) -> str:
    """The member id `seed_membership` gives a user."""
    return f"m-{user_id}"


async def seed_membership(
    app: FastAPI,
    tables: MembershipTables,
    community_id: str,
    roles: Mapping[str, str] = {},
    *,
    owner: str = "owner",
) -> None:
    """Put a community, its owner and its members (user id → role) into a running service's
    membership projection, through the functions its `huoli.members` consumer applies, as if
    the members service had announced them. Member ids are `member_id_of(user_id)`."""
    now = datetime.now(UTC)
    async with app.state.runtime.sessions() as session:
        await save_community(
            session,
            tables,
            CommunityCreated(
                community_id=community_id,
                name="Seeded",
                join_policy="open",
                timezone="Asia/Shanghai",
                owner_user_id=owner,
                created_at=now,
            ),
        )
        for user_id, role in {owner: "owner", **roles}.items():
            joined = MemberJoined(
                community_id=community_id,
                member_id=member_id_of(user_id),
                user_id=user_id,
                display_name=user_id,
                status="active",
                role=role,
                joined_at=now,
            )
            await save_membership(session, tables, joined)
        await session.commit()


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, interval: float = 0.1
) -> Any:
    """Retry an async assertion until it passes; on timeout re-raise its last failure."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(interval)


def assert_problem(
    response: httpx.Response, status: int, *, field: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and an error naming `field`)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    if field is not None:
        locations = [err["loc"][-1] for err in body.get("errors", [])] + [body.get("field")]
        assert field in locations, body
    return body


class KafkaProbe:
    """Reads a topic from the beginning, outside any consumer group."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers

    async def __aenter__(self) -> "KafkaProbe":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def records(
        self, topic: str, *, count: int, where: Callable[[Any], bool], timeout: float = 20.0
    ) -> list[Any]:
        """The first `count` records on `topic` matching `where` (at least; a fetch may bring
        more), each once however often it was sent."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers, enable_auto_commit=False
        )
        await consumer.start()
        try:
            deadline = time.monotonic() + timeout
            partitions: set[int] | None = None
            while not partitions:
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(topic)
                if not partitions:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"topic {topic} does not exist")
                    await asyncio.sleep(0.2)
            assignment = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(assignment)
            await consumer.seek_to_beginning(*assignment)
            found: list[Any] = []
            seen: set[bytes] = set()
            while len(found) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"found {len(found)} of {count} records on {topic}")
                batches = await consumer.getmany(timeout_ms=int(min(remaining, 0.5) * 1000))
                for records in batches.values():
                    for record in records:
                        # A send that timed out may land twice (consumers absorb it by event
                        # id): the same bytes again are the same record, not another.
                        if where(record) and record.value not in seen:
                            seen.add(record.value)
                            found.append(record)
            return found
        finally:
            await consumer.stop()

    async def events(
        self,
        topic: str,
        *,
        type: str | None = None,
        count: int = 1,
        timeout: float = 20.0,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """The first `count` CloudEvents on `topic` of this type (and matching `where`)."""

        def wanted(record: Any) -> bool:
            try:
                event = orjson.loads(record.value)
            except orjson.JSONDecodeError:
                return False
            return (type is None or event.get("type") == type) and (where is None or where(event))

        records = await self.records(topic, count=count, where=wanted, timeout=timeout)
        return [orjson.loads(record.value) for record in records]


async def publish_raw(
    bootstrap_servers: str, topic: str, value: bytes, key: bytes | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


async def published_record(bootstrap_servers: str, topic: str, *, subject: str) -> Any:
    """The first record on `topic` whose CloudEvent is about `subject`."""

    def about_subject(record: Any) -> bool:
        try:
            return bool(orjson.loads(record.value).get("subject") == subject)
        except (orjson.JSONDecodeError, AttributeError):
            return False

    [record] = await KafkaProbe(bootstrap_servers).records(topic, count=1, where=about_subject)
    return record


def schema_engine(metadata: MetaData) -> Any:
    """A fixture: an engine on a fresh database of each backend with `metadata`'s tables
    created; assign it to the fixture's name: `engine = schema_engine(metadata)`."""

    @pytest.fixture
    async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(database_url)
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        try:
            yield engine
        finally:
            await engine.dispose()

    return engine


async def rows_after_upgrade(
    component: Component,
    database_url: str,
    *,
    revision: str,
    seed: tuple[Table, list[dict[str, Any]]],
    read: Table,
) -> list[Any]:
    """A data migration's effect: migrate a fresh database to `revision`, insert the `seed`
    rows, migrate to head, and return the rows of `read`."""
    config = alembic_config(ini_path=component.alembic_ini, database_url=database_url)
    await asyncio.to_thread(command.upgrade, config, revision)
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(seed[0]), seed[1])
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as connection:
            return list(await connection.execute(select(read)))
    finally:
        await engine.dispose()


def community_created(community_id: str) -> CommunityCreated:
    """A `community.created` owned by alice, for tests that write one event."""
    return CommunityCreated(
        community_id=community_id,
        name="读书会",
        join_policy="open",
        timezone="Asia/Shanghai",
        owner_user_id="alice",
        created_at=datetime.now(UTC),
    )


async def mute_in_projection(
    app: FastAPI, tables: MembershipTables, community_id: str, user_id: str, until: datetime
) -> None:
    """Mute `member_id_of(user_id)` until `until` in a running service's membership projection,
    as its consumer applies the members service's `member.sanctioned`."""
    async with app.state.runtime.sessions() as session:
        await mute_membership(
            session,
            tables,
            MemberSanctioned(
                community_id=community_id,
                member_id=member_id_of(user_id),
                user_id=user_id,
                sanction_id="snct_test",
                kind="mute",
                reason="spam",
                muted_until=until,
                sanctioned_by="owner",
                warning_count=0,
                issued_at=datetime.now(UTC),
            ),
        )
        await session.commit()
