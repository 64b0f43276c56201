"""What the benches share: calling a service directly as the gateway would (the identity
headers, signed with a secret made for the run), stopping on signals, and reporting a run that
failed."""

import secrets
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

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
