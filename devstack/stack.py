"""The whole system as processes: broker, four services, gateway."""

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from devstack.broker import EmbeddedBroker
from devstack.processes import (
    COLOURS,
    ManagedProcess,
    free_port,
    stop_processes,
    uvicorn_argv,
    wait_for_http,
)
from services.common.components import GATEWAY, SERVICES, upstream_url_variable
from services.common.settings import ServiceSettings

# The embedded broker's port when the ports are fixed (`make run`).
BROKER_PORT = 9092


class Stack:
    """Starts the components as separate processes; each can be stopped, killed or restarted."""

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        database_urls: Mapping[str, str] | None = None,
        fixed_ports: bool = False,
        output: IO[str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.base_env = {**os.environ, **(env or {})}
        # One secret for every process of this stack, so that the services believe the gateway;
        # a fresh one per stack unless the environment names one.
        self.internal_secret = self.base_env.get("HUOLI_INTERNAL_SECRET") or secrets.token_hex(32)
        self.database_urls = dict(database_urls or {})
        self.fixed_ports = fixed_ports
        self.output = output
        self.log_dir = log_dir
        self.broker: EmbeddedBroker | None = None
        self.ports = {
            component.name: component.default_port if fixed_ports else free_port()
            for component in (*SERVICES, GATEWAY)
        }
        self.processes: dict[str, ManagedProcess] = {}
        self._colour = iter(COLOURS * 4)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def gateway_url(self) -> str:
        return self.url(GATEWAY.name)

    def _output_for(self, name: str) -> IO[str] | None:
        if self.log_dir is None:
            return self.output
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return (self.log_dir / f"{name}.log").open("a", encoding="utf-8")

    def start_broker(self) -> None:
        if not self.uses_embedded_broker:
            return  # an external cluster was configured
        self.broker = EmbeddedBroker(
            port=BROKER_PORT if self.fixed_ports else None,
            output=self._output_for("kafka"),
            colour=next(self._colour),
        ).start()

    @property
    def uses_embedded_broker(self) -> bool:
        return not self.base_env.get("KAFKA_BOOTSTRAP_SERVERS")

    def required_ports(self) -> dict[str, int]:
        """The ports start_all will listen on, by component."""
        broker = {"kafka": BROKER_PORT} if self.fixed_ports and self.uses_embedded_broker else {}
        return {**self.ports, **broker}

    @property
    def bootstrap_servers(self) -> str:
        if self.broker is not None:
            return self.broker.bootstrap_servers
        return self.base_env["KAFKA_BOOTSTRAP_SERVERS"]

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            # The embedded broker accepts short sessions, so consumer groups join in ~2 s.
            **({"KAFKA_SESSION_TIMEOUT_MS": "3000"} if self.broker is not None else {}),
            **self.base_env,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "HUOLI_INTERNAL_SECRET": self.internal_secret,
            "PYTHONUNBUFFERED": "1",
            **{upstream_url_variable(c): self.url(c.name) for c in SERVICES},
        }
        for component in (*SERVICES, GATEWAY):
            if component.name in self.database_urls:
                env[f"{component.env_prefix}DATABASE_URL"] = self.database_urls[component.name]
        env.update(extra or {})
        return env

    def start(self, name: str, *, extra_env: Mapping[str, str] | None = None) -> ManagedProcess:
        component = next(c for c in (*SERVICES, GATEWAY) if c.name == name)
        process = ManagedProcess(
            name,
            uvicorn_argv(component.app, self.ports[name]),
            env=self.environment(extra_env),
            output=self._output_for(name),
            colour=next(self._colour),
        ).start()
        self.processes[name] = process
        wait_for_http(
            f"{self.url(name)}/readyz" if name != GATEWAY.name else f"{self.url(name)}/healthz",
            process=process,
        )
        return process

    def start_replica(self, name: str, *, extra_env: Mapping[str, str] | None = None) -> str:
        """Start another instance of a component on a port of its own, with the first one's
        database and environment; returns its key (`<name>-2`, …) in `processes` and `ports`.

        A gateway replica sends each upstream to that service's latest replica, when it has one,
        so two gateways can front two separate sets of instances."""
        component = next(c for c in (*SERVICES, GATEWAY) if c.name == name)
        number = 2
        while f"{name}-{number}" in self.ports:
            number += 1
        key = f"{name}-{number}"
        self.ports[key] = free_port()
        upstreams: dict[str, str] = {}
        if component is GATEWAY:
            for service in SERVICES:
                replicas = [k for k in self.ports if k.startswith(f"{service.name}-")]
                if replicas:
                    upstreams[upstream_url_variable(service)] = self.url(replicas[-1])
        process = ManagedProcess(
            key,
            uvicorn_argv(component.app, self.ports[key]),
            env=self.environment({**upstreams, **(extra_env or {})}),
            output=self._output_for(key),
            colour=next(self._colour),
        ).start()
        self.processes[key] = process
        wait_for_http(
            f"{self.url(key)}/readyz" if component is not GATEWAY else f"{self.url(key)}/healthz",
            process=process,
        )
        return key

    def start_all(self) -> None:
        self.start_broker()
        for component in SERVICES:
            self.start(component.name)
        self.start(GATEWAY.name)

    def shutdown_grace_seconds(self) -> float:
        """The longest grace period the environment gives a component's background jobs at
        shutdown (`<PREFIX>SHUTDOWN_GRACE_SECONDS`, default ServiceSettings')."""
        default = ServiceSettings.model_fields["shutdown_grace_seconds"].default
        return max(
            float(self.base_env.get(f"{component.env_prefix}SHUTDOWN_GRACE_SECONDS", default))
            for component in (*SERVICES, GATEWAY)
        )

    def stop_all(self, *, timeout: float | None = None) -> None:
        """Stop the services and gateways together, within their grace period (or `timeout`)
        before they are killed, then the broker: on the way out they publish what their last
        requests wrote and their consumers leave their groups, which needs it."""
        grace = self.shutdown_grace_seconds() if timeout is None else timeout
        stop_processes(self.processes.values(), timeout=grace)
        self.processes.clear()
        if self.broker is not None:
            self.broker.stop(timeout=min(grace, 10.0))

    def kill_all(self) -> None:
        """Stop everything at once, without waiting for any shutdown."""
        self.stop_all(timeout=0)


@contextmanager
def running_stack(**options: object) -> Iterator[Stack]:
    stack = Stack(**options)  # type: ignore[arg-type]
    try:
        stack.start_all()
        yield stack
    finally:
        stack.stop_all()
