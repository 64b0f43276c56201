"""devstack's children are stopped together, under one deadline."""

import io
import os
import signal
import sys
import time
from pathlib import Path

from devstack.processes import ManagedProcess, stop_processes

# Writes its ready file once its SIGTERM handler is in place, then sleeps. On SIGTERM it either
# takes SLOW seconds to shut down and exits 0, or (SLOW < 0) ignores the signal.
CHILD = """
import signal, sys, time
from pathlib import Path
ready, slow = Path(sys.argv[1]), float(sys.argv[2])
def shut_down(*_):
    time.sleep(slow)
    sys.exit(0)
signal.signal(signal.SIGTERM, signal.SIG_IGN if slow < 0 else shut_down)
ready.touch()
time.sleep(600)
"""


def start_children(tmp_path: Path, count: int, *, slow: float) -> list[ManagedProcess]:
    children = [
        ManagedProcess(
            f"child-{number}",
            [sys.executable, "-c", CHILD, str(tmp_path / f"ready-{number}"), str(slow)],
            env=os.environ,
            output=io.StringIO(),
        ).start()
        for number in range(count)
    ]
    wait_for_files([tmp_path / f"ready-{number}" for number in range(count)])
    return children


def wait_for_files(paths: list[Path], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not all(path.exists() for path in paths):
        assert time.monotonic() < deadline, f"not all of {paths} appeared in {timeout} s"
        time.sleep(0.05)


def test_slow_children_stop_together_in_the_longest_shutdown_not_the_sum(
    tmp_path: Path,
) -> None:
    # Four children taking 1.5 s each to shut down: 6 s one after another, ~1.5 s together.
    children = start_children(tmp_path, 4, slow=1.5)
    started = time.monotonic()
    stop_processes(children, timeout=30)
    elapsed = time.monotonic() - started
    assert [child.returncode for child in children] == [0, 0, 0, 0]  # finished, not killed
    assert 1.0 <= elapsed < 4.5, elapsed


def test_children_ignoring_sigterm_are_killed_at_one_shared_deadline(tmp_path: Path) -> None:
    # A 1.5 s deadline each would be 6 s one after another.
    children = start_children(tmp_path, 4, slow=-1)
    started = time.monotonic()
    stop_processes(children, timeout=1.5)
    elapsed = time.monotonic() - started
    assert [child.returncode for child in children] == [-signal.SIGKILL] * 4
    assert 1.0 <= elapsed < 4.5, elapsed
