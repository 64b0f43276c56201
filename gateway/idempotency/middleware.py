"""Idempotency-Key on POST: the first answer is kept (24 h by default) and replayed to a
repeat of the same request; the same key on a different request is a 409.

The key is claimed before the request runs: a row keyed by (caller, key) is inserted, and a
concurrent duplicate, which cannot insert it, answers 409 `idempotency-request-in-progress`
with `Retry-After: 1` at once rather than waiting; retried after the first finished, it gets
the first answer. An answer of 5xx (or none, the gateway failed) releases the claim, so the
request can be sent again with the same key.
"""

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.idempotency import repository
from gateway.identity.auth import Identity
from gateway.identity.edge import IDENTITY
from services.common.api.problems import render
from services.common.errors import Conflict, InvalidInput

IDEMPOTENCY_HEADER = b"idempotency-key"
REPLAYED_HEADER = b"idempotent-replayed"
_ACCEPTABLE_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers that carry a secret the gateway keeps only hashed (a new API key): storing them for
# replay would keep the secret in clear, so the header is ignored there; a retried creation
# makes another key, which its maker can see and revoke.
_NEVER_STORED_PATHS = frozenset({"/v1/api-keys"})
# Not worth keeping: connection-specific, or set afresh on every answer.
_NOT_STORED = frozenset({b"content-length", b"date", b"server", b"x-request-id", b"connection"})


class IdempotencyKeyReused(Conflict):
    slug = "idempotency-key-reused"


class IdempotentRequestInProgress(Conflict):
    slug = "idempotency-request-in-progress"


def request_fingerprint(scope: Scope, body: bytes) -> str:
    hashed = hashlib.sha256()
    for part in (scope["method"].encode(), scope.get("raw_path") or scope["path"].encode()):
        hashed.update(part + b"\n")
    hashed.update(scope.get("query_string", b"") + b"\n")
    hashed.update(body)
    return hashed.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        identity: Identity | None = scope.get(IDENTITY) if scope["type"] == "http" else None
        if identity is None or scope["method"] != "POST" or scope["path"] in _NEVER_STORED_PATHS:
            await self.app(scope, receive, send)
            return
        raw_key = next((v for k, v in scope["headers"] if k == IDEMPOTENCY_HEADER), None)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not _ACCEPTABLE_KEY.match(key):
            error = InvalidInput(
                "Idempotency-Key must be 1-255 printable ASCII characters.",
                field="Idempotency-Key",
            )
            await render(error)(scope, receive, send)
            return
        body = await _read_body(receive)
        fingerprint = request_fingerprint(scope, body)
        runtime: Any = scope["app"].state.runtime
        principal = identity.principal
        now = datetime.now(UTC)
        async with runtime.sessions() as session:
            claimed = await repository.claim_idempotency_key(
                session,
                {
                    "principal": principal,
                    "idempotency_key": key,
                    "request_hash": fingerprint,
                    "created_at": now,
                    "expires_at": now + timedelta(seconds=runtime.settings.idempotency_ttl_seconds),
                },
            )
            record = None
            if not claimed:
                record = await repository.find_idempotency_record(
                    session, principal=principal, key=key
                )
                if record is not None and record.expires_at <= now:
                    # Expired but not yet pruned: the key is free again.
                    await repository.release_expired(session, principal=principal, key=key)
                    claimed = await repository.claim_idempotency_key(
                        session,
                        {
                            "principal": principal,
                            "idempotency_key": key,
                            "request_hash": fingerprint,
                            "created_at": now,
                            "expires_at": now
                            + timedelta(seconds=runtime.settings.idempotency_ttl_seconds),
                        },
                    )
            await session.commit()
        if not claimed:
            await self._answer_repeat(scope, receive, send, record, fingerprint)
            return
        await self._run_first(scope, send, body, runtime=runtime, principal=principal, key=key)

    async def _answer_repeat(
        self, scope: Scope, receive: Receive, send: Send, record: Any, fingerprint: str
    ) -> None:
        if record is None or record.request_hash != fingerprint:
            error: Conflict = IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request; use a new key."
            )
            await render(error)(scope, receive, send)
            return
        if record.status_code is None:
            error = IdempotentRequestInProgress(
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                headers={"Retry-After": "1"},
            )
            await render(error)(scope, receive, send)
            return
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in record.response_headers or []
        ]
        body: bytes = record.response_body or b""
        headers.append((b"content-length", str(len(body)).encode()))
        headers.append((REPLAYED_HEADER, b"true"))
        await send(
            {"type": "http.response.start", "status": record.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})

    async def _run_first(
        self, scope: Scope, send: Send, body: bytes, *, runtime: Any, principal: str, key: str
    ) -> None:
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        status = 0
        headers: list[list[str]] = []
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.extend(
                    [name.decode("latin-1"), value.decode("latin-1")]
                    for name, value in message.get("headers", [])
                    if name.lower() not in _NOT_STORED
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, recording_send)
        finally:
            async with runtime.sessions() as session:
                if 0 < status < 500:
                    await repository.complete_idempotency_record(
                        session,
                        principal=principal,
                        key=key,
                        status_code=status,
                        headers=headers,
                        body=b"".join(chunks),
                    )
                else:
                    await repository.release_idempotency_key(session, principal=principal, key=key)
                await session.commit()


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
