"""devstack's children: stopped together under one deadline, and dead when their parent dies."""

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.processes import ROOT, ManagedProcess, stop_processes

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


def gone(pid: int) -> bool:
    """Exited: no such process, or a zombie its new parent has not reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


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


# A devstack-like parent: starts one ManagedProcess (which ignores SIGTERM) and waits.
PARENT = """
import os, sys, time
from devstack.processes import ManagedProcess
child = ManagedProcess("child", [sys.executable, "-c", sys.argv[1], sys.argv[2], "-1"],
                       env=os.environ).start()
print(child.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_children_die_when_their_parent_is_killed(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD, str(ready)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    child_pid = 0
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        wait_for_files([ready])
        assert not gone(child_pid)
        parent.kill()  # SIGKILL: no finally, no atexit in the parent
        parent.wait(10)
        deadline = time.monotonic() + 10
        while not gone(child_pid):
            assert time.monotonic() < deadline, f"child {child_pid} outlived its parent"
            time.sleep(0.05)
    finally:
        parent.kill()
        if child_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child_pid, signal.SIGKILL)
