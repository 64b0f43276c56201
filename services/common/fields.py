"""Field types every service's API validates with, so that no input reaches the database in a
shape it would reject (a 5xx) instead of the caller getting a 422 naming the field."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StringConstraints

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
ID_MAX_LENGTH = 40


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

PathId = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
"""An id of ours in a path: a malformed one is a 422, never a query."""


def _rfc3339_text(value: Any) -> Any:
    # Pydantic would read a bare number as Unix seconds; the contract is RFC 3339 text.
    if not isinstance(value, str):
        raise ValueError("expected an RFC 3339 timestamp string with an offset")
    return value


def _representable_in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:  # e.g. 9999-12-31T23:00:00-05:00 is past year 9999 in UTC
        raise ValueError("is out of the supported range") from exc


Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_rfc3339_text), AfterValidator(_representable_in_utc)
]
"""An RFC 3339 time with an offset (a naive time is ambiguous across timezones), as UTC."""
