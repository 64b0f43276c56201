"""The benches' closed-loop load generator, run in a process of its own so it shares an event
loop with nothing it measures."""

import asyncio
import contextlib
import itertools
import multiprocessing
import secrets
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Call:
    """One kind of request. `{n}` in the body becomes a token unique to each request, so a write
    path (a join) can be driven without two requests colliding; `{now}` becomes the moment it
    is sent (ISO 8601, UTC), for bodies whose times must move on as a real client's do."""

    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    expect: int = 200


@dataclass(frozen=True)
class Measured:
    concurrency: int
    seconds: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    answered: int  # also those of the warm-up and at the window's edges

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


class LoadGenerator:
    """One load-generator process, reused for every run: runs can then be short and many, and
    alternate quickly between the apps compared, without a process start between them."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child_end = context.Pipe()
        self._process = context.Process(target=_serve, args=(child_end,), daemon=True)
        self._process.start()
        child_end.close()

    def __enter__(self) -> "LoadGenerator":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def measure(
        self,
        call: Call,
        concurrency: int,
        seconds: float,
        warmup: float,
        rate: float | None = None,
    ) -> Measured:
        """`rate` (requests a second) makes it an open loop, see `_load`."""
        self._connection.send((call, concurrency, seconds, warmup, rate))
        try:
            measured: dict[str, Any] = self._connection.recv()
        except EOFError:
            raise RuntimeError(
                f"the load generator died (exit code {self._process.exitcode})"
            ) from None
        return Measured(concurrency=concurrency, seconds=seconds, **measured)

    def close(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(OSError):
                self._connection.send(None)
            self._process.join(5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._connection.close()


def _serve(connection: Connection) -> None:
    # Ctrl-C reaches the whole process group; the parent handles it and ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import uvloop  # noqa: PLC0415 - a faster loop keeps the generator out of the way

    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            while (job := connection.recv()) is not None:
                connection.send(runner.run(_load(*job)))
    except EOFError:  # the parent went away
        pass
    finally:
        connection.close()


async def _load(
    call: Call, concurrency: int, seconds: float, warmup: float, rate: float | None
) -> dict[str, Any]:
    """Closed loop: `concurrency` workers, each sending its next request when the last answered.
    With a `rate`, an open loop: request k is due at k / rate seconds, sent then by a free
    worker (at most `concurrency` in flight) and timed from when it was due, so a request held
    up behind slow ones counts its wait. Only requests both due and answered inside the
    measured window count."""
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    headers = {**call.headers, **({"Content-Type": "application/json"} if call.body else {})}
    run = secrets.token_hex(4)
    counter = itertools.count()
    latencies: list[float] = []
    errors = 0
    answered_total = 0
    started = time.perf_counter()
    measure_from = started + warmup
    measure_until = measure_from + seconds

    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=headers
    ) as session:

        async def worker() -> None:
            nonlocal errors, answered_total
            while True:
                n = next(counter)
                sent = started + n / rate if rate else time.perf_counter()
                if sent >= measure_until:
                    break
                await asyncio.sleep(sent - time.perf_counter())
                body = call.body.replace("{n}", f"{run}-{n}") if call.body else None
                if body is not None and "{now}" in body:
                    body = body.replace("{now}", datetime.now(UTC).isoformat())
                try:
                    async with session.request(call.method, call.url, data=body) as response:
                        await response.read()
                        ok = response.status == call.expect
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                answered = time.perf_counter()
                answered_total += 1
                if sent >= measure_from and answered <= measure_until:
                    if ok:
                        latencies.append(answered - sent)
                    else:
                        errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "answered": answered_total,
    }


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
