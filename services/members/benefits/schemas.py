"""Request and response shapes of tier benefits (the same shape as scoring's level benefits)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.benefits import MAX_BENEFITS, BenefitItem


class TierBenefitsUpdate(BaseModel):
    """The whole list (replaces what was there; an empty list removes them)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "benefits": [
                        {"title": "嘉宾分享优先席", "description": "Front seats at every talk."},
                        {"title": "月度闭门会"},
                    ]
                }
            ]
        },
    )

    benefits: Annotated[list[BenefitItem], Field(max_length=MAX_BENEFITS)]


class TierBenefitsPublic(BaseModel):
    community_id: str
    tier_id: str
    benefits: list[BenefitItem]
    updated_at: datetime | None
