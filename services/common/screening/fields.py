"""The request fields a screening configuration takes, wherever it is set (content's screening
settings, members' moderation rules): a listed word, an allowed link domain."""

from typing import Annotated, Literal

from pydantic import StringConstraints

from services.common.fields import NoNul

Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
Domain = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=253,
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$",
    ),
]
# The word lists a community adds to: the defaults' three and its own.
ScreeningRule = Literal["ads", "abuse", "rumours", "custom"]
