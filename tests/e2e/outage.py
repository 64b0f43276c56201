"""Database outages made real for the tests: a PostgreSQL instance of the test's own that can be
stopped and started, and SQLite files made unwritable."""

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from devstack.processes import free_port

_PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def postgres_bin() -> Path | None:
    """The newest local PostgreSQL's binaries, or None where there is none."""
    for candidate in _PG_BIN_DIRS:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


class PrivatePostgres:
    """A PostgreSQL cluster in a directory of its own, on a free port; initdb refuses to run as
    root, so as root it runs as the `postgres` user."""

    def __init__(self, root: Path, bin_dir: Path) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.data = root / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0

    def _run(self, *argv: str) -> None:
        command = [str(self.bin_dir / argv[0]), *argv[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w",
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"


def sqlite_files(url: str) -> list[Path]:
    """A SQLite database's file and its write-ahead log."""
    path = Path(url.split("///", 1)[1])
    return [path, path.with_name(path.name + "-wal")]


@contextlib.contextmanager
def unwritable(files: list[Path]) -> Iterator[None]:
    """Make SQLite files refuse every write while the block runs, even to root: immutable
    (chattr +i; the shared-memory index stays writable, SQLite maps it). Writes fail with
    "disk I/O error" or "attempt to write a readonly database"; reads go on."""
    present = [str(path) for path in files if path.exists()]
    subprocess.run(["chattr", "+i", *present], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *present], check=True, capture_output=True)


def can_make_immutable(directory: Path) -> bool:
    """Whether chattr +i works here (root on a file system that has the flag)."""
    probe = directory / "immutable-probe"
    probe.write_text("x")
    try:
        subprocess.run(["chattr", "+i", str(probe)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    subprocess.run(["chattr", "-i", str(probe)], check=True, capture_output=True)
    probe.unlink()
    return True
