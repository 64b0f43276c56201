"""Calling a service directly, as the gateway would: the identity headers, signed with a
secret made for this run."""

import secrets

from services.common.auth import signed_actor_headers

# Give it to every process of the run as HUOLI_INTERNAL_SECRET.
INTERNAL_SECRET = secrets.token_hex(32)


def actor_headers(user: str) -> dict[str, str]:
    """The headers that make the services treat the caller as `user`."""
    # Valid for the whole run: the service checks it once, then remembers it, as it does with
    # the gateway's reused assertions.
    return signed_actor_headers(INTERNAL_SECRET, actor_id=user, lifetime_seconds=3600)
