"""The write boundary: one session and the outbox that writes events into its transaction.

Routes, consumers and workers all write inside one:

    async with runtime.unit_of_work() as uow:
        await use_case(uow=uow, ...)

It commits on a clean exit and rolls back when the block raises, so a change and the events it
emits are stored together or not at all, and no caller can forget to commit. A route gets one
from `UnitOfWorkDep`, which exits before the response is sent: a 2xx means it is stored.
"""

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.events.outbox import Outbox


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], outbox: Outbox) -> None:
        self._sessions = sessions
        self.outbox = outbox
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("a UnitOfWork's session exists only inside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session = self.session
        self._session = None
        try:
            if exc_type is None:
                await session.commit()
            else:
                await session.rollback()
        finally:
            await session.close()
