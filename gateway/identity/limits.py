"""Per-principal rate limits: a token bucket per user or API key, refilled at `rate` tokens a
second up to `burst`. One process keeps its buckets in memory; with REDIS_URL set every
replica shares them through one atomic Lua script, timed by the Redis server's clock so the
replicas' clocks need not agree."""

import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: float = 0.0

    @property
    def retry_after_header(self) -> str:
        """Whole seconds (RFC 9110 §10.2.3), never 0 for a refusal."""
        return str(max(1, math.ceil(self.retry_after_seconds)))


class RateLimiter(Protocol):
    async def take(self, principal: str) -> Verdict: ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Buckets in this process: right for one replica, and for tests."""

    def __init__(self, *, rate: float, burst: int, max_principals: int = 100_000) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._max_principals = max_principals
        self._buckets: dict[str, tuple[float, float]] = {}

    async def take(self, principal: str) -> Verdict:
        now = time.monotonic()
        tokens, at = self._buckets.get(principal, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens >= 1:
            verdict = Verdict(True)
            tokens -= 1
        else:
            verdict = Verdict(False, (1 - tokens) / self._rate)
        if principal not in self._buckets and len(self._buckets) >= self._max_principals:
            # A full bucket forgotten is a full bucket again: dropping the oldest is harmless.
            del self._buckets[next(iter(self._buckets))]
        self._buckets[principal] = (tokens, now)
        return verdict

    async def close(self) -> None:
        return None


# KEYS[1] the bucket; ARGV rate (tokens/s), burst. Returns {allowed, retry-after as a string}
# (Lua numbers come back as integers, so the fraction travels as text).
BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(retry)}
"""


class RedisRateLimiter:
    """Buckets shared by every replica. If Redis cannot be reached the request is let through
    (and logged): the limit protects the services, it is not what keeps data correct."""

    def __init__(self, url: str, *, rate: float, burst: int, prefix: str = "huoli:rl:") -> None:
        self._client: Any = redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(BUCKET_SCRIPT)
        self._rate = rate
        self._burst = burst
        self._prefix = prefix

    async def take(self, principal: str) -> Verdict:
        try:
            allowed, retry = await self._script(
                keys=[self._prefix + principal], args=[self._rate, self._burst]
            )
        except (RedisError, OSError) as exc:
            logger.warning("rate limit not checked, Redis unavailable: %r", exc)
            return Verdict(True)
        return Verdict(bool(int(allowed)), float(retry))

    async def close(self) -> None:
        await self._client.aclose()


def rate_limiter(*, redis_url: str, rate: float, burst: int) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, rate=rate, burst=burst)
    return MemoryRateLimiter(rate=rate, burst=burst)
