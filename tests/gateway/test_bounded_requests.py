"""Bounded requests, with raw sockets against a real gateway process (uvicorn, the bounded
httptools protocol): request line and headers past 16 KiB are 431 before they are buffered, a
head sent slowly is 408 and closed within seconds, and past the connection cap a client gets a
clean 503 with Retry-After."""

import asyncio
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack.processes import ManagedProcess, free_port, uvicorn_argv, wait_for_http
from tests.gateway.fakes import SECRET, bearer

HEAD_TIMEOUT = 2
BODY_TIMEOUT = 3
MAX_CONNECTIONS = 60


@dataclass
class Served:
    port: int
    process: ManagedProcess

    def status(self, field: str) -> int:
        """A /proc/<pid>/status figure, in KiB (VmHWM is the peak resident set)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise KeyError(field)

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))


@pytest.fixture(scope="module")
def gateway_process(broker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("bounded")
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'gateway.db'}",
        "KAFKA_BOOTSTRAP_SERVERS": broker,
        "JWT_SECRET": SECRET,
        "HUOLI_HEAD_TIMEOUT_SECONDS": str(HEAD_TIMEOUT),
        "HUOLI_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "HUOLI_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    process = ManagedProcess(
        "gateway",
        uvicorn_argv("gateway.app:create_app", port),
        env=env,
        output=(workdir / "gateway.log").open("a"),
    ).start()
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=process)
        yield Served(port=port, process=process)
    finally:
        process.stop()


async def _exchange(port: int, head: bytes, *, timeout: float = 10) -> bytes:
    """Send `head` and read whatever comes back until the server closes or answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), timeout)
    finally:
        writer.close()


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


async def test_a_head_under_the_cap_passes_one_over_it_is_431(gateway_process: Served) -> None:
    under = b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 15_000 + b"\r\n\r\n"
    assert _status(await _exchange(gateway_process.port, under)) == 200
    over = b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 17_000 + b"\r\n\r\n"
    answer = await _exchange(gateway_process.port, over)
    assert _status(answer) == 431
    assert b"application/problem+json" in answer
    assert b"16384 bytes" in answer
    # Many small headers count together.
    many = b"GET /healthz HTTP/1.1\r\nhost: x\r\n" + b"x-h: 0123456789\r\n" * 1200 + b"\r\n"
    assert _status(await _exchange(gateway_process.port, many)) == 431
    # A URL counts too.
    long_url = b"GET /healthz?" + b"q" * 20_000 + b" HTTP/1.1\r\nhost: x\r\n\r\n"
    assert _status(await _exchange(gateway_process.port, long_url)) == 431


async def test_a_body_sent_with_its_head_does_not_count(gateway_process: Served) -> None:
    # One write: a small head, then 200 KB of body with blank lines in it. Only the head counts.
    body = b'{"name": "x"}' + b"\n\n \r\n\r\n" * 20_000
    head = (
        b"POST /v1/communities HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    )
    answer = await _exchange(gateway_process.port, head + body)
    assert _status(answer) in (401, 413)  # no credentials, or the body cap: not 431


async def _huge_header(port: int, megabytes: int) -> int:
    """Send a header of `megabytes` MB in 64 KiB writes, until the server answers or closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        chunk = b"z" * 65536
        with contextlib.suppress(ConnectionError):
            writer.write(b"GET /v1/communities HTTP/1.1\r\nhost: x\r\nx-huge: ")
            for _ in range(megabytes * 16):
                writer.write(chunk)
                await writer.drain()
        try:
            answer = await asyncio.wait_for(reader.read(65536), 10)
        except ConnectionError:
            return 0  # reset: the server gave up on it before the client read its answer
        return _status(answer) if answer else 0
    finally:
        writer.close()


async def test_eight_50_mb_headers_leave_the_gateway_small(gateway_process: Served) -> None:
    before = gateway_process.status("VmHWM")
    statuses = await asyncio.gather(*(_huge_header(gateway_process.port, 50) for _ in range(8)))
    peak = gateway_process.status("VmHWM")
    print(
        f"gateway peak RSS: {before / 1024:.0f} MiB before, {peak / 1024:.0f} MiB after 8 x 50 MB"
    )
    # Answered 431 (or, if the server closed before the client read, a closed connection).
    assert set(statuses) <= {431, 0}
    assert 431 in statuses
    assert peak - before < 32 * 1024  # KiB: the 400 MB were never buffered (was 1.42 GB)


async def test_a_head_sent_slowly_is_408_within_seconds(gateway_process: Served) -> None:
    fds_before = gateway_process.open_fds()

    async def trickle() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway_process.port)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\n")
            for byte in b"host: slow.example\r\n" * 10:
                writer.write(bytes([byte]))
                await writer.drain()
                read = asyncio.ensure_future(reader.read(65536))
                done, _ = await asyncio.wait({read}, timeout=0.5)
                if done:
                    return read.result()
                read.cancel()
            return b"never answered"
        except ConnectionError:
            return b""
        finally:
            writer.close()

    started = asyncio.get_running_loop().time()
    answers = await asyncio.gather(*(trickle() for _ in range(40)))
    took = asyncio.get_running_loop().time() - started
    assert all(answer == b"" or _status(answer) == 408 for answer in answers), answers[:3]
    assert took < HEAD_TIMEOUT + 3
    await asyncio.sleep(0.5)
    assert gateway_process.open_fds() <= fds_before + 2

    # A connection that sends nothing at all is closed too.
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway_process.port)
    assert await asyncio.wait_for(reader.read(100), HEAD_TIMEOUT + 3) == b""
    writer.close()


async def test_a_body_sent_slowly_is_408_within_seconds(gateway_process: Served) -> None:
    # Authenticated, so the gateway reads the body to forward it: it waits for the rest.
    token = bearer()["Authorization"].encode()
    head = (
        b"POST /v1/communities HTTP/1.1\r\nhost: x\r\nauthorization: " + token + b"\r\n"
        b'content-type: application/json\r\ncontent-length: 1000\r\n\r\n{"name"'
    )
    started = asyncio.get_running_loop().time()
    answer = await _exchange(gateway_process.port, head, timeout=BODY_TIMEOUT + 5)
    took = asyncio.get_running_loop().time() - started
    assert _status(answer) == 408, answer
    assert b"request body did not arrive" in answer
    assert took < BODY_TIMEOUT + 2


async def test_past_the_connection_cap_a_client_gets_503(gateway_process: Served) -> None:
    held = [
        await asyncio.open_connection("127.0.0.1", gateway_process.port)
        for _ in range(MAX_CONNECTIONS + 10)
    ]
    try:
        refused = 0
        for reader, _writer in held:
            with contextlib.suppress(TimeoutError):
                answer = await asyncio.wait_for(reader.read(65536), 0.05)
                if answer:
                    assert _status(answer) == 503
                    assert b"retry-after: 2" in answer.lower()
                    refused += 1
        assert refused >= 10
    finally:
        for _reader, writer in held:
            writer.close()
    await asyncio.sleep(0.3)
    # Below the cap again: served as usual.
    ok = await _exchange(gateway_process.port, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
    assert _status(ok) == 200
