"""The write boundary: one session and the outbox that writes events into its transaction.

A route gets a `UnitOfWork` from `UnitOfWorkDep` and never commits; the dependency commits after
the route returns and before the response is sent, so an answer of 2xx means the change and its
events are stored, and no route can forget to commit.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.outbox import Outbox


@dataclass(frozen=True)
class UnitOfWork:
    session: AsyncSession
    outbox: Outbox
