"""The SSRF guard: hostile webhook URLs are refused when subscribed, and again when sent to,
without a connection being made."""

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.__main__ import development_env
from gateway.app import create_app
from gateway.settings import GatewaySettings
from gateway.webhooks import repository
from gateway.webhooks.signing import new_secret
from tests.gateway.fakes import bearer, gateway_settings
from tests.support import assert_problem, eventually, running_service

ADMIN = bearer("root", roles=("platform_admin",))


@dataclass
class Listener:
    """A TCP port on loopback that counts the connections made to it."""

    port: int
    connections: int = 0


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    counting = Listener(port=0)

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counting.connections += 1
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0, family=socket.AF_INET)
    counting.port = server.sockets[0].getsockname()[1]
    async with server:
        yield counting


def hostile_urls(port: int) -> list[str]:
    """Thirty URLs a webhook must never be sent to: loopback in its many spellings (several
    aimed at the listener), private, shared, link-local and metadata addresses, multicast and
    unspecified ones, other schemes, credentials, and URLs with no host."""
    return [
        f"http://127.0.0.1:{port}/hook",
        f"http://localhost:{port}/hook",
        f"http://LOCALHOST:{port}/hook",
        f"http://127.1:{port}/hook",
        f"http://2130706433:{port}/hook",
        f"http://0x7f000001:{port}/hook",
        f"http://0177.0.0.1:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",
        f"http://0.0.0.0:{port}/hook",
        f"http://[::1]:{port}/hook",
        f"https://127.0.0.2:{port}/hook",
        "http://10.0.0.1/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
        "http://255.255.255.255/hook",
        "http://[::]/hook",
        "file:///etc/passwd",
        "ftp://example.com/hook",
        f"gopher://127.0.0.1:{port}/_hook",
        f"dict://127.0.0.1:{port}/info",
        "javascript:alert(1)",
        "http://user:secret@example.com/hook",
        "http:///no-host",
        "//example.com/hook",
    ]


async def test_thirty_hostile_urls_are_refused_without_a_connection(
    start_gateway: Any, listener: Listener
) -> None:
    urls = hostile_urls(listener.port)
    assert len(set(urls)) == 30
    async with start_gateway() as client:
        for url in urls:
            body = {"url": url, "event_types": ["webhook.ping"]}
            response = await client.post("/v1/webhooks", json=body, headers=ADMIN)
            problem = assert_problem(response, 422, field="url")
            assert problem["type"].endswith("unsafe-webhook-url"), (url, problem)
        assert (await client.get("/v1/webhooks", headers=ADMIN)).json()["items"] == []
        # Refused for its address, the answer names the setting that allows it in development.
        loopback = {
            "url": f"http://127.0.0.1:{listener.port}/hook",
            "event_types": ["webhook.ping"],
        }
        refused = await client.post("/v1/webhooks", json=loopback, headers=ADMIN)
        assert "WEBHOOK_ALLOW_PRIVATE_URLS=1" in assert_problem(refused, 422)["detail"]
    assert listener.connections == 0


def test_make_run_allows_local_receivers_unless_told_otherwise() -> None:
    assert development_env({}) == {"WEBHOOK_ALLOW_PRIVATE_URLS": "1"}
    assert development_env({"WEBHOOK_ALLOW_PRIVATE_URLS": "0"}) == {}
    assert GatewaySettings(**development_env({})).webhook_allow_private_urls


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_the_sender_checks_the_address_it_connects_to(
    upstream_urls: dict[str, str], listener: Listener, host: str
) -> None:
    """An endpoint stored while its address was acceptable (or whose name resolves elsewhere
    now) is refused at sending time, by the resolver the connection goes through."""
    app = create_app(gateway_settings(upstream_urls, webhook_retry_schedule_seconds=(0,)))
    async with running_service(app) as client:
        now = datetime.now(UTC)
        async with app.state.runtime.sessions() as session:
            await repository.add_endpoint(
                session,
                {
                    "id": "wh_rebound",
                    "url": f"http://{host}:{listener.port}/hook",
                    "description": None,
                    "event_types": ["webhook.ping"],
                    "community_id": None,
                    "secret": new_secret(),
                    "previous_secrets": [],
                    "enabled": True,
                    "disabled_reason": None,
                    "failing_since": None,
                    "created_by": "root",
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await session.commit()
        pinged = await client.post("/v1/webhooks/wh_rebound/ping", headers=ADMIN)
        assert pinged.status_code == 202

        async def refused() -> dict[str, Any]:
            log = await client.get("/v1/webhooks/wh_rebound/deliveries", headers=ADMIN)
            [item] = log.json()["items"]
            assert item["status"] == "failed", item
            return item

        item = await eventually(refused)
    [attempt] = item["attempt_log"]
    assert attempt["status_code"] is None
    assert "non-public address" in attempt["error"]
    assert listener.connections == 0
