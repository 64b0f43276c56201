"""One OpenAPI document for the whole /v1 surface, merged from the services' own documents."""

import asyncio
import copy
import logging
import re
from collections.abc import Mapping
from typing import Any

import aiohttp
import httpx
from fastapi import FastAPI

from gateway.proxy.routing import is_local, upstream_for
from services.common.components import GATEWAY
from services.common.openapi import problem_openapi

logger = logging.getLogger(__name__)

TITLE = "Huoli API"
VERSION = "1.0.0"
DESCRIPTION = (
    "The Huoli community-operations API. Every /v1 call needs `Authorization: Bearer <JWT>`, "
    "or, for partners, `X-API-Key: <key>` with the scope the route needs."
)
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
API_KEY_SCHEME = {"type": "apiKey", "in": "header", "name": "X-API-Key"}
UNAVAILABLE_EXTENSION = "x-unavailable-services"

_REF = re.compile(r"^#/components/(?P<kind>[^/]+)/(?P<name>[^/]+)$")
_TEMPLATE = re.compile(r"\{[^/{}]+\}")
# The gateway declares its own security; the services' documents describe none worth keeping.
_SKIPPED_COMPONENT_KINDS = frozenset({"securitySchemes"})

Spec = dict[str, Any]
ComponentKey = tuple[str, str]  # (kind, name), e.g. ("schemas", "CommunityPublic")


def merge_openapi(specs: Mapping[str, Spec | None]) -> Spec:
    """Merge the services' documents, keyed by service name; None marks a service that was down.

    Only the /v1 paths the gateway routes to that service are kept. Components that several
    services define identically are kept once; when definitions differ, each service's copy is
    renamed `<service>_<name>` and that service's references are rewritten to it. A component
    referring to a renamed one is itself renamed, since its meaning differs per service too.
    """
    available = {service: spec for service, spec in specs.items() if spec is not None}
    components = {service: _components_of(spec) for service, spec in available.items()}
    renames = _renames(components)

    paths: dict[str, Any] = {}
    merged: dict[str, dict[str, Any]] = {"schemas": {}}
    tags: dict[str, Any] = {}
    for service, spec in available.items():
        rename = renames.get(service, {})
        for path, item in _routed_paths(service, spec).items():
            paths[path] = _rewrite_refs(item, rename)
        for (kind, name), definition in components[service].items():
            final_name = rename.get((kind, name), name)
            merged.setdefault(kind, {})[final_name] = _rewrite_refs(definition, rename)
        for tag in spec.get("tags", []):
            if isinstance(tag, dict) and "name" in tag:
                tags.setdefault(tag["name"], tag)

    merged["securitySchemes"] = {
        "bearerAuth": dict(BEARER_SCHEME),
        "apiKeyAuth": dict(API_KEY_SCHEME),
    }
    document: Spec = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "paths": dict(sorted(paths.items())),
        "components": merged,
        "security": [{"bearerAuth": []}, {"apiKeyAuth": []}],
    }
    if tags:
        document["tags"] = list(tags.values())
    unavailable = [service for service, spec in specs.items() if spec is None]
    if unavailable:
        document[UNAVAILABLE_EXTENSION] = unavailable
    return document


def _routed_paths(service: str, spec: Spec) -> dict[str, Any]:
    routed: dict[str, Any] = {}
    for path, item in (spec.get("paths") or {}).items():
        if not path.startswith("/v1/"):
            continue  # /healthz, /readyz and anything else internal
        concrete = _TEMPLATE.sub("x", path)
        routed_to = GATEWAY.name if is_local(concrete) else upstream_for(concrete)
        if routed_to != service:
            logger.warning(
                "the %s service documents %s, which the gateway routes elsewhere", service, path
            )
            continue
        routed[path] = item
    return routed


def _components_of(spec: Spec) -> dict[ComponentKey, Any]:
    found: dict[ComponentKey, Any] = {}
    for kind, entries in (spec.get("components") or {}).items():
        if kind in _SKIPPED_COMPONENT_KINDS or not isinstance(entries, dict):
            continue
        for name, definition in entries.items():
            found[(kind, name)] = definition
    return found


