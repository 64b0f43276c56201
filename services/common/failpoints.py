"""Crash points for the no-loss tests: off unless HUOLI_FAILPOINT_DIR is set.

A test arms a point by creating a file of that name in the directory; the process that reaches
the point removes the file (so it fires once) and dies at once, as a SIGKILL would leave it.
"""

import os
from pathlib import Path


def failpoint(name: str) -> None:
    directory = os.environ.get("HUOLI_FAILPOINT_DIR")
    if not directory:
        return
    armed = Path(directory) / name
    if armed.exists():
        armed.unlink()
        os._exit(137)
