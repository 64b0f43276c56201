"""What the benches share: calling a service directly as the gateway would (the identity
headers, signed with a secret made for the run), stopping on signals, reporting a run that
failed, and a fresh database of either backend."""

import os
import secrets
import signal
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import FrameType

import asyncpg

from services.common.auth import signed_actor_headers

# Give it to every process of the run as HUOLI_INTERNAL_SECRET.
INTERNAL_SECRET = secrets.token_hex(32)


def actor_headers(user: str) -> dict[str, str]:
    """The headers that make the services treat the caller as `user`."""
    # Valid for the whole run: the service checks it once, then remembers it, as it does with
    # the gateway's reused assertions.
    return signed_actor_headers(INTERNAL_SECRET, actor_id=user, lifetime_seconds=3600)


@contextmanager
def reporting_failures(log_path: Path) -> Iterator[None]:
    """Ctrl-C ends the run with 130; any other failure shows the processes' last lines first.
    (The processes themselves are stopped by the context managers that started them.)"""
    try:
        yield
    except KeyboardInterrupt:
        print("interrupted; every process was stopped", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception:
        if log_path.exists():
            tail = log_path.read_text(encoding="utf-8").splitlines()[-40:]
            print("process output (last lines):", *tail, sep="\n", file=sys.stderr)
        raise


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both end the run through KeyboardInterrupt, so everything started is
    stopped. Set explicitly: a shell starting this in the background leaves SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


POSTGRES_DSN = os.environ.get(
    "HUOLI_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


@asynccontextmanager
async def fresh_database(backend: str) -> AsyncIterator[str | None]:
    """The URL of an empty database of `backend` (`sqlite`: a file in a temporary directory;
    `postgresql`: a database created on HUOLI_BENCH_POSTGRES_DSN), dropped afterwards; None,
    with a note printed, when PostgreSQL is unreachable."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        return
    try:
        admin = await asyncpg.connect(POSTGRES_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"{backend}: skipped, {POSTGRES_DSN} unreachable ({exc})")
        yield None
        return
    name = f"huoli_bench_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"{POSTGRES_DSN.rsplit('/', 1)[0]}/{name}".replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )
    finally:
        admin = await asyncpg.connect(POSTGRES_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
