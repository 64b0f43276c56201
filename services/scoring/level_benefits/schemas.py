"""Request and response shapes of benefits (levels here; tiers' in the members service share
the shape)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.benefits import MAX_BENEFITS, BenefitItem


class BenefitsUpdate(BaseModel):
    """The whole list (replaces what was there; an empty list removes them)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "benefits": [
                        {
                            "title": "专属答疑",
                            "description": "Questions answered by the hosts first.",
                        },
                        {"title": "活动优先报名"},
                    ]
                }
            ]
        },
    )

    benefits: Annotated[list[BenefitItem], Field(max_length=MAX_BENEFITS)]


class LevelPublic(BaseModel):
    level: int
    points: float = Field(description="Points earned that reach the level.")
    benefits: list[BenefitItem]
    updated_at: datetime | None


class LevelList(BaseModel):
    items: list[LevelPublic]
