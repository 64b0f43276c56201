"""Production JWTs: RS256, verified with the identity provider's public keys from a JWKS URL.

The keys are fetched at start-up and every `refresh_seconds`, and at once when a token names a
key id not seen yet (a rotation), though not more often than every `min_refresh_seconds`, so a
flood of tokens with made-up key ids cannot turn into a flood of fetches. A failed fetch keeps
the keys already known.
"""

import asyncio
import logging
import time
from typing import Any

import httpx
from jwt import PyJWKSet
from jwt.exceptions import PyJWKSetError

logger = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 5.0


class JwksKeys:
    def __init__(
        self,
        *,
        url: str,
        client: httpx.AsyncClient,
        refresh_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
    ) -> None:
        self._url = url
        self._client = client
        self._refresh_seconds = refresh_seconds
        self._min_refresh_seconds = min_refresh_seconds
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    def key(self, key_id: str | None) -> Any | None:
        """The RSA public key with this id, if the provider published it."""
        return self._keys.get(key_id or "")

    async def refresh(self, *, unless_fetched_within: float = 0.0) -> bool:
        """Fetch the key set again; False if it was fetched within the given seconds already
        (or the fetch failed)."""
        async with self._lock:
            if time.monotonic() - self._fetched_at < unless_fetched_within:
                return False
            self._fetched_at = time.monotonic()
            try:
                response = await self._client.get(self._url, timeout=FETCH_TIMEOUT_SECONDS)
                response.raise_for_status()
                key_set = PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, OSError, ValueError, PyJWKSetError) as exc:
                logger.warning("JWKS at %s could not be fetched: %r", self._url, exc)
                return False
            self._keys = {
                jwk.key_id: jwk.key
                for jwk in key_set.keys
                if jwk.key_id and jwk.key_type == "RSA" and jwk.public_key_use in (None, "sig")
            }
            return True

    async def refresh_for_unknown_key(self) -> bool:
        """A token named a key id not known here: fetch, unless that was done moments ago."""
        return await self.refresh(unless_fetched_within=self._min_refresh_seconds)

    async def run(self) -> None:
        """Keep the keys fresh until cancelled."""
        while True:
            await self.refresh()
            await asyncio.sleep(self._refresh_seconds)
