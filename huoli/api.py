"""A small client of the public /v1 API for the operator CLI: every command that reads or
changes a community goes through the gateway, as a console would, never around it."""

from collections.abc import Mapping
from typing import Any

import httpx

from gateway.identity.tokens import issue_token
from gateway.settings import GatewaySettings


class ApiError(Exception):
    """The API answered with a problem; `str()` is the problem's title and detail."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        try:
            problem = response.json()
            message = f"{problem.get('title', '')}: {problem.get('detail', '')}".strip(": ")
        except ValueError:
            message = response.text[:200]
        super().__init__(
            f"{response.request.method} {response.request.url.path} → {self.status} {message}"
        )


def development_token(user_id: str, roles: tuple[str, ...] = ()) -> str:
    """A token the local gateway accepts, signed with its JWT secret (development only)."""
    settings = GatewaySettings()
    return issue_token(
        user_id,
        secret=settings.jwt_secret,
        roles=roles,
        ttl_seconds=4 * 3600,
        audience=settings.jwt_audience,
    )


class HuoliApi:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.client = httpx.Client(
            base_url=base_url.rstrip("/") + "/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def __enter__(self) -> "HuoliApi":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.client.close()

    def as_user(self, token: str) -> "HuoliApi":
        """The same API, acting as another person."""
        return HuoliApi(self.base_url, token)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        response = self.client.request(method, path, json=json, params=params)
        if response.status_code >= 400:
            raise ApiError(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json=body if body is not None else {})

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, json=body)