def _renames(
    components: Mapping[str, Mapping[ComponentKey, Any]],
) -> dict[str, dict[ComponentKey, str]]:
    definitions: dict[ComponentKey, dict[str, Any]] = {}
    for service, entries in components.items():
        for key, definition in entries.items():
            definitions.setdefault(key, {})[service] = definition

    conflicting = {
        key
        for key, by_service in definitions.items()
        if any(definition != next(iter(by_service.values())) for definition in by_service.values())
    }
    # Identical text can still mean different things when it refers to a conflicting component.
    changed = True
    while changed:
        changed = False
        for key, by_service in definitions.items():
            if key in conflicting or len(by_service) < 2:
                continue
            if any(_refs(definition) & conflicting for definition in by_service.values()):
                conflicting.add(key)
                changed = True

    taken = {name for _kind, name in definitions}
    renames: dict[str, dict[ComponentKey, str]] = {}
    for kind, name in sorted(conflicting):
        for service in definitions[(kind, name)]:
            new_name = f"{service}_{name}"
            while new_name in taken:
                new_name += "_"
            taken.add(new_name)
            renames.setdefault(service, {})[(kind, name)] = new_name
    return renames


def _refs(node: Any) -> set[ComponentKey]:
    found: set[ComponentKey] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and (match := _REF.match(ref)):
            found.add((match["kind"], match["name"]))
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _rewrite_refs(node: Any, rename: Mapping[ComponentKey, str]) -> Any:
    if not rename:
        return copy.deepcopy(node)
    if isinstance(node, dict):
        rewritten = {key: _rewrite_refs(value, rename) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and (match := _REF.match(ref)):
            key = (match["kind"], match["name"])
            if key in rename:
                rewritten["$ref"] = f"#/components/{key[0]}/{rename[key]}"
        return rewritten
    if isinstance(node, list):
        return [_rewrite_refs(value, rename) for value in node]
    return node


class MergedOpenApi:
    """Fetches and merges the services' documents; keeps the result once every service answered."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        upstreams: Mapping[str, str],
        timeout: float = 5.0,
        local: FastAPI | None = None,
    ) -> None:
        """`local` is the gateway's own app: its /v1 routes (partners) join the document."""
        self._client = client
        self._local = local
        self._upstreams = dict(upstreams)
        self._timeout = timeout
        self._cached: Spec | None = None
        self._lock = asyncio.Lock()

    async def document(self) -> Spec:
        if self._cached is not None:
            return self._cached
        async with self._lock:
            if self._cached is not None:
                return self._cached
            names = list(self._upstreams)
            fetched = await asyncio.gather(*(self._fetch(name) for name in names))
            specs = dict(zip(names, fetched, strict=True))
            if self._local is not None:
                specs[GATEWAY.name] = self.local_spec(self._local)
            document = merge_openapi(specs)
            # A partial document is served but not kept, so the missing paths appear as soon
            # as their service is back.
            if all(spec is not None for spec in fetched):
                self._cached = document
            return document

    @staticmethod
    def local_spec(app: FastAPI) -> Spec:
        # The gateway's app documents nothing at /openapi.json (that is the merged document),
        # so its own routes are described here, with the same problem+json answers.
        shell = FastAPI(title="gateway", version=VERSION, routes=app.routes)
        shell.openapi = problem_openapi(shell)  # type: ignore[method-assign]
        spec: Spec = shell.openapi()
        return spec

    async def _fetch(self, name: str) -> Spec | None:
        url = f"{self._upstreams[name]}/openapi.json"
        try:
            response = await self._client.get(url, timeout=self._timeout)
            response.raise_for_status()
            spec = response.json()
        except (httpx.HTTPError, aiohttp.ClientError, ValueError, OSError, TimeoutError) as exc:
            logger.warning("OpenAPI document of the %s service unavailable: %r", name, exc)
            return None
        if not isinstance(spec, dict) or not isinstance(spec.get("paths", {}), dict):
            logger.warning("the %s service's OpenAPI document is not an object", name)
            return None
        return spec
