"""Who holds a TCP port, read from /proc (Linux), so that `make run` can name what is in its way.

A port is taken when binding it as the servers will (127.0.0.1, SO_REUSEADDR) fails; its holder
is the process with a file descriptor on one of the sockets /proc/net/tcp{,6} lists on that port.
"""

import contextlib
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
LISTEN = "0A"  # the TCP state in /proc/net/tcp


@dataclass(frozen=True)
class PortSocket:
    inode: int
    uid: int
    listening: bool


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str  # its command line; "" when it cannot be read


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        # As uvicorn and the broker bind: a connection in TIME_WAIT on the port does not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def sockets_on(port: int, *, proc: Path = PROC) -> list[PortSocket]:
    """The sockets bound to `port` locally, listeners first; those in TIME_WAIT have no inode
    and are left out."""
    found = []
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError), (proc / "net" / table).open() as lines:
            next(lines, None)  # the header
            for line in lines:
                # sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                inode = int(fields[9])
                if local_port == port and inode:
                    found.append(PortSocket(inode, int(fields[7]), fields[3] == LISTEN))
    return sorted(found, key=lambda entry: not entry.listening)


def holders_of(inodes: set[int], *, proc: Path = PROC) -> list[Holder]:
    """The processes with a file descriptor on one of these sockets: those we may read."""
    links = {f"socket:[{inode}]" for inode in inodes}
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            holds = any(os.readlink(fd) in links for fd in (entry / "fd").iterdir())
        except OSError:  # another user's process, or one that just exited
            continue
        if holds:
            found.append(Holder(int(entry.name), _command_line(entry)))
    return sorted(found, key=lambda holder: holder.pid)


def _command_line(process: Path) -> str:
    try:
        argv = (process / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    return " ".join(arg.decode(errors="replace") for arg in argv if arg)


def describe_holder(port: int, *, proc: Path = PROC) -> str:
    """Who holds `port`, in a sentence: its pid and command line, or why we cannot tell."""
    sockets = sockets_on(port, proc=proc)
    holders = holders_of({entry.inode for entry in sockets}, proc=proc) if sockets else []
    if holders:
        return "; ".join(
            f"pid {holder.pid} ({holder.command or 'command line unreadable'})"
            for holder in holders
        )
    if sockets:
        uids = sorted({entry.uid for entry in sockets})
        return (
            f"a process of uid {', '.join(map(str, uids))} whose pid cannot be read "
            "(another user's, or in another PID namespace: try `sudo ss -ltnp`)"
        )
    return "a process that cannot be read (no socket on it in /proc/net/tcp; try `ss -ltnp`)"


def taken_ports(ports: Mapping[str, int], *, proc: Path = PROC) -> list[str]:
    """One line per port in `ports` (by component name) that something else holds."""
    return [
        f"port {port} ({name}) is taken by {describe_holder(port, proc=proc)}"
        for name, port in ports.items()
        if not port_is_free(port)
    ]
