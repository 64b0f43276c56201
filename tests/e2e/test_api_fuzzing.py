"""Any input through the gateway, on real processes: never a 5xx, and answers as documented.

Schemathesis generates requests for every operation of the gateway's merged /openapi.json, both
data that fits the schema and data that does not, and each generated request that fits is also
sent in hostile variants: NUL in every string, integers past 64 bits, objects nested 300 deep.
Bounded: about 30 requests an operation, under 500 in all (about 15 s). On SQLite only: what
is checked here is the HTTP surface; the PostgreSQL-specific refusals (NUL, integer widths) are
covered by the services' tests on both databases, and a run with 100 examples an operation
(3300 requests) passed on both.
"""

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.proxy.routing import LOCAL_PATHS
from tests.e2e.conftest import System
from tests.support import assert_problem

pytestmark = pytest.mark.e2e

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 6}
DEEP = 300


def _deeply_nested() -> dict[str, Any]:
    value: Any = 1
    for _ in range(DEEP):
        value = {"a": value}
    result: dict[str, Any] = value
    return result


def _replace_leaves(value: Any, replace: Callable[[Any], Any]) -> Any:
    if isinstance(value, dict):
        return {key: _replace_leaves(item, replace) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_leaves(item, replace) for item in value]
    return replace(value)


def _with_nul(leaf: Any) -> Any:
    return f"{leaf}\x00" if isinstance(leaf, str) else leaf


def _huge(leaf: Any) -> Any:
    is_number = isinstance(leaf, int | float) and not isinstance(leaf, bool)
    return 18446744073709551616 if is_number else leaf


def _deep(leaf: Any) -> Any:
    return _deeply_nested()


HOSTILE = {"NUL": _with_nul, "2**64": _huge, f"nested {DEEP} deep": _deep}


def _variant(case: Case, replace: Callable[[Any], Any]) -> Case:
    """The same request with every leaf of its path, query and body replaced."""
    body = case.body if isinstance(case.body, dict | list) else None
    return case.operation.Case(
        method=case.method,
        path_parameters=_replace_leaves(case.path_parameters or {}, replace),
        query=_replace_leaves(case.query or {}, replace),
        body=_replace_leaves(body, replace) if body is not None else case.body,
        media_type=case.media_type,
    )


class _Run:
    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.base_url = base_url
        self.headers = headers
        self.session = requests.Session()
        self.sent: Counter[str] = Counter()

    def send(self, case: Case) -> None:
        self.sent[case.operation.label] += 1
        case.call_and_validate(
            base_url=self.base_url, session=self.session, headers=self.headers, checks=CHECKS
        )

    def operation(self, operation: APIOperation, mode: GenerationMode) -> None:
        @hypothesis.settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            database=None,  # no .hypothesis/ in the work tree
            derandomize=True,  # the same requests on every run: a failure is reproducible
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Case) -> None:
            self.send(case)
            if mode is GenerationMode.POSITIVE:
                for replace in HOSTILE.values():
                    self.send(_variant(case, replace))

        run()


def _fuzz(schema: BaseSchema, run: _Run, *, only: Callable[[str], bool] = lambda _: True) -> None:
    for result in schema.get_all_operations():
        operation = result.ok()
        if not only(operation.path):
            continue
        for mode in EXAMPLES:
            run.operation(operation, mode)


@pytest.mark.parametrize("system", ["sqlite"], indirect=True)
async def test_no_input_makes_a_5xx_and_answers_are_as_documented(system: System) -> None:
    url = system.stack.gateway_url
    schema = await asyncio.to_thread(schemathesis.openapi.from_url, f"{url}/openapi.json")
    run = _Run(url, system.auth("fuzzer"))
    # Schemathesis and requests are synchronous; the services run in their own processes.
    await asyncio.to_thread(_fuzz, schema, run)
    # Every operation had its share: generated, invalid, and each hostile variant.
    operations = [result.ok().label for result in schema.get_all_operations()]
    assert len(operations) >= 15
    assert sorted(run.sent) == sorted(operations)
    assert min(run.sent.values()) >= sum(EXAMPLES.values()), run.sent


@pytest.mark.parametrize("system", ["sqlite"], indirect=True)
async def test_the_gateways_own_routes_take_any_input_from_a_platform_admin(
    system: System,
) -> None:
    """The partner endpoints go furthest for a platform admin (URLs resolved and checked, keys
    for every community): fuzzed again as one."""
    url = system.stack.gateway_url
    schema = await asyncio.to_thread(schemathesis.openapi.from_url, f"{url}/openapi.json")
    run = _Run(url, system.auth("fuzzing-admin", ("platform_admin",)))
    await asyncio.to_thread(_fuzz, schema, run, only=lambda path: path in LOCAL_PATHS)
    assert sorted(run.sent) == sorted(
        result.ok().label
        for result in schema.get_all_operations()
        if result.ok().path in LOCAL_PATHS
    )
    assert len(run.sent) >= 10


@pytest.mark.parametrize("system", ["sqlite"], indirect=True)
async def test_a_trailing_slash_never_redirects_to_a_service(system: System) -> None:
    for path in ("/v1/communities/", "/v1/activities/", "/v1/communities/c1/leaderboard/"):
        response = await system.gateway.get(path, headers=system.auth("alice"))
        # It was a 307 to http://127.0.0.1:<service port>/v1/communities.
        assert_problem(response, 404)
        assert "location" not in response.headers


@pytest.mark.parametrize("system", ["sqlite"], indirect=True)
async def test_a_405_through_the_gateway_allows_every_method_of_the_path(system: System) -> None:
    response = await system.gateway.delete("/v1/communities", headers=system.auth("alice"))
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, POST"
