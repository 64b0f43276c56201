"""Cursor pagination: `?limit=&cursor=` in, `{"items": [...], "next_cursor": ...}` out.

A cursor is the sort key of the last item returned, opaque to callers (base64url JSON), so
pages stay stable while rows are inserted, unlike offsets.
"""

import base64
import binascii
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel

from services.common.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class PageParams(BaseModel):
    limit: int
    after: list[Any] | None


def encode_cursor(sort_key: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(sort_key)).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("The cursor is not one this API returned.", field="cursor") from exc
    if not isinstance(value, list):
        raise InvalidInput("The cursor is not one this API returned.", field="cursor")
    return value


def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


PageDep = Annotated[PageParams, Depends(_page_params)]


def page_of(rows: list[T], *, limit: int, sort_key: Any) -> Page[T]:
    """Build a page from up to `limit + 1` rows; the extra row only says another page exists."""
    has_more = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode_cursor(sort_key(items[-1])) if has_more and items else None
    return Page[T](items=items, next_cursor=next_cursor)
