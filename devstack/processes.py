"""Start, watch and stop the system's processes: used by `make run`, the e2e tests and the bench."""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent

COLOURS = ("\033[36m", "\033[32m", "\033[33m", "\033[35m", "\033[34m", "\033[31m")
RESET = "\033[0m"

# What a child receives when the process that started it dies, even by SIGKILL (Linux's
# PR_SET_PDEATHSIG). SIGKILL, not SIGTERM: the parent that would have escalated is gone, so a child
# stuck in its shutdown would hold its port for good; and a service killed outright loses nothing,
# its outbox and inbox are what ManagedProcess.kill exists to test.
PARENT_DEATH_SIGNAL = signal.SIGKILL
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    # Looked up here, in the parent: the child between fork and exec should do as little as it can.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_prctl = _load_prctl()


def _die_with(parent_pid: int) -> Callable[[], None] | None:
    """A preexec_fn asking the kernel to send PARENT_DEATH_SIGNAL to the child when its parent
    dies; None where there is no prctl (the children then outlive a killed parent)."""
    prctl = _prctl
    if prctl is None:
        return None

    def preexec() -> None:
        if prctl(_PR_SET_PDEATHSIG, PARENT_DEATH_SIGNAL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        # The parent may have died between fork and prctl: then no signal would ever come.
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), PARENT_DEATH_SIGNAL)

    return preexec


# The flags every uvicorn we start runs with, as deploy/ runs them: no access log (a formatted
# line per request costs more than a primary-key read), and uvloop + httptools named explicitly
# so a missing extra fails at start instead of silently falling back to the slower pure-Python
# loop and parser.
UVICORN_FLAGS = ("--no-access-log", "--loop", "uvloop")
# httptools, bounded (services/common/api/serving.py): the gateway takes 16 KiB of request line
# and headers from a client, a service 64 KiB (the gateway adds the caller's identity); a head
# must arrive within seconds; past the connection cap a client gets a clean 503.
EDGE_PROTOCOL = "services.common.api.serving:EdgeProtocol"
INTERNAL_PROTOCOL = "services.common.api.serving:InternalProtocol"


def uvicorn_argv(app: str, port: int, *, graceful_seconds: int = 5) -> list[str]:
    """Command line of one uvicorn worker serving the app factory `app` on 127.0.0.1:`port`."""
    protocol = EDGE_PROTOCOL if app.startswith("gateway.") else INTERNAL_PROTOCOL
    return [
        sys.executable, "-m", "uvicorn", app, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        *UVICORN_FLAGS, "--http", protocol, "--timeout-graceful-shutdown", str(graceful_seconds),
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, *, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def wait_for_http(
    url: str, *, timeout: float = 60.0, process: "ManagedProcess | None" = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive:
            raise RuntimeError(
                f"{process.name} exited with {process.returncode} before {url} answered"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


class ManagedProcess:
    """One child process in its own process group, its output prefixed onto a stream or a file.

    The child dies with its parent (PARENT_DEATH_SIGNAL, on Linux): a devstack, test or bench
    killed with SIGKILL leaves no service holding its port. The kernel sends that signal when the
    *thread* that started the child ends, not the process: start children from the main thread,
    or from a thread that outlives them (asyncio's default executor keeps its threads until the
    event loop closes, so `asyncio.to_thread(stack.start_all)` is fine); a short-lived thread's
    children are killed when it returns.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: Mapping[str, str],
        output: IO[str] | None = None,
        colour: str = "",
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.output = output or sys.stdout
        self.colour = colour
        self._popen: subprocess.Popen[str] | None = None
        self._pump: threading.Thread | None = None

    def start(self) -> "ManagedProcess":
        self._popen = subprocess.Popen(  # noqa: S603 - argv is ours
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
            # Runs in the child after setsid, before exec; PDEATHSIG survives the exec.
            preexec_fn=_die_with(os.getpid()),  # noqa: PLW1509 - prctl and getppid only
        )
        self._pump = threading.Thread(target=self._copy_output, daemon=True)
        self._pump.start()
        return self

    def _copy_output(self) -> None:
        assert self._popen is not None
        assert self._popen.stdout is not None
        prefix = f"{self.colour}{self.name:<8}|{RESET if self.colour else ''} "
        for line in self._popen.stdout:
            with contextlib.suppress(ValueError):  # the output file was closed at teardown
                self.output.write(prefix + line)
                self.output.flush()

    @property
    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._popen is None else self._popen.pid

    @property
    def returncode(self) -> int | None:
        return None if self._popen is None else self._popen.poll()

    def signal(self, signum: int) -> None:
        if self.alive:
            assert self._popen is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._popen.pid, signum)

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM, and SIGKILL if it still runs after `timeout` seconds."""
        stop_processes([self], timeout=timeout)

    def _wait_until(self, deadline: float) -> None:
        if self._popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(max(0.0, deadline - time.monotonic()))

    def _reap(self, pump_deadline: float) -> None:
        if self._popen is not None:
            self._popen.wait(10)  # after SIGKILL: at once
        # Its output ends when every holder of the pipe's write end has exited (grandchildren too).
        if self._pump is not None:
            self._pump.join(max(0.0, pump_deadline - time.monotonic()))

    def kill(self) -> None:
        """Die at once, as in a crash: no shutdown hooks run."""
        if self._popen is None:
            return
        self.signal(signal.SIGKILL)
        self._popen.wait(10)

    def wait(self, timeout: float) -> int:
        assert self._popen is not None
        return self._popen.wait(timeout)


def stop_processes(processes: Iterable[ManagedProcess], *, timeout: float = 10.0) -> None:
    """Stop processes together: SIGTERM to all at once, one deadline `timeout` seconds away for
    all of them, then SIGKILL to whatever still runs. One after another, stopping would take the
    sum of their shutdowns instead of the longest."""
    batch = list(processes)
    for process in batch:
        process.signal(signal.SIGTERM)  # signal() skips those not started or already gone
    deadline = time.monotonic() + timeout
    for process in batch:
        process._wait_until(deadline)
    for process in batch:
        process.signal(signal.SIGKILL)
    pump_deadline = time.monotonic() + 2
    for process in batch:
        process._reap(pump_deadline)
