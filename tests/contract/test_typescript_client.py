"""A frontend team's client: openapi-typescript at its default settings generates types from the
gateway's document, and a small console program written against them (with openapi-fetch)
compiles under `tsc --noEmit --strict`. Both packages are pinned by
clients/typescript/package-lock.json."""

import json
from pathlib import Path
from typing import Any

from tests.contract.conftest import run_node_tool


def test_the_generated_client_compiles_under_strict_typescript(
    openapi_document: dict[str, Any], node_tools: Path, tmp_path: Path
) -> None:
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(openapi_document), encoding="utf-8")
    generated = node_tools / "generated" / "api.d.ts"
    made = run_node_tool(node_tools, "openapi-typescript", str(document), "-o", str(generated))
    assert made.returncode == 0, made.stdout + made.stderr
    assert "listCommunities: {" in generated.read_text(encoding="utf-8")

    compiled = run_node_tool(node_tools, "tsc", "--noEmit", "--strict", "-p", "tsconfig.json")
    assert compiled.returncode == 0, f"tsc --strict failed:\n{compiled.stdout}{compiled.stderr}"
