"""Request and response shapes of the screening settings, and a screening hit on an item."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.screening.fields import Domain, ScreeningRule, Word
from services.content.screening.rules import OFFICIAL_DEFAULT, ScreeningAction


class ScreeningHitPublic(BaseModel):
    rule: str
    match: str


class SourceScreening(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: ScreeningAction
    any_link: bool = Field(description="true: any link may stand; false: only allowed domains")


class ScreeningSettingsPut(BaseModel):
    """A community's screening: what a hit does to members' and partners' items (`action`),
    how official content (editors') is screened (`official`: by default flagged for a person,
    never rejected, any link allowed), words added to the default lists per rule, and the link
    domains allowed (their subdomains too)."""

    model_config = ConfigDict(extra="forbid")

    action: ScreeningAction = ScreeningAction.REJECT
    official: SourceScreening = SourceScreening(
        action=OFFICIAL_DEFAULT.action, any_link=OFFICIAL_DEFAULT.any_link
    )
    words: Annotated[
        dict[ScreeningRule, Annotated[list[Word], Field(max_length=2000)]], Field(max_length=4)
    ] = {}
    allowed_domains: Annotated[list[Domain], Field(max_length=200)] = []


class ScreeningSettingsPublic(ScreeningSettingsPut):
    community_id: str
