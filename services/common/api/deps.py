"""The FastAPI dependencies of every service: who is calling, the write boundary, read sessions,
path ids and page parameters. Routes take them; nothing below the routes knows of them."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import (
    ACTOR_ASSERTION_HEADER,
    ACTOR_COMMUNITIES_HEADER,
    ACTOR_ID_HEADER,
    ACTOR_KIND_HEADER,
    ACTOR_ROLES_HEADER,
    Actor,
    ActorVerifier,
)
from services.common.fields import ID_MAX_LENGTH, ID_PATTERN
from services.common.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageParams, decode_cursor
from services.common.runtime import ServiceRuntime
from services.common.unit_of_work import UnitOfWork

PathId = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
"""An id of ours in a path: a malformed one is a 422, never a query."""


async def _actor(request: Request) -> Actor:
    # The headers are read off the request rather than declared as Header() parameters: four
    # parameters for FastAPI to solve were the largest remaining cost of a read, and clients
    # never send these headers, so the OpenAPI document must not list them anyway.
    headers = request.headers
    verifier: ActorVerifier = request.app.state.actor_verifier
    return verifier.actor(
        actor_id=headers.get(ACTOR_ID_HEADER),
        kind=headers.get(ACTOR_KIND_HEADER),
        roles=headers.get(ACTOR_ROLES_HEADER),
        assertion=headers.get(ACTOR_ASSERTION_HEADER),
        communities=headers.get(ACTOR_COMMUNITIES_HEADER),
    )


ActorDep = Annotated[Actor, Depends(_actor)]


async def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, pattern=r"^[A-Za-z0-9_-]+$")] = None,
) -> PageParams:
    return PageParams(limit=limit, after_id=decode_cursor(cursor) if cursor else None)


PageDep = Annotated[PageParams, Depends(_page_params)]


async def _runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def _unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    # The services' runtime and the gateway's both hold `sessions` and `outbox`.
    runtime = request.app.state.runtime
    # scope="function" runs the exit, and so the commit, before the response is sent: a failed
    # commit is the caller's error response, never a 2xx for a change that was not stored.
    async with UnitOfWork(runtime.sessions, runtime.outbox) as uow:
        yield uow


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.read_sessions() as session:
        yield session


RuntimeDep = Annotated[ServiceRuntime, Depends(_runtime)]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(_unit_of_work, scope="function")]
"""For endpoints that change state: commits once the endpoint returned, rolls back if it raised."""
ReadSessionDep = Annotated[AsyncSession, Depends(_read_session)]
"""For endpoints that only read: on SQLite they neither take nor wait for the write lock."""
