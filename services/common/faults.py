"""Transient faults (a database or broker that cannot be reached right now, a timeout, a
serialization failure or deadlock) told from errors that will happen again whatever we wait
(a bug, data that breaks a rule): the first kind is waited out, the second reported.

Consumers pause on a transient fault instead of dead-lettering (services.common.events.consumer),
the API answers it with 503 and Retry-After instead of 500 (services.common.api.middleware), and
the outbox relay names the part that failed. All of them log it through `Throttled`, one line a
second, not a traceback per request.
"""

import asyncio
import logging
import sqlite3
import time
import traceback
from collections.abc import Iterator

import asyncpg
import sqlalchemy.exc
from aiokafka.errors import KafkaError

# SQLSTATE classes and codes worth waiting out: 08 connection exception, 53 insufficient
# resources (too many connections, disk full), 57P01-57P05 the server shutting down, starting
# up or cutting an idle session, 40001 serialization failure, 40P01 deadlock, 55P03 a lock not
# available in time, 58 system error (I/O), 25006 a read-only transaction (a replica promoted
# to primary is not writable yet).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "58")
_TRANSIENT_SQLSTATES = frozenset(
    {"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "57P04", "57P05", "25006"}
)
# What SQLite says when its file cannot be written or opened for now: another process holds
# the write lock past the busy timeout, the file or its directory turned read-only, the disk
# failed or filled up.
_TRANSIENT_SQLITE_MESSAGES = (
    "database is locked",
    "database table is locked",
    "unable to open database",
    "readonly database",
    "disk i/o error",
    "database or disk is full",
)


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and what it wraps: SQLAlchemy's `orig`, then `__cause__`/`__context__`."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending.extend(
            (
                orig if isinstance(orig, BaseException) else None,
                current.__cause__,
                current.__context__,
            )
        )


def _sqlstate(error: BaseException) -> str | None:
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return code if isinstance(code, str) else None


_TRANSIENT_TYPES = (
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    TimeoutError,
    OSError,  # connection refused or reset, a host that cannot be resolved
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InterfaceError,  # "connection is closed", "connection was lost"
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


def _transient_one(error: BaseException) -> bool:
    if isinstance(error, _TRANSIENT_TYPES) or (
        isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated
    ):
        return True
    code = _sqlstate(error)
    if code is not None and (
        code in _TRANSIENT_SQLSTATES or code[:2] in _TRANSIENT_SQLSTATE_CLASSES
    ):
        return True
    if isinstance(error, sqlite3.OperationalError | sqlalchemy.exc.OperationalError):
        message = str(error).lower()
        return any(known in message for known in _TRANSIENT_SQLITE_MESSAGES)
    if isinstance(error, KafkaError):
        return (
            bool(getattr(error, "retriable", False)) or "connection" in type(error).__name__.lower()
        )
    return False


def is_transient(error: BaseException) -> bool:
    """Whether waiting may be all `error` needs: a database or broker out of reach, a timeout,
    a serialization failure or a deadlock, wherever it sits in the chain of causes."""
    return any(_transient_one(cause) for cause in causes(error))


_DATABASE_ERRORS = (
    sqlalchemy.exc.SQLAlchemyError,
    asyncpg.exceptions.PostgresError,
    asyncpg.exceptions.InterfaceError,
    sqlite3.Error,
)
_DATABASE_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.")


def is_database_fault(error: BaseException) -> bool:
    """Whether `error` came from the database rather than, say, the broker: a database error,
    or one raised inside the database driver (asyncpg lets a refused connection's OSError
    through unwrapped, and SQLAlchemy passes it on as it is)."""
    for cause in causes(error):
        if isinstance(cause, _DATABASE_ERRORS):
            return True
        frames = traceback.walk_tb(cause.__traceback__)
        if any(
            frame.f_globals.get("__name__", "").startswith(_DATABASE_MODULES) for frame, _ in frames
        ):
            return True
    return False


def describe(error: BaseException) -> str:
    """One short line naming the fault's root (no traceback, no SQL)."""
    root = error
    for cause in causes(error):
        root = cause
    text = str(root).splitlines()[0] if str(root) else ""
    return f"{type(root).__name__}: {text[:200]}" if text else type(root).__name__


class Throttled:
    """A logger that says a recurring thing at most once per `interval` seconds, with how many
    times it happened since it last said it."""

    def __init__(self, logger: logging.Logger, *, interval: float = 1.0) -> None:
        self.logger = logger
        self.interval = interval
        self._next: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def say(self, key: str, message: str, *args: object) -> None:
        """Log `message` as a warning unless `key` was said less than `interval` ago."""
        now = time.monotonic()
        if now < self._next.get(key, 0.0):
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        self._next[key] = now + self.interval
        suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            message += " (%d more like it since the last line)"
            args = (*args, suppressed)
        self.logger.warning(message, *args)


class Readiness:
    """What keeps a process from being ready besides its database: consumers paused on a
    transient fault, by name, with the fault. `/readyz` answers 503 while any is listed."""

    def __init__(self) -> None:
        self._down: dict[str, str] = {}

    def down(self, name: str, reason: str) -> None:
        self._down[name] = reason

    def up(self, name: str) -> None:
        self._down.pop(name, None)

    def problems(self) -> dict[str, str]:
        return dict(self._down)


async def sleep_unless(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds`, or less if `stopping` is set meanwhile; whether it was."""
    try:
        await asyncio.wait_for(stopping.wait(), seconds)
    except TimeoutError:
        return False
    return True


__all__ = [
    "Readiness",
    "Throttled",
    "causes",
    "describe",
    "is_database_fault",
    "is_transient",
    "sleep_unless",
]
