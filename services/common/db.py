"""The async database engine and sessions: SQLite files by default, PostgreSQL in production."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, TypeDecorator, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, registry

# Constraint names must be deterministic for Alembic to drop or alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def table_registry() -> registry:
    """A registry of a service's own: SQLModel's default metadata is global and would mix
    the tables of every service imported into one interpreter (tests do that)."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# Connections per engine (a service has a write and a read engine). One worker's event loop
# keeps a few queries in flight at a time; more connections only add server processes.
POSTGRES_CONNECTIONS = 10
SQLITE_READERS = 5

# Pooled PostgreSQL connections are replaced after this long, before a server, proxy or NAT
# idle timeout (commonly an hour) can cut them.
POOL_RECYCLE_SECONDS = 1800

# A read engine runs each statement in autocommit: no BEGIN before it, no ROLLBACK after it (on
# PostgreSQL two of the three round trips of a primary-key read; on SQLite two of three thread
# hops through aiosqlite). Each statement then sees the latest commit, which is what PostgreSQL's
# READ COMMITTED gives a transaction's statements anyway; WAL readers never block the writer.
_AUTOCOMMIT_READS: dict[str, Any] = {
    "isolation_level": "AUTOCOMMIT",
    "skip_autocommit_rollback": True,
    "pool_reset_on_return": None,
}


def create_engine(url: str, *, echo: bool = False, read_only: bool = False) -> AsyncEngine:
    """Create the engine with per-backend settings that make it safe under concurrency.

    `read_only` engines are for requests that only read (see `_AUTOCOMMIT_READS`).
    """
    reads = _AUTOCOMMIT_READS if read_only else {}
    if is_sqlite(url):
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30},
            # SQLite lets one transaction write at a time. One pooled connection makes this
            # process's writers queue for it in order, instead of polling the lock with
            # SQLite's busy handler, which sleeps 1, 2, 5, 10 ms... between tries. Readers
            # (WAL) run side by side.
            pool_size=SQLITE_READERS if read_only else 1,
            max_overflow=0,
            **reads,
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        if not read_only:
            # A transaction that reads then writes takes SQLite's write lock up front: upgrading
            # a read lock later fails at once ("database is locked") if another writer went first.
            event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout to guard against a rare event.
    # A connection the server closed (a restart, a failover) fails the one statement that uses
    # it; SQLAlchemy recognises the disconnect and invalidates that connection and every
    # pooled connection older than it, so the requests after it connect afresh.
    return create_async_engine(
        url,
        echo=echo,
        pool_size=POSTGRES_CONNECTIONS,
        # No overflow: an overflow connection is closed when it comes back to a full pool, so
        # under a burst of requests each one paid for a new connection (TLS, a server process,
        # statements prepared again). Waiting a moment for a pooled connection costs less.
        max_overflow=0,
        pool_recycle=POOL_RECYCLE_SECONDS,
        **reads,
    )


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    _end_abandoned_transaction(connection)
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _end_abandoned_transaction(connection: Any) -> None:
    # A COMMIT that SQLite refused (a deferred constraint, a full disk) leaves its transaction
    # open, and the pool, which saw the commit issued, returns the connection without rolling
    # back: the next BEGIN would fail, and so every later request on that connection.
    if connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("ROLLBACK")


_ON_COMMIT = "huoli_on_commit"


class CallbackSession(Session):
    """A session that runs callbacks registered with `on_commit` after its transaction commits.

    The listeners are registered once, on this class, rather than on every session: a listener
    per session costs an event-registry update on the request path.
    """


@event.listens_for(CallbackSession, "after_commit")
def _run_on_commit(session: Session) -> None:
    for callback in session.info.pop(_ON_COMMIT, ()):
        callback()


@event.listens_for(CallbackSession, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_ON_COMMIT, None)


def on_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call `callback` once the session's current transaction commits (never if it rolls back).

    The same callback registered twice runs once.
    """
    session.sync_session.info.setdefault(_ON_COMMIT, set()).add(callback)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=CallbackSession)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which keeps no offset) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; store aware ones")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, the text SQLAlchemy's DATETIME would store, in one step: its processor
        fills a `%`-format from a dict of the parts, a cost batch writes of thousands of rows
        notice (a third more than `isoformat`). Any other storage format goes the usual way."""
        stored = self.impl_instance.dialect_impl(dialect)
        if dialect.name != "sqlite" or getattr(stored, "_storage_format", None) != _SQLITE_FORMAT:
            return super().bind_processor(dialect)
        return _sqlite_utc_text


# The default storage format, the only one `_sqlite_utc_text` writes.
_SQLITE_FORMAT = sqlite.DATETIME._storage_format


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """`UtcDateTime`'s bind value on SQLite: `YYYY-MM-DD HH:MM:SS.ffffff` in UTC (the
    isoformat without its `+00:00`), exactly as the default DATETIME storage format writes it."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; store aware ones")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]
