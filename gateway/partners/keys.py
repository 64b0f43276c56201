"""Partners' API keys: made once and shown once, stored as a SHA-256 digest, looked up by the
id they carry, remembered briefly once verified.

A key reads `hk_live_<16 hex id>_<43 url-safe characters>`: the id finds the row without a
scan, the 256 random bits make a plain SHA-256 digest safe to store (there is nothing to
brute-force, unlike a password), and the prefix lets secret scanners recognise a leaked one.
"""

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.auth import Identity
from gateway.partners import repository
from services.common.errors import Unauthenticated

KEY_PREFIX = "hk_live_"
_KEY_SHAPE = re.compile(r"^hk_live_(?P<id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})$")
API_KEY_HEADER = "x-api-key"


def key_id_of(hex_id: str) -> str:
    return f"key_{hex_id}"


def new_api_key() -> tuple[str, str]:
    """A fresh key id and the key itself."""
    hex_id = secrets.token_hex(8)
    return key_id_of(hex_id), f"{KEY_PREFIX}{hex_id}_{secrets.token_urlsafe(32)}"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class InvalidApiKey(Unauthenticated):
    slug = "invalid-api-key"

    def __init__(self) -> None:
        # Unknown, malformed and revoked keys read alike: telling them apart helps no partner.
        super().__init__("The API key is not valid (unknown, malformed or revoked).")


@dataclass(frozen=True)
class _Remembered:
    identity: Identity
    valid_until: float


Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class ApiKeyAuthenticator:
    """Turns an X-API-Key into the partner's identity.

    A key that passed is remembered for `cache_seconds` (keyed by its digest, never the key),
    so a partner's burst costs one query; a revocation takes effect within that time.
    """

    def __init__(
        self, *, sessions: Sessions, cache_seconds: float = 5.0, cache_size: int = 4096
    ) -> None:
        self._sessions = sessions
        self._cache_seconds = cache_seconds
        self._cache_size = cache_size
        self._verified: dict[str, _Remembered] = {}

    async def identify(self, key: str) -> Identity:
        match = _KEY_SHAPE.match(key)
        if match is None:
            raise InvalidApiKey()
        key_digest = digest(key)
        now = time.monotonic()
        remembered = self._verified.get(key_digest)
        if remembered is not None and now < remembered.valid_until:
            return remembered.identity
        identity = await self._load(key_id_of(match["id"]), key_digest)
        if self._cache_seconds > 0 and self._cache_size > 0:
            if len(self._verified) >= self._cache_size:
                del self._verified[next(iter(self._verified))]
            self._verified[key_digest] = _Remembered(identity, now + self._cache_seconds)
        return identity

    def forget(self) -> None:
        """Drop every remembered key (this replica revoked one)."""
        self._verified.clear()

    async def _load(self, key_id: str, key_digest: str) -> Identity:
        async with self._sessions() as session:
            row = await repository.find_active_api_key(session, key_id)
            if row is None or not hmac.compare_digest(row.secret_hash, key_digest):
                raise InvalidApiKey()
            communities = None
            if not row.all_communities:
                limited = await repository.communities_of_keys(session, [key_id])
                communities = frozenset(limited[key_id])
        return Identity(
            subject=key_id,
            kind="api_key",
            scopes=frozenset(row.scopes),
            communities=communities,
        )
