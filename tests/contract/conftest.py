"""The contract as clients see it: the gateway's merged OpenAPI document, built in-process from
every service's app and the gateway's own routes exactly as the gateway merges them, and the
pinned npm tools (clients/typescript/) the checks run."""

import fcntl
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.proxy.openapi import MergedOpenApi, merge_openapi
from gateway.settings import GatewaySettings
from services.common.components import GATEWAY, SERVICES

CLIENTS = Path(__file__).resolve().parents[2] / "clients" / "typescript"


@pytest.fixture(scope="session")
def openapi_document() -> dict[str, Any]:
    specs: dict[str, Any] = {
        service.name: service.load_app_factory()(
            service.load_settings_class()(environment="test")
        ).openapi()
        for service in SERVICES
    }
    specs[GATEWAY.name] = MergedOpenApi.local_spec(create_app(GatewaySettings(environment="test")))
    return merge_openapi(specs)


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """clients/typescript/ with its locked packages installed (`npm ci` when they are not)."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found on PATH: the contract checks need Node.js 20+ "
            "and npm (they install the pinned packages of clients/typescript/package-lock.json)"
        )
    # pytest-xdist workers each ask: one installs while the others wait for it.
    with (CLIENTS / ".npm-ci.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (CLIENTS / "node_modules" / ".package-lock.json").exists():
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=CLIENTS,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, f"npm ci in {CLIENTS} failed:\n{done.stdout}{done.stderr}"
    return CLIENTS


def run_node_tool(tools: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`node …`, or one of the locked packages' commands (node_modules/.bin), in `tools`."""
    command = args[0] if args[0] == "node" else str(tools / "node_modules" / ".bin" / args[0])
    return subprocess.run(
        [command, *args[1:]],
        cwd=tools,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
