"""Field types every service's API validates with, so that no input reaches the database in a
shape it would reject (a 5xx) instead of the caller getting a 422 naming the field."""

import math
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

from services.common.errors import InvalidInput

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
ID_MAX_LENGTH = 40
JSON_OBJECT_MAX_DEPTH = 32
JSON_OBJECT_MAX_BYTES = 4096
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _without_nul(text: str) -> str:
    # PostgreSQL text cannot hold U+0000; refused here rather than failing in the database.
    if "\x00" in text:
        raise ValueError("must not contain the NUL character (U+0000)")
    return text


NoNul = AfterValidator(_without_nul)
"""Add to any free-text `Annotated[str, …]`."""

ResourceId = Annotated[
    str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)
]
"""An id of ours (`cmty_…`, `mbr_…`) in a body."""


def _rfc3339_text(value: Any) -> Any:
    # Pydantic would read a bare number as Unix seconds; the contract is RFC 3339 text.
    if not isinstance(value, str):
        raise ValueError("expected an RFC 3339 timestamp string with an offset")
    return value


NAIVE_REFUSED = (
    "has no UTC offset: send one, e.g. 2026-12-24T19:00:00+08:00 (a time without an offset "
    "is read in the community's timezone only where a field says so)"
)


def _offset_given(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # not ISO 8601 at all: the datetime parser says what is wrong
    if moment.tzinfo is None:
        raise ValueError(NAIVE_REFUSED)
    return value


def _representable_in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:  # e.g. 9999-12-31T23:00:00-05:00 is past year 9999 in UTC
        raise ValueError("is out of the supported range") from exc


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_offset_given),
    BeforeValidator(_rfc3339_text),
    AfterValidator(_representable_in_utc),
]
"""An RFC 3339 time with an offset (a naive time is ambiguous across timezones), as UTC."""


def _utc_if_aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else _representable_in_utc(moment)


LocalTimestamp = Annotated[
    datetime,
    BeforeValidator(_rfc3339_text),
    AfterValidator(_utc_if_aware),
    Field(
        description="RFC 3339; without an offset it is read in the community's timezone "
        "(2026-12-24T19:00:00 in Asia/Shanghai is 11:00 UTC)."
    ),
]
"""A time in a community's calendar: with an offset, as UTC; without one, left naive for the
use case to read in the community's timezone (`in_zone`)."""


def in_zone(moment: datetime, zone: tzinfo, *, field: str) -> datetime:
    """A LocalTimestamp as UTC: a naive one read as wall-clock time in `zone`."""
    if moment.tzinfo is not None:
        return moment
    try:
        return moment.replace(tzinfo=zone).astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00:00 east of UTC is before year 1
        raise InvalidInput(f"`{field}` is out of the supported range.", field=field) from exc


def _bounded_json_object(value: dict[str, Any]) -> dict[str, Any]:
    if not value:
        return value  # `{}`, as most activities' attrs are: nothing to check, 2 bytes as JSON
    _check_json_value(value, path=(), depth=1)
    # Safe now: what orjson would refuse (wide integers, lone surrogates, depth) is gone.
    size = len(orjson.dumps(value))
    if size > JSON_OBJECT_MAX_BYTES:
        raise ValueError(f"is {size} bytes as JSON; at most {JSON_OBJECT_MAX_BYTES} are allowed")
    return value


JsonPath = tuple[str | int, ...]


def _check_json_value(value: Any, *, path: JsonPath, depth: int) -> None:
    """Refuse what some hop after the API cannot carry: the JSON encoders on the way (orjson,
    pydantic's) refuse integers wider than 64 bits and lone surrogates, the consumer's parser
    stops at 200 levels, PostgreSQL text cannot hold NUL, and JSON has no NaN or infinity."""
    if not isinstance(value, dict | list):
        _check_scalar(value, path=path)
        return
    if depth > JSON_OBJECT_MAX_DEPTH:
        raise ValueError(f"nests deeper than {JSON_OBJECT_MAX_DEPTH} levels{_at(path)}")
    items = enumerate(value) if isinstance(value, list) else value.items()
    for key, item in items:
        if isinstance(key, str):
            _check_text(key, path=path, what="a key")
        elif not isinstance(key, int):
            raise ValueError(f"has a key that is not a string{_at(path)}")
        _check_json_value(item, path=(*path, key), depth=depth + 1)


def _check_scalar(value: Any, *, path: JsonPath) -> None:
    if isinstance(value, str):
        _check_text(value, path=path, what="text")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"holds an integer outside the 64-bit signed range{_at(path)}")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"holds a number that is not finite{_at(path)}")
    else:
        raise ValueError(f"holds a {type(value).__name__}, which is not JSON{_at(path)}")


def _check_text(text: str, *, path: JsonPath, what: str) -> None:
    if "\x00" in text:
        raise ValueError(f"holds {what} with the NUL character (U+0000){_at(path)}")
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise ValueError(f"holds {what} with a lone surrogate{_at(path)}") from exc


def _at(path: JsonPath) -> str:
    """Where in the object, for the message: keys are the caller's, so each is cut short."""
    if not path:
        return ""
    parts = (f"[{part}]" if isinstance(part, int) else f".{part[:40]}" for part in path)
    return " at " + "".join(parts).removeprefix(".")


def _utf8_text(text: str) -> str:
    _check_text(text, path=(), what="text")
    return text


Utf8Text = AfterValidator(_utf8_text)
"""Like `NoNul`, and refuses lone surrogates too (JSON's `\\ud800` escape makes one, and no
UTF-8 encoder after the API carries it): for text stored or relayed as it came."""

JsonObject = Annotated[dict[str, Any], AfterValidator(_bounded_json_object)]
"""A free-form JSON object that every later hop can carry: at most 32 levels deep and 4 KiB as
JSON, 64-bit signed integers, finite numbers, Unicode text without NUL. The API and the event
that carries the object on validate with this one type, so what ingestion accepts, its
consumers accept too."""
