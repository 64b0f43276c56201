"""Request and response shapes of welcome templates."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.common.fields import Utf8Text

WelcomeTemplate = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), Utf8Text
]
RulesSummary = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), Utf8Text
]


class WelcomeUpdate(BaseModel):
    """The community's welcome, replaced whole: an omitted field is cleared."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "template": "欢迎 {name} 加入{community}!你在{tier}。请先读群规: {rules}",
                    "rules_summary": "https://example.com/rules 友善交流, 不发广告",
                }
            ]
        },
    )

    template: WelcomeTemplate | None = None
    rules_summary: RulesSummary | None = None


class TierWelcomeUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"template": "欢迎 {name} 来到核心群{tier}!"}]},
    )

    template: WelcomeTemplate


class TierWelcomePublic(BaseModel):
    tier_id: str
    template: str
    updated_by: str
    updated_at: datetime


class WelcomePublic(BaseModel):
    """A community's welcome: its own template (null: none), the text `{rules}` stands for as
    set (null: the community's rules list), and the tiers' own templates."""

    community_id: str
    template: str | None
    rules_summary: str | None
    # What {rules} renders to now: the summary, else the community's rules one a line.
    rules_text: str
    tiers: list[TierWelcomePublic]
    updated_by: str | None
    updated_at: datetime | None
