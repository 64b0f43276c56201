"""Cursor pagination: `?limit=&cursor=` in, `{"items": [...], "next_cursor": ...}` out.

A cursor is the id of the last item returned (ids sort by creation), opaque to callers
(base64url JSON), so pages stay stable while rows are inserted, unlike offsets.
"""

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar, cast

import orjson
from pydantic import BaseModel

from services.common.errors import InvalidInput
from services.common.fields import ID_PATTERN

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None

    @classmethod
    def of(cls, rows: list[T], *, limit: int, id_of: Callable[[T], str]) -> Self:
        """A page from up to `limit + 1` rows ordered by id; the extra row only says another
        page exists.

        Call it on the concrete class (`Page[MemberPublic].of(...)`), with items validated
        already: FastAPI then takes the page as it is instead of validating it again.
        """
        has_more = len(rows) > limit
        items = rows[:limit]
        next_cursor = encode_cursor([id_of(items[-1])]) if has_more and items else None
        # mypy reads model_construct on a generic class as returning Page[T], not Self.
        return cast(Self, cls.model_construct(items=items, next_cursor=next_cursor))


@dataclass(frozen=True)
class PageParams:
    limit: int
    after_id: str | None

    @property
    def fetch_limit(self) -> int:
        """Rows to ask for: one more than a page holds tells whether another page follows."""
        return self.limit + 1


def encode_cursor(sort_key: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(sort_key)).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The id a cursor points after; a forged one never reaches a query."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("The cursor is not one this API returned.", field="cursor") from exc
    if not (
        isinstance(value, list)
        and len(value) == 1
        and isinstance(value[0], str)
        and re.fullmatch(ID_PATTERN, value[0])
    ):
        raise InvalidInput("The cursor is not one this API returned.", field="cursor")
    after_id: str = value[0]
    return after_id
