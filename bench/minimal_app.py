"""The yardstick for `make bench`: the smallest idiomatic FastAPI + SQLAlchemy-async app that does
what the members service does on the measured paths, and nothing else.

No gateway identity, no problem+json, no request ids, no body limit, no outbox relay: those are
what the members service adds, and the bench reports what they cost as a share of this app. Its
writes do the same SQL as the service's, so the write figures compare like with like: creating
a community inserts it, its owner's membership and two outbox rows in one transaction; a join
reads the community and checks the membership, then inserts the membership and an outbox row.
The database is configured as the service configures it (SQLite: WAL, synchronous=NORMAL).
It adds no middleware, and turns FastAPI's native telemetry off as the services do: with no
OpenTelemetry provider set it records nothing, but looks the providers up on every request, a
cost the services do not pay either.

    MINIMAL_DATABASE_URL=sqlite+aiosqlite:///x.db uvicorn bench.minimal_app:create_app --factory
"""

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, DateTime, String, Text, UniqueConstraint, event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Community(Base):
    __tablename__ = "community"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(2000))
    join_policy: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64))
    rules: Mapped[list[str]] = mapped_column(JSON)
    owner_user_id: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("community_id", "user_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    community_id: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(JSON)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxEvent(Base):
    __tablename__ = "outbox_event"
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(200))
    message_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CommunityIn(BaseModel):
    name: str
    topic: str | None = None
    description: str | None = None
    join_policy: str = "open"
    timezone: str = "Asia/Shanghai"
    rules: list[str] = []


class CommunityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    topic: str | None
    description: str | None
    join_policy: str
    timezone: str
    rules: list[str]
    owner_user_id: str
    created_at: datetime
    updated_at: datetime


class MemberIn(BaseModel):
    user_id: str
    display_name: str
    tags: list[str] = []


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    community_id: str
    user_id: str
    display_name: str
    status: str
    role: str
    tags: list[str]
    joined_at: datetime


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _outbox_row(topic: str, key: str, data: dict[str, Any]) -> OutboxEvent:
    now = datetime.now(UTC)
    return OutboxEvent(
        event_id=uuid.uuid4().hex,
        topic=topic,
        message_key=key,
        payload=json.dumps({"type": topic, "data": data}, default=str),
        created_at=now,
    )


def create_app() -> FastAPI:
    url = os.environ["MINIMAL_DATABASE_URL"]
    engine = create_async_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        yield
        await engine.dispose()

    async def session_dep() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    SessionDep = Annotated[AsyncSession, Depends(session_dep)]  # noqa: N806
    app = FastAPI(lifespan=lifespan, telemetry={"tracing": False, "metrics": False, "logs": False})

    @app.get("/v1/communities/{community_id}", response_model=CommunityOut)
    async def get_community(community_id: str, session: SessionDep) -> Community:
        community = await session.get(Community, community_id)
        if community is None:
            raise HTTPException(404)
        return community

    @app.post("/v1/communities", status_code=201, response_model=CommunityOut)
    async def create_community(body: CommunityIn, session: SessionDep) -> Community:
        now = datetime.now(UTC)
        community = Community(
            id=uuid.uuid4().hex, owner_user_id="bench", created_at=now, updated_at=now,
            **body.model_dump(),
        )  # fmt: skip
        owner = Membership(
            id=uuid.uuid4().hex, community_id=community.id, user_id="bench",
            display_name="bench", status="active", role="owner", tags=[], joined_at=now,
        )  # fmt: skip
        session.add_all([community, owner])
        session.add(_outbox_row("community.created", community.id, body.model_dump()))
        session.add(_outbox_row("member.joined", community.id, {"user_id": "bench"}))
        await session.commit()
        return community

    @app.post("/v1/communities/{community_id}/members", status_code=201, response_model=MemberOut)
    async def join(community_id: str, body: MemberIn, session: SessionDep) -> Membership:
        if await session.get(Community, community_id) is None:
            raise HTTPException(404)
        existing = await session.scalar(
            select(Membership).where(
                Membership.community_id == community_id, Membership.user_id == body.user_id
            )
        )
        if existing is not None:
            raise HTTPException(409)
        membership = Membership(
            id=uuid.uuid4().hex, community_id=community_id, status="active", role="member",
            joined_at=datetime.now(UTC), **body.model_dump(),
        )  # fmt: skip
        session.add(membership)
        session.add(_outbox_row("member.joined", community_id, body.model_dump()))
        await session.commit()
        return membership

    return app
