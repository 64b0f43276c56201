"""Request and response shapes of the badges operators define and award."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

from services.common.fields import NoNul

IMAGE_URL_MAX = 2000


def _fits(url: HttpUrl) -> HttpUrl:
    # Measured as stored: normalising (punycode, a trailing slash) can lengthen what was sent.
    if len(str(url)) > IMAGE_URL_MAX:
        raise ValueError(f"must be at most {IMAGE_URL_MAX} characters")
    return url


ImageUrl = Annotated[
    HttpUrl,
    AfterValidator(_fits),
    Field(description="An http(s) URL, at most 2,000 characters."),
]


class BadgeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "年度共建者",
                    "description": "For who built the community with us this year.",
                    "image_url": "https://cdn.example.com/badges/builder.png",
                }
            ]
        },
    )

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), NoNul
    ]
    description: Annotated[str, StringConstraints(max_length=500), NoNul] = ""
    image_url: ImageUrl | None = None


class BadgePublic(BaseModel):
    id: str = Field(description="The badge: a built-in badge's name, or the id of one defined.")
    name: str
    description: str
    image_url: str | None
    built_in: bool = Field(description="Earned by a rule (never by hand), or defined here.")
    created_at: datetime | None


class BadgeList(BaseModel):
    items: list[BadgePublic]


class BadgeAwardPublic(BaseModel):
    community_id: str
    member_id: str
    badge: str
    awarded_at: datetime
    newly_awarded: bool = Field(description="False when the member held it already.")
