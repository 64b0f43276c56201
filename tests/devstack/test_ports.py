"""`make run` refuses to start when a port it needs is taken, naming the port and its holder."""

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from devstack.ports import port_is_free, taken_ports
from devstack.processes import ROOT, free_port
from devstack.stack import BROKER_PORT, Stack

# Listens on the port in argv[1] until its stdin closes.
HOLDER = """
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as port_is_free probes
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
print("listening", flush=True)
sys.stdin.read()
"""


def hold(port: int) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "listening"
    return holder


def release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(10)


@pytest.fixture
def held_port() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = free_port()
    holder = hold(port)
    try:
        yield port, holder
    finally:
        release(holder)


def test_a_taken_port_is_named_with_its_holders_pid_and_command(
    held_port: tuple[int, subprocess.Popen[str]],
) -> None:
    port, holder = held_port
    [line] = taken_ports({"members": port, "free": free_port()})
    assert line.startswith(f"port {port} (members) is taken by pid {holder.pid} (")
    assert "socket.socket()" in line  # its command line


def test_free_ports_are_not_reported() -> None:
    port = free_port()
    assert port_is_free(port)
    assert taken_ports({"members": port}) == []


def test_devstack_run_refuses_to_start_on_a_taken_port() -> None:
    # One of the fixed ports `make run` needs; another `make run` on this machine may hold some.
    stack = Stack(fixed_ports=True, env={"KAFKA_BOOTSTRAP_SERVERS": ""})
    needed = stack.required_ports()
    assert set(needed.values()) == {8000, 8001, 8002, 8003, 8004, BROKER_PORT}
    # A port we hold ourselves, so the message must name our pid; should every port be taken
    # already (another `make run`), devstack must refuse all the same, naming those.
    port = next((port for port in needed.values() if port_is_free(port)), None)
    holder = hold(port) if port is not None else None
    env = {key: value for key, value in os.environ.items() if key != "KAFKA_BOOTSTRAP_SERVERS"}
    devstack = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = devstack.communicate(timeout=60)
    finally:
        if devstack.poll() is None:  # it started the stack after all
            os.killpg(devstack.pid, 9)
            devstack.wait(10)
        if holder is not None:
            release(holder)
    assert devstack.returncode != 0
    if holder is not None:
        assert f"port {port} (" in stderr
        assert f"pid {holder.pid} (" in stderr
    else:
        assert "port 8000 (gateway)" in stderr
    assert "started nothing" in stderr
    assert stdout == ""  # no process was started, so none printed anything
